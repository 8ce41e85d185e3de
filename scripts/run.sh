#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the default two-domain system (policies/default.toml) on QEMU with TCG and AMD SVM:
# installs what is missing, builds, compiles the policy, boots. The serial console is this
# In an interactive terminal it shows the machine's screen (trusted-path indicator and the focused
# domain; serial goes to build/host/run-serial.log); otherwise the serial console. Choose with
# BULKHEAD_SCREEN=curses|serial. BULKHEAD_RUN_SECONDS=N stops it after N seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
BUILD=build/host
"$BUILD/tools/bulkhead/bulkhead" policy compile policies/default.toml --image-dir "$BUILD/guests" \
  -o "$BUILD/default.policy"
QEMU=(qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -no-reboot
  -kernel "$BUILD/sepkernel/bulkhead.elf"
  -initrd "$BUILD/default.policy policy,$BUILD/guests/classified.elf classified.elf,$BUILD/guests/open.elf open.elf")
# The machine's screen when this is an interactive terminal, the serial console otherwise;
# BULKHEAD_SCREEN=curses|serial chooses.
SCREEN="${BULKHEAD_SCREEN:-}"
if [[ -z "$SCREEN" ]]; then
  if [[ -t 0 && -t 1 ]]; then SCREEN=curses; else SCREEN=serial; fi
fi
if [[ "$SCREEN" == curses ]]; then
  # The machine's screen (indicator row + focused domain) in this terminal; serial to a file.
  # Alt-2 opens QEMU's monitor (`sendkey ctrl-alt-delete` = the secure attention key), Alt-1 returns.
  echo "serial log: $BUILD/run-serial.log (Alt-2: QEMU monitor, 'sendkey ctrl-alt-delete'; Alt-1: back)"
  QEMU+=(-display curses -serial "file:$BUILD/run-serial.log")
else
  # Serial console and QEMU monitor in this terminal: Ctrl-A C, then `sendkey ctrl-alt-delete`.
  QEMU+=(-nographic)
fi
if [[ -n "${BULKHEAD_RUN_SECONDS:-}" ]]; then
  QEMU=(timeout --foreground "$BULKHEAD_RUN_SECONDS" "${QEMU[@]}")
fi
# TCG lists the EPYC features it does not emulate (none that Bulkhead uses): keep them quiet.
"${QEMU[@]}" 2> >(grep -v "TCG doesn't support requested feature" >&2) || [[ $? -eq 124 ]]
