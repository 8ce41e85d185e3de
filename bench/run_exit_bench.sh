#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On demand, not in CI. Boots the benchmark kernel (the product kernel plus a bare
# VMMCALL->VMRUN loop, SK_BENCH_FLOOR) with the exit benchmark guest, twice:
#   1. plain TCG: TSC cycles of a Bulkhead hypercall round trip, a CPUID exit and the bare
#      VMMCALL->VMRUN floor, all measured in that one boot, with their ratios;
#   2. -icount shift=0: the TSC then counts emulated instructions, so the same guest reports the
#      instructions of each round trip (guest + kernel exit path).
# Each boot also reports the world switch's second half (XSAVE/XRSTOR, XCR0, DR0-DR3), measured
# by the benchmark kernel at each change of partition.
# Then counts the kernel's lines (kernel-side code only).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
cmake --build --preset host --target bulkhead_bench_kernel >/dev/null
B=build/host
"$B/tools/bulkhead/bulkhead" policy compile bench/bench_exits.toml --image-dir "$B/guests" -o "$B/bench.policy" >/dev/null
boot() {
  timeout 180 qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -display none -no-reboot -serial stdio "$@" \
    -kernel "$B/sepkernel/bulkhead-bench.elf" \
    -initrd "$B/bench.policy policy,$B/guests/classified.elf classified.elf,$B/guests/bench_exits.elf bench_exits.elf" \
    2>/dev/null | grep -m2 "bench:" || true
}
report() {  # label, the boot's two bench lines
  local exits switch
  exits=$(grep -v "world switch" <<<"$2" | head -1)
  switch=$(grep "world switch" <<<"$2" | head -1)
  [[ -n "$exits" && -n "$switch" ]] || { echo "bench: no result within 180 s ($1)"; exit 1; }
  echo "$1 per round trip (one boot): ${exits#*bench: }"
  echo "$1 per partition switch, same boot: ${switch#*bench: }"
}
report "TSC cycles" "$(boot)"
report "emulated instructions (-icount shift=0)" "$(boot -icount shift=0)"
count() { cat $(git ls-files "$@") | grep -cv '^\s*$'; }
echo "kernel lines (non-blank): arch/drivers/kernel/virt $(count sepkernel/arch sepkernel/drivers sepkernel/kernel sepkernel/virt)," \
     "shared core linked into it $(count sepkernel/core/src sepkernel/core/include)"
