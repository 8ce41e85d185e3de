// SPDX-License-Identifier: Apache-2.0
// Polled reads of the physical i8042 (status 0x64, data 0x60); see i8042.hpp.
#include "drivers/i8042.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::i8042 {
namespace {
constexpr uint16_t k_data = 0x60, k_status = 0x64;
constexpr uint8_t k_output_full = 0x01, k_aux = 0x20;
}  // namespace

void flush() {
  for (int i = 0; i < 64 && (arch::inb(k_status) & k_output_full); ++i) (void)arch::inb(k_data);
}

bool read_keyboard_byte(uint8_t& byte) {
  for (int i = 0; i < 16; ++i) {
    uint8_t status = arch::inb(k_status);
    if (!(status & k_output_full)) return false;
    uint8_t b = arch::inb(k_data);
    if (status & k_aux) continue;  // mouse byte: no partition gets it
    byte = b;
    return true;
  }
  return false;
}

}  // namespace sk::i8042
