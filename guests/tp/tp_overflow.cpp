// SPDX-License-Identifier: Apache-2.0
// Spoofing guest: writes around its virtual screen toward the indicator: the cells just before
// 0xB8000 ("row -1"), row 0, the cells after row 24, and then the host's real VGA memory through
// an address past its own RAM (0xB8000 + 16 MiB), which must fault (SK-MEM-3).
#include "console.hpp"
#include "guest.hpp"

extern "C" void guest_main() {
  auto* before = reinterpret_cast<volatile uint16_t*>(0xB8000u - 160);
  for (uint32_t i = 0; i < 80; ++i) before[i] = 0x4F21;          // "row -1": its own RAM
  for (uint32_t i = 0; i < 80; ++i) guest::k_screen[i] = 0x4F21;  // its row 0: never shown
  for (uint32_t i = 2000; i < 2048; ++i) guest::k_screen[i] = 0x4F21;  // past row 24
  guest::log("wrote around its screen");
  auto* beyond = reinterpret_cast<volatile uint16_t*>(0x1000000u + 0xB8000u);
  beyond[0] = 0x4F21;
  guest::log("ESCAPED (wrote past its memory)");
  for (;;) guest::yield();
}
