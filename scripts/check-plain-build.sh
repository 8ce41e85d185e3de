#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The build works with CMake's default generator (Unix Makefiles), not only with the presets'
# Ninja. Makefiles run a custom command's WORKING_DIRECTORY as `cd DIR && ...`, so DIR must exist
# before the command runs (Ninja creates it, make does not): the Coq extraction once failed with
# "can't cd to .../tests/proofs/model". This configures a fresh tree with Unix Makefiles, checks
# that every directory a generated Makefile cds into exists, then builds the extraction.
# Usage: check-plain-build.sh SOURCE_DIR   (about 10 s; the tree is removed afterwards)
set -euo pipefail
src=$(cd "${1:?usage: check-plain-build.sh SOURCE_DIR}" && pwd)
tree=$(mktemp -d "${TMPDIR:-/tmp}/bh-plain-build-XXXXXX")
trap 'rm -rf "$tree"' EXIT
if ! cmake -S "$src" -B "$tree" -G "Unix Makefiles" >"$tree/configure.log" 2>&1; then
  cat "$tree/configure.log"
  echo "check-plain-build: configuring with Unix Makefiles failed (above)"
  exit 1
fi
missing=0
while read -r dir; do
  if [[ ! -d "$dir" ]]; then
    echo "check-plain-build: a Makefile runs a command in ${dir#"$tree"/}, which does not exist after configuring"
    missing=$((missing + 1))
  fi
done < <(find "$tree" -name build.make -exec grep -ohE '^[[:space:]]cd [^ ]+ &&' {} + | awk '{print $2}' | sort -u)
if ((missing > 0)); then
  echo "check-plain-build: $missing working directories missing: create them at configure time (file(MAKE_DIRECTORY))"
  exit 1
fi
if ! cmake --build "$tree" --target model_driver >"$tree/build.log" 2>&1; then
  cat "$tree/build.log"
  echo "check-plain-build: the Coq extraction (target model_driver) failed with Unix Makefiles (above)"
  exit 1
fi
echo "check-plain-build: Unix Makefiles: every working directory exists; model_driver built"
