#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the default two-domain system. Until the kernel lands it runs the policy pipeline
# on policies/default.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)" >/dev/null
BULKHEAD=build/host/tools/bulkhead/bulkhead
"$BULKHEAD" policy check policies/default.toml
"$BULKHEAD" policy compile policies/default.toml -o build/host/default.policy
"$BULKHEAD" policy show build/host/default.policy
