// SPDX-License-Identifier: Apache-2.0
// Attack: touch the i8042 keyboard controller's status port 0x64 (kernel-owned, SK-DEV-2).
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: reading i8042 port 0x64");
  uint8_t v;
  asm volatile("inb $0x64, %0" : "=a"(v));
  guest::log("attack: ESCAPED (port 0x64 read 0x%x)", v);
}
