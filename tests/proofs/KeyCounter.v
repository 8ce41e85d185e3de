(* SPDX-License-Identifier: Apache-2.0 *)
(* The outside review's variant: every key also bumps a counter (refused calls) of the running
   partition. Partition 0 runs (frame 0), partition 1 holds the focus, the user types one key:
   with the key purged (it was typed while another partition held the focus), partition 0's
   view must be the same. This checks against that variant, refuting keys_confidential's
   statement, and is refused by the real model, where the key touches only partition 1's inbox
   (tests/proofs/broken_variants.sh). *)
From Bulkhead Require Import Separation.
Require Import List.
Import ListNotations.

Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition grant (_ _ : nat) : option (region * nat * access) := None.
Definition frames (_ : nat) := 2.
Definition schedule (_ i : nat) := i.  (* frame 0 runs partition 0 *)
Definition duration (_ _ : nat) := 2000.
Definition cpu_of (_ : nat) := 0.  (* one CPU *)
Definition inject (_ : nat) := false.  (* on_violation = stop *)
Definition xcr0_ok (_ : nat) := true.
Definition s0 := mk_state (fun _ _ => 0) (fun _ => false) (fun _ => 0) 1 (fun _ => nil) (fun _ => 0) (fun _ => 0) nil (fun _ => 0) (fun _ => mk_cpu 0 0 0 0 0 (fun _ => 0) 0 1)
  (mk_banks (fun _ _ => 0) (fun _ => None) (fun _ _ => 0)).

Example counted_key_reaches_running_partition :
  ~ view_eq 0 writer reader grant cpu_of (Part 0)
      (run 0 writer grant frames schedule duration cpu_of inject xcr0_ok s0 [Key 7])
      (run 0 writer grant frames schedule duration cpu_of inject xcr0_ok s0 (purge_keys 0 writer grant frames schedule duration cpu_of inject xcr0_ok 0 s0 [Key 7])).
Proof. simpl. intros (_ & _ & H & _). discriminate H. Qed.
