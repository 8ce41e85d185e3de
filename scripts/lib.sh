# SPDX-License-Identifier: Apache-2.0
# Shared by scripts/run.sh and scripts/attest.sh (sourced; not run on its own).

# swtpm on TCP for the administrator's tools, for the duration of one command: runs
# `"$@" --tcti swtpm:...` against the TPM state in directory $1 (shifted off first).
with_socket_tpm() {
  local state=$1; shift
  local port=$((20000 + RANDOM % 20000))
  swtpm socket --tpm2 --tpmstate "dir=$state" --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --flags not-need-init,startup-clear &
  local pid=$!
  local up=0
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { up=1; break; }; sleep 0.1; done
  if [[ $up -eq 0 ]]; then
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    echo "error: swtpm did not listen on 127.0.0.1:$port within 10 s" >&2
    return 2
  fi
  local status=0
  "$@" --tcti "swtpm:host=127.0.0.1,port=$port" || status=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  return $status
}

# swtpm for QEMU's tpm-tis: TPM state in directory $1, control socket $2; sets SWTPM_PID (the
# caller stops it). swtpm ends by itself when QEMU closes the socket (--terminate).
start_qemu_tpm() {
  rm -f "$2"
  swtpm socket --tpm2 --tpmstate "dir=$1" --ctrl "type=unixio,path=$2" --terminate &
  SWTPM_PID=$!
  for _ in $(seq 100); do [[ -S "$2" ]] && return 0; sleep 0.1; done
  echo "error: swtpm made no control socket $2 within 10 s" >&2
  return 2
}

# A fresh software TPM 2.0 with an EK in directory $1, unless one is there already.
make_tpm_state() {
  [[ -f "$1/tpm2-00.permall" ]] && return 0
  mkdir -p "$1"
  swtpm_setup --tpm2 --tpmstate "$1" --createek --overwrite >/dev/null
}

# Waits until the file $1 has a line matching $2 (extended regex): 0; a line matching $3 or the
# process $4 gone: 1; $5 seconds passed: 2.
wait_for_line() {
  local file=$1 want=$2 bad=$3 pid=$4 seconds=$5
  local end=$((SECONDS + seconds))
  while ((SECONDS < end)); do
    grep -Eq "$want" "$file" 2>/dev/null && return 0
    grep -Eq "$bad" "$file" 2>/dev/null && return 1
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2  # polling a log file under a deadline
  done
  return 2
}

# TCG lists the EPYC features it does not emulate (none that Bulkhead uses), and QEMU reports the
# signal we stop it with: keep both quiet.
quiet_tcg() { grep -v -e "TCG doesn't support requested feature" -e "terminating on signal" >&2; }

# The state directory of system $1 (BULKHEAD_SYSTEM) in build $BUILD, shared by run.sh and attest.sh.
system_state_dir() { if [[ $1 == linux ]]; then echo "$BUILD/run-linux"; else echo "$BUILD/run"; fi; }

# The system scripts/run.sh boots and scripts/attest.sh attests, prepared in directory $RUN. The
# caller sets NAME (its messages' prefix), BUILD (the build directory), BH (its bulkhead tool),
# RUN, SYSTEM (linux: Debian's Linux in both domains, policies/linux-disk.toml; demo: Bulkhead's
# demo guests, policies/default-disk.toml; both with the attestation agent on COM2) and BOOT
# (uefi: the measured boot; multiboot: the kernel unmeasured). On the first run it makes the software TPM
# ($RUN/tpm), the classified domain's LUKS2 disk and its demo recovery passphrase; each run it
# copies the policy and images, compiles the policy, builds the manifest, seals the disk key again
# when the manifest changed (the administrator's step for an intended update) and, for uefi,
# builds the ESP. Sets QEMU (the machine: TPM, disk, firmware and ESP or kernel and modules; the
# caller adds the screen and COM1, then AGENT_SERIAL, COM2 on the socket $RUN/agent.sock).
# Holds $RUN/lock until the caller exits: one run.sh or attest.sh at a time uses $RUN's TPM.
prepare_system() {
  local policy images disk_size modules=""
  case "$SYSTEM" in
    linux) policy=policies/linux-disk.toml images=(vmlinuz linux-initrd.cpio agent.elf) disk_size=64M ;;
    demo) policy=policies/default-disk.toml images=(classified.elf open.elf agent.elf) disk_size=4M ;;
    *) echo "$NAME: BULKHEAD_SYSTEM: '$SYSTEM' is not linux or demo" >&2; return 2 ;;
  esac
  case "$BOOT" in
    uefi|multiboot) ;;
    *) echo "$NAME: BULKHEAD_BOOT: '$BOOT' is not uefi or multiboot" >&2; return 2 ;;
  esac
  if [[ $SYSTEM == linux && ! -f $BUILD/guests/vmlinuz ]]; then
    echo "$NAME: no Linux guest was built (.cache/linux is missing; scripts/linux-guest.sh fetches it)" >&2
    return 1
  fi
  mkdir -p "$RUN/tpm"
  exec 9>"$RUN/lock"
  if ! flock -n 9; then
    echo "$NAME: $RUN is in use by another scripts/run.sh or scripts/attest.sh (its TPM runs one machine)" >&2
    return 2
  fi
  cp "$policy" "$RUN/policy.toml"
  local image
  for image in "${images[@]}"; do
    cp "$BUILD/guests/$image" "$RUN/"
    modules+="${modules:+,}$RUN/$image $image"
  done
  # $RUN holds secrets: the demo recovery passphrase and the software TPM's state (its seeds unseal
  # the disk). From here on everything is created owner-only, swtpm's rewrites of its state too,
  # and what an older run.sh left readable to others is made owner-only.
  umask 077
  chmod -R go= "$RUN/tpm"
  if [[ -f "$RUN/recovery-passphrase" ]]; then chmod 600 "$RUN/recovery-passphrase"; fi
  if [[ ! -f "$RUN/tpm/tpm2-00.permall" ]]; then
    echo "$NAME: first run: a software TPM in $RUN/tpm" >&2
    make_tpm_state "$RUN/tpm"
  fi
  if [[ ! -f "$RUN/classified.disk" ]]; then
    echo "$NAME: first run: the classified domain's encrypted disk ($RUN/classified.disk, LUKS2, $disk_size)" >&2
    # Demo only: kept beside the disk, readable by its owner alone (created 0600).
    head -c 24 /dev/urandom | base64 > "$RUN/recovery-passphrase"
    "$BH" disk create --policy "$RUN/policy.toml" --partition classified --size "$disk_size" -o "$RUN/classified.disk" \
      --recovery-passphrase-file "$RUN/recovery-passphrase" >/dev/null
  fi
  "$BH" policy compile "$RUN/policy.toml" --image-dir "$RUN" -o "$RUN/policy.img" >/dev/null
  # The disk is sealed to PCR 4 (the boot stage and the kernel, predicted by manifest build), PCR 8
  # and classified's own PCR on the measured UEFI path; on the multiboot path nothing measures the
  # kernel, so the seal leaves PCR 4 out and says so (--unmeasured-kernel).
  local measured=() unmeasured=()
  if [[ $BOOT == uefi ]]; then
    measured=(--boot-stage "$BUILD/sepkernel/BOOTX64.EFI" --kernel "$BUILD/sepkernel/bulkhead.elf")
  else
    unmeasured=(--unmeasured-kernel)
  fi
  "$BH" manifest build --policy-image "$RUN/policy.img" --image-dir "$RUN" "${measured[@]}" -o "$RUN/manifest.json" >/dev/null
  # Seal on the first run; after a rebuild changed what is measured, seal again with the recovery
  # passphrase (`disk seal --force`, not `reseal`: it also replaces a seal an older Bulkhead wrote,
  # sealed-key revision 1, which reseal cannot read).
  if [[ ! -f "$RUN/sealed-manifest.json" ]] || ! cmp -s "$RUN/manifest.json" "$RUN/sealed-manifest.json"; then
    echo "$NAME: sealing the disk key to this build's measured configuration ($([[ $BOOT == uefi ]] && echo "PCRs 4, 8 and 9" || echo "PCRs 8 and 9, the kernel unmeasured"))" >&2
    with_socket_tpm "$RUN/tpm" "$BH" disk seal --force "${unmeasured[@]}" --disk "$RUN/classified.disk" \
      --manifest "$RUN/manifest.json" --partition classified --passphrase-file "$RUN/recovery-passphrase" >/dev/null
    cp "$RUN/manifest.json" "$RUN/sealed-manifest.json"
  fi
  QEMU=(qemu-system-x86_64 -accel tcg -cpu EPYC -m 512 -no-reboot
    -chardev "socket,id=chrtpm,path=$RUN/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
    -drive "file=$RUN/classified.disk,format=raw,if=ide,index=0")
  if [[ $BOOT == uefi ]]; then
    "$BH" image build --policy-image "$RUN/policy.img" --image-dir "$RUN" --kernel "$BUILD/sepkernel/bulkhead.elf" \
      --boot-stage "$BUILD/sepkernel/BOOTX64.EFI" --size 96 -o "$RUN/system.esp" >/dev/null
    # Fresh firmware variables each boot, so the firmware measures the same each time. The ESP on
    # the primary channel's second position (the kernel's disks are ide 0 and 2), OVMF's first
    # boot option: PCR 4's prediction assumes the boot stage is its first boot attempt.
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$RUN/vars.fd"
    QEMU+=(-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
      -drive "if=pflash,format=raw,file=$RUN/vars.fd" -drive "file=$RUN/system.esp,format=raw,if=none,id=esp,snapshot=on"
      -device ide-hd,drive=esp,bus=ide.0,unit=1,bootindex=0)
  else
    QEMU+=(-kernel "$BUILD/sepkernel/bulkhead.elf" -initrd "$RUN/policy.img policy,$modules")
  fi
  rm -f "$RUN/agent.sock"
  AGENT_SERIAL=(-chardev "socket,id=agent,path=$RUN/agent.sock,server=on,wait=off" -serial chardev:agent)
}
