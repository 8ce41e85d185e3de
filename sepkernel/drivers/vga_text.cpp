// SPDX-License-Identifier: Apache-2.0
// The VGA text screen: plain memory writes to the identity-mapped frame buffer.
#include "drivers/vga_text.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::vga {

void show(const uint16_t* cells) {
  auto* screen = reinterpret_cast<volatile uint16_t*>(0xB8000);
  for (uint32_t i = 0; i < 80 * 25; ++i) screen[i] = cells[i];
}

void hide_cursor() {
  arch::outb(0x3D4, 0x0A);  // CRTC cursor start register
  arch::outb(0x3D5, 0x20);  // bit 5: cursor off
}

}  // namespace sk::vga
