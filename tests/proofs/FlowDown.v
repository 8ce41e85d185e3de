(* SPDX-License-Identifier: Apache-2.0 *)
(* SK-FLOW-1 is what no_flow_down rests on: for a policy whose one channel flows down the label
   order (writer at level 1, reader at level 0), the statement of no_flow_down is false. Checked
   against the real model (tests/proofs/broken_variants.sh); it needs no variant, because the
   statement does not mention the hypothesis the theorem assumes. *)
From Bulkhead Require Import Separation.

Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition level (p : nat) := match p with 0 => 1 | _ => 0 end.

Example downward_channel_breaks_no_flow_down :
  ~ (forall p q, level q < level p -> interferes 1 writer reader (Part p) (Part q) = false).
Proof. intro H. specialize (H 0 1). simpl in H. discriminate H. auto. Qed.
