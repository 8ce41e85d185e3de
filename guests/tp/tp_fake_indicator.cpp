// SPDX-License-Identifier: Apache-2.0
// Spoofing guest: draws a copy of the classified domain's indicator ("[1] classified |
// classified | RUNNING", white on red, full width) in its own rows 0 and 1, hoping the user
// takes this open domain for the classified one. Then it behaves like a terminal.
#include "console.hpp"
#include "guest.hpp"

extern "C" void guest_main() {
  char fake[81];
  const char* text = " [1] classified | classified | RUNNING";
  uint32_t i = 0;
  for (; text[i]; ++i) fake[i] = text[i];
  for (; i < 80; ++i) fake[i] = ' ';
  fake[80] = '\0';
  guest::screen_clear(0x07);
  guest::screen_write(0, 0, fake, 0x4F);
  guest::screen_write(1, 0, fake, 0x4F);
  guest::log("drew a fake indicator in rows 0 and 1");
  for (uint32_t beat = 1;; ++beat) {
    uint8_t b;
    while (guest::keyboard_read(b)) guest::log("scancode 0x%x", b);
    if (beat % 20 == 0) guest::log("heartbeat %u", beat / 20);
    guest::yield();
  }
}
