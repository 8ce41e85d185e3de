// SPDX-License-Identifier: Apache-2.0
// The CPU's random number generator (RDRAND), the kernel's only secret randomness at boot: the
// salt and nonces of its TPM session come from it (kernel/random.hpp). Inline assembly lives in
// arch/ only.
#pragma once
#include <stdint.h>

#include "arch/x86_64/cpu.hpp"

namespace sk::arch {

// CPUID.01H:ECX.RDRAND[bit 30].
inline bool has_rdrand() { return (cpuid(1).ecx >> 30) & 1; }

// One RDRAND, retried up to 10 times while the CPU reports no value ready (CF clear), as Intel's
// DRNG guide advises. Precondition: has_rdrand().
inline bool rdrand64(uint64_t& out) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    uint8_t ok;
    uint64_t v;
    asm volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok)::"cc");
    if (ok) {
      out = v;
      return true;
    }
  }
  return false;
}

}  // namespace sk::arch
