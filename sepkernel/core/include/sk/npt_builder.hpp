// SPDX-License-Identifier: Apache-2.0
// Builds one partition's nested page table (AMD64 4-level format, 4 KiB leaves) from the
// policy's grants alone. Hardware is reached through the Memory template parameter, so the
// same code runs in the kernel (physical pages from a static pool) and in hosted tests (fake
// memory). Promise (SK-MEM-3, SK-MEM-5, SK-FLOW-1): after build(), a guest-physical page is
// mapped iff guest_page() grants it, to the host page guest_page() names, writable iff the
// grant is read_write; nothing else is mapped.
#pragma once
#include <stdint.h>

#include "sk/access.hpp"
#include "sk/result.hpp"

namespace sk::npt {

inline constexpr uint64_t k_present = 1ull << 0;
inline constexpr uint64_t k_writable = 1ull << 1;
inline constexpr uint64_t k_user = 1ull << 2;  // NPT walks are user accesses: set on every level
inline constexpr uint64_t k_address_mask = 0x000FFFFFFFFFF000ull;
inline constexpr uint64_t k_guest_limit = policy::k_guest_physical_end;  // 4-level tables reach 256 TiB
inline constexpr uint32_t k_entries = 512;

// Memory must provide:
//   Result<uint64_t> allocate();          // a zeroed 4 KiB page, its physical address
//   uint64_t* table(uint64_t physical);   // the 512 entries of the page at that address
template <typename Memory>
[[nodiscard]] Status map_page(Memory& memory, uint64_t root, uint64_t gpa, uint64_t hpa, bool writable) {
  if (gpa >= k_guest_limit || (gpa & 0xFFF) != 0 || (hpa & ~k_address_mask) != 0) return Error::out_of_range;
  uint64_t table = root;
  for (int level = 3; level > 0; --level) {
    uint64_t* entries = memory.table(table);
    uint64_t& e = entries[(gpa >> (12 + 9 * level)) & 0x1FF];
    if ((e & k_present) == 0) {
      Result<uint64_t> page = memory.allocate();
      if (!page) return page.error();
      e = page.value() | k_present | k_writable | k_user;
    }
    table = e & k_address_mask;
  }
  uint64_t& leaf = memory.table(table)[(gpa >> 12) & 0x1FF];
  if (leaf & k_present) return Error::out_of_range;  // overlapping grants: never in a valid policy
  leaf = hpa | k_present | k_user | (writable ? k_writable : 0);
  return {};
}

// Returns the root (PML4) physical address of a new table mapping exactly the grants of
// partition part. Errors: no_space (pool exhausted), out_of_range (address not mappable).
template <typename Memory>
[[nodiscard]] Result<uint64_t> build(const policy::Policy& p, uint16_t part, Memory& memory) {
  constexpr uint32_t k_cap = 1 + policy::k_max_channels + policy::k_max_mmio_ranges;
  policy::Guest_region regions[k_cap];
  uint32_t n = policy::guest_regions(p, part, regions, k_cap);
  if (n == 0 || n > k_cap) return Error::bad_argument;
  Result<uint64_t> root = memory.allocate();
  if (!root) return root.error();
  for (uint32_t i = 0; i < n; ++i) {
    const policy::Guest_region& r = regions[i];
    if (r.access == policy::Access::none) continue;
    for (uint64_t off = 0; off < r.size; off += policy::k_page_size) {
      Status s = map_page(memory, root.value(), r.guest_address + off, r.host_address + off,
                          r.access == policy::Access::read_write);
      if (!s) return s.error();
    }
  }
  return root.value();
}

// Walks the table: the grant the hardware would apply to the page containing gpa.
template <typename Memory>
policy::Page_grant translate(Memory& memory, uint64_t root, uint64_t gpa) {
  if (gpa >= k_guest_limit) return {policy::Access::none, 0};
  uint64_t table = root;
  bool writable = true;
  for (int level = 3; level >= 0; --level) {
    uint64_t e = memory.table(table)[(gpa >> (12 + 9 * level)) & 0x1FF];
    if ((e & k_present) == 0 || (e & k_user) == 0) return {policy::Access::none, 0};
    writable = writable && (e & k_writable);
    table = e & k_address_mask;
  }
  return {writable ? policy::Access::read_write : policy::Access::read, table};
}

// Calls visit(gpa, hpa, writable) for every present leaf, in address order.
template <typename Memory, typename Visit>
void for_each_leaf(Memory& memory, uint64_t root, Visit&& visit) {
  uint64_t* l4 = memory.table(root);
  for (uint64_t a = 0; a < k_entries; ++a) {
    if (!(l4[a] & k_present)) continue;
    uint64_t* l3 = memory.table(l4[a] & k_address_mask);
    for (uint64_t b = 0; b < k_entries; ++b) {
      if (!(l3[b] & k_present)) continue;
      uint64_t* l2 = memory.table(l3[b] & k_address_mask);
      for (uint64_t c = 0; c < k_entries; ++c) {
        if (!(l2[c] & k_present)) continue;
        uint64_t* l1 = memory.table(l2[c] & k_address_mask);
        for (uint64_t d = 0; d < k_entries; ++d) {
          if (!(l1[d] & k_present)) continue;
          uint64_t gpa = (a << 39) | (b << 30) | (c << 21) | (d << 12);
          visit(gpa, l1[d] & k_address_mask, (l1[d] & k_writable) != 0);
        }
      }
    }
  }
}

// Pages build() needs for partition part in the worst case (for sizing a static pool).
uint64_t pages_needed(const policy::Policy& p, uint16_t part);

}  // namespace sk::npt
