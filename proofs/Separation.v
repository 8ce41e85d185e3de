(* SPDX-License-Identifier: Apache-2.0 *)
(* The abstract Bulkhead kernel and its separation theorem: intransitive noninterference with
   respect to the policy's channels, proved by unwinding (Rushby 1992), plus the corollary that no
   information flows down the label order over whole traces, time partitioning per CPU (which
   partition runs on a CPU and the frame start it sees are that CPU's timer's alone; what
   read_time adds is the partition's own time spent), each partition's register context its
   own across the world switch, and the trusted-path theorems. The policy
   facts the proofs assume are hypotheses named by the invariant IDs of sk/invariants.hpp. *)

Require Import Arith Bool List Lia.
Import ListNotations.

Section Kernel.

(* ------------------------------------------------------------------------------------------ *)
(* Policy                                                                                      *)

(* Partitions are numbered; channels are numbered 0 .. nchan - 1. *)
Variable nchan : nat.
Variable writer reader : nat -> nat.      (* a channel's writer and reader partition *)
Variable level : nat -> nat.              (* a partition's label level in the label order *)

(* What a guest-physical address of a partition is backed by: a memory cell of a partition or
   of a channel (a region and an offset), with an access right. This is sk::policy::guest_page. *)
Inductive region := RMem (p : nat) | RChan (c : nat).
Inductive access := Read_only | Read_write.

(* grant p g: the cell that partition p's guest page g reaches, with its access: the partition
   or channel memory holding the host page sk::policy::guest_page maps it to (a partition's MMIO
   windows count as its own memory). That this is a function into store, which holds none of the
   kernel's own state, is a policy fact too: the page reaches bytes of one cell only (SK-MEM-3
   SK-MEM-5 SK-MEM-6 SK-DEV-1 SK-DEV-3, with SK-MEM-1 SK-MEM-2) and never kernel-reserved memory
   or a device or page the kernel uses (SK-MEM-4 SK-DEV-2, with SK-MEM-1 SK-MEM-2 SK-DEV-3).
   tests/proofs/z3/policy_link.py proves with Z3 that the validator's rules imply these two facts
   and every hypothesis below, for every policy up to a bound, and that each rule cited is needed:
   without it, a policy that keeps every other rule breaks the fact (proofs/CAVEATS.md). "With
   SK-MEM-1 SK-MEM-2": a region those rules refuse is skipped by the pairwise checks. *)
Variable grant : nat -> nat -> option (region * nat * access).

(* The static cyclic schedules, one per CPU (SK-SCHED-1): minor frame i of CPU c's major frame
   runs partition schedule c i and lasts duration c i (the policy's duration_us); CPU c has
   frames c > 0 of them. Nothing a partition does changes them. *)
Variable frames : nat -> nat.
Variable schedule : nat -> nat -> nat.
Variable duration : nat -> nat -> nat.
(* The one CPU partition p's vCPU runs on (SK-SCHED-3: the validator refuses a frame that names
   a partition bound to another CPU; the model runs p only in its own CPU's frames, and switches
   a CPU's registers only to a partition bound to it). *)
Variable cpu_of : nat -> nat.

(* What the kernel does on a violation by partition p (the policy's on_violation): inject a
   fault (#GP) into p, which runs on, or stop p. *)
Variable inject : nat -> bool.

(* The XCR0 values the CPU accepts (the kernel checks them: arch::context::xcr0_valid). *)
Variable xcr0_ok : nat -> bool.

(* SK-MEM-3 SK-MEM-5 SK-MEM-6 SK-DEV-1 SK-DEV-3, with SK-MEM-1 SK-MEM-2: a partition's guest
   pages reach only its own memory (SK-MEM-6: a guest window that wraps skips SK-MEM-5). *)
Hypothesis grant_own_memory : forall p g q o a, grant p g = Some (RMem q, o, a) -> q = p.
(* SK-MEM-5 SK-MEM-6 SK-DEV-3, with SK-MEM-1 SK-MEM-2: a channel page is mapped only into the
   channel's two endpoints, ... *)
Hypothesis grant_channel_endpoint :
  forall p g c o a, grant p g = Some (RChan c, o, a) -> c < nchan /\ (writer c = p \/ reader c = p).
(* ... and read-write only into its writer (the same rules: SK-MEM-5 SK-MEM-6 SK-DEV-3, with
   SK-MEM-1 SK-MEM-2). *)
Hypothesis grant_channel_writer : forall p g c o, grant p g = Some (RChan c, o, Read_write) -> writer c = p.
(* SK-FLOW-2: a channel's two endpoints exist and differ. *)
Hypothesis channel_endpoints_differ : forall c, c < nchan -> writer c <> reader c.  (* SK-FLOW-2 *)
(* SK-FLOW-1: every channel flows upward or sideways in the label order (with SK-FLOW-2 and
   SK-LABEL-1: both endpoints exist and have a label, so a level). *)
Hypothesis channel_flows_up : forall c, c < nchan -> level (writer c) <= level (reader c).

(* ------------------------------------------------------------------------------------------ *)
(* Domains and the flow relation                                                               *)

(* The partitions, the user at the keyboard (the trusted path's input), and the timers that
   drive the fixed schedules (every CPU's). *)
Inductive dom := Part (p : nat) | Input | Timer.

Definition dom_eqb (u v : dom) : bool :=
  match u, v with
  | Part p, Part q => p =? q
  | Input, Input => true
  | Timer, Timer => true
  | _, _ => false
  end.

Definition channel_from_to (p q : nat) : bool :=
  existsb (fun c => (writer c =? p) && (reader c =? q)) (seq 0 nchan).

(* u may interfere with v: itself, the user with anyone (keys), the timer with anyone (time
   passes for all), a channel's writer with its reader. Nothing else: in particular not the
   reader with the writer, and no partition with the timer or the user. *)
Definition interferes (u v : dom) : bool :=
  dom_eqb u v ||
  match u, v with
  | Input, _ | Timer, _ => true
  | Part p, Part q => channel_from_to p q
  | Part _, _ => false
  end.

(* ------------------------------------------------------------------------------------------ *)
(* State, actions, step                                                                        *)

(* What a partition's own CPU sees of the kernel beyond memory, channels and keys. *)
Record cpu := mk_cpu {
  exits : nat;       (* the exits it caused itself (read_status EDX); never an interrupt, which
                        is the kernel's *)
  spent : nat;       (* its exits since its current frame started: the kernel time it used in it,
                        one unit an exit (the abstract cost of a kernel operation) *)
  time_read : nat;   (* what its last read_time returned: its frame's start plus the time spent *)
  cpuid_leaf : nat;  (* the leaf its last CPUID asked for: what it read is the kernel's filter of
                        that leaf, the same for every partition and every trace *)
  faults : nat;      (* the faults injected into it for its violations (on_violation) *)
  disk : nat -> nat; (* its own disk, sector by sector (block_info, block_doorbell): the kernel
                        serves its requests on its own disk only *)
  disk_read : nat;   (* what its last completed read request returned *)
  xcr0 : nat         (* its own XCR0 (XSETBV, intercepted; XGETBV reads it): part of the CPU
                        context the world switch saves and loads with the partition *)
}.

(* A partition's register context, abstractly: the value of each register (its GPRs, x87/SSE/AVX
   state, debug registers and the MSRs the world switch passes through, numbered). *)
Definition regs := nat -> nat.

(* The registers of every CPU and the contexts saved for every partition (docs/kernel.md, "The
   world switch"): a CPU's registers hold the context of the partition that last ran on it, its
   owner (cpu::Local::context_owner); every other partition's context is saved in its record
   (cpu_context). *)
Record banks := mk_banks {
  live : nat -> regs;          (* each CPU's registers *)
  owner : nat -> option nat;   (* whose context each CPU's registers hold, if anyone's *)
  saved : nat -> regs          (* each partition's saved context *)
}.

Record state := mk_state {
  store : region -> nat -> nat;  (* every memory cell of every partition and channel *)
  stopped : nat -> bool;         (* stopped by the kernel after a violation *)
  refused : nat -> nat;          (* refused hypercalls, readable by the partition itself *)
  focus : nat;                   (* the partition that owns the keyboard and screen *)
  inbox : nat -> list nat;       (* keys delivered to each partition *)
  frame : nat -> nat;            (* each CPU's current minor frame *)
  clock : nat -> nat;            (* the absolute time each CPU's current minor frame started at:
                                    its deadline, the schedule's start plus the durations of every
                                    frame before it (sepkernel/kernel/schedule.cpp) *)
  audit : list nat;              (* the kernel's audit log: partitions stopped, newest first *)
  events : nat -> nat;           (* each channel's event counter (channel_signal) *)
  cpus : nat -> cpu;             (* each partition's own CPU view of the kernel *)
  contexts : banks               (* the CPUs' registers and the partitions' saved contexts *)
}.

(* Whether CPU c's registers hold partition p's context. *)
Definition holds (b : banks) (c p : nat) : bool :=
  match owner b c with Some o => o =? p | None => false end.

(* Partition p's own register context: what it finds in its CPU's registers when it runs. In
   its CPU's registers if they hold it, else in its saved record. *)
Definition context_in (b : banks) (p : nat) : regs :=
  if holds b (cpu_of p) p then live b (cpu_of p) else saved b p.
Definition context (s : state) (p : nat) : regs := context_in (contexts s) p.

(* Partition p's context set to k, where it is. *)
Definition set_context (b : banks) (p : nat) (k : regs) : banks :=
  if holds b (cpu_of p) p then mk_banks (fun c => if c =? cpu_of p then k else live b c) (owner b) (saved b)
  else mk_banks (live b) (owner b) (fun q => if q =? p then k else saved b q).

(* The world switch on CPU c to partition n (switch_context, sepkernel/kernel/context_switch.cpp,
   which the kernel skips when the registers already hold n's: the same context): the registers are
   saved into the record of the partition they held (if it is bound to c), and n's saved context
   is loaded into them. *)
Definition switch (b : banks) (c n : nat) : banks :=
  let saved' := match owner b c with
                 | Some o => if cpu_of o =? c then (fun q => if q =? o then live b c else saved b q) else saved b
                 | None => saved b
                 end in
  mk_banks (fun d => if d =? c then saved' n else live b d) (fun d => if d =? c then Some n else owner b d) saved'.

Inductive action :=
  | Write (p g v : nat)          (* partition p writes v at guest-physical g *)
  | Bad_call (p : nat)           (* partition p issues a hypercall with bad arguments *)
  | Signal (p c : nat)           (* partition p signals channel c (hypercall channel_signal) *)
  | Key (k : nat)                (* the user types k *)
  | Sak (target : nat)           (* the user presses the secure attention key, choosing target *)
  | Yield (p : nat)              (* partition p gives up the rest of its frame (hypercall yield) *)
  | Read_time (p : nat)          (* partition p reads the time (hypercall read_time) *)
  | Cpuid (p l : nat)            (* partition p executes CPUID for leaf l *)
  | Halt (p : nat)               (* partition p executes HLT: the rest of its frame idles *)
  | Deny (p : nat)               (* partition p reaches for a port or an MSR it is not granted *)
  | Disk_write (p k v : nat)     (* partition p writes v to sector k of its disk (block_doorbell) *)
  | Disk_read (p k : nat)        (* partition p reads sector k of its disk (block_doorbell) *)
  | Xsetbv (p v : nat)           (* partition p sets its XCR0 to v *)
  | Set_reg (p r v : nat)        (* partition p writes v into its register r (no exit) *)
  | Tick (c : nat).              (* CPU c's timer ends its current minor frame *)

Definition dom_of (a : action) : dom :=
  match a with
  | Write p _ _ | Bad_call p | Signal p _ | Yield p | Read_time p | Cpuid p _ | Halt p | Deny p
  | Disk_write p _ _ | Disk_read p _ | Xsetbv p _ | Set_reg p _ _ => Part p
  | Key _ | Sak _ => Input
  | Tick _ => Timer
  end.

Definition region_eqb (r s : region) : bool :=
  match r, s with
  | RMem p, RMem q => p =? q
  | RChan c, RChan d => c =? d
  | _, _ => false
  end.

Definition set_store (s : state) (r : region) (o v : nat) : state :=
  mk_state (fun r' o' => if region_eqb r r' && (o =? o') then v else store s r' o')
           (stopped s) (refused s) (focus s) (inbox s) (frame s) (clock s) (audit s) (events s) (cpus s)
           (contexts s).

Definition stop (s : state) (p : nat) : state :=
  mk_state (store s) (fun q => if q =? p then true else stopped s q) (refused s) (focus s) (inbox s)
           (frame s) (clock s) (p :: audit s) (events s) (cpus s) (contexts s).

(* Partition p's own CPU view changed by f. *)
Definition upd_cpu (s : state) (p : nat) (f : cpu -> cpu) : state :=
  mk_state (store s) (stopped s) (refused s) (focus s) (inbox s) (frame s) (clock s) (audit s) (events s)
           (fun q => if q =? p then f (cpus s q) else cpus s q) (contexts s).

(* An exit p causes: counted for p, and its cost taken from p's own time in the frame. *)
Definition charge (c : cpu) : cpu :=
  mk_cpu (S (exits c)) (S (spent c)) (time_read c) (cpuid_leaf c) (faults c) (disk c) (disk_read c) (xcr0 c).
Definition exit_of (s : state) (p : nat) : state := upd_cpu s p charge.

(* A new frame: the time spent in it starts again. *)
Definition restart (c : cpu) : cpu :=
  mk_cpu (exits c) 0 (time_read c) (cpuid_leaf c) (faults c) (disk c) (disk_read c) (xcr0 c).

(* A violation by p: a fault injected into p, which runs on, or p stopped, as the policy says. *)
Definition violation (s : state) (p : nat) : state :=
  if inject p then
    upd_cpu s p (fun c => mk_cpu (exits c) (spent c) (time_read c) (cpuid_leaf c) (S (faults c)) (disk c) (disk_read c) (xcr0 c))
  else stop s p.

(* Channel c's event counter counts one more signal. *)
Definition bump (s : state) (c : nat) : state :=
  mk_state (store s) (stopped s) (refused s) (focus s) (inbox s) (frame s) (clock s) (audit s)
           (fun d => if d =? c then S (events s d) else events s d) (cpus s) (contexts s).

(* A refused hypercall, counted for p. *)
Definition refuse (s : state) (p : nat) : state :=
  mk_state (store s) (stopped s) (fun q => if q =? p then S (refused s q) else refused s q)
           (focus s) (inbox s) (frame s) (clock s) (audit s) (events s) (cpus s) (contexts s).

(* Only the partition that owns the current minor frame of its own CPU runs. *)
Definition running (s : state) (p : nat) : bool := schedule (cpu_of p) (frame s (cpu_of p)) =? p.

(* Partition p's context changed by f. *)
Definition upd_context (s : state) (p : nat) (f : regs -> regs) : state :=
  mk_state (store s) (stopped s) (refused s) (focus s) (inbox s) (frame s) (clock s) (audit s) (events s)
           (cpus s) (set_context (contexts s) p (f (context s p))).

Definition step (s : state) (a : action) : state :=
  match a with
  | Write p g v =>
      if negb (running s p) || stopped s p then s else
      match grant p g with
      | Some (r, o, Read_write) => set_store s r o v
      | Some (_, _, Read_only) => violation (exit_of s p) p  (* ACCESS-CHECK: a write to a read-only page is a violation *)
      | None => violation (exit_of s p) p  (* a page not granted: a nested page fault, a violation *)
      end
  | Bad_call p =>
      if negb (running s p) then s else refuse (exit_of s p) p
  | Signal p c =>
      (* Only the channel's writer may signal it; anyone else's call is refused (denied). *)
      if negb (running s p) then s else
      if (c <? nchan) && (writer c =? p) then bump (exit_of s p) c else refuse (exit_of s p) p
  | Key k =>
      mk_state (store s) (stopped s) (refused s) (focus s)  (* KEY-STEP: a key touches one inbox *)
               (fun q => if q =? focus s then inbox s q ++ [k] else inbox s q) (frame s) (clock s)
               (audit s) (events s) (cpus s)  (* KEY-CPUS: a key is no exit of anyone *)
               (contexts s)
  | Sak t =>
      mk_state (store s) (stopped s) (refused s) t (inbox s) (frame s) (clock s) (audit s)
               (events s) (cpus s) (contexts s)
  (* The kernel's yield ends the partition's run in this frame and idles the CPU until the
     frame's deadline: the time is not lent to the next partition, and nothing the model
     observes changes but the exit counted for p (that p runs no more in this frame is not
     modelled: the model's traces include the kernel's). *)
  | Yield p => if negb (running s p) then s else exit_of s p  (* YIELD-STEP *)
  (* read_time returns the frame's start plus the time p has spent in it: its own exits. *)
  | Read_time p =>
      if negb (running s p) || stopped s p then s else
      upd_cpu s p (fun c => mk_cpu (S (exits c)) (S (spent c)) (clock s (cpu_of p) + S (spent c)) (cpuid_leaf c) (faults c)
                                   (disk c) (disk_read c) (xcr0 c))
  | Cpuid p l =>
      if negb (running s p) || stopped s p then s else
      upd_cpu s p (fun c => mk_cpu (S (exits c)) (S (spent c)) (time_read c) l (faults c) (disk c) (disk_read c) (xcr0 c))
  (* A doorbell that completes one request on p's own disk: a write of v to sector k, or a read
     of sector k, whose value p finds in its buffer. *)
  | Disk_write p k v =>
      if negb (running s p) || stopped s p then s else
      upd_cpu s p (fun c => mk_cpu (S (exits c)) (S (spent c)) (time_read c) (cpuid_leaf c) (faults c)
                                   (fun k' => if k' =? k then v else disk c k') (disk_read c) (xcr0 c))
  | Disk_read p k =>
      if negb (running s p) || stopped s p then s else
      upd_cpu s p (fun c => mk_cpu (S (exits c)) (S (spent c)) (time_read c) (cpuid_leaf c) (faults c)
                                   (disk c) (disk c k) (xcr0 c))
  (* XSETBV: a value the CPU accepts becomes p's XCR0; any other gets p a #GP, as the CPU would. *)
  | Xsetbv p v =>
      if negb (running s p) || stopped s p then s else
      if xcr0_ok v then
        upd_cpu s p (fun c => mk_cpu (S (exits c)) (S (spent c)) (time_read c) (cpuid_leaf c) (faults c) (disk c)
                                     (disk_read c) v)
      else
        upd_cpu s p (fun c => mk_cpu (S (exits c)) (S (spent c)) (time_read c) (cpuid_leaf c) (S (faults c)) (disk c)
                                     (disk_read c) (xcr0 c))
  (* HLT, like yield, idles the rest of p's frame (a virtual PC's timer is not modelled). *)
  | Halt p => if negb (running s p) || stopped s p then s else exit_of s p
  | Deny p => if negb (running s p) || stopped s p then s else violation (exit_of s p) p
  (* A register write: p's own context, in its CPU's registers (no exit: the kernel sees none). *)
  | Set_reg p r v =>
      if negb (running s p) || stopped s p then s else
      upd_context s p (fun k r' => if r' =? r then v else k r')
  (* CPU c's next frame starts at its absolute deadline: this frame's start plus its duration,
     whatever the partition did in it; the time spent of every partition of CPU c starts again;
     if the next frame's partition is bound to c and runnable, the world switch gives it its
     own context (run_frame). No other CPU's frame, time or registers change. *)
  | Tick c =>
      let f := S (frame s c) mod frames c in
      let n := schedule c f in
      mk_state (store s) (stopped s) (refused s) (focus s) (inbox s)
               (fun d => if d =? c then f else frame s d)
               (fun d => if d =? c then clock s c + duration c (frame s c) else clock s d)
               (audit s) (events s)
               (fun q => if cpu_of q =? c then restart (cpus s q) else cpus s q)
               (if (cpu_of n =? c) && negb (stopped s n) then switch (contexts s) c n else contexts s)  (* TICK-SWITCH *)
  end.

Definition run (s : state) (trace : list action) : state := fold_left step trace s.

(* ------------------------------------------------------------------------------------------ *)
(* Observation                                                                                 *)

Definition read (s : state) (p g : nat) : option nat :=
  match grant p g with
  | Some (r, o, _) => Some (store s r o)
  | None => None
  end.

(* What partition p can observe: every page it is granted, its own status, its keys, who holds
   the focus (set only by the user), every CPU's current frame and the time it started at, its
   channels' event counts, its own CPU's view of the kernel: its exit count, what read_time
   and CPUID last returned to it, the faults injected into it, and its own register context.
   Not the audit log, which only the kernel reads, nor another partition's registers. The user's view is the screen, which the trusted-path
   theorems below cover; for noninterference the user and the timer are pure sources. *)
Definition view_eq (u : dom) (s t : state) : Prop :=
  match u with
  | Part p =>
      (forall g, read s p g = read t p g) /\ stopped s p = stopped t p /\
      refused s p = refused t p /\ inbox s p = inbox t p /\ focus s = focus t /\
      frame s = frame t /\ clock s = clock t /\ cpus s p = cpus t p /\ context s p = context t p /\
      (forall c, c < nchan -> writer c = p \/ reader c = p -> events s c = events t c)
  | Input | Timer => True
  end.

Lemma view_refl : forall u s, view_eq u s s.
Proof. destruct u; simpl; intuition. Qed.

Lemma view_sym : forall u s t, view_eq u s t -> view_eq u t s.
Proof.
  destruct u as [p | | ]; simpl; intros s t H; try exact I.
  destruct H as (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7).
  repeat split; auto; intros; symmetry; auto.
Qed.

Lemma view_trans : forall u s t w, view_eq u s t -> view_eq u t w -> view_eq u s w.
Proof.
  destruct u as [p | | ]; simpl; intros s t w H H'; try exact I.
  destruct H as (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7).
  destruct H' as (H1' & H2' & H3' & H4' & H5' & H6' & Hc' & Hu' & Hx' & H7').
  repeat split; try congruence; intros.
  all: try (rewrite H1, H1'; reflexivity).
  all: rewrite H7, H7' by assumption; reflexivity.
Qed.

(* ------------------------------------------------------------------------------------------ *)
(* The register contexts and the world switch                                                  *)

Arguments holds : simpl never.
Arguments context_in : simpl never.
Arguments context : simpl never.

(* Case analysis on every owner and every comparison: what the lemmas below need. *)
Ltac brute_banks :=
  repeat first
    [ progress (simpl in *)
    | match goal with H : owner _ _ = _ |- _ => progress rewrite H end
    | match goal with
      | |- context [owner ?b ?z] => is_var b; let O := fresh "O" in destruct (owner b z) eqn:O
      | |- context [?x =? ?y] => destruct (Nat.eqb_spec x y)
      end ];
  subst; congruence.

(* Setting p's context sets p's and no other partition's. *)
Lemma context_set_same : forall b p k, context_in (set_context b p k) p = k.
Proof.
  intros b p k. unfold context_in, set_context, holds. brute_banks.
Qed.

Lemma context_set_other : forall b p q k, p <> q -> context_in (set_context b q k) p = context_in b p.
Proof.
  intros b p q k Hne. unfold context_in, set_context, holds. brute_banks.
Qed.

Lemma context_upd_same : forall s p f, context (upd_context s p f) p = f (context s p).
Proof. intros. unfold context at 1, upd_context. simpl. apply context_set_same. Qed.

Lemma context_upd_other : forall s p q f, p <> q -> context (upd_context s q f) p = context s p.
Proof. intros. unfold context at 1, upd_context. simpl. apply context_set_other. assumption. Qed.

(* The world switch on CPU c to a partition bound to c changes no partition's context: it moves
   the outgoing partition's from the registers into its record and the incoming one's from its
   record into the registers. *)
Lemma switch_context_in : forall b c n p, cpu_of n = c -> context_in (switch b c n) p = context_in b p.
Proof.
  intros b c n p Hn. unfold context_in, switch, holds. brute_banks.
Qed.

(* After it, CPU c's registers hold exactly the incoming partition's own context. *)
Lemma switch_live : forall b c n, cpu_of n = c ->
  live (switch b c n) c = context_in b n /\ owner (switch b c n) c = Some n.
Proof.
  intros b c n Hn. unfold context_in, switch, holds. simpl. rewrite Nat.eqb_refl.
  split; [| reflexivity]. brute_banks.
Qed.

Lemma switch_if : forall b c n (ok : bool) p,
  (ok = true -> cpu_of n = c) -> context_in (if ok then switch b c n else b) p = context_in b p.
Proof. intros b c n [] p H; [apply switch_context_in; auto | reflexivity]. Qed.

Lemma context_tick : forall s c p, context (step s (Tick c)) p = context s p.
Proof.
  intros s c p. unfold context. simpl. apply switch_if.
  intro E. apply andb_true_iff in E. destruct E as [E _]. apply Nat.eqb_eq. exact E.
Qed.

Lemma upd_context_view : forall p q f s t,
  view_eq (Part p) s t -> context s q = context t q -> view_eq (Part p) (upd_context s q f) (upd_context t q f).
Proof.
  intros p q f s t (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7) Hq.
  repeat split; try assumption.
  destruct (Nat.eq_dec p q) as [-> | Hne].
  - rewrite !context_upd_same, Hq. reflexivity.
  - rewrite !context_upd_other by exact Hne. exact Hx.
Qed.

(* ------------------------------------------------------------------------------------------ *)
(* The three unwinding conditions                                                              *)

(* Output consistency holds by construction: a partition's output is its view. *)

Lemma read_set_store : forall s p g r o v,
  read (set_store s r o v) p g =
  match grant p g with
  | Some (r', o', _) => Some (if region_eqb r r' && (o =? o') then v else store s r' o')
  | None => None
  end.
Proof. intros. unfold read, set_store. simpl. reflexivity. Qed.

Lemma read_stop : forall s p q g, read (stop s q) p g = read s p g.
Proof. reflexivity. Qed.

(* How the step's building blocks act on a partition's view: the same block applied to two
   states p cannot tell apart, with what the block reads of its own partition q equal, keeps
   them so; applied to another partition's part of the state, it changes nothing p sees. *)

Lemma upd_cpu_at : forall s q f, cpus (upd_cpu s q f) q = f (cpus s q).
Proof. intros. simpl. rewrite Nat.eqb_refl. reflexivity. Qed.

Lemma upd_cpu_view : forall p q f s t,
  view_eq (Part p) s t -> cpus s q = cpus t q -> view_eq (Part p) (upd_cpu s q f) (upd_cpu t q f).
Proof.
  intros p q f s t (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7) Hq.
  repeat split; try assumption. simpl. destruct (p =? q) eqn:E; [apply Nat.eqb_eq in E; subst; rewrite Hq |]; auto.
Qed.

Lemma stop_view : forall p q s t,
  view_eq (Part p) s t -> stopped s q = stopped t q -> view_eq (Part p) (stop s q) (stop t q).
Proof.
  intros p q s t (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7) Hq.
  repeat split; try assumption. simpl. destruct (p =? q); auto.
Qed.

Lemma violation_view : forall p q s t,
  view_eq (Part p) s t -> stopped s q = stopped t q -> cpus s q = cpus t q ->
  view_eq (Part p) (violation s q) (violation t q).
Proof.
  intros. unfold violation. destruct (inject q); [apply upd_cpu_view | apply stop_view]; assumption.
Qed.

Lemma refuse_view : forall p q s t,
  view_eq (Part p) s t -> refused s q = refused t q -> view_eq (Part p) (refuse s q) (refuse t q).
Proof.
  intros p q s t (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7) Hq.
  repeat split; try assumption. simpl. destruct (p =? q); auto.
Qed.

Lemma bump_view : forall p c s t,
  view_eq (Part p) s t -> events s c = events t c -> view_eq (Part p) (bump s c) (bump t c).
Proof.
  intros p c s t (H1 & H2 & H3 & H4 & H5 & H6 & Hc & Hu & Hx & H7) Hq.
  repeat split; try assumption. intros d Hd He. simpl. destruct (d =? c) eqn:E.
  - apply Nat.eqb_eq in E. subst. rewrite Hq. reflexivity.
  - apply H7; assumption.
Qed.

Lemma upd_cpu_other : forall p q f s, p <> q -> view_eq (Part p) s (upd_cpu s q f).
Proof.
  intros p q f s Hne. simpl. repeat split; try reflexivity.
  apply Nat.eqb_neq in Hne. rewrite Hne. reflexivity.
Qed.

Lemma stop_other : forall p q s, p <> q -> view_eq (Part p) s (stop s q).
Proof.
  intros p q s Hne. simpl. repeat split; try reflexivity.
  apply Nat.eqb_neq in Hne. rewrite Hne. reflexivity.
Qed.

Lemma violation_other : forall p q s, p <> q -> view_eq (Part p) s (violation s q).
Proof. intros. unfold violation. destruct (inject q); [apply upd_cpu_other | apply stop_other]; assumption. Qed.

Lemma refuse_other : forall p q s, p <> q -> view_eq (Part p) s (refuse s q).
Proof.
  intros p q s Hne. simpl. repeat split; try reflexivity.
  apply Nat.eqb_neq in Hne. rewrite Hne. reflexivity.
Qed.

Lemma exit_then_other : forall p q s (f : state -> nat -> state),
  p <> q -> (forall s', view_eq (Part p) s' (f s' q)) -> view_eq (Part p) s (f (exit_of s q) q).
Proof.
  intros p q s f Hne Hf. apply view_trans with (exit_of s q); [apply upd_cpu_other; exact Hne | apply Hf].
Qed.

(* Weak step consistency: if u and dom(a) cannot tell s from t, u cannot tell their successors. *)
Theorem weak_step_consistency : forall a u s t,
  view_eq u s t -> view_eq (dom_of a) s t -> view_eq u (step s a) (step t a).
Proof.
  intros a u s t Hu Ha. destruct u as [p | | ]; try exact I.
  pose proof Hu as Hu0.
  destruct Hu as (Hr & Hs & Hf & Hi & Hfo & Hfr & Hcl & Hcp & Hx & Hev).
  destruct a as [q g v | q | q c | k | tgt | q | q | q l | q | q | q dk dv | q dk | q xv | q rr rv | cc ]; simpl in Ha;
    try (destruct Ha as (Hr' & Hs' & Hf' & _ & _ & _ & _ & Hcp' & Hx' & Hevq));
    unfold step; unfold running; try rewrite Hfr; try rewrite Hs'.
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q) eqn:Sq; [exact Hu0 |].
    destruct (grant q g) as [[[r o] acc] |] eqn:G.
    + destruct acc.
      * apply violation_view; [apply upd_cpu_view; assumption | exact Hs' | unfold exit_of; rewrite !upd_cpu_at, Hcp'; reflexivity].
      * (* both write the same cell: p's view of it is v in both, the rest as before *)
        repeat split; try assumption.
        intro g'. rewrite !read_set_store.
        specialize (Hr g'). unfold read in Hr.
        destruct (grant p g') as [[[r' o'] acc'] |]; [| reflexivity].
        destruct (region_eqb r r' && (o =? o')); [reflexivity | exact Hr].
    + apply violation_view; [apply upd_cpu_view; assumption | exact Hs' | unfold exit_of; rewrite !upd_cpu_at, Hcp'; reflexivity].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q)); [exact Hu0 |].
    apply refuse_view; [apply upd_cpu_view | simpl]; assumption.
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q)); [exact Hu0 |].
    destruct ((c <? nchan) && (writer c =? q)) eqn:Wc.
    + apply bump_view; [apply upd_cpu_view; assumption |]. simpl.
      apply andb_true_iff in Wc. destruct Wc as [Hc Wq]. apply Nat.ltb_lt in Hc. apply Nat.eqb_eq in Wq.
      apply Hevq; auto.
    + apply refuse_view; [apply upd_cpu_view | simpl]; assumption.
  - simpl. repeat split; try assumption. rewrite Hfo. destruct (p =? focus t); congruence.
  - simpl. repeat split; assumption.
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q)); [exact Hu0 | apply upd_cpu_view; assumption].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 |].
    rewrite Hcl. apply upd_cpu_view; assumption.
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 | apply upd_cpu_view; assumption].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 | apply upd_cpu_view; assumption].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 |].
    apply violation_view; [apply upd_cpu_view; assumption | exact Hs' | unfold exit_of; rewrite !upd_cpu_at, Hcp'; reflexivity].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 | apply upd_cpu_view; assumption].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 | apply upd_cpu_view; assumption].
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 |].
    destruct (xcr0_ok xv); apply upd_cpu_view; assumption.
  - destruct (negb (schedule (cpu_of q) (frame t (cpu_of q)) =? q) || stopped t q); [exact Hu0 |].
    apply upd_context_view; assumption.
  - simpl. repeat split; try assumption.
    all: try (rewrite ?Hfr, ?Hcl, ?Hcp; reflexivity).
    unfold context. simpl. rewrite !switch_if; [exact Hx | ..];
      intro E; apply andb_true_iff in E; destruct E as [E _]; apply Nat.eqb_eq; exact E.
Qed.

Lemma channel_from_to_true : forall p q,
  channel_from_to p q = true <-> exists c, c < nchan /\ writer c = p /\ reader c = q.
Proof.
  intros. unfold channel_from_to. rewrite existsb_exists. split.
  - intros [c [Hin Hc]]. apply in_seq in Hin. apply andb_true_iff in Hc.
    destruct Hc as [H1 H2]. apply Nat.eqb_eq in H1. apply Nat.eqb_eq in H2. exists c. intuition lia.
  - intros [c (Hc & H1 & H2)]. exists c. split.
    + apply in_seq. lia.
    + rewrite H1, H2, !Nat.eqb_refl. reflexivity.
Qed.

(* Local respect: an action whose domain may not interfere with u leaves u's view unchanged. *)
Theorem local_respect : forall a u s,
  interferes (dom_of a) u = false -> view_eq u s (step s a).
Proof.
  intros a u s Hni. destruct u as [p | | ]; try exact I.
  destruct a as [q g v | q | q c | k | tgt | q | q | q l | q | q | q dk dv | q dk | q xv | q rr rv | cc ]; simpl in Hni; try discriminate;
    try (apply orb_false_iff in Hni; destruct Hni as [Hne Hnc]; apply Nat.eqb_neq in Hne; apply not_eq_sym in Hne);
    unfold step.
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) |].
    destruct (grant q g) as [[[r o] acc] |] eqn:G.
    + destruct acc.
      * apply exit_then_other; [exact Hne | intros; apply violation_other; exact Hne].
      * repeat split; try reflexivity.
        intro g'. rewrite read_set_store. unfold read.
        destruct (grant p g') as [[[r' o'] acc'] |] eqn:G'; [| reflexivity].
        destruct (region_eqb r r' && (o =? o')) eqn:Same; [| reflexivity].
        exfalso. apply andb_true_iff in Same. destruct Same as [Rr _].
        destruct r as [m | c]; destruct r' as [m' | c']; simpl in Rr; try discriminate;
          apply Nat.eqb_eq in Rr; subst.
        -- apply grant_own_memory in G. apply grant_own_memory in G'. congruence.
        -- pose proof (grant_channel_writer _ _ _ _ G) as Wq.
           destruct (grant_channel_endpoint _ _ _ _ _ G') as [Hc [Wp | Rp]]; [congruence |].
           assert (channel_from_to q p = true) by (apply channel_from_to_true; eauto).
           congruence.
    + apply exit_then_other; [exact Hne | intros; apply violation_other; exact Hne].
  - destruct (negb (running s q)); [exact (view_refl (Part p) s) |].
    apply exit_then_other; [exact Hne | intros; apply refuse_other; exact Hne].
  - destruct (negb (running s q)); [exact (view_refl (Part p) s) |].
    destruct ((c <? nchan) && (writer c =? q)) eqn:Wc.
    + apply view_trans with (exit_of s q); [apply upd_cpu_other; exact Hne |].
      repeat split; try reflexivity.
      intros d Hd He. simpl. destruct (d =? c) eqn:E; [| reflexivity].
      exfalso. apply Nat.eqb_eq in E. subst.
      apply andb_true_iff in Wc. destruct Wc as [_ Wq]. apply Nat.eqb_eq in Wq.
      destruct He as [Wp | Rp]; [congruence |].
      assert (channel_from_to q p = true) by (apply channel_from_to_true; eauto).
      congruence.
    + apply exit_then_other; [exact Hne | intros; apply refuse_other; exact Hne].
  - destruct (negb (running s q)); [exact (view_refl (Part p) s) | apply upd_cpu_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) | apply upd_cpu_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) | apply upd_cpu_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) | apply upd_cpu_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) |].
    apply exit_then_other; [exact Hne | intros; apply violation_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) | apply upd_cpu_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) | apply upd_cpu_other; exact Hne].
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) |].
    destruct (xcr0_ok xv); apply upd_cpu_other; exact Hne.
  - destruct (negb (running s q) || stopped s q); [exact (view_refl (Part p) s) |].
    repeat split; try reflexivity. symmetry. apply context_upd_other. exact Hne.
Qed.

(* ------------------------------------------------------------------------------------------ *)
(* Intransitive noninterference (Rushby 1992, sources and ipurge)                              *)

Fixpoint sources (trace : list action) (u : dom) : list dom :=
  match trace with
  | [] => [u]
  | a :: rest =>
      let later := sources rest u in
      if existsb (interferes (dom_of a)) later then dom_of a :: later else later
  end.

Fixpoint ipurge (trace : list action) (u : dom) : list action :=
  match trace with
  | [] => []
  | a :: rest =>
      if existsb (interferes (dom_of a)) (sources rest u) then a :: ipurge rest u else ipurge rest u
  end.

Lemma sources_self : forall trace u, In u (sources trace u).
Proof.
  induction trace; simpl; intros; [auto |].
  destruct (existsb _ _); simpl; auto.
Qed.

(* The unwinding theorem: states that agree for every source of u stay u-equivalent when one
   runs the trace and the other the trace purged of what may not reach u. *)
Theorem unwinding : forall trace u s t,
  (forall v, In v (sources trace u) -> view_eq v s t) ->
  view_eq u (run s trace) (run t (ipurge trace u)).
Proof.
  induction trace as [| a rest IH]; intros u s t H.
  - simpl. apply H. simpl. auto.
  - simpl. simpl in H.
    destruct (existsb (interferes (dom_of a)) (sources rest u)) eqn:E.
    + simpl. apply IH. intros v Hv.
      apply weak_step_consistency; apply H; simpl; auto.
    + apply IH. intros v Hv.
      assert (Hn : interferes (dom_of a) v = false).
      { destruct (interferes (dom_of a) v) eqn:I; [| reflexivity].
        assert (existsb (interferes (dom_of a)) (sources rest u) = true)
          by (apply existsb_exists; eauto).
        congruence. }
      apply view_trans with s.
      * apply view_sym. apply local_respect. exact Hn.
      * apply H. exact Hv.
Qed.

(* Separation: what a partition observes after any trace is what it would observe had every
   action that may not reach it (directly or through allowed intermediaries) never happened. *)
Theorem separation : forall s0 trace p,
  view_eq (Part p) (run s0 trace) (run s0 (ipurge trace (Part p))).
Proof. intros. apply unwinding. intros. apply view_refl. Qed.

(* ------------------------------------------------------------------------------------------ *)
(* No flow down the label order                                                                *)

(* No write down, one step: a partition never interferes directly with one at a lower level.
   This is where SK-FLOW-1 is used, and only here. *)
Theorem no_flow_down : forall p q,
  level q < level p -> interferes (Part p) (Part q) = false.
Proof.
  intros p q Hl. simpl. apply orb_false_iff. split.
  - apply Nat.eqb_neq. intro. subst. lia.
  - destruct (channel_from_to p q) eqn:E; [| reflexivity].
    apply channel_from_to_true in E. destruct E as [c (Hc & Hw & Hr)].
    pose proof (channel_flows_up c Hc). subst. lia.
Qed.

(* The flow relation is intransitive: p may reach r through q by channels p -> q -> r without a
   channel p -> r, and `separation` keeps such chains. But every channel flows up or sideways, so
   every partition on a chain that ends at p is at p's level or below: each partition among the
   sources of p over any trace is. *)
Lemma sources_at_or_below : forall trace p q,
  In (Part q) (sources trace (Part p)) -> level q <= level p.
Proof.
  induction trace as [| a rest IH]; intros p q Hin; simpl in Hin.
  - destruct Hin as [H | []]. injection H as ->. lia.
  - destruct (existsb (interferes (dom_of a)) (sources rest (Part p))) eqn:E;
      [| exact (IH p q Hin)].
    destruct Hin as [Hq | Hin]; [| exact (IH p q Hin)].
    apply existsb_exists in E. destruct E as [[r | | ] [Hr Hi]]; rewrite Hq in Hi;
      [| discriminate | discriminate].
    pose proof (IH p r Hr).
    destruct (le_lt_dec (level q) (level r)) as [Hle | Hlt]; [lia |].
    rewrite (no_flow_down q r Hlt) in Hi. discriminate.
Qed.

(* A trace without the actions of the partitions above level L. *)
Definition above (L : nat) (a : action) : bool :=
  match dom_of a with
  | Part q => L <? level q
  | Input | Timer => false
  end.

Definition purge_above (L : nat) (trace : list action) : list action :=
  filter (fun a => negb (above L a)) trace.

(* An action of a partition above p is never kept by p's purge, nor adds a source: removing
   every such action leaves p's sources and p's purge as they were. *)
Lemma purge_above_ipurge : forall trace p,
  sources (purge_above (level p) trace) (Part p) = sources trace (Part p) /\
  ipurge (purge_above (level p) trace) (Part p) = ipurge trace (Part p).
Proof.
  induction trace as [| a rest IH]; intros p; [split; reflexivity |].
  destruct (IH p) as [Hs Hi]. unfold purge_above in *. simpl.
  destruct (above (level p) a) eqn:Ab; simpl.
  - assert (N : existsb (interferes (dom_of a)) (sources rest (Part p)) = false).
    { destruct (existsb (interferes (dom_of a)) (sources rest (Part p))) eqn:E; [| reflexivity].
      exfalso. unfold above in Ab. destruct (dom_of a) as [q | | ]; try discriminate.
      apply Nat.ltb_lt in Ab.
      apply existsb_exists in E. destruct E as [[r | | ] [Hr Hint]]; try discriminate.
      pose proof (sources_at_or_below rest p r Hr).
      rewrite (no_flow_down q r ltac:(lia)) in Hint. discriminate. }
    rewrite N. split; assumption.
  - rewrite Hs, Hi. split; reflexivity.
Qed.

(* No flow down, over whole traces: what partition p observes after any trace is what it would
   observe had no partition above p's level done anything. So no partition, directly or through
   a chain of channels and partitions in between, affects one at a lower level. (Partitions at
   p's level or below that have no chain of channels to p are purged by `separation`, not here.) *)
Theorem no_flow_down_traces : forall s0 trace p,
  view_eq (Part p) (run s0 trace) (run s0 (purge_above (level p) trace)).
Proof.
  intros s0 trace p. destruct (purge_above_ipurge trace p) as [_ Hi].
  apply view_trans with (run s0 (ipurge trace (Part p))); [apply separation |].
  rewrite <- Hi. apply view_sym. apply separation.
Qed.

(* The same, for two traces: traces that differ only in what partitions above p do look the
   same to p. *)
Theorem higher_actions_invisible : forall s0 trace1 trace2 p,
  purge_above (level p) trace1 = purge_above (level p) trace2 ->
  view_eq (Part p) (run s0 trace1) (run s0 trace2).
Proof.
  intros s0 trace1 trace2 p H.
  apply view_trans with (run s0 (purge_above (level p) trace1)); [apply no_flow_down_traces |].
  rewrite H. apply view_sym. apply no_flow_down_traces.
Qed.

(* ------------------------------------------------------------------------------------------ *)
(* Time partitioning                                                                           *)

(* A partition acts only in its own frames: elsewhere its actions change nothing. *)
Theorem partition_acts_only_in_own_frames : forall s a p,
  dom_of a = Part p -> running s p = false -> step s a = s.
Proof.
  intros s a p D R.
  destruct a; simpl in D; try discriminate; injection D as ->; simpl; try rewrite R; reflexivity.
Qed.

(* The ticks of CPU c's timer in a trace. *)
Fixpoint ticks (c : nat) (trace : list action) : nat :=
  match trace with
  | [] => 0
  | Tick d :: rest => if d =? c then S (ticks c rest) else ticks c rest
  | _ :: rest => ticks c rest
  end.

(* CPU c's frame, and the time it started at, n ticks of c's timer after frame f started at k. *)
Fixpoint after_ticks (c n f k : nat) : nat * nat :=
  match n with
  | 0 => (f, k)
  | S m => after_ticks c m (S f mod frames c) (k + duration c f)
  end.

(* What a partition's own action touches: never a frame, a time, the focus or the inboxes. *)
Definition keeps_time_focus (s s' : state) : Prop :=
  frame s' = frame s /\ clock s' = clock s /\ focus s' = focus s /\ inbox s' = inbox s.

Lemma violation_keeps : forall s p, keeps_time_focus s (violation s p).
Proof. intros. unfold violation. destruct (inject p); repeat split. Qed.

Lemma exit_violation_keeps : forall s p, keeps_time_focus s (violation (exit_of s p) p).
Proof. intros. destruct (violation_keeps (exit_of s p) p) as (A & B & C & D). repeat split; assumption. Qed.

Lemma partition_step_keeps : forall s a p, dom_of a = Part p -> keeps_time_focus s (step s a).
Proof.
  intros s a p D. destruct a as [q g v | q | q c | k | t | q | q | q l | q | q | q dk dv | q dk | q xv | q rr rv | cc ]; simpl in D; try discriminate;
    unfold step.
  - destruct (negb (running s q) || stopped s q); [repeat split |].
    destruct (grant q g) as [[[r o] []] |]; try apply exit_violation_keeps; repeat split.
  - destruct (negb (running s q)); repeat split.
  - destruct (negb (running s q)); [repeat split |].
    destruct ((c <? nchan) && (writer c =? q)); repeat split.
  - destruct (negb (running s q)); repeat split.
  - destruct (negb (running s q) || stopped s q); repeat split.
  - destruct (negb (running s q) || stopped s q); repeat split.
  - destruct (negb (running s q) || stopped s q); repeat split.
  - destruct (negb (running s q) || stopped s q); [repeat split | apply exit_violation_keeps].
  - destruct (negb (running s q) || stopped s q); repeat split.
  - destruct (negb (running s q) || stopped s q); repeat split.
  - destruct (negb (running s q) || stopped s q); [| destruct (xcr0_ok xv)]; repeat split.
  - destruct (negb (running s q) || stopped s q); repeat split.
Qed.

Lemma action_is_tick : forall a, (exists c, a = Tick c) \/ dom_of a <> Timer.
Proof. destruct a; [right; discriminate .. | left; eauto]. Qed.

(* No action but a timer's tick moves any CPU's frame or time. *)
Lemma step_keeps_time : forall s a,
  dom_of a <> Timer -> frame (step s a) = frame s /\ clock (step s a) = clock s.
Proof.
  intros s a H. destruct (dom_of a) as [p | | ] eqn:D.
  - destruct (partition_step_keeps s a p D) as (A & B & _). split; assumption.
  - destruct a; simpl in D; try discriminate; split; reflexivity.
  - contradiction.
Qed.

(* Time is each CPU's timer's alone: after any trace (so at every point of every trace, each
   prefix being a trace), CPU c's current frame, hence the partition that runs on c, and the time
   that frame started at are a function of the number of ticks of c's timer so far, whatever any
   partition, the user or another CPU's timer did. *)
Theorem time_from_ticks : forall trace s c,
  (frame (run s trace) c, clock (run s trace) c) = after_ticks c (ticks c trace) (frame s c) (clock s c).
Proof.
  induction trace as [| a rest IH]; intros s c; [reflexivity |].
  change (run s (a :: rest)) with (run (step s a) rest). rewrite IH.
  destruct (action_is_tick a) as [[d ->] | Ha].
  - simpl. destruct (Nat.eqb_spec c d) as [-> | Hne].
    + rewrite Nat.eqb_refl. reflexivity.
    + destruct (Nat.eqb_spec d c); [congruence | reflexivity].
  - destruct (step_keeps_time s a Ha) as [F C]. rewrite F, C.
    destruct a; [.. | exfalso; apply Ha; reflexivity]; reflexivity.
Qed.

(* Time partitioning, per CPU: two traces with as many ticks of CPU c's timer, however else they
   differ (any partition's actions, its own included, keys, secure attention keys, and any
   number of other CPUs' ticks), leave CPU c in the same frame, started at the same time, with
   the same partition of c running: when a partition runs and what it can observe of time do not
   depend on what any partition does or on another CPU's schedule. *)
Theorem time_partitioning : forall s trace1 trace2 c,
  ticks c trace1 = ticks c trace2 ->
  frame (run s trace1) c = frame (run s trace2) c /\ clock (run s trace1) c = clock (run s trace2) c /\
  (forall p, cpu_of p = c -> running (run s trace1) p = running (run s trace2) p).
Proof.
  intros s trace1 trace2 c H.
  pose proof (time_from_ticks trace1 s c) as H1. pose proof (time_from_ticks trace2 s c) as H2.
  rewrite H, <- H2 in H1. injection H1 as F C.
  split; [exact F | split; [exact C |]]. intros p <-. unfold running. rewrite F. reflexivity.
Qed.

(* A tick of another CPU's timer changes nothing partition p sees of the kernel, its register
   context, its CPU's frame and start time, or whether it runs. *)
Theorem other_cpu_tick_invisible : forall s c p, cpu_of p <> c ->
  cpus (step s (Tick c)) p = cpus s p /\ context (step s (Tick c)) p = context s p /\
  frame (step s (Tick c)) (cpu_of p) = frame s (cpu_of p) /\
  clock (step s (Tick c)) (cpu_of p) = clock s (cpu_of p) /\ running (step s (Tick c)) p = running s p.
Proof.
  intros s c p H. rewrite context_tick. apply Nat.eqb_neq in H.
  unfold running. simpl. rewrite H. repeat split.
Qed.

(* What a partition reads of time (read_time) is its frame's start, a function of the ticks
   alone (time_from_ticks), plus the time it spent in the frame: one unit for each exit it
   caused itself since the frame started. No other partition's action and no key changes that
   part (whatever the channels allow), and every tick starts it again. *)
Lemma partition_step_cpus : forall s a q p,
  dom_of a = Part q -> p <> q -> cpus (step s a) p = cpus s p.
Proof.
  intros s a q p D Hne. apply Nat.eqb_neq in Hne.
  destruct a as [q' g v | q' | q' c | k | tgt | q' | q' | q' l | q' | q' | q' dk dv | q' dk | q' xv | q' rr rv | cc ]; simpl in D; try discriminate;
    injection D as ->;
    unfold step, running, violation, exit_of, upd_cpu, upd_context, stop, set_store, refuse, bump; simpl;
    try destruct (grant q g) as [[[r o] []] |]; try destruct (inject q);
    repeat match goal with |- context [if ?c then _ else _] => destruct c end;
    simpl; rewrite ?Hne; reflexivity.
Qed.

Theorem time_read_own : forall s a p,
  dom_of a <> Part p -> dom_of a <> Timer -> spent (cpus (step s a) p) = spent (cpus s p) /\
                                    time_read (cpus (step s a) p) = time_read (cpus s p).
Proof.
  intros s a p D T. destruct (dom_of a) as [q | | ] eqn:Da.
  - rewrite (partition_step_cpus s a q p Da) by congruence. split; reflexivity.
  - destruct a; simpl in Da; try discriminate; split; reflexivity.
  - contradiction.
Qed.

(* A partition's disk and what its reads return change only by its own requests: no other
   partition's request, no key and no tick touches them, whatever the channels allow. *)
Theorem disk_only_own : forall s a p,
  dom_of a <> Part p -> disk (cpus (step s a) p) = disk (cpus s p) /\
                        disk_read (cpus (step s a) p) = disk_read (cpus s p).
Proof.
  intros s a p D. destruct (dom_of a) as [q | | ] eqn:Da.
  - rewrite (partition_step_cpus s a q p Da) by congruence. split; reflexivity.
  - destruct a; simpl in Da; try discriminate; split; reflexivity.
  - destruct a; simpl in Da; try discriminate. simpl. destruct (cpu_of p =? c); split; reflexivity.
Qed.

(* A partition's whole own view of the kernel, its CPU context's XCR0 included, is changed by
   no other partition's action and no key: only by its own actions and (its time spent) ticks
   of its own CPU's timer (other_cpu_tick_invisible). *)
Theorem cpu_view_own : forall s a p,
  dom_of a <> Part p -> dom_of a <> Timer -> cpus (step s a) p = cpus s p.
Proof.
  intros s a p D T. destruct (dom_of a) as [q | | ] eqn:Da.
  - apply (partition_step_cpus s a q p Da). congruence.
  - destruct a; simpl in Da; try discriminate; reflexivity.
  - contradiction.
Qed.

(* A partition's register context is its own: no other partition's action, no key and no tick
   of any CPU's timer (which may switch its CPU's registers) changes it. *)
Theorem context_own : forall s a p, dom_of a <> Part p -> context (step s a) p = context s p.
Proof.
  intros s a p D. destruct a as [q g v | q | q c | k | tgt | q | q | q l | q | q | q dk dv | q dk | q xv | q rr rv | cc ];
    simpl in D; try apply context_tick; try reflexivity;
    assert (Hne : p <> q) by congruence;
    unfold step, running, violation, exit_of, upd_cpu, stop, set_store, refuse, bump;
    try destruct (grant q g) as [[[r o] []] |]; try destruct (inject q);
    repeat match goal with |- context [if ?c then _ else _] => destruct c end;
    try reflexivity; apply context_upd_other; exact Hne.
Qed.

(* A partition's register write sets its own context's register. *)
Theorem set_reg_own : forall s p r v, running s p = true -> stopped s p = false ->
  context (step s (Set_reg p r v)) p r = v.
Proof. intros s p r v R S. simpl. rewrite R, S. simpl. rewrite context_upd_same, Nat.eqb_refl. reflexivity. Qed.

(* The world switch restores exactly the partition's own context: after a tick of CPU c's
   timer whose next frame belongs to a runnable partition n bound to c, c's registers hold n's
   own context (the one n left, which no other partition could change: context_own). *)
Theorem switch_loads_own_context : forall s c n,
  n = schedule c (S (frame s c) mod frames c) -> cpu_of n = c -> stopped s n = false ->
  live (contexts (step s (Tick c))) c = context s n /\ owner (contexts (step s (Tick c))) c = Some n.
Proof.
  intros s c n Hn Hc Hs. simpl. rewrite <- Hn, Hc, Hs, Nat.eqb_refl. simpl.
  apply switch_live. exact Hc.
Qed.

Theorem read_time_value : forall s p,
  running s p = true -> stopped s p = false ->
  time_read (cpus (step s (Read_time p)) p) = clock s (cpu_of p) + S (spent (cpus s p)).
Proof. intros s p R S. simpl. rewrite R, S. simpl. rewrite Nat.eqb_refl. reflexivity. Qed.

Theorem tick_restarts_spent : forall s c p, cpu_of p = c -> spent (cpus (step s (Tick c)) p) = 0.
Proof. intros s c p <-. simpl. rewrite Nat.eqb_refl. reflexivity. Qed.

(* ------------------------------------------------------------------------------------------ *)
(* Trusted path                                                                                *)

(* The indicator row is drawn from the focus: it names the partition it shows. *)
Definition indicator (s : state) : nat := focus s.

(* A key typed reaches exactly the partition the indicator names, and no other. *)
Theorem key_reaches_indicated_partition : forall s k q,
  inbox (step s (Key k)) q = if q =? indicator s then inbox s q ++ [k] else inbox s q.
Proof. reflexivity. Qed.

(* The focus changes only on the secure attention key. *)
Theorem focus_changes_only_on_sak : forall s a,
  focus (step s a) <> focus s -> exists t, a = Sak t.
Proof.
  intros s a H. destruct (dom_of a) as [p | | ] eqn:D.
  - exfalso. apply H. apply (partition_step_keeps s a p D).
  - destruct a; simpl in D; try discriminate; [exfalso; apply H; reflexivity | eauto].
  - destruct a; simpl in D; try discriminate. exfalso. apply H. reflexivity.
Qed.

(* The secure attention key reaches no partition. *)
Theorem sak_reaches_no_partition : forall s t q, inbox (step s (Sak t)) q = inbox s q.
Proof. reflexivity. Qed.

(* Over a whole trace: a partition's keys are exactly the keys typed while it held the focus. *)
Fixpoint keys_for (s : state) (trace : list action) (q : nat) : list nat :=
  match trace with
  | [] => []
  | a :: rest =>
      (match a with Key k => if q =? focus s then [k] else [] | _ => [] end) ++ keys_for (step s a) rest q
  end.

Theorem keys_only_while_focused : forall trace s q,
  inbox (run s trace) q = inbox s q ++ keys_for s trace q.
Proof.
  induction trace as [| a rest IH]; intros s q; simpl.
  - rewrite app_nil_r. reflexivity.
  - rewrite IH. rewrite app_assoc. f_equal.
    destruct (dom_of a) as [p | | ] eqn:D.
    + destruct (partition_step_keeps s a p D) as (_ & _ & _ & I). rewrite I.
      destruct a; simpl in D; try discriminate; rewrite app_nil_r; reflexivity.
    + destruct a; simpl in D; try discriminate; simpl.
      * destruct (q =? focus s); [reflexivity | rewrite app_nil_r; reflexivity].
      * rewrite app_nil_r. reflexivity.
    + destruct a; simpl in D; try discriminate. simpl. rewrite app_nil_r. reflexivity.
Qed.

(* Keyboard confidentiality (issue 15): the keys typed while another partition holds the focus
   are invisible to p. Purging them from a trace leaves everything p observes unchanged, its
   counters included; so no partition can count or time another domain's keystrokes through
   any observable of the model. *)
Fixpoint purge_keys (p : nat) (s : state) (trace : list action) : list action :=
  match trace with
  | [] => []
  | a :: rest =>
      match a with
      | Key _ => if focus s =? p then a :: purge_keys p (step s a) rest else purge_keys p (step s a) rest
      | _ => a :: purge_keys p (step s a) rest
      end
  end.

(* Two states that differ at most in other partitions' inboxes. *)
Definition same_but_inboxes (p : nat) (s t : state) : Prop :=
  store s = store t /\ stopped s = stopped t /\ refused s = refused t /\ focus s = focus t /\
  inbox s p = inbox t p /\ frame s = frame t /\ clock s = clock t /\ audit s = audit t /\
  events s = events t /\ cpus s = cpus t /\ contexts s = contexts t.

Lemma same_but_inboxes_step : forall p s t a,
  same_but_inboxes p s t -> same_but_inboxes p (step s a) (step t a).
Proof.
  intros p [st sp rf fo ib fr cl au ev cp cx] [st' sp' rf' fo' ib' fr' cl' au' ev' cp' cx'] a
         (Hst & Hsp & Hrf & Hfo & Hib & Hfr & Hcl & Hau & Hev & Hcp & Hcx).
  simpl in *. subst.
  destruct a as [q g v | q | q c | k | tgt | q | q | q l | q | q | q dk dv | q dk | q xv | q rr rv | cc ];
    unfold step, running, violation, exit_of, upd_cpu, upd_context, context, stop, set_store, refuse, bump; simpl;
    try destruct (grant q g) as [[[r o] []] |]; try destruct (inject q);
    repeat match goal with |- context [if ?c then _ else _] => destruct c end;
    repeat split; simpl; try assumption; first [congruence | destruct (p =? fo'); congruence].
Qed.

Lemma same_but_inboxes_unfocused_key : forall p s t k,
  focus s <> p -> same_but_inboxes p s t -> same_but_inboxes p (step s (Key k)) t.
Proof.
  intros p [st sp rf fo ib fr cl au ev cp cx] t k Hf
         (Hst & Hsp & Hrf & Hfo & Hib & Hfr & Hcl & Hau & Hev & Hcp & Hcx).
  simpl in *. repeat split; try assumption.
  simpl. destruct (p =? fo) eqn:E; [apply Nat.eqb_eq in E; congruence | assumption].
Qed.

Lemma purge_keys_related : forall trace p s t,
  same_but_inboxes p s t -> same_but_inboxes p (run s trace) (run t (purge_keys p s trace)).
Proof.
  induction trace as [| a rest IH]; intros p s t H; [exact H |].
  change (run s (a :: rest)) with (run (step s a) rest).
  destruct a as [q g v | q | q c | k | tgt | q | q | q l | q | q | q dk dv | q dk | q xv | q rr rv | cc ];
    try (apply (IH p (step s _) (step t _)); apply same_but_inboxes_step; exact H).
  unfold purge_keys; fold purge_keys.
  destruct (focus s =? p) eqn:E.
  - apply (IH p (step s (Key k)) (step t (Key k))). apply same_but_inboxes_step. exact H.
  - apply (IH p (step s (Key k)) t). apply same_but_inboxes_unfocused_key; [apply Nat.eqb_neq; exact E | exact H].
Qed.

Theorem keys_confidential : forall trace s p,
  view_eq (Part p) (run s trace) (run s (purge_keys p s trace)).
Proof.
  intros trace s p.
  assert (H : same_but_inboxes p s s) by (repeat split).
  destruct (purge_keys_related trace p s s H)
    as (Hst & Hsp & Hrf & Hfo & Hib & Hfr & Hcl & Hau & Hev & Hcp & Hcx).
  simpl. split; [intro g; unfold read; rewrite Hst; reflexivity |].
  rewrite Hsp, Hrf, Hfo, Hfr, Hcl, Hcp.
  split; [reflexivity |]. split; [reflexivity |]. split; [exact Hib |].
  split; [reflexivity |]. split; [reflexivity |]. split; [reflexivity |]. split; [reflexivity |].
  split; [unfold context; rewrite Hcx; reflexivity |].
  intros c _ _. rewrite Hev. reflexivity.
Qed.

End Kernel.
