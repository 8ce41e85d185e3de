// SPDX-License-Identifier: Apache-2.0
// Guest console helpers (see console.hpp).
#include "console.hpp"

namespace guest {

void screen_clear(uint8_t attr) {
  for (uint32_t i = 0; i < 80 * 25; ++i) k_screen[i] = uint16_t(' ' | attr << 8);
}

void screen_write(uint32_t row, uint32_t column, const char* text, uint8_t attr) {
  if (row >= 25) return;
  for (uint32_t c = column; *text && c < 80; ++c, ++text) k_screen[row * 80 + c] = uint16_t(uint8_t(*text) | attr << 8);
}

bool keyboard_read(uint8_t& byte) {
  if (!(inb(0x64) & 0x01)) return false;
  byte = inb(0x60);
  return true;
}

char scancode_char(uint8_t make) {
  static const char k_rows[] =
      "\0\0" "1234567890" "\0\0\0\0"   // 0x00-0x0F
      "qwertyuiop" "\0\0\0\0"           // 0x10-0x1D
      "asdfghjkl" "\0\0\0\0\0"          // 0x1E-0x2B
      "zxcvbnm";                        // 0x2C-0x32
  if (make == 0x39) return ' ';
  if (make >= sizeof k_rows - 1) return 0;
  return k_rows[make];
}

}  // namespace guest
