// SPDX-License-Identifier: Apache-2.0
// The virtual 16550A's registers (see uart16550.hpp).
#include "virt/uart16550.hpp"

namespace sk::virt {

uint8_t Uart16550::read(uint8_t offset) const {
  switch (offset & 7) {
    case 0: return dlab() ? dll_ : 0;                 // RBR: nothing is ever received
    case 1: return dlab() ? dlm_ : ier_;
    case 2: {                                         // IIR: THRE pending if enabled, else none
      const uint8_t fifo = fifo_ ? 0xC0 : 0;
      return uint8_t(fifo | ((ier_ & 0x02) ? 0x02 : 0x01));
    }
    case 3: return lcr_;
    case 4: return mcr_;
    case 5: return 0x60;                              // LSR: THR empty, transmitter empty
    case 6:                                           // MSR
      if (mcr_ & 0x10) {                              // loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD
        return uint8_t(((mcr_ & 0x02) << 3) | ((mcr_ & 0x01) << 5) | ((mcr_ & 0x04) << 4) | ((mcr_ & 0x08) << 4));
      }
      return 0xB0;                                    // DCD, DSR, CTS: a terminal is attached
    default: return scr_;
  }
}

bool Uart16550::write(uint8_t offset, uint8_t value, uint8_t& sent) {
  switch (offset & 7) {
    case 0:
      if (dlab()) {
        dll_ = value;
        return false;
      }
      if (mcr_ & 0x10) return false;                  // loopback: the byte never leaves the chip
      sent = value;
      return true;
    case 1:
      if (dlab()) dlm_ = value; else ier_ = value & 0x0F;
      return false;
    case 2: fifo_ = value & 0x01; return false;       // FCR
    case 3: lcr_ = value; return false;
    case 4: mcr_ = value & 0x1F; return false;
    case 5: case 6: return false;                     // LSR, MSR: read-only
    default: scr_ = value; return false;
  }
}

}  // namespace sk::virt
