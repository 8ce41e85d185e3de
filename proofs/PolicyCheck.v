(* SPDX-License-Identifier: Apache-2.0 *)
(* The model's policy hypotheses as a decision procedure over a finite grant table, and the proof
   that a table it accepts satisfies every hypothesis of Separation.v's section Kernel for the
   grant the table defines. The differential test (tests/proofs/differential_test.cpp) builds
   the table of each random policy, valid or not, from the kernel's own sk::policy::guest_page
   and the owners of the host bytes each page reaches, and requires that the C++ validator
   accepts exactly the policies this check accepts among those it generates. *)
From Bulkhead Require Import Separation.
Require Import Arith Bool List Lia.
Import ListNotations.

(* One guest page of one partition: the partition, the page, every cell of store the host page
   it reaches is part of (None: memory outside store, the kernel's or nobody's), its access. A
   page reaching no cell is not granted and has no entry. *)
Definition entry : Type := (nat * nat * list (option (region * nat)) * access)%type.

(* The grant a table defines: an entry's page reaches its one cell; anything else, nothing. *)
Fixpoint table_grant (t : list entry) (p g : nat) : option (region * nat * access) :=
  match t with
  | [] => None
  | (p', g', cells, a) :: rest =>
      if (p' =? p) && (g' =? g) then
        match cells with
        | [Some (r, o)] => Some (r, o, a)
        | _ => None
        end
      else table_grant rest p g
  end.

Section Check.
Variable nchan : nat.
Variable writer reader level : nat -> nat.

(* An entry reaches exactly one cell of store (the translation into store is a function that
   reaches no kernel memory: SK-MEM-3 SK-MEM-4 SK-MEM-5), its partition's own memory or a
   channel it is an endpoint of, read-write only for the writer. *)
Definition entry_ok (e : entry) : bool :=
  let '(p, _, cells, a) := e in
  match cells with
  | [Some (RMem q, _)] => q =? p
  | [Some (RChan c, _)] =>
      (c <? nchan) && ((writer c =? p) || (reader c =? p)) &&
      match a with Read_write => writer c =? p | Read_only => true end  (* WRITER-CHECK *)
  | _ => false
  end.

Definition channel_ok (c : nat) : bool :=
  negb (writer c =? reader c) && (level (writer c) <=? level (reader c)).

Definition hypotheses_b (t : list entry) : bool :=
  forallb entry_ok t && forallb channel_ok (seq 0 nchan).

Lemma table_grant_in : forall t p g r o a,
  table_grant t p g = Some (r, o, a) -> exists g', In (p, g', [Some (r, o)], a) t.
Proof.
  induction t as [| [[[p' g'] cells] a'] rest IH]; intros p g r o a H; simpl in H; [discriminate |].
  destruct ((p' =? p) && (g' =? g)) eqn:E.
  - apply andb_true_iff in E. destruct E as [E _]. apply Nat.eqb_eq in E. subst.
    destruct cells as [| [[r' o'] |] [| ? ?]]; try discriminate.
    injection H as -> -> ->. exists g'. left. reflexivity.
  - destruct (IH p g r o a H) as [g'' Hin]. exists g''. right. exact Hin.
Qed.

(* What the check's acceptance gives: every hypothesis of Separation.v for the table's grant. *)
Theorem hypotheses_b_sound : forall t, hypotheses_b t = true ->
  (forall p g q o a, table_grant t p g = Some (RMem q, o, a) -> q = p) /\
  (forall p g c o a, table_grant t p g = Some (RChan c, o, a) -> c < nchan /\ (writer c = p \/ reader c = p)) /\
  (forall p g c o, table_grant t p g = Some (RChan c, o, Read_write) -> writer c = p) /\
  (forall c, c < nchan -> writer c <> reader c) /\
  (forall c, c < nchan -> level (writer c) <= level (reader c)).
Proof.
  intros t H. unfold hypotheses_b in H. apply andb_true_iff in H. destruct H as [He Hc].
  rewrite forallb_forall in He, Hc.
  assert (Hch : forall c, c < nchan -> channel_ok c = true) by (intros; apply Hc, in_seq; lia).
  split; [| split; [| split; [| split]]].
  - intros p g q o a G. destruct (table_grant_in t p g _ _ _ G) as [g' Hin].
    specialize (He _ Hin). simpl in He. apply Nat.eqb_eq in He. exact He.
  - intros p g c o a G. destruct (table_grant_in t p g _ _ _ G) as [g' Hin].
    specialize (He _ Hin). simpl in He. apply andb_true_iff in He. destruct He as [He _].
    apply andb_true_iff in He. destruct He as [Hn Hw]. apply Nat.ltb_lt in Hn. split; [exact Hn |].
    apply orb_true_iff in Hw. destruct Hw as [Hw | Hw]; apply Nat.eqb_eq in Hw; auto.
  - intros p g c o G. destruct (table_grant_in t p g _ _ _ G) as [g' Hin].
    specialize (He _ Hin). simpl in He. apply andb_true_iff in He. destruct He as [_ Hw].
    apply Nat.eqb_eq in Hw. exact Hw.
  - intros c Hn. specialize (Hch c Hn). unfold channel_ok in Hch. apply andb_true_iff in Hch.
    destruct Hch as [Hd _]. apply negb_true_iff in Hd. apply Nat.eqb_neq in Hd. exact Hd.
  - intros c Hn. specialize (Hch c Hn). unfold channel_ok in Hch. apply andb_true_iff in Hch.
    destruct Hch as [_ Hl]. apply Nat.leb_le in Hl. exact Hl.
Qed.

Lemma forallb_false : forall (A : Type) (f : A -> bool) l,
  forallb f l = false -> exists x, In x l /\ f x = false.
Proof.
  induction l as [| x rest IH]; simpl; intro H; [discriminate |].
  destruct (f x) eqn:F; simpl in H.
  - destruct (IH H) as [y [Hy Fy]]. exists y. auto.
  - exists x. auto.
Qed.

(* And a table the check refuses has an entry or a channel that breaks a hypothesis: an entry
   whose page reaches no single cell of store (two cells: memory shared; memory outside store),
   or whose cell breaks grant_own_memory, grant_channel_endpoint or grant_channel_writer; or a
   channel that breaks channel_endpoints_differ or channel_flows_up. *)
Theorem hypotheses_b_complete : forall t, hypotheses_b t = false ->
  (exists e, In e t /\ entry_ok e = false) \/
  (exists c, c < nchan /\ (writer c = reader c \/ level (reader c) < level (writer c))).
Proof.
  intros t H. unfold hypotheses_b in H. apply andb_false_iff in H. destruct H as [H | H].
  - left. exact (forallb_false _ _ _ H).
  - right. destruct (forallb_false _ _ _ H) as [c [Hin Hc]]. apply in_seq in Hin.
    exists c. split; [lia |]. unfold channel_ok in Hc. apply andb_false_iff in Hc.
    destruct Hc as [Hc | Hc].
    + left. apply negb_false_iff in Hc. apply Nat.eqb_eq in Hc. exact Hc.
    + right. apply Nat.leb_gt in Hc. exact Hc.
Qed.

End Check.
