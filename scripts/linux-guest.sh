#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches what the Linux guest (guests/linux/) is built from, from the Debian archive, into
# .cache/linux/: the bzImage of Debian's linux-image-amd64 (6.1) as vmlinuz, busybox from
# busybox-static, and rootfs/: the kernel package's own modules for the virtio-blk disk and
# ext4 and msr (/dev/cpu/N/msr, which bh-probe tries) (lib/modules/*.ko, in load order in
# lib/modules/order) and mke2fs from e2fsprogs with
# the libraries it links (from their Debian packages). Only downloads the packages
# (apt-get download) and unpacks them (dpkg-deb -x): nothing is installed on the machine.
# Idempotent; silent when present.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.cache/linux
[[ -s $DIR/vmlinuz && -s $DIR/busybox && -s $DIR/rootfs/lib/modules/msr.ko && -x $DIR/rootfs/sbin/mke2fs ]] && exit 0
mkdir -p "$DIR/debs"
image=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [[ -z $image ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  image=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
PACKAGES=("$image" busybox-static e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1 libc6)
echo "linux-guest: fetching ${PACKAGES[*]} from the Debian archive" >&2
(cd "$DIR/debs" && apt-get download -q "${PACKAGES[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
rm -rf "$DIR/unpacked" && mkdir -p "$DIR/unpacked"
for deb in "$DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$DIR/unpacked"; done
U=$DIR/unpacked
# The modules, in the order their dependencies need (modinfo's depends= and softdep).
MODULES=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
  drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
  crypto/crc32c_generic lib/crc16 fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 arch/x86/kernel/msr)
R=$DIR/rootfs.tmp
rm -rf "$R" && mkdir -p "$R/lib/modules" "$R/sbin" "$R/lib/x86_64-linux-gnu" "$R/lib64"
: >"$R/lib/modules/order"
for m in "${MODULES[@]}"; do
  cp "$U"/lib/modules/*/kernel/$m.ko "$R/lib/modules/"
  echo "$(basename "$m").ko" >>"$R/lib/modules/order"
done
cp "$U/sbin/mke2fs" "$R/sbin/mke2fs"
for lib in libext2fs.so.2 libe2p.so.2 libcom_err.so.2 libblkid.so.1 libuuid.so.1 libc.so.6; do
  found=$U/lib/x86_64-linux-gnu/$lib
  [[ -e $found ]] || found=$U/usr/lib/x86_64-linux-gnu/$lib
  cp -L "$found" "$R/lib/x86_64-linux-gnu/$lib"
done
cp -L "$U/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$R/lib64/ld-linux-x86-64.so.2"
rm -rf "$DIR/rootfs" && mv "$R" "$DIR/rootfs"
cp "$U"/boot/vmlinuz-* "$DIR/vmlinuz.tmp" && mv "$DIR/vmlinuz.tmp" "$DIR/vmlinuz"
cp "$U/bin/busybox" "$DIR/busybox.tmp" && mv "$DIR/busybox.tmp" "$DIR/busybox"
echo "linux-guest: $(basename "$(ls "$DIR"/debs/linux-image-*.deb)") ready in $DIR" >&2
rm -rf "$U" "$DIR/debs"
