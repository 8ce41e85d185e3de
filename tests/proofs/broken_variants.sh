#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Deliberately broken variants of the model must NOT check: the proof is not vacuous.
#  1. the step lets a partition write a page it may only read (a reader writing back into its
#     channel: a flow against the channel's direction): the separation proof fails, and a
#     concrete counterexample (tests/proofs/Counterexample.v) checks against that variant while
#     it fails against the real model;
#  2. the policy no longer assumes SK-FLOW-1 (channels flow upward in the label order): the
#     no-flow-down proof fails.
set -euo pipefail
SRC=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0
variant() {  # name, sed expression
  mkdir -p "$WORK/$1" && cp "$SRC"/proofs/Separation.v "$WORK/$1/"
  sed -i "$2" "$WORK/$1/Separation.v"
  if cmp -s "$SRC/proofs/Separation.v" "$WORK/$1/Separation.v"; then
    echo "broken variant $1: the patch did not apply (the marked line moved?)"; status=1; return
  fi
  if (cd "$WORK/$1" && coqc Separation.v >"$WORK/$1.log" 2>&1); then
    echo "broken variant $1: the proof still checks, so it does not depend on what was removed"; status=1
  else
    echo "broken variant $1: refused as expected: $(grep -m1 -E 'Error' "$WORK/$1.log" || true)"
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
variant write-read-only 's/| Some (_, _, Read_only) => stop s p  (\* ACCESS-CHECK/| Some (r, o, Read_only) => set_store s r o v  (* ACCESS-CHECK/'
# Against the write-back variant, the counterexample holds (with the variant's proofs cut out).
mkdir -p "$WORK/witness" && cp "$SRC"/proofs/Separation.v "$SRC"/tests/proofs/Counterexample.v "$WORK/witness/"
sed -i -e 's/| Some (_, _, Read_only) => stop s p  (\* ACCESS-CHECK/| Some (r, o, Read_only) => set_store s r o v  (* ACCESS-CHECK/' \
       -e '/^Theorem weak_step_consistency/,$d' "$WORK/witness/Separation.v"
echo "End Kernel." >>"$WORK/witness/Separation.v"
if (cd "$WORK/witness" && coqc -Q . Bulkhead Separation.v && coqc -Q . Bulkhead Counterexample.v) >"$WORK/witness.log" 2>&1; then
  echo "write-back variant: the counterexample checks: a reader's write reaches the writer"
else
  echo "write-back variant: the counterexample does not check:"; cat "$WORK/witness.log"; status=1
fi
variant no-sk-flow-1 's/^Hypothesis channel_flows_up : .*$/Hypothesis channel_flows_up : True./'
exit $status
