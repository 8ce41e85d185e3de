// SPDX-License-Identifier: Apache-2.0
// Multiboot v1 module list (see multiboot.hpp).
#include "kernel/multiboot.hpp"

#include "kernel/init.hpp"
#include "sk/panic.hpp"

namespace sk::multiboot {

SK_INIT void read(uint32_t info, Boot_info& out) {
  const uint32_t* mbi = reinterpret_cast<const uint32_t*>(uint64_t(info));
  uint32_t flags = mbi[0];
  out = {};
  if (flags & 1u) out.memory_end = (uint64_t(mbi[2]) + 1024) * 1024;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(mbi);
  if ((flags & (1u << 12)) && bytes[109] == 1) {  // framebuffer fields, direct RGB
    Framebuffer& fb = out.framebuffer;
    fb.present = true;
    fb.address = uint64_t(mbi[22]) | uint64_t(mbi[23]) << 32;
    fb.pitch = mbi[24];
    fb.width = mbi[25];
    fb.height = mbi[26];
    fb.bits_per_pixel = bytes[108];
    fb.red_shift = bytes[110], fb.red_size = bytes[111], fb.green_shift = bytes[112], fb.green_size = bytes[113];
    fb.blue_shift = bytes[114], fb.blue_size = bytes[115];
  }
  if (!(flags & (1u << 3))) return;
  uint32_t count = mbi[5];
  if (count > k_max_modules) panic("multiboot: too many modules");
  const uint32_t* mods = reinterpret_cast<const uint32_t*>(uint64_t(mbi[6]));
  for (uint32_t i = 0; i < count; ++i) {
    Module& m = out.modules[i];
    m.start = mods[4 * i];
    m.end = mods[4 * i + 1];
    if (m.end < m.start) panic("multiboot: module ends before it starts");
    m.data = reinterpret_cast<const uint8_t*>(m.start);
    m.size = m.end - m.start;
    const char* s = reinterpret_cast<const char*>(uint64_t(mods[4 * i + 2]));
    const char* word = s ? s : "";
    for (const char* c = word; *c; ++c) {
      if (*c == ' ' || *c == '/') word = c + 1;
    }
    m.name = word;
    while (word[m.name_length] && word[m.name_length] != ' ') ++m.name_length;
  }
  out.module_count = count;
}

const Module* find(const Boot_info& b, const char* name) {
  for (uint32_t i = 0; i < b.module_count; ++i) {
    const Module& m = b.modules[i];
    uint32_t k = 0;
    while (k < m.name_length && name[k] == m.name[k]) ++k;
    if (k == m.name_length && name[k] == '\0') return &m;
  }
  return nullptr;
}

}  // namespace sk::multiboot
