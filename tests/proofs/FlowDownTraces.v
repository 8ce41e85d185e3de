(* SPDX-License-Identifier: Apache-2.0 *)
(* SK-FLOW-1 is what no_flow_down_traces rests on. Policy: one channel 0 from partition 0 (level 1)
   down to partition 1 (level 0), mapped read-write at guest page 0 of the writer and read-only at
   guest page 0 of the reader; frame 0 runs partition 0. The policy breaks SK-FLOW-1 (the model's
   hypothesis channel_flows_up refuses it), and for it the statement of no_flow_down_traces is
   false: the higher partition's write reaches the lower one. Checked against the real model's
   definitions (tests/proofs/broken_variants.sh): the statement does not mention the hypothesis. *)
From Bulkhead Require Import Separation.
Require Import List.
Import ListNotations.

Definition nchan := 1.
Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition level (p : nat) := match p with 0 => 1 | _ => 0 end.
Definition grant (p _ : nat) : option (region * nat * access) :=
  match p with
  | 0 => Some (RChan 0, 0, Read_write)
  | 1 => Some (RChan 0, 0, Read_only)
  | _ => None
  end.
Definition frames (_ : nat) := 2.
Definition schedule (_ i : nat) := i.  (* frame 0 runs partition 0 *)
Definition duration (_ _ : nat) := 2000.
Definition cpu_of (_ : nat) := 0.  (* one CPU *)
Definition inject (_ : nat) := false.  (* on_violation = stop *)
Definition xcr0_ok (_ : nat) := true.
Definition s0 := mk_state (fun _ _ => 0) (fun _ => false) (fun _ => 0) 0 (fun _ => nil) (fun _ => 0) (fun _ => 0) nil (fun _ => 0) (fun _ => mk_cpu 0 0 0 0 0 (fun _ => 0) 0 1)
  (mk_banks (fun _ _ => 0) (fun _ => None) (fun _ _ => 0)).

(* The policy is one the model's SK-FLOW-1 hypothesis refuses. *)
Example downward_channel_breaks_flows_up :
  ~ (forall c, c < nchan -> level (writer c) <= level (reader c)).
Proof. intro H. specialize (H 0). simpl in H. assert (1 <= 0) by (apply H; auto). inversion H0. Qed.

(* The write of partition 0 (above partition 1) changes what partition 1 reads ... *)
Example higher_write_reaches_lower :
  ~ view_eq nchan writer reader grant cpu_of (Part 1)
      (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 [Write 0 0 5])
      (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 (purge_above level (level 1) [Write 0 0 5])).
Proof. simpl. intros [H _]. specialize (H 0). unfold read in H. simpl in H. discriminate. Qed.

(* ... so the statement of no_flow_down_traces is false for this policy. *)
Example downward_channel_breaks_no_flow_down_traces :
  ~ (forall s trace p, view_eq nchan writer reader grant cpu_of (Part p)
       (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace)
       (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s (purge_above level (level p) trace))).
Proof. intro H. apply higher_write_reaches_lower. apply H. Qed.
