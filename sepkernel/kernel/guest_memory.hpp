// SPDX-License-Identifier: Apache-2.0
// Reading a partition's memory from the kernel, only through that partition's own grants.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::kernel {

// Copies [gpa, gpa + n) of partition part into out, page by page through guest_page():
// fails (denied) if any byte is not granted to part. own_memory_only: also refuse channel
// and MMIO windows (the byte must lie in [0, memory.size)).
[[nodiscard]] Status read_guest(uint16_t part, uint64_t gpa, void* out, size_t n, bool own_memory_only);

// Copies n bytes into [gpa, gpa + n) of partition part, which must lie in its own RAM.
[[nodiscard]] Status write_guest(uint16_t part, uint64_t gpa, const void* in, size_t n);

}  // namespace sk::kernel
