// SPDX-License-Identifier: Apache-2.0
// The legacy 8259 PICs after timer::init_bsp() remapped them to vectors 0xF0-0xFF and masked
// every line, for good: the keyboard is polled (SK-TIME-2), so no legacy IRQ ever arrives. The
// vectors keep gates only so that a spurious one is recognised.
#pragma once
#include <stdint.h>

namespace sk::arch::pic {

inline constexpr uint8_t k_vector_base = 0xF0;
inline constexpr uint8_t k_keyboard_vector = k_vector_base + 1;
inline constexpr uint8_t k_spurious_master = k_vector_base + 7;

}  // namespace sk::arch::pic
