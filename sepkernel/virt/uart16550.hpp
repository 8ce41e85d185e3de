// SPDX-License-Identifier: Apache-2.0
// A virtual 16550A serial port (sepkernel/virt/: the devices the kernel shows partitions), the
// register model only: what a guest's driver reads and writes at the port's eight registers.
// Transmit only: every byte written to THR is handed to the caller at once (the transmitter is
// always empty); nothing is ever received; no interrupt is raised (IIR reports THRE pending
// while IER asks for it, so a driver that polls IIR sees a 16550A). Loopback (MCR bit 4) mirrors
// the modem-control outputs into MSR as the chip does, which is how Linux's 8250 driver probes.
// Pure and freestanding: the kernel (kernel/devices.cpp) and the unit tests use the same code.
#pragma once
#include <stdint.h>

namespace sk::virt {

class Uart16550 {
 public:
  // A read of register offset 0..7; never has an effect but the register's own.
  uint8_t read(uint8_t offset) const;
  // A write of register offset 0..7. Returns true and sets `sent` if the byte went out
  // through THR (DLAB clear, offset 0).
  bool write(uint8_t offset, uint8_t value, uint8_t& sent);
  // True while the guest enables the THR-empty interrupt (IER bit 1): as the transmitter is
  // always empty, the line is then always asserted (the kernel raises IRQ 4 on each write).
  bool thre_interrupt() const { return ier_ & 0x02; }

 private:
  uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, dll_ = 0x0C, dlm_ = 0;  // 9600 baud at reset
  bool fifo_ = false;
  bool dlab() const { return lcr_ & 0x80; }
};

}  // namespace sk::virt
