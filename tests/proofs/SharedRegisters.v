(* SPDX-License-Identifier: Apache-2.0 *)
(* A kernel that does not switch the register context at a frame change (one register bank per
   CPU that the next partition finds as the previous one left it: the world switch's save and
   load left out, as the mutant "FPU/SSE/AVX, XCR0 and DR0-DR3 not switched") refutes
   `separation` and `context_own`. Policy: partitions 0 and 1 on CPU 0, no channel; frame 0 runs
   partition 0, frame 1 partition 1; partition 0's context is in the CPU's registers. Partition 0
   writes 5 into its register 0 and the frame ends: partition 1 then finds 5 in its register 0,
   though partition 1's purge drops the write. The real model refuses the counterexample: its
   tick saves partition 0's registers and loads partition 1's own (tests/proofs/broken_variants.sh). *)
From Bulkhead Require Import Separation.
Require Import List.
Import ListNotations.

Definition nchan := 0.
Definition writer (_ : nat) := 0.
Definition reader (_ : nat) := 1.
Definition grant (_ _ : nat) : option (region * nat * access) := None.
Definition frames (_ : nat) := 2.
Definition schedule (_ i : nat) := i.  (* frame 0 runs partition 0, frame 1 partition 1 *)
Definition duration (_ _ : nat) := 2000.
Definition cpu_of (_ : nat) := 0.  (* both on CPU 0 *)
Definition inject (_ : nat) := false.  (* on_violation = stop *)
Definition xcr0_ok (_ : nat) := true.
Definition s0 := mk_state (fun _ _ => 0) (fun _ => false) (fun _ => 0) 0 (fun _ => nil) (fun _ => 0) (fun _ => 0) nil
  (fun _ => 0) (fun _ => mk_cpu 0 0 0 0 0 (fun _ => 0) 0 1)
  (mk_banks (fun _ _ => 0) (fun _ => Some 0) (fun _ _ => 0)).  (* CPU 0 holds partition 0's context *)

(* No channel: partition 1's purge drops partition 0's write, so separation requires that
   partition 1 cannot tell the two traces apart. *)
Example purge_drops_the_write : ipurge nchan writer reader [Set_reg 0 0 5; Tick 0] (Part 1) = [Tick 0].
Proof. reflexivity. Qed.

(* SHARED-REGISTERS: partition 1 finds partition 0's value in its register 0. Only a model that
   does not switch the registers accepts this. *)
Example unswitched_registers_leak :
  context cpu_of (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 [Set_reg 0 0 5; Tick 0]) 1 0 <>
  context cpu_of (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 [Tick 0]) 1 0.
Proof. intro H. cbv in H. discriminate H. Qed.

Example shared_registers_break_separation :
  ~ (forall s trace p,
       view_eq nchan writer reader grant cpu_of (Part p)
         (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s trace)
         (run nchan writer grant frames schedule duration cpu_of inject xcr0_ok s (ipurge nchan writer reader trace (Part p)))).
Proof.
  intro H. apply unswitched_registers_leak.
  destruct (H s0 [Set_reg 0 0 5; Tick 0] 1) as (_ & _ & _ & _ & _ & _ & _ & _ & Hx & _).
  rewrite Hx. reflexivity.
Qed.

Example shared_registers_break_context_own :
  ~ (forall s a p, dom_of a <> Part p ->
       context cpu_of (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok s a) p = context cpu_of s p).
Proof.
  intro H. apply unswitched_registers_leak.
  change (context cpu_of (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok
            (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 (Set_reg 0 0 5)) (Tick 0)) 1 0 =
          context cpu_of (step nchan writer grant frames schedule duration cpu_of inject xcr0_ok s0 (Tick 0)) 1 0).
  rewrite !H by discriminate. reflexivity.
Qed.
