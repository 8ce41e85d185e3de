// SPDX-License-Identifier: Apache-2.0
// The virtual 8259A pair (see pic8259.hpp).
#include "virt/pic8259.hpp"

namespace sk::virt {

int Pic8259::Chip::best() const {
  for (int line = 0; line < 8; ++line) {
    const uint8_t bit = uint8_t(1u << line);
    if (isr & bit) return -1;  // something of equal or higher priority is in service
    if ((irr & bit) && !(imr & bit)) return line;
  }
  return -1;
}

void Pic8259::Chip::write(bool data_port, uint8_t value) {
  if (!data_port && (value & 0x10)) {  // ICW1
    init_step = 2;
    icw4 = value & 0x01;
    single = value & 0x02;
    imr = 0;
    isr = irr = 0;
    auto_eoi = read_isr = false;
    return;
  }
  if (data_port) {
    switch (init_step) {
      case 2:
        base = value & 0xF8;
        init_step = single ? (icw4 ? 4 : 0) : 3;
        return;
      case 3:
        init_step = icw4 ? 4 : 0;  // ICW3: the cascade wiring is fixed (IRQ 2)
        return;
      case 4:
        auto_eoi = value & 0x02;
        init_step = 0;
        return;
      default:
        imr = value;  // OCW1
        return;
    }
  }
  if (value & 0x08) {  // OCW3
    if (value & 0x02) read_isr = value & 0x01;
    return;
  }
  const uint8_t command = value >> 5;  // OCW2
  if (command == 1) {                  // non-specific EOI: the highest-priority in service
    for (int line = 0; line < 8; ++line) {
      if (isr & (1u << line)) {
        isr = uint8_t(isr & ~(1u << line));
        break;
      }
    }
  } else if (command == 3) {           // specific EOI
    isr = uint8_t(isr & ~(1u << (value & 7)));
  }
}

uint8_t Pic8259::read(uint16_t port) const {
  const Chip& c = chip_[(port & 0x80) ? 1 : 0];
  if (port & 1) return c.imr;
  return c.read_isr ? c.isr : c.irr;
}

void Pic8259::write(uint16_t port, uint8_t value) { chip_[(port & 0x80) ? 1 : 0].write(port & 1, value); }

void Pic8259::raise(uint8_t irq) {
  if (irq >= 16) return;
  if (irq < 8) {
    chip_[0].irr = uint8_t(chip_[0].irr | (1u << irq));
  } else {
    chip_[1].irr = uint8_t(chip_[1].irr | (1u << (irq - 8)));
  }
}

int Pic8259::pending() const {
  Chip master = chip_[0];
  const int slave_line = chip_[1].best();
  if (slave_line >= 0) master.irr = uint8_t(master.irr | 0x04);  // the slave's INT on IRQ 2
  const int line = master.best();
  if (line < 0) return -1;
  if (line == 2 && slave_line >= 0) return chip_[1].base + slave_line;
  return master.base + line;
}

void Pic8259::take() {
  const int slave_line = chip_[1].best();
  Chip& m = chip_[0];
  if (slave_line >= 0) m.irr = uint8_t(m.irr | 0x04);
  const int line = m.best();
  if (line < 0) return;
  m.irr = uint8_t(m.irr & ~(1u << line));
  if (!m.auto_eoi) m.isr = uint8_t(m.isr | (1u << line));
  if (line == 2 && slave_line >= 0) {
    Chip& s = chip_[1];
    s.irr = uint8_t(s.irr & ~(1u << slave_line));
    if (!s.auto_eoi) s.isr = uint8_t(s.isr | (1u << slave_line));
  }
}

}  // namespace sk::virt
