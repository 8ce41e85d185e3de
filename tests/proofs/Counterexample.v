(* SPDX-License-Identifier: Apache-2.0 *)
(* A concrete witness that the separation property is not vacuous. Policy: one channel 0 from
   partition 0 (writer) to partition 1 (reader); the schedule runs partition 1 first. *)
From Bulkhead Require Import Separation.
Require Import List.

Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition grant (p _ : nat) : option (region * nat * access) :=
  match p with
  | 0 => Some (RChan 0, 0, Read_write)
  | 1 => Some (RChan 0, 0, Read_only)
  | _ => None
  end.
Definition frames (_ : nat) := 2.
Definition schedule (_ i : nat) := match i with 0 => 1 | _ => 0 end.  (* frame 0 runs partition 1 *)
Definition duration (_ _ : nat) := 2000.
Definition cpu_of (_ : nat) := 0.  (* one CPU *)
Definition inject (_ : nat) := false.  (* on_violation = stop *)
Definition xcr0_ok (_ : nat) := true.
Definition s0 := mk_state (fun _ _ => 0) (fun _ => false) (fun _ => 0) 0 (fun _ => nil) (fun _ => 0) (fun _ => 0) nil (fun _ => 0) (fun _ => mk_cpu 0 0 0 0 0 (fun _ => 0) 0 1)
  (mk_banks (fun _ _ => 0) (fun _ => None) (fun _ _ => 0)).

(* The reader may not interfere with the writer ... *)
Example reader_may_not_reach_writer : interferes 1 writer reader (Part 1) (Part 0) = false.
Proof. reflexivity. Qed.

(* WRITE-BACK: ... yet a write by the reader into its read-only channel page changes what the
   writer observes. This checks only against a model whose step lets that write through; against
   the real model it must fail (the kernel stops the reader instead). *)
Example reader_write_reaches_writer :
  ~ view_eq 1 writer reader grant cpu_of (Part 0) s0 (step 1 writer grant frames schedule duration cpu_of inject xcr0_ok s0 (Write 1 0 5)).
Proof. simpl. intros [H _]. specialize (H 0). unfold read in H. simpl in H. discriminate. Qed.

(* So in that variant the obligation itself is false, not merely its proof broken: local
   respect (Separation.v, `local_respect`, restated here for the variant's step) has this
   counterexample, the reader's write. *)
Example write_back_breaks_local_respect :
  ~ (forall a u s, interferes 1 writer reader (dom_of a) u = false ->
       view_eq 1 writer reader grant cpu_of u s (step 1 writer grant frames schedule duration cpu_of inject xcr0_ok s a)).
Proof. intro H. apply reader_write_reaches_writer. apply H. reflexivity. Qed.
