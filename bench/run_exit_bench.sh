#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On demand, not in CI: boots the kernel once with the exit benchmark guest and prints, from that
# one boot, the cycles of a Bulkhead hypercall round trip against the cheapest intercepted exit
# (CPUID), and their ratio; then counts the kernel's lines (kernel-side code only).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
B=build/host
"$B/tools/bulkhead/bulkhead" policy compile bench/bench_exits.toml --image-dir "$B/guests" -o "$B/bench.policy" >/dev/null
line=$(timeout 120 qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -display none -no-reboot -serial stdio \
  -kernel "$B/sepkernel/bulkhead.elf" \
  -initrd "$B/bench.policy policy,$B/guests/classified.elf classified.elf,$B/guests/bench_exits.elf bench_exits.elf" \
  2>/dev/null | grep -m1 "bench:" || true)
[[ -n "$line" ]] || { echo "bench: no result within 120 s"; exit 1; }
echo "$line"
count() { cat $(git ls-files "$@") | grep -cv '^\s*$'; }
echo "kernel lines (non-blank): arch/boot/drivers/kernel $(count sepkernel/arch sepkernel/boot sepkernel/drivers sepkernel/kernel)," \
     "shared core linked into it $(count sepkernel/core/src sepkernel/core/include)"
