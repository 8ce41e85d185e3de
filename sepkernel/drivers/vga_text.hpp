// SPDX-License-Identifier: Apache-2.0
// The physical VGA text screen (80x25 at 0xB8000), owned by the kernel alone (SK-DEV-2).
#pragma once
#include <stdint.h>

namespace sk::vga {

// Copies 80x25 cells (character | attribute << 8) to the screen.
void show(const uint16_t* cells);
// Turns the hardware cursor off (the firmware leaves it blinking somewhere on the screen).
void hide_cursor();

}  // namespace sk::vga
