// SPDX-License-Identifier: Apache-2.0
// Attack: flood the kernel with exits (CPUID in a tight loop) to starve the other partition.
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: flooding exits");
  for (uint32_t i = 0;; ++i) {
    uint32_t a = 0, b, c = 0, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if ((i & 0xFFFF) == 0) guest::log("flood %u", i >> 16);
  }
}
