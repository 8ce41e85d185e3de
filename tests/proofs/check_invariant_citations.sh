#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every invariant ID the proofs assume (cited in proofs/*.v) is a rule in invariants.hpp, is
# enforced by the validator (sepkernel/core/src/validate*.cpp names its Rule) and has an invalid
# fixture in tests/policy/fixtures/ named after it.
set -euo pipefail
SRC=$1
status=0
ids=$(grep -ohE 'SK-[A-Z]+-[0-9]+' "$SRC"/proofs/*.v | sort -u)
[[ -n "$ids" ]] || { echo "no invariant cited in proofs/"; exit 1; }
for id in $ids; do
  rule=$(grep -oE "X\(([a-z_]+), \"$id\"" "$SRC/sepkernel/core/include/sk/invariants.hpp" | sed -E 's/X\(([a-z_]+),.*/\1/')
  if [[ -z "$rule" ]]; then echo "$id: cited by proofs/ but not a rule in invariants.hpp"; status=1; continue; fi
  if ! grep -q "Rule::$rule\b" "$SRC"/sepkernel/core/src/validate*.cpp; then
    echo "$id: no validator rule reports Rule::$rule"; status=1
  fi
  lower=$(tr 'A-Z' 'a-z' <<<"$id")
  if ! ls "$SRC"/tests/policy/fixtures/"$lower"-*.toml >/dev/null 2>&1; then
    echo "$id: no fixture tests/policy/fixtures/$lower-*.toml"; status=1
  fi
  [[ $status -eq 0 ]] && echo "$id: validator Rule::$rule, fixtures $(basename -a "$SRC"/tests/policy/fixtures/"$lower"-*.toml | paste -sd " ")"
done
exit $status
