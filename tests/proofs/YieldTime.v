(* SPDX-License-Identifier: Apache-2.0 *)
(* A scheduler whose yield gives the rest of the frame to the next partition (the frame ends
   early) refutes time_partitioning. Policy: partitions 0 and 1, one channel 0 from 0 to 1;
   frame 0 runs partition 0, frame 1 partition 1. Partition 0 yields: with no timer tick in
   either trace, the variant is in frame 1 (partition 1 runs early) after [Yield 0] and in
   frame 0 after the empty trace. The channel lets 0 affect 1, so `separation` does not forbid
   this (partition 1's purge keeps the yield); time partitioning does. The real model refuses
   the counterexample: its yield idles the rest of the frame (tests/proofs/broken_variants.sh). *)
From Bulkhead Require Import Separation.
Require Import List.
Import ListNotations.

Definition nchan := 1.
Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition grant (_ _ : nat) : option (region * nat * access) := None.
Definition frames (_ : nat) := 2.
Definition schedule (_ i : nat) := i.  (* frame 0 runs partition 0 *)
Definition duration (_ _ : nat) := 2000.
Definition cpu_of (_ : nat) := 0.  (* one CPU *)
Definition inject (_ : nat) := false.  (* on_violation = stop *)
Definition xcr0_ok (_ : nat) := true.
Definition s0 := mk_state (fun _ _ => 0) (fun _ => false) (fun _ => 0) 0 (fun _ => nil) (fun _ => 0) (fun _ => 0) nil (fun _ => 0) (fun _ => mk_cpu 0 0 0 0 0 (fun _ => 0) 0 1)
  (mk_banks (fun _ _ => 0) (fun _ => None) (fun _ _ => 0)).

(* The flow relation allows partition 0 to affect partition 1, and partition 1's purge keeps
   the yield: separation's statement says nothing against it. *)
Example purge_keeps_the_yield : ipurge nchan writer reader [Yield 0] (Part 1) = [Yield 0].
Proof. reflexivity. Qed.

(* YIELD-EARLY: a yield without a tick moves the schedule on. Only a model whose yield hands
   over the frame accepts this. *)
Example yield_moves_the_frame :
  frame (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 [Yield 0]) 0 <>
  frame (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 []) 0.
Proof. simpl. intro H. discriminate H. Qed.

Example early_yield_breaks_time_partitioning :
  ~ (forall s trace1 trace2 c, ticks c trace1 = ticks c trace2 ->
       frame (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace1) c =
       frame (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace2) c /\
       clock (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace1) c =
       clock (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace2) c /\
       (forall p, cpu_of p = c ->
                  running schedule cpu_of (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace1) p =
                  running schedule cpu_of (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace2) p)).
Proof. intro H. apply yield_moves_the_frame. apply (H s0 [Yield 0] [] 0). reflexivity. Qed.
