// SPDX-License-Identifier: Apache-2.0
// Attack: EFER. A partition owns SCE, LME and NXE of its own EFER (a 64-bit guest needs them);
// it never sees SVME, and setting SVME (to run its own VMs, or to reach the kernel's switch
// state) or clearing LMA is an MSR violation.
#include "guest.hpp"

namespace {
uint64_t read_efer() {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080u));
  return (uint64_t(hi) << 32) | lo;
}
}  // namespace

extern "C" void guest_main() {
  const uint64_t before = read_efer();
  asm volatile("wrmsr" ::"c"(0xC0000080u), "a"(0x801u), "d"(0u));  // SCE | NXE: its own to set
  const uint64_t after = read_efer();
  asm volatile("wrmsr" ::"c"(0xC0000080u), "a"(0u), "d"(0u));  // and to clear
  guest::log("attack: EFER read 0x%x, 0x%x after setting SCE and NXE, 0x%x after clearing", uint32_t(before),
             uint32_t(after), uint32_t(read_efer()));
  guest::log("attack: writing EFER.SVME");
  asm volatile("wrmsr" ::"c"(0xC0000080u), "a"(0x1000u), "d"(0u));
  guest::log("attack: ESCAPED (EFER.SVME written)");
}
