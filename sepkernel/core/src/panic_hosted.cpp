// SPDX-License-Identifier: Apache-2.0
// Hosted half of the panic shim (tests and tools); the kernel provides its own.
#if __STDC_HOSTED__
#include <cstdio>
#include <cstdlib>

#include "sk/panic.hpp"

namespace sk {
[[noreturn]] void panic(const char* reason) {
  std::fprintf(stderr, "bulkhead: panic: %s\n", reason);
  std::abort();
}
}  // namespace sk
#endif
