(* SPDX-License-Identifier: Apache-2.0 *)
(* The write-back variant (a reader may write its read-only channel page) against
   no_flow_down_traces, with a policy that keeps SK-FLOW-1: one channel 0 from partition 0
   (level 0) up to partition 1 (level 1), read-write at guest page 0 of the writer and read-only
   at guest page 0 of the reader; frame 0 runs partition 1. In that variant the higher reader's
   write reaches the lower writer, refuting no_flow_down_traces' statement; the real model refuses
   it, because the kernel stops the reader instead (tests/proofs/broken_variants.sh). *)
From Bulkhead Require Import Separation.
Require Import List.
Import ListNotations.

Definition nchan := 1.
Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition level (p : nat) := p.
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

(* The policy keeps SK-FLOW-1: the channel flows up. *)
Example channel_flows_up_here : forall c, c < nchan -> level (writer c) <= level (reader c).
Proof. intros c _. unfold level, writer, reader. auto. Qed.

(* WRITE-DOWN: the higher reader's write into its read-only page changes what the lower writer
   reads. Only a model that lets that write through accepts this. *)
Example higher_reader_writes_down :
  ~ view_eq nchan writer reader grant cpu_of (Part 0)
      (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 [Write 1 0 5])
      (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 (purge_above level (level 0) [Write 1 0 5])).
Proof. simpl. intros [H _]. specialize (H 0). unfold read in H. simpl in H. discriminate. Qed.

Example write_back_breaks_no_flow_down_traces :
  ~ (forall s trace p, view_eq nchan writer reader grant cpu_of (Part p)
       (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace)
       (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s (purge_above level (level p) trace))).
Proof. intro H. apply higher_reader_writes_down. apply H. Qed.
