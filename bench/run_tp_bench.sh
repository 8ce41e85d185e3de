#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On demand, not in CI: the kernel cost of a secure-attention-key focus switch against one bare
# VM exit, measured in one boot of the benchmark kernel (bench/tp_switch_bench.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
cmake --build --preset host --target bulkhead_bench_kernel bh_tp_bench >/dev/null
build/host/bench/bh_tp_bench
