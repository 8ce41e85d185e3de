#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the measured system the build produced (build/host/system/attested.esp) under OVMF with a
# software TPM behind tpm-tis, and attests it: `bulkhead attest connect` sends a fresh nonce to
# the agent partition over COM2 and checks the quote and event log against the build's reference
# manifest (docs/attestation.md). State in build/host/attest/ (or $BULKHEAD_ATTEST_STATE): the
# TPM, its provisioning (EK, AK; first run) and the firmware PCRs recorded on the first boot.
#   first run: PCRs 8-9 and every Bulkhead event checked; PCRs 0-7 recorded (trust on first use)
#   later runs: PCRs 0-9 checked, the firmware's against that record
# Exit status is the verifier's: 0 PASS, 1 FAIL, 2 could not check. Further arguments go to
# `bulkhead attest connect` (--json, -o EVIDENCE.json, --nonce HEX). BULKHEAD_NO_BUILD=1 skips
# installing and building, BULKHEAD_BUILD_DIR names the build (the test suite runs this on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${BULKHEAD_NO_BUILD:-}" ]]; then
  scripts/bootstrap.sh
  cmake --preset host >/dev/null
  cmake --build --preset host -j "$(nproc)" >/dev/null
fi
source scripts/lib.sh
BUILD="${BULKHEAD_BUILD_DIR:-build/host}"
BH="$BUILD/tools/bulkhead/bulkhead"
SYSTEM="$BUILD/system"
STATE="${BULKHEAD_ATTEST_STATE:-$BUILD/attest}"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
for f in "$SYSTEM/attested.esp" "$SYSTEM/attested.policy" "$SYSTEM/attested.manifest.json" "$OVMF_CODE"; do
  [[ -f "$f" ]] || { echo "attest: $f: not found (build first: cmake --build --preset host)" >&2; exit 2; }
done
mkdir -p "$STATE"

if [[ ! -f "$STATE/provision/ak.pub.pem" ]]; then
  echo "attest: first run: a software TPM in $STATE/tpm, EK and AK provisioned" >&2
  make_tpm_state "$STATE/tpm"
  with_socket_tpm "$STATE/tpm" "$BH" tpm provision --out "$STATE/provision" >/dev/null
fi

SWTPM_PID= QEMU_PID=
cleanup() {
  [[ -n "$QEMU_PID" ]] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
  [[ -n "$SWTPM_PID" ]] && kill "$SWTPM_PID" 2>/dev/null && wait "$SWTPM_PID" 2>/dev/null
  true
}
trap cleanup EXIT
rm -f "$STATE/agent.sock" "$STATE/serial.log"
start_qemu_tpm "$STATE/tpm" "$STATE/swtpm.sock"
# Fresh firmware variables each boot, so the firmware's measurements repeat.
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$STATE/vars.fd"
echo "attest: booting $SYSTEM/attested.esp (OVMF, swtpm; serial: $STATE/serial.log)" >&2
qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -smp 2 -display none -no-reboot \
  -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,file=$STATE/vars.fd" \
  -drive "file=$SYSTEM/attested.esp,format=raw,snapshot=on" \
  -chardev "socket,id=chrtpm,path=$STATE/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
  -serial "file:$STATE/serial.log" -chardev "socket,id=agent,path=$STATE/agent.sock,server=on,wait=off" \
  -serial chardev:agent 2> >(quiet_tcg) &
QEMU_PID=$!
status=0
wait_for_line "$STATE/serial.log" '^\[agent\] agent ready on COM2' 'REFUSED|PANIC' "$QEMU_PID" 180 || status=$?
if [[ $status -ne 0 ]]; then
  [[ $status -eq 2 ]] && echo "attest: the agent did not come up within 180 s" >&2
  grep -E 'REFUSED|PANIC' "$STATE/serial.log" >&2 || echo "attest: the system stopped before its agent came up" >&2
  exit 2
fi

MANIFEST="$SYSTEM/attested.manifest.json"
RECORD=()
if [[ -f "$STATE/firmware.json" ]]; then
  MANIFEST="$STATE/manifest.recorded.json"
  "$BH" manifest build --policy-image "$SYSTEM/attested.policy" --image-dir "$BUILD/guests" \
    --firmware-pcrs "$STATE/firmware.json" -o "$MANIFEST" >/dev/null
else
  RECORD=(--record-firmware "$STATE/firmware.json")
fi
"$BH" attest connect --agent "unix:$STATE/agent.sock" --manifest "$MANIFEST" --ak "$STATE/provision/ak.pub.pem" \
  "${RECORD[@]}" "$@" || exit $?
if [[ ${#RECORD[@]} -gt 0 && -f "$STATE/firmware.json" ]]; then
  echo "attest: firmware PCRs 0-7 of this boot recorded in $STATE/firmware.json; later runs hold to them" >&2
fi
