#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the default two-domain system on QEMU with TCG and AMD SVM, with a software TPM (swtpm)
# and an encrypted disk for the classified domain: installs what is missing, builds, compiles the
# policy, and on the first run creates the disk and seals its key to this build's measured
# configuration. The kernel measures the policy and the images, unseals the key and serves the
# disk. BULKHEAD_SYSTEM chooses what runs:
#   linux (the default; policies/linux-disk.toml, state in build/host/run-linux/): Debian's Linux
#     in both domains; the classified one keeps an ext4 file system on its disk (/dev/vda,
#     /mnt) and shows the runs recorded there, so each run shows the data survived the last.
#   demo (policies/default-disk.toml, state in build/host/run/): Bulkhead's own demo guests; the
#     classified one counts its boots on the disk.
# BULKHEAD_BOOT chooses how it boots:
#   uefi (the default): the measured boot. OVMF measures Bulkhead's boot stage, which measures the
#     kernel, the policy and the images (an ESP made by `bulkhead image build`, $RUN/system.esp);
#     the trusted path is drawn on the firmware's framebuffer. The screen: a VNC server on
#     127.0.0.1:5900 (port 5900 + BULKHEAD_VNC_DISPLAY) when this is an interactive terminal, with
#     the serial console here.
#   multiboot: QEMU loads the kernel directly (faster; the kernel is UNMEASURED, it says so). In an
#     interactive terminal the VGA text screen is shown here (curses; serial goes to
#     build/host/run-serial.log).
# BULKHEAD_SCREEN=vnc|curses|serial overrides the screen; BULKHEAD_RUN_SECONDS=N stops it after N s.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "run: checking the Debian packages (installs what is missing; silent when all are there)"
scripts/bootstrap.sh run
echo "run: building (about 2 minutes on 2 cores the first time, 6-8 with the tests; progress below)"
cmake --preset host >/dev/null
# Ninja's progress ([n/total]) on one line in a terminal, everything else (errors) in full.
progress() {
  while IFS= read -r line; do
    if [[ $line =~ ^\[[0-9]+/[0-9]+\] ]]; then
      if [[ -t 1 ]]; then printf '\r\033[Krun: %s' "${line:0:100}"; fi
    else
      printf '%s\n' "$line"
    fi
  done
  if [[ -t 1 ]]; then echo; fi
}
if ! cmake --build --preset host -j "$(nproc)" | progress; then
  echo "run: the build failed (above)"
  exit 1
fi
echo "run: built"
BUILD=build/host
BH="$BUILD/tools/bulkhead/bulkhead"
SYSTEM="${BULKHEAD_SYSTEM:-linux}" BOOT="${BULKHEAD_BOOT:-uefi}"
# The machine's screen when this is an interactive terminal, the serial console otherwise
# (checked before anything is prepared).
SCREEN="${BULKHEAD_SCREEN:-}"
if [[ -z "$SCREEN" ]]; then
  if [[ ! -t 0 || ! -t 1 ]]; then SCREEN=serial; elif [[ $BOOT == uefi ]]; then SCREEN=vnc; else SCREEN=curses; fi
fi
if [[ "$SCREEN" == curses && $BOOT == uefi ]]; then
  echo "run: the UEFI boot's screen is a framebuffer, which curses cannot show: BULKHEAD_SCREEN=vnc"; exit 2
fi
source scripts/lib.sh
RUN=$(system_state_dir "$SYSTEM")
SWTPM_PID=
cleanup() { [[ -n "$SWTPM_PID" ]] && kill "$SWTPM_PID" 2>/dev/null || true; }
trap cleanup EXIT
NAME=run prepare_system
if [[ $BOOT == uefi ]]; then
  echo "run: measured boot (UEFI: OVMF, the boot stage and the kernel measured; $RUN/system.esp)"
else
  echo "run: multiboot (fast, the kernel UNMEASURED)"
fi
start_qemu_tpm "$RUN/tpm" "$RUN/swtpm.sock"
if [[ "$SCREEN" == vnc ]]; then
  # The framebuffer (indicator row + focused domain) over VNC; serial console and QEMU monitor here.
  VNC="${BULKHEAD_VNC_DISPLAY:-0}"
  echo "run: the screen is on VNC at 127.0.0.1:$((5900 + VNC)) (the secure attention key: Ctrl+Alt+Del from the"
  echo "     viewer, or Ctrl-A C here and 'sendkey ctrl-alt-delete'); serial console below"
  QEMU+=(-display "vnc=127.0.0.1:$VNC" -serial mon:stdio "${AGENT_SERIAL[@]}")
elif [[ "$SCREEN" == curses ]]; then
  # The machine's screen (indicator row + focused domain) in this terminal; serial to a file.
  # Alt-2 opens QEMU's monitor (`sendkey ctrl-alt-delete` = the secure attention key), Alt-1 returns.
  echo "serial log: $BUILD/run-serial.log (Alt-2: QEMU monitor, 'sendkey ctrl-alt-delete'; Alt-1: back)"
  QEMU+=(-display curses -serial "file:$BUILD/run-serial.log" "${AGENT_SERIAL[@]}")
else
  # Serial console and QEMU monitor in this terminal: Ctrl-A C, then `sendkey ctrl-alt-delete`.
  QEMU+=(-nographic -serial mon:stdio "${AGENT_SERIAL[@]}")
fi
if [[ -n "${BULKHEAD_RUN_SECONDS:-}" ]]; then
  QEMU=(timeout --foreground "$BULKHEAD_RUN_SECONDS" "${QEMU[@]}")
fi
"${QEMU[@]}" 2> >(quiet_tcg) || [[ $? -eq 124 ]]
