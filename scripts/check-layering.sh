#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kernel's layering (STYLE.md; docs/kernel.md, "Source layout"): sepkernel/arch/ includes only
# arch/ and the shared core (sk/) and reaches the kernel only through the hooks it declares
# (arch/x86_64/hooks.hpp, and the entry points its assembly jumps to); inline assembly, where the
# privileged instructions are, only in arch/ (the UEFI boot stage, sepkernel/uefi/, is a program
# of its own and switches CPU modes itself). One line per breach; exit 1 if there is any.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}/sepkernel"
status=0
while IFS= read -r hit; do
  echo "layering: $hit: arch/ includes a header from above it (only \"arch/...\" and \"sk/...\")"
  status=1
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' arch | grep -vE '#[[:space:]]*include[[:space:]]*"(arch|sk)/' || true)
while IFS= read -r hit; do
  echo "layering: $hit: inline assembly outside arch/"
  status=1
done < <(grep -rnE '(^|[^[:alnum:]_])(asm|__asm__)[[:space:]]*(volatile|__volatile__)?[[:space:]]*\(' \
           --include='*.cpp' --include='*.hpp' --include='*.h' kernel drivers virt core || true)
while IFS= read -r file; do
  echo "layering: $file: an assembly file outside arch/"
  status=1
done < <(find kernel drivers virt core -name '*.S' -o -name '*.s' -o -name '*.asm')
[[ $status -eq 0 ]] && echo "layering: arch/ includes only arch/ and sk/; no assembly outside arch/"
exit $status
