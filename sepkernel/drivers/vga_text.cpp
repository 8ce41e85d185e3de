// SPDX-License-Identifier: Apache-2.0
// The VGA text screen: plain memory writes to the identity-mapped frame buffer.
#include "drivers/vga_text.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::vga {

namespace {
uint16_t g_shown[80 * 25];  // what the screen holds, so that only changed cells are written
bool g_valid;
}  // namespace

void show(const uint16_t* cells) {
  auto* screen = reinterpret_cast<volatile uint16_t*>(0xB8000);
  for (uint32_t i = 0; i < 80 * 25; ++i) {
    if (g_valid && g_shown[i] == cells[i]) continue;
    screen[i] = cells[i];
    g_shown[i] = cells[i];
  }
  g_valid = true;
}

void hide_cursor() {
  arch::outb(0x3D4, 0x0A);  // CRTC cursor start register
  arch::outb(0x3D5, 0x20);  // bit 5: cursor off
}

}  // namespace sk::vga
