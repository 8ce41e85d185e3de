// SPDX-License-Identifier: Apache-2.0
// Multiboot v1 information: the modules QEMU's loader hands over (`-initrd "file name,..."`).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::multiboot {

inline constexpr uint32_t k_loader_magic = 0x2BADB002;
inline constexpr uint32_t k_max_modules = 16;

struct Module {
  const uint8_t* data;
  uint64_t size;
  uint64_t start, end;    // physical [start, end)
  const char* name;       // the word after the last space of the module string, or its basename
  uint32_t name_length;
};

// The loader's linear framebuffer (flags bit 12: the UEFI boot stage hands over the firmware's
// GOP framebuffer); present only for type 1 (direct RGB).
struct Framebuffer {
  bool present;
  uint64_t address;       // physical
  uint32_t pitch;         // bytes per scan line
  uint32_t width, height; // pixels
  uint8_t bits_per_pixel;
  uint8_t red_shift, red_size, green_shift, green_size, blue_shift, blue_size;
};

struct Boot_info {
  uint32_t module_count;
  Module modules[k_max_modules];
  uint64_t memory_end;    // end of the RAM above 1 MiB (mem_upper), 0 if not given
  Framebuffer framebuffer;
};

// Reads the loader's information block at info (physical = virtual). Panics on a malformed one.
void read(uint32_t info, Boot_info& out);
// The module named name, or nullptr.
const Module* find(const Boot_info& b, const char* name);

}  // namespace sk::multiboot
