// SPDX-License-Identifier: Apache-2.0
// The virtual 16550A's register model (sepkernel/virt/uart16550.hpp).
#include <catch2/catch.hpp>

#include "virt/uart16550.hpp"

using sk::virt::Uart16550;

TEST_CASE("virtual 16550: THR sends, the divisor latch and loopback do not", "[virt][uart]") {
  Uart16550 u;
  uint8_t sent = 0;
  CHECK(u.write(0, 'A', sent));
  CHECK(sent == 'A');
  CHECK(u.read(5) == 0x60);  // THR and transmitter always empty
  CHECK(u.read(0) == 0);     // nothing received
  // DLAB: offsets 0 and 1 are the divisor, read back, nothing sent.
  u.write(3, 0x83, sent);
  CHECK_FALSE(u.write(0, 0x01, sent));
  u.write(1, 0x00, sent);
  CHECK(u.read(0) == 0x01);
  CHECK(u.read(1) == 0x00);
  u.write(3, 0x03, sent);
  CHECK(u.read(3) == 0x03);
  // Loopback (as Linux's 8250 probe: MCR = loop | OUT2 | RTS gives MSR = DCD | CTS).
  u.write(4, 0x1A, sent);
  CHECK((u.read(6) & 0xF0) == 0x90);
  sent = 0;
  CHECK_FALSE(u.write(0, 'B', sent));
  CHECK(sent == 0);
  u.write(4, 0x1F, sent);
  CHECK((u.read(6) & 0xF0) == 0xF0);
  u.write(4, 0x03, sent);
  CHECK(u.read(6) == 0xB0);  // out of loopback: a terminal is attached
  CHECK(u.write(0, 'C', sent));
  CHECK(sent == 'C');
}

TEST_CASE("virtual 16550: IER, IIR with and without FIFO, scratch; LSR and MSR read-only", "[virt][uart]") {
  Uart16550 u;
  uint8_t sent = 0;
  CHECK(u.read(2) == 0x01);  // no interrupt pending
  u.write(1, 0xFF, sent);
  CHECK(u.read(1) == 0x0F);  // only the four enable bits exist
  CHECK(u.read(2) == 0x02);  // THRE "pending" while enabled: the transmitter is always empty
  u.write(2, 0x07, sent);    // FIFO on
  CHECK(u.read(2) == 0xC2);
  u.write(1, 0x00, sent);
  CHECK(u.read(2) == 0xC1);
  u.write(7, 0x5A, sent);
  CHECK(u.read(7) == 0x5A);
  u.write(5, 0x00, sent);
  u.write(6, 0x00, sent);
  CHECK(u.read(5) == 0x60);
  CHECK(u.read(6) == 0xB0);
  for (uint8_t r = 0; r < 8; ++r) (void)u.read(uint8_t(r + 8));  // offsets wrap: no out-of-range access
}
