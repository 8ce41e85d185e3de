// SPDX-License-Identifier: Apache-2.0
// Display adapters' memory BARs (see pci_display.hpp).
#include "drivers/pci_display.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::drivers::pci_display {
namespace {

uint32_t read(uint32_t device, uint32_t function, uint32_t offset) {
  arch::outl(0xCF8, 0x80000000u | device << 11 | function << 8 | (offset & 0xFC));
  return arch::inl(0xCFC);
}
void write(uint32_t device, uint32_t function, uint32_t offset, uint32_t value) {
  arch::outl(0xCF8, 0x80000000u | device << 11 | function << 8 | (offset & 0xFC));
  arch::outl(0xCFC, value);
}

}  // namespace

uint32_t memory_bars(Bar* bars, uint32_t max) {
  uint32_t count = 0;
  for (uint32_t device = 0; device < 32; ++device) {
    for (uint32_t function = 0; function < 8; ++function) {
      const uint32_t id = read(device, function, 0x00);
      if ((id & 0xFFFF) == 0xFFFF) {
        if (function == 0) break;
        continue;
      }
      const uint32_t header = read(device, function, 0x0C) >> 16 & 0x7F;
      if (read(device, function, 0x08) >> 24 == 0x03 && header == 0) {
        const uint32_t command = read(device, function, 0x04);
        write(device, function, 0x04, command & ~0x2u);  // memory decoding off while sizing
        for (uint32_t b = 0; b < 6; ++b) {
          const uint32_t offset = 0x10 + 4 * b;
          const uint32_t low = read(device, function, offset);
          if (low & 1) continue;  // an I/O BAR
          const bool wide = (low >> 1 & 3) == 2;
          const uint32_t high = wide ? read(device, function, offset + 4) : 0;
          write(device, function, offset, ~0u);
          const uint32_t probe = read(device, function, offset) & ~0xFu;
          write(device, function, offset, low);
          uint64_t mask = probe;
          if (wide) {
            write(device, function, offset + 4, ~0u);
            mask |= uint64_t(read(device, function, offset + 4)) << 32;
            write(device, function, offset + 4, high);
          } else {
            mask |= ~0ull << 32;
          }
          const uint64_t base = (uint64_t(high) << 32 | low) & ~0xFull, size = ~mask + 1;
          if (probe != 0 && count < max) bars[count++] = {base, size};  // 0: no BAR there
          if (wide) ++b;
        }
        write(device, function, 0x04, command);
      }
      if (function == 0 && !(read(device, function, 0x0C) >> 16 & 0x80)) break;  // single-function
    }
  }
  return count;
}

}  // namespace sk::drivers::pci_display
