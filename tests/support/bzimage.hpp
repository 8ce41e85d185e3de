// SPDX-License-Identifier: Apache-2.0
// A synthetic bzImage for tests: a setup header of boot protocol 2.15 (Linux 6.1's) with the
// fields the kernel reads, and a protected-mode "kernel" of filler bytes. Not bootable; its
// header says what each test needs (init_size, alignment, relocatable, preferred address).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bh::test {

struct Bzimage_fields {
  uint8_t setup_sects = 4;
  uint16_t protocol = 0x020F;
  uint8_t loadflags = 0x01;  // LOADED_HIGH
  uint32_t initrd_addr_max = 0x7FFFFFFF;
  uint32_t alignment = 0x200000;
  bool relocatable = true;
  uint32_t cmdline_size = 2047;
  uint64_t pref_address = 0x1000000;
  uint32_t init_size = 0x800000;   // 8 MiB
  uint32_t kernel_bytes = 0x2000;  // after the setup sectors
  uint8_t header_length = 0x6A;    // byte at 0x201: the header ends at 0x202 + this (0x26C)
};

inline std::vector<uint8_t> make_bzimage(const Bzimage_fields& f = {}) {
  std::vector<uint8_t> b((f.setup_sects + 1u) * 512u + f.kernel_bytes, 0);
  for (std::size_t i = (f.setup_sects + 1u) * 512u; i < b.size(); ++i) b[i] = uint8_t(i * 7);
  auto put = [&](std::size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b[at + i] = uint8_t(v >> (8 * i));
  };
  b[0x1F1] = f.setup_sects;
  put(0x1FE, 0xAA55, 2);
  b[0x200] = 0xEB;  // jmp
  b[0x201] = f.header_length;
  put(0x202, 0x53726448, 4);  // "HdrS"
  put(0x206, f.protocol, 2);
  b[0x211] = f.loadflags;
  put(0x214, 0x100000, 4);
  put(0x22C, f.initrd_addr_max, 4);
  put(0x230, f.alignment, 4);
  b[0x234] = f.relocatable ? 1 : 0;
  put(0x238, f.cmdline_size, 4);
  put(0x258, f.pref_address, 8);
  put(0x260, f.init_size, 4);
  return b;
}

}  // namespace bh::test
