#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: set-up, host build with kernel, unit + policy + integration tests, the
# ASan/UBSan and fuzzer builds, then the mutation gate beside the same unit tests under ASan/UBSan
# and each fuzzer for a fixed number of runs. Each step prints its duration.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
scripts/bootstrap.sh
echo "=== bootstrap: $((SECONDS - start)) s"
JOBS=$(nproc)

failed=0
passed=0
run_step() {  # name, command...
  local name=$1; shift
  echo "=== $name"
  local t=$SECONDS
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
  echo "=== $name: $((SECONDS - t)) s"
}

build() { cmake --preset "$1" -DBULKHEAD_REQUIRE_TESTS=ON >/dev/null && cmake --build --preset "$1" -j "$JOBS"; }

run_step "build host" build host
run_step "test host" ctest --preset host -j "$JOBS" -LE coq
run_step "build asan" build asan
if [[ -x scripts/fuzz.sh ]]; then
  run_step "build fuzz" scripts/fuzz.sh build
fi
# The mutation gate (every mutant in tests/mutation/mutants.py must make its tests fail) edits
# sources and rebuilds build/host, one mutant at a time, mostly on one core (one QEMU or one test
# binary): beside it, on the other core, the Coq proof checks (label coq: sources only), the same
# unit tests under ASan/UBSan and the fuzzers, which use their own builds, made above from the
# unedited sources. Each side exits with its number of failed steps; its output follows when both
# have ended.
mkdir -p build/logs
side_steps=2
[[ -x scripts/fuzz.sh ]] && side_steps=3
( failed=0
  run_step "mutants" /usr/bin/python3 tests/mutation/mutants.py build/host
  exit "$failed" ) > build/logs/mutants.log 2>&1 &
mutants_pid=$!
side_failed=0
( failed=0
  run_step "test coq" ctest --preset host -L coq
  run_step "test asan" ctest --preset asan -j 1
  if [[ -x scripts/fuzz.sh ]]; then run_step "fuzz" scripts/fuzz.sh run; fi
  exit "$failed" ) > build/logs/sanitizers.log 2>&1 || side_failed=$?
mutants_failed=0
wait "$mutants_pid" || mutants_failed=$?
cat build/logs/mutants.log build/logs/sanitizers.log
failed=$((failed + mutants_failed + side_failed))
passed=$((passed + 1 + side_steps - mutants_failed - side_failed))

echo "steps: $passed passed, $failed failed, $((SECONDS - start)) s"
[[ $failed -eq 0 ]]
