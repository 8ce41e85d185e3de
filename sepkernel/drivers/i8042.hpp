// SPDX-License-Identifier: Apache-2.0
// The physical i8042 keyboard controller, owned by the kernel alone (SK-DEV-2): bytes from the
// keyboard (scancode set 1, as the controller translates them) go to the trusted path's router.
#pragma once
#include <stdint.h>

namespace sk::i8042 {

// Discards whatever the firmware left in the output buffer.
void flush();
// Reads the next keyboard byte if one is waiting. Bytes from an auxiliary device (mouse) are
// read and dropped. Returns false when the output buffer is empty.
bool read_keyboard_byte(uint8_t& byte);

}  // namespace sk::i8042
