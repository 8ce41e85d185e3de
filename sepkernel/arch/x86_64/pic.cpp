// SPDX-License-Identifier: Apache-2.0
// Unmasking one master-PIC line and acknowledging it (see pic.hpp).
#include "arch/x86_64/pic.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::arch::pic {

void unmask(uint8_t irq) {
  if (irq > 7) return;
  outb(0x21, uint8_t(inb(0x21) & ~(1u << irq)));
}

void end_of_interrupt() { outb(0x20, 0x20); }

}  // namespace sk::arch::pic
