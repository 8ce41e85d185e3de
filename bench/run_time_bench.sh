#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On demand, not in CI. Time isolation (SK-TIME-1), in one run: the victim partition
# (guests/time/time_victim.cpp, "open") records its own frame starts and CPU share while the
# other partition ("classified") is
#   1. idle: the demo guest, which sleeps by yielding;
#   2. flooding: guests/time/time_flood.cpp on an encrypted disk (full 64-request doorbells,
#      refused hypercalls that write audit lines, maximal debug-log lines, CPUID exits);
# and prints both victims' third window (100 frames) and the ratios flood / idle.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
B=build/host
W=$(mktemp -d /tmp/bh-time-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cli() { "$B/tools/bulkhead/bulkhead" "$@" >/dev/null 2> >(grep -v "writing data area" >&2); }
cp "$B"/guests/{classified,time_flood,time_victim}.elf "$W/"

# The victim's third window: frames 200..300, after both partitions settled.
victim_window() {  # policy image, classified image, extra QEMU arguments...
  local image=$1 classified=$2; shift 2
  local log="$W/serial-$classified.log"
  timeout 120 qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -display none -no-reboot -serial "file:$log" "$@" \
    -kernel "$B/sepkernel/bulkhead.elf" \
    -initrd "$image policy,$W/$classified $classified,$W/time_victim.elf time_victim.elf" 2> >(quiet_tcg) &
  local qemu=$!
  wait_for_line "$log" "\[open\] time: window=3 " "PANIC" "$qemu" 110 || true
  kill "$qemu" 2>/dev/null; wait "$qemu" 2>/dev/null || true
  grep -m1 "\[open\] time: window=3 " "$log" || true
}

sed -e 's/image = "open.elf"/image = "time_victim.elf"/' policies/default.toml >"$W/idle.toml"
cli policy compile "$W/idle.toml" --image-dir "$W" -o "$W/idle.policy"
idle=$(victim_window "$W/idle.policy" classified.elf)

sed -e 's/image = "open.elf"/image = "time_victim.elf"/' \
    -e 's/image = "classified.elf"/image = "time_flood.elf"\ndisk = "flood.disk"/' policies/default.toml >"$W/flood.toml"
printf 'benchmark passphrase\n' >"$W/pass"
cli disk create --policy "$W/flood.toml" --partition classified --size 4M -o "$W/flood.disk" \
  --recovery-passphrase-file "$W/pass"
cli policy compile "$W/flood.toml" --image-dir "$W" -o "$W/flood.policy"
cli manifest build --policy-image "$W/flood.policy" --image-dir "$W" -o "$W/manifest.json"
make_tpm_state "$W/tpm"
with_socket_tpm "$W/tpm" cli disk seal --disk "$W/flood.disk" --manifest "$W/manifest.json" \
  --partition classified --passphrase-file "$W/pass"
start_qemu_tpm "$W/tpm" "$W/tpm.sock"
flood=$(victim_window "$W/flood.policy" time_flood.elf -chardev "socket,id=chrtpm,path=$W/tpm.sock" \
  -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
  -drive "file=$W/flood.disk,format=raw,if=ide,index=0")
kill "$SWTPM_PID" 2>/dev/null || true

[[ -n "$idle" && -n "$flood" ]] || { echo "bench: no victim window (idle: '${idle}', flood: '${flood}')"; exit 1; }
field() { sed -E "s/.*$1=([0-9]+).*/\1/" <<<"$2"; }
echo "victim, other partition idle:     ${idle#*time: }"
echo "victim, other partition flooding: ${flood#*time: }"
awk -v di="$(field worst_start_us "$idle")" -v df="$(field worst_start_us "$flood")" \
    -v si="$(field share_permille "$idle")" -v sf="$(field share_permille "$flood")" 'BEGIN {
  printf "ratio flood/idle: worst frame-start deviation %.2f (%d us / %d us), CPU share %.3f (%d / %d permille)\n",
         (di ? df / di : 0), df, di, (si ? sf / si : 0), sf, si }'
