#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The proof is not vacuous, and each hypothesis or check it names is what its theorem rests on
# (issue 15, item 7): each broken variant fails at the named obligation, shown by a concrete
# counterexample to that obligation's statement, not by a proof script that stops applying.
#  1. write-back: the step lets a partition write a page it may only read (a reader writing
#     back into its channel). tests/proofs/Counterexample.v gives a reader's write that changes
#     what the writer observes: it is refused by the real model (the kernel stops the reader),
#     and against the variant it checks and refutes the statement of `local_respect`.
#  3. a key counted for the running partition (the outside review's variant): KeyCounter.v
#     refutes the statement of `keys_confidential` against it and is refused by the real model.
#  2. no SK-FLOW-1: tests/proofs/FlowDown.v shows a policy with a downward channel for which the
#     statement of `no_flow_down` is false, and FlowDownTraces.v that the statement of
#     `no_flow_down_traces` is false for it too; the model with the hypothesis deleted fails to
#     check inside `no_flow_down`, and with that one proof admitted checks: no other proof uses
#     the hypothesis (no_flow_down_traces rests on it through no_flow_down).
#  4. write-back against the trace-level flow (WriteDown.v): with a policy that keeps SK-FLOW-1,
#     a higher reader writing its read-only page reaches the lower writer, refuting
#     `no_flow_down_traces` in that variant; refused by the real model.
#  5. a yield that gives the rest of the frame to the next partition (YieldTime.v) refutes
#     `time_partitioning` in that variant (and `separation` does not forbid it: the policy has
#     a channel from the yielding partition to the next); refused by the real model, whose
#     yield idles the rest of the frame.
#  6. a key counted as an exit of the partition it interrupted (KeyExit.v) refutes
#     `time_read_own` in that variant (a key changes the time a partition has spent in its frame,
#     so what read_time returns); refused by the real model, where a key is nobody's exit.
#  7. the model's check of its policy hypotheses without the writer test (PolicyCheckWriter.v)
#     accepts a table where a channel's reader writes its page, refuting `hypotheses_b_sound`
#     in that variant; the real check refuses the table.
#  8. a tick that moves the CPU to the next partition without switching the register context
#     (SharedRegisters.v: one register bank the next partition finds as the previous one left
#     it) refutes `separation` (partition 1 reads partition 0's register though no channel joins
#     them) and `context_own`; refused by the real model, whose tick saves and loads.
set -euo pipefail
SRC=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0
# The theorem or lemma of file $1 that contains line $2.
enclosing() {
  awk -v line="$2" 'NR <= line && /^(Theorem|Lemma|Example) / { name = $2 } END { print name }' "$1"
}
# variant NAME FILE EXAMPLE MARKER SED: the counterexample FILE is refused by the real model in
# its Example EXAMPLE, and checks against the variant the sed script SED makes of Separation.v
# (on the line marked MARKER), with the variant's proofs admitted: only its definitions are used.
variant() {
  local name=$1 file=$2 example=$3 marker=$4 script=$5
  mkdir -p "$WORK/$name-real" "$WORK/$name"
  cp "$SRC"/proofs/Separation.v "$SRC/tests/proofs/$file" "$WORK/$name-real/"
  cp "$SRC"/proofs/Separation.v "$SRC/tests/proofs/$file" "$WORK/$name/"
  if (cd "$WORK/$name-real" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead "$file") >"$WORK/$name-real.log" 2>&1; then
    echo "real model: the $name counterexample checks"; status=1
  else
    local line where
    line=$(grep -m1 -oE "\"\./$file\", line [0-9]+" "$WORK/$name-real.log" | grep -oE '[0-9]+$' || echo 0)
    where=$(enclosing "$WORK/$name-real/$file" "$line")
    if [[ $where == "$example" ]]; then
      echo "real model: the $name counterexample is refused in $example, as it must be"
    else
      echo "real model: the $name counterexample failed elsewhere (${where:-no line}):"; cat "$WORK/$name-real.log"; status=1
    fi
  fi
  sed -i -e "$script" "$WORK/$name/Separation.v"
  perl -0pi -e 's/\nProof\. [^\n]*Qed\./\nAdmitted./g; s/\nProof\..*?\nQed\./\nAdmitted./gs' "$WORK/$name/Separation.v"
  if cmp -s <(grep -e "$marker" "$SRC/proofs/Separation.v") <(grep -e "$marker" "$WORK/$name/Separation.v"); then
    echo "$name variant: the patch did not apply (the $marker line moved?)"; status=1
  elif (cd "$WORK/$name" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead "$file") >"$WORK/$name.log" 2>&1; then
    echo "$name variant: the counterexample checks: $6"
  else
    echo "$name variant: the counterexample does not check:"; cat "$WORK/$name.log"; status=1
  fi
}
# The counterexample must not hold for the real model.
mkdir -p "$WORK/real" && cp "$SRC"/proofs/Separation.v "$SRC"/tests/proofs/Counterexample.v "$WORK/real/"
if (cd "$WORK/real" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead Counterexample.v) >"$WORK/real.log" 2>&1; then
  echo "real model: the write-back counterexample checks: the kernel model lets a reader write its channel"; status=1
elif grep -q "Not a discriminable equality" "$WORK/real.log"; then
  # It fails exactly where the writer's two views would have to differ: they do not.
  echo "real model: the write-back counterexample is refused, as it must be"
else
  echo "real model: the counterexample failed for another reason:"; cat "$WORK/real.log"; status=1
fi
# Against the write-back variant, the counterexample holds (with the variant's proofs cut out).
mkdir -p "$WORK/witness" && cp "$SRC"/proofs/Separation.v "$SRC"/tests/proofs/Counterexample.v "$WORK/witness/"
sed -i -e 's/| Some (_, _, Read_only) => violation (exit_of s p) p  (\* ACCESS-CHECK/| Some (r, o, Read_only) => set_store s r o v  (* ACCESS-CHECK/' \
       -e '/^Theorem weak_step_consistency/,$d' "$WORK/witness/Separation.v"
echo "End Kernel." >>"$WORK/witness/Separation.v"
if (cd "$WORK/witness" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead Counterexample.v) >"$WORK/witness.log" 2>&1; then
  echo "write-back variant: the counterexample checks: a reader's write reaches the writer, and local_respect's statement is false"
else
  echo "write-back variant: the counterexample does not check:"; cat "$WORK/witness.log"; status=1
fi
# 3. Keyboard confidentiality: the variant in which a key also bumps the running partition's
# counter. The counterexample is refused by the real model ...
mkdir -p "$WORK/keys-real" && cp "$SRC"/proofs/Separation.v "$SRC"/tests/proofs/KeyCounter.v "$WORK/keys-real/"
if (cd "$WORK/keys-real" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead KeyCounter.v) >"$WORK/keys-real.log" 2>&1; then
  echo "real model: a key counted for the running partition: the counterexample checks"; status=1
elif grep -q "KeyCounter.v" "$WORK/keys-real.log" && grep -q "counted_key_reaches_running_partition\|Error" "$WORK/keys-real.log"; then
  echo "real model: the key-counting counterexample is refused, as it must be"
else
  echo "real model: the key-counting counterexample failed for another reason:"; cat "$WORK/keys-real.log"; status=1
fi
# ... and checks against the variant (its proofs dropped: only its definitions are used),
# refuting the statement of keys_confidential.
mkdir -p "$WORK/keys" && cp "$SRC"/proofs/Separation.v "$SRC"/tests/proofs/KeyCounter.v "$WORK/keys/"
sed -i -e 's/      mk_state (store s) (stopped s) (refused s) (focus s)  (\* KEY-STEP/      mk_state (store s) (stopped s) (fun q => if running s q then S (refused s q) else refused s q) (focus s)  (* KEY-STEP/' \
    "$WORK/keys/Separation.v"
perl -0pi -e 's/\nProof\. [^\n]*Qed\./\nAdmitted./g; s/\nProof\..*?\nQed\./\nAdmitted./gs' "$WORK/keys/Separation.v"
if cmp -s <(grep KEY-STEP "$SRC/proofs/Separation.v") <(grep KEY-STEP "$WORK/keys/Separation.v"); then
  echo "key-counting variant: the patch did not apply (the KEY-STEP line moved?)"; status=1
elif (cd "$WORK/keys" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead KeyCounter.v) >"$WORK/keys.log" 2>&1; then
  echo "key-counting variant: the counterexample checks: keys_confidential's statement is false there"
else
  echo "key-counting variant: the counterexample does not check:"; cat "$WORK/keys.log"; status=1
fi
# 2. SK-FLOW-1: its counterexample holds against the real model ...
mkdir -p "$WORK/flow" && cp "$SRC"/proofs/Separation.v "$SRC"/tests/proofs/FlowDown.v "$WORK/flow/"
if (cd "$WORK/flow" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead FlowDown.v) >"$WORK/flow.log" 2>&1; then
  echo "no SK-FLOW-1: a downward channel refutes no_flow_down's statement"
else
  echo "no SK-FLOW-1: the counterexample does not check:"; cat "$WORK/flow.log"; status=1
fi
if (cd "$WORK/flow" && cp "$SRC"/tests/proofs/FlowDownTraces.v . && coqc -Q . Bulkhead FlowDownTraces.v) >"$WORK/flow-traces.log" 2>&1; then
  echo "no SK-FLOW-1: the same kind of policy refutes no_flow_down_traces' statement"
else
  echo "no SK-FLOW-1: the trace counterexample does not check:"; cat "$WORK/flow-traces.log"; status=1
fi
# ... and without the hypothesis the model fails to check in no_flow_down, and only there.
mkdir -p "$WORK/no-flow" && cp "$SRC"/proofs/Separation.v "$WORK/no-flow/"
sed -i '/^Hypothesis channel_flows_up : /d' "$WORK/no-flow/Separation.v"
if cmp -s "$SRC/proofs/Separation.v" "$WORK/no-flow/Separation.v"; then
  echo "no SK-FLOW-1: the hypothesis line was not found"; status=1
elif (cd "$WORK/no-flow" && coqc Separation.v) >"$WORK/no-flow.log" 2>&1; then
  echo "no SK-FLOW-1: the model still checks without the hypothesis"; status=1
else
  line=$(grep -m1 -oE 'line [0-9]+' "$WORK/no-flow.log" | grep -oE '[0-9]+' || echo 0)
  where=$(enclosing "$WORK/no-flow/Separation.v" "$line")
  if [[ $where == no_flow_down ]]; then
    echo "no SK-FLOW-1: the model fails in no_flow_down (line $line)"
    # With that one proof admitted the rest checks: no other proof uses the hypothesis.
    perl -0pi -e 's/(\nTheorem no_flow_down :.*?\nProof\.).*?\nQed\./$1\nAdmitted./s' "$WORK/no-flow/Separation.v"
    if (cd "$WORK/no-flow" && coqc Separation.v) >"$WORK/no-flow-rest.log" 2>&1; then
      echo "no SK-FLOW-1: with no_flow_down admitted the rest checks: no_flow_down is the only proof using it"
    else
      echo "no SK-FLOW-1: another proof uses the hypothesis:"; cat "$WORK/no-flow-rest.log"; status=1
    fi
  else
    echo "no SK-FLOW-1: the model fails in $where (line $line), not in no_flow_down"; status=1
  fi
fi
# 4. The write-back variant against the trace-level flow down the label order.
variant write-down WriteDown.v higher_reader_writes_down "ACCESS-CHECK" \
  's/| Some (_, _, Read_only) => violation (exit_of s p) p  (\* ACCESS-CHECK/| Some (r, o, Read_only) => set_store s r o v  (* ACCESS-CHECK/' \
  "a higher reader's write reaches the lower writer: no_flow_down_traces' statement is false there"
# 5. A yield that hands the rest of the frame to the next partition.
variant early-yield YieldTime.v yield_moves_the_frame "YIELD-STEP" \
  's/  | Yield p => if negb (running s p) then s else exit_of s p  (\* YIELD-STEP/  | Yield p => if running s p then mk_state (store s) (stopped s) (refused s) (focus s) (inbox s) (fun d => if d =? cpu_of p then S (frame s d) mod frames d else frame s d) (clock s) (audit s) (events s) (cpus s) (contexts s) else s  (* YIELD-STEP/' \
  "the schedule moves without a tick: time_partitioning's statement is false there"
# 6. A key counted as an exit of the running partition (SK-TIME-2).
variant key-exit KeyExit.v key_counts_as_exit "KEY-CPUS" \
  's/(audit s) (events s) (cpus s)  (\* KEY-CPUS/(audit s) (events s) (cpus (exit_of s (schedule 0 (frame s 0))))  (* KEY-CPUS/' \
  "a key changes the running partition's time spent: time_read_own's statement is false there"
# 8. Registers not switched at a frame change: the next partition finds the CPU's registers as
# the previous one left it (SharedRegisters.v).
variant shared-registers SharedRegisters.v unswitched_registers_leak "TICK-SWITCH" \
  's/(if (cpu_of n =? c) && negb (stopped s n) then switch (contexts s) c n else contexts s)  (\* TICK-SWITCH/(mk_banks (live (contexts s)) (fun d => if d =? c then Some n else owner (contexts s) d) (saved (contexts s)))  (* TICK-SWITCH/' \
  "the next partition finds the previous one's register: separation's and context_own's statements are false there"
# 7. The policy check without its writer test (PolicyCheck.v's WRITER-CHECK line).
mkdir -p "$WORK/check-real" "$WORK/check"
cp "$SRC"/proofs/Separation.v "$SRC"/proofs/PolicyCheck.v "$SRC"/tests/proofs/PolicyCheckWriter.v "$WORK/check-real/"
cp "$SRC"/proofs/Separation.v "$SRC"/proofs/PolicyCheck.v "$SRC"/tests/proofs/PolicyCheckWriter.v "$WORK/check/"
if (cd "$WORK/check-real" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead PolicyCheck.v &&
    coqc -Q . Bulkhead PolicyCheckWriter.v) >"$WORK/check-real.log" 2>&1; then
  echo "real check: a reader's read-write page is accepted"; status=1
else
  line=$(grep -m1 -oE '"\./PolicyCheckWriter\.v", line [0-9]+' "$WORK/check-real.log" | grep -oE '[0-9]+$' || echo 0)
  where=$(enclosing "$WORK/check-real/PolicyCheckWriter.v" "$line")
  if [[ $where == reader_write_accepted ]]; then
    echo "real check: the forgotten-writer counterexample is refused in reader_write_accepted, as it must be"
  else
    echo "real check: the forgotten-writer counterexample failed elsewhere (${where:-no line}):"; cat "$WORK/check-real.log"; status=1
  fi
fi
sed -i -e 's/Read_write => writer c =? p | Read_only => true end  (\* WRITER-CHECK/Read_write => true | Read_only => true end  (* WRITER-CHECK/' "$WORK/check/PolicyCheck.v"
perl -0pi -e 's/\nProof\..*?\nQed\./\nAdmitted./gs' "$WORK/check/PolicyCheck.v"
if cmp -s "$SRC/proofs/PolicyCheck.v" "$WORK/check/PolicyCheck.v"; then
  echo "forgotten-writer variant: the patch did not apply"; status=1
elif (cd "$WORK/check" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead PolicyCheck.v &&
      coqc -Q . Bulkhead PolicyCheckWriter.v) >"$WORK/check.log" 2>&1; then
  echo "forgotten-writer variant: the counterexample checks: hypotheses_b_sound's statement is false there"
else
  echo "forgotten-writer variant: the counterexample does not check:"; cat "$WORK/check.log"; status=1
fi
exit $status
