// SPDX-License-Identifier: Apache-2.0
// Spoofing guest: tries to make keystrokes appear with the i8042's "write keyboard output
// buffer" (0xD2, then 0x1E = 'a') and "write auxiliary output buffer" (0xD3) commands, hoping
// they reach the other domain's keyboard. Then it logs what its own controller returns.
#include "console.hpp"
#include "guest.hpp"

extern "C" void guest_main() {
  for (int i = 0; i < 3; ++i) {
    guest::outb(0x64, 0xD2);
    guest::outb(0x60, 0x1E);
    guest::outb(0x64, 0xD3);
    guest::outb(0x60, 0x1E);
  }
  guest::log("injection attempted");
  for (uint32_t beat = 1;; ++beat) {
    uint8_t b;
    while (guest::keyboard_read(b)) guest::log("scancode 0x%x", b);
    if (beat % 20 == 0) guest::log("heartbeat %u", beat / 20);
    guest::yield();
  }
}
