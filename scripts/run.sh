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
SYSTEM="${BULKHEAD_SYSTEM:-linux}"
case "$SYSTEM" in
  linux)
    # Both partitions boot the same bzImage and initramfs: one module each, found by file name.
    RUN="$BUILD/run-linux" POLICY=policies/linux-disk.toml IMAGES=(vmlinuz linux-initrd.cpio) DISK_SIZE=64M
    MODULES="$RUN/vmlinuz vmlinuz,$RUN/linux-initrd.cpio linux-initrd.cpio" ;;
  demo)
    RUN="$BUILD/run" POLICY=policies/default-disk.toml IMAGES=(classified.elf open.elf) DISK_SIZE=4M
    MODULES="$RUN/classified.elf classified.elf,$RUN/open.elf open.elf" ;;
  *) echo "run: BULKHEAD_SYSTEM: '$SYSTEM' is not linux or demo"; exit 2 ;;
esac
if [[ $SYSTEM == linux && ! -f $BUILD/guests/vmlinuz ]]; then
  echo "run: no Linux guest was built (.cache/linux is missing; scripts/linux-guest.sh fetches it)"
  exit 1
fi
mkdir -p "$RUN/tpm"
cp "$POLICY" "$RUN/policy.toml"
for image in "${IMAGES[@]}"; do cp "$BUILD/guests/$image" "$RUN/"; done

source scripts/lib.sh
SWTPM_PID=
cleanup() { [[ -n "$SWTPM_PID" ]] && kill "$SWTPM_PID" 2>/dev/null || true; }
trap cleanup EXIT

# $RUN holds secrets: the demo recovery passphrase and the software TPM's state (its seeds unseal
# the disk). From here on everything is created owner-only, swtpm's rewrites of its state too, and
# what an older run.sh left readable to others is made owner-only.
umask 077
chmod -R go= "$RUN/tpm"
if [[ -f "$RUN/recovery-passphrase" ]]; then chmod 600 "$RUN/recovery-passphrase"; fi

if [[ ! -f "$RUN/tpm/tpm2-00.permall" ]]; then
  echo "run: first run: a software TPM in $RUN/tpm"
  make_tpm_state "$RUN/tpm"
fi
if [[ ! -f "$RUN/classified.disk" ]]; then
  echo "run: creating the classified domain's encrypted disk ($RUN/classified.disk, LUKS2)"
  # Demo only: kept beside the disk, readable by its owner alone (created 0600).
  (umask 077 && head -c 24 /dev/urandom | base64 > "$RUN/recovery-passphrase")
  "$BH" disk create --policy "$RUN/policy.toml" --partition classified --size "$DISK_SIZE" -o "$RUN/classified.disk" \
    --recovery-passphrase-file "$RUN/recovery-passphrase" >/dev/null
fi
"$BH" policy compile "$RUN/policy.toml" --image-dir "$RUN" -o "$RUN/policy.img" >/dev/null
BOOT="${BULKHEAD_BOOT:-uefi}"
# The disk is sealed to PCR 4 (the boot stage and the kernel, predicted by manifest build), PCR 8
# and classified's own PCR on the measured UEFI path; on the multiboot path nothing measures the
# kernel, so the seal leaves PCR 4 out and says so (--unmeasured-kernel).
case "$BOOT" in
  uefi) MEASURED=(--boot-stage "$BUILD/sepkernel/BOOTX64.EFI" --kernel "$BUILD/sepkernel/bulkhead.elf"); UNMEASURED=() ;;
  multiboot) MEASURED=(); UNMEASURED=(--unmeasured-kernel) ;;
  *) echo "run: BULKHEAD_BOOT: '$BOOT' is not uefi or multiboot"; exit 2 ;;
esac
"$BH" manifest build --policy-image "$RUN/policy.img" --image-dir "$RUN" "${MEASURED[@]}" -o "$RUN/manifest.json" >/dev/null
# Seal on the first run; after a rebuild changed the images, re-seal with the recovery passphrase
# (the administrator's step for an intended update) so the new build opens the disk.
if [[ ! -f "$RUN/sealed-manifest.json" ]] || ! cmp -s "$RUN/manifest.json" "$RUN/sealed-manifest.json"; then
  # `disk seal --force` with the recovery passphrase (not `reseal`): it also replaces a seal an
  # older Bulkhead wrote (sealed-key revision 1, without the disk's identity), which reseal cannot read.
  echo "run: sealing the disk key to this build's measured configuration ($([[ $BOOT == uefi ]] && echo "PCRs 4, 8 and 9" || echo "PCRs 8 and 9, the kernel unmeasured"))"
  with_socket_tpm "$RUN/tpm" "$BH" disk seal --force "${UNMEASURED[@]}" --disk "$RUN/classified.disk" --manifest "$RUN/manifest.json" \
    --partition classified --passphrase-file "$RUN/recovery-passphrase" >/dev/null
  cp "$RUN/manifest.json" "$RUN/sealed-manifest.json"
fi

QEMU=(qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -no-reboot
  -chardev "socket,id=chrtpm,path=$RUN/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
  -drive "file=$RUN/classified.disk,format=raw,if=ide,index=0")
case "$BOOT" in
  uefi)
    # The ESP on the primary channel's second position (the kernel's disks are ide 0 and 2), OVMF's
    # first boot option: PCR 4's prediction assumes the boot stage is its first boot attempt.
    "$BH" image build --policy-image "$RUN/policy.img" --image-dir "$RUN" --kernel "$BUILD/sepkernel/bulkhead.elf" \
      --boot-stage "$BUILD/sepkernel/BOOTX64.EFI" --size 96 -o "$RUN/system.esp" >/dev/null
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$RUN/vars.fd"  # fresh variables: the firmware measures the same each boot
    QEMU+=(-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
      -drive "if=pflash,format=raw,file=$RUN/vars.fd" -drive "file=$RUN/system.esp,format=raw,if=none,id=esp,snapshot=on"
      -device ide-hd,drive=esp,bus=ide.0,unit=1,bootindex=0)
    echo "run: measured boot (UEFI: OVMF, the boot stage and the kernel measured; $RUN/system.esp)" ;;
  multiboot)
    QEMU+=(-kernel "$BUILD/sepkernel/bulkhead.elf" -initrd "$RUN/policy.img policy,$MODULES")
    echo "run: multiboot (fast, the kernel UNMEASURED)" ;;
esac
start_qemu_tpm "$RUN/tpm" "$RUN/swtpm.sock"
# The machine's screen when this is an interactive terminal, the serial console otherwise.
SCREEN="${BULKHEAD_SCREEN:-}"
if [[ -z "$SCREEN" ]]; then
  if [[ ! -t 0 || ! -t 1 ]]; then SCREEN=serial; elif [[ $BOOT == uefi ]]; then SCREEN=vnc; else SCREEN=curses; fi
fi
if [[ "$SCREEN" == curses && $BOOT == uefi ]]; then
  echo "run: the UEFI boot's screen is a framebuffer, which curses cannot show: BULKHEAD_SCREEN=vnc"; exit 2
fi
if [[ "$SCREEN" == vnc ]]; then
  # The framebuffer (indicator row + focused domain) over VNC; serial console and QEMU monitor here.
  VNC="${BULKHEAD_VNC_DISPLAY:-0}"
  echo "run: the screen is on VNC at 127.0.0.1:$((5900 + VNC)) (the secure attention key: Ctrl+Alt+Del from the"
  echo "     viewer, or Ctrl-A C here and 'sendkey ctrl-alt-delete'); serial console below"
  QEMU+=(-display "vnc=127.0.0.1:$VNC" -serial mon:stdio)
elif [[ "$SCREEN" == curses ]]; then
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
"${QEMU[@]}" 2> >(quiet_tcg) || [[ $? -eq 124 ]]
