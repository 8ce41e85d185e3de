// SPDX-License-Identifier: Apache-2.0
// COM1 16550 UART, polled, 115200 8N1. Output only: the kernel reads no input from it.
#include "drivers/serial.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::serial {
namespace {
constexpr uint16_t k_com1 = 0x3F8;
}

void init() {
  arch::outb(k_com1 + 1, 0x00);  // no interrupts
  arch::outb(k_com1 + 3, 0x80);  // DLAB
  arch::outb(k_com1 + 0, 0x01);  // 115200
  arch::outb(k_com1 + 1, 0x00);
  arch::outb(k_com1 + 3, 0x03);  // 8N1
  arch::outb(k_com1 + 2, 0xC7);  // FIFO
  arch::outb(k_com1 + 4, 0x03);
}

void put(char c) {
  if (c == '\n') put('\r');
  for (int i = 0; i < 100000 && (arch::inb(k_com1 + 5) & 0x20) == 0; ++i) {
  }
  arch::outb(k_com1, static_cast<uint8_t>(c));
}

void write(const char* s) {
  while (*s) put(*s++);
}

void write(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) put(s[i]);
}

}  // namespace sk::serial
