#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (clang, ASan/UBSan) and runs each for a fixed number of
# executions from a seed corpus made of the project's own fixtures. Fails on any finding.
# `fuzz.sh build` builds and makes the seeds only, `fuzz.sh run` runs what a build made (the test
# command runs them beside the mutation gate, which edits sources but not the fuzzers' build).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${BULKHEAD_FUZZ_RUNS:-50000}
MODE=${1:-all}
OUT=build/fuzz/out
case "$MODE" in
  all|build|run) ;;
  *) echo "fuzz.sh: '$MODE' is not build or run" >&2; exit 2 ;;
esac
build_fuzzers() {  # the targets, and their seeds in $OUT
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$(nproc)" >/dev/null
  rm -rf "$OUT" && mkdir -p "$OUT"/{toml,image,sealed,eventlog,quote,tpm,bzimage}

  # Seeds: every policy source in the tree; compiled images of the valid ones.
  cp policies/*.toml tests/policy/fixtures/*.toml "$OUT/toml/"
  for p in policies/*.toml; do
    "${BULKHEAD_BIN:-build/host/tools/bulkhead/bulkhead}" policy compile "$p" --image-dir tests/policy/fixtures/images \
      -o "$OUT/image/$(basename "$p" .toml).img" >/dev/null 2>&1 || true
  done
  [[ -n "$(ls "$OUT/image")" ]] || head -c 64 /dev/zero > "$OUT/image/empty"
  head -c 64 /dev/zero > "$OUT/sealed/empty"
  # The first bytes of a log header (PCR 0, EV_NO_ACTION); libFuzzer grows the rest.
  printf '\0\0\0\0\3\0\0\0' > "$OUT/eventlog/seed"
  # Mode byte, then a TPMS_ATTEST start (TPM_GENERATED, TPM_ST_ATTEST_QUOTE); and evidence JSON.
  printf '\0\377TCG\200\030\0\0' > "$OUT/quote/attest"
  # Mode 3: an EK certificate (a DER SEQUENCE start).
  printf '\3\060\202\001\000\060\201\360' > "$OUT/quote/certificate"
  printf '\1{"format":"bulkhead-evidence","version":1,"nonce":"00","quote":{"attest":"","signature":""},"event_log":""}' \
    > "$OUT/quote/evidence"
  # A TPM response header with sessions (tag 0x8002, size 10, success).
  printf '\200\002\0\0\0\012\0\0\0\0' > "$OUT/tpm/seed"

  # A bzImage setup header (boot protocol 2.15, 4 setup sectors, init_size 1 MiB, a 1 KiB kernel),
  # then 8 bytes: RAM size, initramfs size, command line length (linux_boot_fuzz.cpp).
  python3 -c 'import sys; b=bytearray(3584); b[0x1f1]=4; b[0x1fe:0x200]=b"\x55\xaa"; b[0x201]=0x6a; b[0x202:0x206]=b"HdrS"; b[0x206:0x208]=b"\x0f\x02"; b[0x211]=1; b[0x230:0x234]=b"\0\0\x20\0"; b[0x238:0x23c]=b"\xff\x07\0\0"; b[0x258:0x260]=b"\0\0\0\1\0\0\0\0"; b[0x260:0x264]=b"\0\0\x10\0"; sys.stdout.buffer.write(bytes(b)+b"\0\0\x01\0\0\x01\x40\0")' \
    > "$OUT/bzimage/header"
}

run_fuzzers() {  # each target from its seeds; 1 on any finding
  status=0
  run() {  # target corpus
    local log="$OUT/$1.log"
    if build/fuzz/fuzz/"$1" -runs="$RUNS" -max_len=8192 -seed=1 "$2" >"$log" 2>&1; then
      echo "fuzz: $1: $RUNS runs, no finding"
    else
      echo "fuzz: $1: FAILED (log follows)"; tail -40 "$log"; status=1
    fi
  }
  run policy_toml_fuzz "$OUT/toml"
  run policy_image_fuzz "$OUT/image"
  run sealed_key_fuzz "$OUT/sealed"
  run event_log_fuzz "$OUT/eventlog"
  run quote_fuzz "$OUT/quote"
  run tpm_response_fuzz "$OUT/tpm"
  run linux_boot_fuzz "$OUT/bzimage"
  return $status
}

if [[ $MODE != run ]]; then build_fuzzers; fi
if [[ $MODE != build ]]; then run_fuzzers; fi
