// SPDX-License-Identifier: Apache-2.0
// The legacy 8259 PICs after timer::init_bsp() remapped them to vectors 0xF0-0xFF and masked
// every line: the kernel unmasks only the keyboard (IRQ 1), which the master delivers to CPU 0.
#pragma once
#include <stdint.h>

namespace sk::arch::pic {

inline constexpr uint8_t k_vector_base = 0xF0;
inline constexpr uint8_t k_keyboard_vector = k_vector_base + 1;
inline constexpr uint8_t k_spurious_master = k_vector_base + 7;

void unmask(uint8_t irq);  // irq 0..7 (master only)
void end_of_interrupt();   // master EOI

}  // namespace sk::arch::pic
