(* SPDX-License-Identifier: Apache-2.0 *)
(* A check of the policy hypotheses that forgets grant_channel_writer (PolicyCheck.v without
   the WRITER-CHECK line) accepts a table in which a channel's reader holds its page read-write,
   refuting hypotheses_b_sound at its obligation: the accepted table breaks the hypothesis. The
   real check refuses the table (tests/proofs/broken_variants.sh). *)
From Bulkhead Require Import Separation PolicyCheck.
Require Import List.
Import ListNotations.

Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition level (_ : nat) := 0.
(* Partition 1, channel 0's reader, with the channel's page 0 read-write at its guest page 0. *)
Definition table : list entry := [(1, 0, [Some (RChan 0, 0)], Read_write)].

(* WRITER-FORGOTTEN: only a check without the writer test accepts the table. *)
Example reader_write_accepted : hypotheses_b 1 writer reader level table = true.
Proof. reflexivity. Qed.

Example forgotten_writer_breaks_soundness :
  ~ (forall t, hypotheses_b 1 writer reader level t = true ->
       forall p g c o, table_grant t p g = Some (RChan c, o, Read_write) -> writer c = p).
Proof. intro H. specialize (H table reader_write_accepted 1 0 0 0 eq_refl). discriminate. Qed.
