#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the system scripts/run.sh boots, measured (UEFI: OVMF, swtpm behind tpm-tis), and attests
# it: `bulkhead attest connect` sends a fresh nonce to the agent partition over COM2 and checks the
# quote and event log against the reference manifest of this build, PCR 4 predicted from the boot
# stage and the kernel (docs/attestation.md). The system and its state are run.sh's, prepared the
# same way (scripts/lib.sh, prepare_system): BULKHEAD_SYSTEM=linux (the default) or demo, in
# build/host/run-linux/ or build/host/run/ (or $BULKHEAD_ATTEST_STATE): the TPM, the classified
# domain's disk, the policy, the ESP; attestation's own state in its attest/: the TPM's
# provisioning (EK, AK; first run), the firmware record and the evidence of the last run.
#   first run: provisions the TPM, checks PCRs 4 and 8-15, every Bulkhead event and the firmware's
#              events, and records PCRs 0-7, signed by the administrator key (trust on first use)
#   later runs: PCRs 0-15 checked, the firmware's against that signed record; a record that is
#              missing, cut, edited or partial fails (--record-firmware records this boot anew)
# The evidence each run verified stays in attest/evidence/ for tpm2_checkquote and tpm2_eventlog
# (docs/attestation.md, "Re-checking by hand").
# The administrator key: $BULKHEAD_ADMIN_KEY (private PEM, as `bulkhead disk admin-key` writes it;
# BULKHEAD_ADMIN_PUBLIC its public PEM, default "${BULKHEAD_ADMIN_KEY%.pem}.pub.pem"); without it a
# demo key is made in attest/admin/, beside the record it signs (it then protects the record only
# from who cannot write the state directory).
# Exit status is the verifier's: 0 PASS, 1 FAIL, 2 could not check. Further arguments go to
# `bulkhead attest connect` (--json, -o EVIDENCE.json, --nonce HEX). BULKHEAD_NO_BUILD=1 skips
# installing and building, BULKHEAD_BUILD_DIR names the build (the test suite runs this on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
RECORD_ASKED=
ARGS=()
for a in "$@"; do
  if [[ "$a" == --record-firmware ]]; then RECORD_ASKED=1; else ARGS+=("$a"); fi
done
if [[ -z "${BULKHEAD_NO_BUILD:-}" ]]; then
  scripts/bootstrap.sh
  cmake --preset host >/dev/null
  cmake --build --preset host -j "$(nproc)" >/dev/null
fi
source scripts/lib.sh
BUILD="${BULKHEAD_BUILD_DIR:-build/host}"
BH="$BUILD/tools/bulkhead/bulkhead"
SYSTEM="${BULKHEAD_SYSTEM:-linux}" BOOT=uefi
RUN="${BULKHEAD_ATTEST_STATE:-$(system_state_dir "$SYSTEM")}"
STATE="$RUN/attest"
SWTPM_PID= QEMU_PID=
cleanup() {
  [[ -n "$QEMU_PID" ]] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
  [[ -n "$SWTPM_PID" ]] && kill "$SWTPM_PID" 2>/dev/null && wait "$SWTPM_PID" 2>/dev/null
  true
}
trap cleanup EXIT
NAME=attest prepare_system
mkdir -p "$STATE"

if [[ -n "${BULKHEAD_ADMIN_KEY:-}" ]]; then
  ADMIN_KEY="$BULKHEAD_ADMIN_KEY"
  ADMIN_PUBLIC="${BULKHEAD_ADMIN_PUBLIC:-${BULKHEAD_ADMIN_KEY%.pem}.pub.pem}"
else
  ADMIN_KEY="$STATE/admin/admin.pem" ADMIN_PUBLIC="$STATE/admin/admin.pub.pem"
  if [[ ! -f "$ADMIN_KEY" ]]; then
    mkdir -p "$STATE/admin"
    "$BH" disk admin-key -o "$ADMIN_KEY" --public "$ADMIN_PUBLIC" >/dev/null
    echo "attest: a demo administrator key in $STATE/admin signs the firmware record (set BULKHEAD_ADMIN_KEY to yours)" >&2
  fi
fi

if [[ ! -f "$STATE/provision/ak.pub" ]]; then
  echo "attest: first run: EK and AK provisioned in $RUN/tpm" >&2
  with_socket_tpm "$RUN/tpm" "$BH" tpm provision -o "$STATE/provision" >/dev/null
  RECORD_ASKED=1
fi

MANIFEST="$RUN/manifest.json"
RECORD=()
if [[ -n "$RECORD_ASKED" ]]; then
  RECORD=(--record-firmware "$STATE/firmware.json" --admin-key "$ADMIN_KEY")
elif [[ -f "$STATE/firmware.json" ]]; then
  MANIFEST="$STATE/manifest.recorded.json"
  status=0
  "$BH" manifest build --policy-image "$RUN/policy.img" --image-dir "$RUN" \
    --boot-stage "$BUILD/sepkernel/BOOTX64.EFI" --kernel "$BUILD/sepkernel/bulkhead.elf" \
    --firmware-pcrs "$STATE/firmware.json" --admin-public "$ADMIN_PUBLIC" -o "$MANIFEST" >/dev/null || status=$?
  if [[ $status -ne 0 ]]; then
    echo "attestation: FAIL: the firmware record $STATE/firmware.json is refused (above)" >&2
    exit $status
  fi
else
  echo "attest: no firmware record in $STATE/firmware.json (deleted?): firmware PCRs 0-7 cannot be held;" \
       "run with --record-firmware on a boot you trust" >&2
fi

rm -f "$STATE/serial.log"
start_qemu_tpm "$RUN/tpm" "$RUN/swtpm.sock"
echo "attest: booting $RUN/system.esp (OVMF, swtpm; serial: $STATE/serial.log)" >&2
"${QEMU[@]}" -display none -serial "file:$STATE/serial.log" "${AGENT_SERIAL[@]}" 2> >(quiet_tcg) &
QEMU_PID=$!
status=0
wait_for_line "$STATE/serial.log" '^\[agent\] agent ready on COM2' 'REFUSED|PANIC' "$QEMU_PID" 180 || status=$?
if [[ $status -ne 0 ]]; then
  [[ $status -eq 2 ]] && echo "attest: the agent did not come up within 180 s" >&2
  grep -E 'REFUSED|PANIC' "$STATE/serial.log" >&2 || echo "attest: the system stopped before its agent came up" >&2
  exit 2
fi

rm -rf "$STATE/evidence"
"$BH" attest connect --agent "unix:$RUN/agent.sock" --manifest "$MANIFEST" --ak "$STATE/provision/ak.pub" \
  --ek "$STATE/provision/ek.pub" --keep "$STATE/evidence" "${RECORD[@]}" "${ARGS[@]}" || exit $?
