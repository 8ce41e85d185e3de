// SPDX-License-Identifier: Apache-2.0
// The demo guests' console: a title and a heartbeat line on their (virtual) screen, and every
// scancode the (virtual) keyboard gives them logged as `scancode 0xNN` and echoed as text on
// row 4, so tests can see exactly what each domain received.
#pragma once
#include "console.hpp"
#include "guest.hpp"

namespace demo {

class Terminal {
 public:
  Terminal(const char* title, uint8_t attr) : attr_(attr) {
    guest::screen_clear(attr);
    guest::screen_write(1, 2, title, attr);
    guest::screen_write(4, 2, "typed: ", attr);
  }
  // Drains the keyboard: logs each byte, echoes characters of make codes.
  void poll() {
    uint8_t b;
    while (guest::keyboard_read(b)) {
      guest::log("scancode 0x%x", b);
      if (b == 0xE0 || (b & 0x80)) continue;
      char c = guest::scancode_char(b);
      if (c && column_ < 78) {
        char text[2] = {c, '\0'};
        guest::screen_write(4, column_++, text, attr_);
      }
    }
  }
  void heartbeat(uint32_t beat) {
    char text[24];
    guest::format(text, sizeof text, "heartbeat %u", beat);
    guest::screen_write(2, 2, text, attr_);
  }

 private:
  uint8_t attr_;
  uint32_t column_ = 9;
};

}  // namespace demo
