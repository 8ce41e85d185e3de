// SPDX-License-Identifier: Apache-2.0
// The partition's virtual 16550 at 0x3F8 (tests/integration/kernel_devices_test.cpp): set up as
// a driver does (divisor latch, 8N1, FIFO), probed as Linux's 8250 driver probes it (scratch
// register, loopback), then lines written byte by byte with LSR polling, one of them with
// control characters the kernel must not pass to its console.
#include "guest.hpp"

namespace {
inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
void put(const char* s) {
  for (; *s; ++s) {
    while (!(inb(0x3FD) & 0x20)) {
    }
    outb(0x3F8, uint8_t(*s));
  }
}
}  // namespace

extern "C" void guest_main() {
  outb(0x3FB, 0x80);  // DLAB
  outb(0x3F8, 0x01);  // 115200 baud
  outb(0x3F9, 0x00);
  outb(0x3FB, 0x03);  // 8N1, DLAB off
  outb(0x3FA, 0x07);  // FIFO on and cleared
  outb(0x3FF, 0x5A);
  const uint8_t scratch = inb(0x3FF), iir = inb(0x3FA);
  outb(0x3FC, 0x1A);  // loopback with RTS and OUT2
  outb(0x3F8, 'X');   // stays inside the chip
  const uint8_t msr = inb(0x3FE) & 0xF0;
  outb(0x3FC, 0x03);
  guest::log("uart: probe scratch=0x%x iir=0x%x loopback_msr=0x%x lsr=0x%x", scratch, iir, msr, inb(0x3FD));
  put("uart: hello through the 16550\r\n");
  put("uart: \x1b[2J bell\x07 tab\tend\r\n");
  for (uint32_t beat = 1;; ++beat) {
    guest::log("heartbeat %u", beat);
    const uint64_t t = guest::now_us();
    while (guest::now_us() < t + 200000) guest::yield();
  }
}
