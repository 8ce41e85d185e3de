// SPDX-License-Identifier: Apache-2.0
// Ports nobody owns, as a PC operating system probes them (tests/integration/kernel_devices_test.cpp):
// with `virtual_pc` every size of read returns all ones and writes go nowhere; string I/O is
// still refused.
#include "guest.hpp"

extern "C" void guest_main() {
  uint8_t b;
  uint16_t w;
  uint32_t d = 0x12345678;
  asm volatile("outb %%al, $0x80" ::"a"(uint8_t(0x55)));                 // POST code: nowhere
  asm volatile("outl %%eax, %%dx" ::"a"(0x80000000u), "d"(uint16_t(0xCF8)));  // PCI configuration
  asm volatile("inl %%dx, %%eax" : "=a"(d) : "d"(uint16_t(0xCFC)));
  asm volatile("outb %%al, $0x70" ::"a"(uint8_t(0x0A)));                 // RTC index
  asm volatile("inb $0x71, %%al" : "=a"(b));
  asm volatile("inw %%dx, %%ax" : "=a"(w) : "d"(uint16_t(0x1CE)));
  guest::log("absent: pci=0x%x rtc=0x%x word=0x%x", d, b, w);
  uint8_t buffer[4] = {};
  uint8_t* to = buffer;
  uint32_t n = sizeof buffer;
  asm volatile("rep insb" : "+D"(to), "+c"(n) : "d"(uint16_t(0x71)) : "memory");
  guest::log("absent: ESCAPED (string I/O done)");
}
