#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On demand, not in CI: QEMU start to both domains running on the measured UEFI path against the
# multiboot path and against OVMF booting to its shell, in one run (bench/boot_bench.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
cmake --build --preset host --target bh_boot_bench >/dev/null
build/host/bench/bh_boot_bench
