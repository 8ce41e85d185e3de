(* SPDX-License-Identifier: Apache-2.0 *)
(* A kernel that counts the key interrupt as an exit of the partition it interrupted (the
   outside review's SK-TIME-2 variant: the mutant "foreign interrupts counted for the running
   partition") refutes time_read_own: a key typed, an action of the user, changes the time
   partition 0 has spent in its frame, hence what its next read_time returns. Policy: one
   partition, no channel; frame 0 runs partition 0. The real model refuses the counterexample:
   a key touches only the focused partition's inbox (tests/proofs/broken_variants.sh). *)
From Bulkhead Require Import Separation.
Require Import List.
Import ListNotations.

Definition nchan := 0.
Definition writer (_ : nat) := 0.
Definition grant (_ _ : nat) : option (region * nat * access) := None.
Definition frames (_ : nat) := 1.
Definition schedule (_ _ : nat) := 0.
Definition duration (_ _ : nat) := 2000.
Definition cpu_of (_ : nat) := 0.  (* one CPU *)
Definition inject (_ : nat) := false.  (* on_violation = stop *)
Definition xcr0_ok (_ : nat) := true.
Definition s0 := mk_state (fun _ _ => 0) (fun _ => false) (fun _ => 0) 0 (fun _ => nil) (fun _ => 0) (fun _ => 0) nil (fun _ => 0) (fun _ => mk_cpu 0 0 0 0 0 (fun _ => 0) 0 1)
  (mk_banks (fun _ _ => 0) (fun _ => None) (fun _ _ => 0)).

(* KEY-EXIT: a key changes the time partition 0 has spent. Only a model that counts the key
   for the running partition accepts this. *)
Example key_counts_as_exit :
  spent (cpus (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 (Key 7)) 0) <> spent (cpus s0 0).
Proof. simpl. intro H. discriminate H. Qed.

Example key_exit_breaks_time_read_own :
  ~ (forall s a p, dom_of a <> Part p -> dom_of a <> Timer ->
       spent (cpus (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok s a) p) = spent (cpus s p) /\
       time_read (cpus (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok s a) p) = time_read (cpus s p)).
Proof.
  intro H. apply key_counts_as_exit. apply (H s0 (Key 7) 0); discriminate.
Qed.
