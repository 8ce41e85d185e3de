// SPDX-License-Identifier: Apache-2.0
// Guest linear -> guest-physical translation as the CPU does it, for the exit handlers that must
// read the instruction at the guest's RIP (no decode assists under TCG): paging off, 32-bit
// paging (4 KiB and, with CR4.PSE, 4 MiB pages), PAE paging (4 KiB, 2 MiB) and 4-level long-mode
// paging (4 KiB, 2 MiB, 1 GiB). Only the present bits and page sizes matter here: the CPU has
// already fetched the instruction, so the walk exists; a walk that fails means the tables moved.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::paging {

struct Guest_mode {
  uint64_t cr0, cr3, cr4, efer;
};

// read(gpa, bytes, out): reads a 4- or 8-byte table entry of guest-physical memory; false if
// the address is not the guest's.
template <typename Read>
Result<uint64_t> translate(const Guest_mode& m, uint64_t linear, Read read) {
  constexpr uint64_t k_present = 1, k_large = 1u << 7;
  if (!(m.cr0 & (1ull << 31))) return linear;  // paging off: linear = guest-physical
  const bool pae = m.cr4 & (1u << 5), long_mode = m.efer & (1u << 10);
  if (!pae) {  // 32-bit paging
    uint64_t pde = 0, pte = 0;
    if (!read((m.cr3 & 0xFFFFF000ull) + ((linear >> 22) & 0x3FF) * 4, 4, pde)) return Error::denied;
    if (!(pde & k_present)) return Error::not_found;
    if ((pde & k_large) && (m.cr4 & (1u << 4))) {  // 4 MiB page (PSE); bits 13-20 give PA 32-39
      return ((pde & 0xFFC00000ull) | ((pde & 0x1FE000ull) << 19)) | (linear & 0x3FFFFF);
    }
    if (!read((pde & 0xFFFFF000ull) + ((linear >> 12) & 0x3FF) * 4, 4, pte)) return Error::denied;
    if (!(pte & k_present)) return Error::not_found;
    return (pte & 0xFFFFF000ull) | (linear & 0xFFF);
  }
  constexpr uint64_t k_address = 0x000FFFFFFFFFF000ull;
  uint64_t entry = 0, table = 0;
  int level = 0;
  if (long_mode) {
    table = m.cr3 & k_address;
    level = 4;
  } else {  // PAE: CR3 points at four PDPTEs (32-byte aligned)
    if (!read((m.cr3 & 0xFFFFFFE0ull) + ((linear >> 30) & 3) * 8, 8, entry)) return Error::denied;
    if (!(entry & k_present)) return Error::not_found;
    table = entry & k_address;
    level = 2;
    linear &= 0xFFFFFFFFull;
  }
  for (; level >= 1; --level) {
    const int shift = 12 + 9 * (level - 1);
    if (!read(table + ((linear >> shift) & 0x1FF) * 8, 8, entry)) return Error::denied;
    if (!(entry & k_present)) return Error::not_found;
    if (level == 1) break;
    if ((entry & k_large) && (level == 2 || (level == 3 && long_mode))) {
      const uint64_t size = 1ull << shift;
      return (entry & k_address & ~(size - 1)) | (linear & (size - 1));
    }
    table = entry & k_address;
  }
  return (entry & k_address) | (linear & 0xFFF);
}

}  // namespace sk::paging
