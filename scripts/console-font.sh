#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches the font the kernel draws the trusted path with on a framebuffer (the measured UEFI
# boot): default8x16.psf from Debian's console-data package (the PC's code page 437 in 8x16
# cells, as VGA text mode shows it), into .cache/font/. Only downloads the package (apt-get
# download) and unpacks it: nothing is installed on the machine. The build turns the font into
# a table (scripts/psf-to-cpp.py). Idempotent; silent when present.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.cache/font
[[ -s $DIR/default8x16.psf ]] && exit 0
mkdir -p "$DIR/debs"
echo "console-font: fetching console-data from the Debian archive" >&2
if ! (cd "$DIR/debs" && apt-get download -q console-data 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2; \
      ls console-data_*.deb >/dev/null 2>&1); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  (cd "$DIR/debs" && apt-get download -q console-data 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
fi
rm -rf "$DIR/unpacked" && mkdir -p "$DIR/unpacked"
dpkg-deb -x "$DIR"/debs/console-data_*.deb "$DIR/unpacked"
gzip -dc "$DIR/unpacked/usr/share/consolefonts/default8x16.psf.gz" >"$DIR/default8x16.psf.tmp"
mv "$DIR/default8x16.psf.tmp" "$DIR/default8x16.psf"
echo "console-font: $(basename "$(ls "$DIR"/debs/console-data_*.deb)") ready in $DIR" >&2
rm -rf "$DIR/unpacked" "$DIR/debs"
