// SPDX-License-Identifier: Apache-2.0
// Attack: draw on the host's VGA text memory at 0xB8000 (the trusted path's, SK-DEV-2).
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: writing VGA memory 0xb8000");
  *reinterpret_cast<volatile uint16_t*>(0xB8000u) = 0x4F21;
  guest::log("attack: wrote 0xb8000 (own memory: the host's VGA is not mapped here)");
  *reinterpret_cast<volatile uint16_t*>(0xFEE00000u) = 0;
  guest::log("attack: ESCAPED (LAPIC written)");
}
