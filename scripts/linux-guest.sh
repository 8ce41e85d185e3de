#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches what the Linux guest (guests/linux/) is built from, from the Debian archive, into
# .cache/linux/: the bzImage of Debian's linux-image-amd64 (6.1) as vmlinuz, and busybox from
# busybox-static. Only downloads the two packages (apt-get download) and unpacks them
# (dpkg-deb -x): nothing is installed on the machine. Idempotent; silent when present.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.cache/linux
[[ -s $DIR/vmlinuz && -s $DIR/busybox ]] && exit 0
mkdir -p "$DIR/debs"
image=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [[ -z $image ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  image=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
echo "linux-guest: fetching $image and busybox-static from the Debian archive" >&2
(cd "$DIR/debs" && apt-get download -q "$image" busybox-static 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
rm -rf "$DIR/unpacked" && mkdir -p "$DIR/unpacked"
for deb in "$DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$DIR/unpacked"; done
cp "$DIR"/unpacked/boot/vmlinuz-* "$DIR/vmlinuz.tmp" && mv "$DIR/vmlinuz.tmp" "$DIR/vmlinuz"
cp "$DIR/unpacked/bin/busybox" "$DIR/busybox.tmp" && mv "$DIR/busybox.tmp" "$DIR/busybox"
rm -rf "$DIR/unpacked" "$DIR/debs"
echo "linux-guest: $(basename "$(ls "$DIR"/debs/linux-image-*.deb)") ready in $DIR" >&2
