// SPDX-License-Identifier: Apache-2.0
// The kernel's side of the trusted path, as far as it is wired today: the physical screen shows
// the indicator row of the focused console partition (its number, name, label, colours from the
// policy, and whether it runs, was refused or was stopped). Virtual screens and the keyboard are
// not wired yet (docs/trusted-path.md).
#pragma once
#include <stdint.h>

namespace sk::kernel::console {

// Chooses the first console partition as the focus and draws the screen.
void start();
// Redraws the screen (call after a partition's state changed).
void redraw();

}  // namespace sk::kernel::console
