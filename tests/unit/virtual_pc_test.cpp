// SPDX-License-Identifier: Apache-2.0
// The virtual 8259A pair and 8254 (sepkernel/virt/), as Linux programs them.
#include <catch2/catch.hpp>

#include "virt/pic8259.hpp"
#include "virt/pit8254.hpp"

using sk::virt::Pic8259;
using sk::virt::Pit8254;

namespace {

// Linux's init_8259A: ICW1 0x11, ICW2 base, ICW3, ICW4 0x01 on both; then the masks.
void init_like_linux(Pic8259& pic, uint8_t master_mask, uint8_t slave_mask) {
  pic.write(0x20, 0x11);
  pic.write(0x21, 0x30);
  pic.write(0x21, 0x04);
  pic.write(0x21, 0x01);
  pic.write(0xA0, 0x11);
  pic.write(0xA1, 0x38);
  pic.write(0xA1, 0x02);
  pic.write(0xA1, 0x01);
  pic.write(0x21, master_mask);
  pic.write(0xA1, slave_mask);
}

}  // namespace

TEST_CASE("virtual PIC: vectors, masks, priority, EOI, cascade", "[virt][pic]") {
  Pic8259 pic;
  pic.raise(0);
  CHECK(pic.pending() == -1);  // masked until initialised
  init_like_linux(pic, 0xFA, 0xFF);  // IRQ 0 and the cascade unmasked
  CHECK(pic.read(0x21) == 0xFA);
  CHECK(pic.pending() == -1);        // ICW1 cleared the request that came before
  pic.raise(1);                      // masked
  CHECK(pic.pending() == -1);
  pic.raise(0);
  CHECK(pic.pending() == 0x30);
  pic.take();
  CHECK(pic.pending() == -1);
  pic.write(0x20, 0x0B);             // OCW3: read ISR
  CHECK(pic.read(0x20) == 0x01);
  pic.raise(0);                      // the next edge waits for the EOI
  CHECK(pic.pending() == -1);
  pic.write(0x20, 0x20);             // non-specific EOI
  CHECK(pic.read(0x20) == 0x00);
  CHECK(pic.pending() == 0x30);
  pic.take();
  pic.write(0x20, 0x60);             // specific EOI of IRQ 0
  pic.write(0x20, 0x0A);             // OCW3: read IRR
  CHECK(pic.read(0x20) == 0x02);     // IRQ 1's edge stays latched while masked
  // Priority: IRQ 0 before IRQ 4; a slave line comes through IRQ 2 with the slave's base.
  pic.write(0x21, 0xE8 & ~0x10);     // unmask 0, 1, 2, 4
  pic.write(0xA1, 0xFE);             // unmask IRQ 8
  pic.raise(4);
  pic.raise(8);
  pic.raise(0);
  CHECK(pic.pending() == 0x30);
  pic.take();
  pic.write(0x20, 0x20);
  CHECK(pic.pending() == 0x31);      // the latched IRQ 1, now unmasked
  pic.take();
  pic.write(0x20, 0x20);
  CHECK(pic.pending() == 0x38);      // IRQ 8 via the cascade (IRQ 2) outranks IRQ 4
  pic.take();
  CHECK(pic.pending() == -1);        // IRQ 2 in service blocks IRQ 4
  pic.write(0xA0, 0x20);
  pic.write(0x20, 0x20);
  CHECK(pic.pending() == 0x34);
}

TEST_CASE("virtual PIC: auto-EOI leaves nothing in service", "[virt][pic]") {
  Pic8259 pic;
  pic.write(0x20, 0x11);
  pic.write(0x21, 0x20);
  pic.write(0x21, 0x04);
  pic.write(0x21, 0x03);             // ICW4: auto-EOI
  pic.write(0x21, 0x00);
  pic.raise(3);
  CHECK(pic.pending() == 0x23);
  pic.take();
  pic.raise(3);
  CHECK(pic.pending() == 0x23);      // no EOI needed
}

TEST_CASE("virtual PIT: periodic channel 0, its edges and counter reads", "[virt][pit]") {
  Pit8254 pit;
  CHECK_FALSE(pit.irq0_due(1000));
  CHECK(pit.next_irq0(0) == ~uint64_t{0});
  pit.control(0x34, 100);            // channel 0, lobyte/hibyte, mode 2
  pit.write(0, 0xA9, 100);           // 1193 ticks: 1 ms
  pit.write(0, 0x04, 100);
  CHECK(pit.next_irq0(100) == 100 + 1193);
  CHECK_FALSE(pit.irq0_due(100 + 1192));
  CHECK(pit.irq0_due(100 + 1193));
  CHECK_FALSE(pit.irq0_due(100 + 1193 + 10));
  CHECK(pit.irq0_due(100 + 5 * 1193));  // missed edges come as one
  CHECK_FALSE(pit.irq0_due(100 + 5 * 1193 + 1));
  pit.control(0x00, 100 + 200);      // latch channel 0
  const uint8_t lo = pit.read(0, 100 + 900), hi = pit.read(0, 100 + 900);
  CHECK((lo | hi << 8) == 1193 - 200);  // the value at the latch, not at the read
  CHECK(sk::virt::pit_ticks(1000000) == 1193182);
}

TEST_CASE("virtual PIT: one-shot channel 0 fires once; channel 2's output at port 0x61", "[virt][pit]") {
  Pit8254 pit;
  pit.control(0x30, 0);              // channel 0, lobyte/hibyte, mode 0
  pit.write(0, 100, 0);
  pit.write(0, 0, 0);
  CHECK_FALSE(pit.irq0_due(99));
  CHECK(pit.irq0_due(100));
  CHECK_FALSE(pit.irq0_due(100000));
  CHECK(pit.next_irq0(100000) == ~uint64_t{0});
  // Linux's PIT calibration: gate 2 high, channel 2 mode 0, wait for OUT2 (bit 5).
  pit.write_61(0x01);
  pit.control(0xB0, 1000);
  pit.write(2, 0x2E, 1000);          // 11822 ticks: ~10 ms
  pit.write(2, 0x2E, 1000);
  CHECK((pit.read_61(1000 + 11821) & 0x20) == 0);
  CHECK((pit.read_61(1000 + 11822) & 0x20) == 0x20);
  CHECK((pit.read_61(0) & 0x03) == 0x01);
}
