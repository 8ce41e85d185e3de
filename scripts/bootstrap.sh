#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs exactly the Debian 12 packages Bulkhead needs: `bootstrap.sh run` what building and
# running need (scripts/run.sh), `bootstrap.sh` also what the tests need (scripts/test.sh).
# Idempotent; silent when all present.
set -euo pipefail

PACKAGES=(
  # build (clang and lld link the UEFI boot stage; python3 runs the build's generators)
  cmake ninja-build g++ pkg-config binutils clang lld python3
  # libraries
  libbotan-2-dev libtss2-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  nlohmann-json3-dev libcryptsetup-dev cryptsetup-bin
  # platform: emulator, software TPM, firmware, ESP tools
  qemu-system-x86 qemu-utils swtpm swtpm-tools ovmf mtools
)
if [[ ${1:-} != run ]]; then
  PACKAGES+=(
    # tests: Catch2, the fuzzers' libFuzzer runtime, TPM tools for interop checks
    catch2 libclang-rt-14-dev tpm2-tools
    # proofs
    coq ocaml-nox ocaml-findlib python3-z3  # python3-z3: tests/proofs/z3/policy_link.py
  )
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Fetched from the Debian archive, not installed: the Linux guest's pieces and the trusted
# path's framebuffer font.
fetch() { "$(dirname "$0")/console-font.sh" && exec "$(dirname "$0")/linux-guest.sh"; }
if [[ ${#missing[@]} -eq 0 ]]; then
  fetch
fi

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# One progress line per package as apt unpacks and sets it up (the install takes minutes).
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1 |
  { grep --line-buffered -E '^(Unpacking|Setting up) ' | sed -u 's/^/bootstrap: /' || true; }
fetch
