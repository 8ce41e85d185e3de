#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: set-up, host build with kernel, unit + policy + integration tests, the
# mutation gate, the same unit tests under ASan/UBSan, then each fuzzer for a fixed number of runs.
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
run_step "test host" ctest --preset host -j "$JOBS"
# The mutation gate: every mutant in tests/mutation/mutants.py must make its tests fail.
run_step "mutants" /usr/bin/python3 tests/mutation/mutants.py build/host
run_step "build asan" build asan
run_step "test asan" ctest --preset asan -j "$JOBS"
if [[ -x scripts/fuzz.sh ]]; then
  run_step "fuzz" scripts/fuzz.sh
fi

echo "steps: $passed passed, $failed failed, $((SECONDS - start)) s"
[[ $failed -eq 0 ]]
