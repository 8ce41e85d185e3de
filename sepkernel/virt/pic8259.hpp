// SPDX-License-Identifier: Apache-2.0
// A virtual pair of 8259A interrupt controllers (sepkernel/virt/), cascaded on IRQ 2 as in a PC:
// initialisation words ICW1-ICW4 (vector base, auto-EOI), the mask, non-specific and specific
// EOI, reading IRR or ISR (OCW3). Edge-triggered lines, fixed priority (0 highest). The kernel
// raises lines (IRQ 0 from the virtual 8254, IRQ 1 from the virtual keyboard) and asks for the
// vector to inject; take() marks it in service as the CPU's acknowledge cycle does.
#pragma once
#include <stdint.h>

namespace sk::virt {

class Pic8259 {
 public:
  uint8_t read(uint16_t port) const;         // 0x20, 0x21, 0xA0, 0xA1
  void write(uint16_t port, uint8_t value);  // same ports
  void raise(uint8_t irq);                   // an edge on line irq (0-15)
  // The vector of the highest-priority request that is unmasked and above everything in service
  // (-1 if none), and take() it: IRR to ISR (or nothing in service with auto-EOI).
  int pending() const;
  void take();

 private:
  struct Chip {
    uint8_t irr = 0, isr = 0, imr = 0xFF, base = 0;
    uint8_t init_step = 0;  // 0: operating; 2, 3, 4: expecting that ICW
    bool icw4 = false, single = false, auto_eoi = false, read_isr = false;
    int best() const;       // line (0-7) that would be taken, or -1
    void write(bool data_port, uint8_t value);
  };
  Chip chip_[2];  // master, slave
};

}  // namespace sk::virt
