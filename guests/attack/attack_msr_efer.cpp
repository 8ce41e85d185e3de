// SPDX-License-Identifier: Apache-2.0
// Attack: write EFER (clearing SVME would break the world switch); no MSR is ever granted.
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: writing EFER");
  asm volatile("wrmsr" ::"c"(0xC0000080u), "a"(0u), "d"(0u));
  guest::log("attack: ESCAPED (EFER written)");
}
