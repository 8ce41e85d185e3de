// SPDX-License-Identifier: Apache-2.0
// ELF32 partition image checks and load planning (see elf32.hpp).
#include "sk/elf32.hpp"

namespace sk::elf32 {
namespace {

uint32_t u32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }
uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

constexpr uint32_t k_pt_load = 1;

}  // namespace

Result<Plan> plan(const uint8_t* image, size_t size, uint64_t memory_size) {
  if (size < 52) return Error::truncated;
  if (image[0] != 0x7F || image[1] != 'E' || image[2] != 'L' || image[3] != 'F') return Error::bad_magic;
  if (image[4] != 1 || image[5] != 1) return Error::bad_magic;            // 32-bit, little-endian
  if (u16(image + 16) != 2 || u16(image + 18) != 3) return Error::bad_magic;  // ET_EXEC, EM_386
  uint32_t phoff = u32(image + 28);
  uint16_t phentsize = u16(image + 42);
  uint16_t phnum = u16(image + 44);
  if (phentsize < 32) return Error::bad_magic;
  if (uint64_t(phoff) + uint64_t(phentsize) * phnum > size) return Error::truncated;
  Plan out{};
  out.entry = u32(image + 24);
  if (out.entry >= memory_size) return Error::out_of_range;
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint8_t* ph = image + phoff + uint64_t(i) * phentsize;
    if (u32(ph) != k_pt_load) continue;
    Segment s{u32(ph + 4), u32(ph + 12), u32(ph + 16), u32(ph + 20)};  // offset, paddr, filesz, memsz
    if (s.file_size > s.memory_size) return Error::out_of_range;
    if (uint64_t(s.file_offset) + s.file_size > size) return Error::truncated;
    if (uint64_t(s.guest_address) + s.memory_size > memory_size) return Error::out_of_range;
    if (out.segment_count == k_max_segments) return Error::no_space;
    out.segments[out.segment_count++] = s;
  }
  if (out.segment_count == 0) return Error::bad_magic;
  return out;
}

}  // namespace sk::elf32
