// SPDX-License-Identifier: Apache-2.0
// Checks a partition image (ELF32, i386, executable) and plans its loading into a partition
// whose guest-physical memory is [0, memory_size). Every offset and size is checked before
// the kernel copies a byte; a plan() that succeeds only describes copies inside both buffers.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::elf32 {

inline constexpr uint32_t k_max_segments = 8;

struct Segment {
  uint32_t file_offset;
  uint32_t guest_address;
  uint32_t file_size;    // bytes copied from the file
  uint32_t memory_size;  // bytes the segment occupies (the rest stays zero)
};

struct Plan {
  uint32_t entry;
  uint32_t segment_count;
  Segment segments[k_max_segments];
};

// Errors: bad_magic (not ELF / not 32-bit little-endian i386 executable), truncated (a header
// or segment outside the file), out_of_range (a segment or the entry outside guest memory),
// no_space (more than k_max_segments loadable segments).
Result<Plan> plan(const uint8_t* image, size_t size, uint64_t memory_size);

}  // namespace sk::elf32
