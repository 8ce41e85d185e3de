// SPDX-License-Identifier: Apache-2.0
// A guest's view of its console, as an unmodified driver would use it: the VGA text buffer at
// 0xB8000 (80x25 cells, character | attribute << 8) and the i8042 at ports 0x60/0x64. Under
// Bulkhead both are virtual (docs/trusted-path.md); row 0 is never shown.
#pragma once
#include <stdint.h>

namespace guest {

inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }

inline volatile uint16_t* const k_screen = reinterpret_cast<volatile uint16_t*>(0xB8000u);

// Fills the screen with spaces in attribute attr.
void screen_clear(uint8_t attr);
// Writes text at (row, column), clipped to the row.
void screen_write(uint32_t row, uint32_t column, const char* text, uint8_t attr);
// The next byte from the keyboard controller, if its output buffer is full (polled).
bool keyboard_read(uint8_t& byte);
// The lower-case character of a scancode-set-1 make code (letters, digits, space), or 0.
char scancode_char(uint8_t make);

}  // namespace guest
