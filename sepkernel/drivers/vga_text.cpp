// SPDX-License-Identifier: Apache-2.0
// The VGA text screen: plain memory writes to the identity-mapped frame buffer.
#include "drivers/vga_text.hpp"

namespace sk::vga {

void show(const uint16_t* cells) {
  auto* screen = reinterpret_cast<volatile uint16_t*>(0xB8000);
  for (uint32_t i = 0; i < 80 * 25; ++i) screen[i] = cells[i];
}

}  // namespace sk::vga
