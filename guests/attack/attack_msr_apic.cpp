// SPDX-License-Identifier: Apache-2.0
// Attack: move the APIC base (would redirect the kernel's timer); no MSR is ever granted.
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: writing APIC base MSR");
  asm volatile("wrmsr" ::"c"(0x1Bu), "a"(0xFEF00900u), "d"(0u));
  guest::log("attack: ESCAPED (APIC base written)");
}
