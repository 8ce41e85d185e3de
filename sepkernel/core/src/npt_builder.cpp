// SPDX-License-Identifier: Apache-2.0
// Sizing of nested page tables: how many table pages a partition's grants need at most.
#include "sk/npt_builder.hpp"

namespace sk::npt {

uint64_t pages_needed(const policy::Policy& p, uint16_t part) {
  constexpr uint32_t k_cap = 1 + policy::k_max_channels + policy::k_max_mmio_ranges;
  policy::Guest_region regions[k_cap];
  uint32_t n = policy::guest_regions(p, part, regions, k_cap);
  if (n > k_cap) n = k_cap;
  uint64_t pages = 1;  // PML4
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t size = regions[i].size;
    // Each region touches at most this many tables per level (+1 for misalignment at each end).
    pages += (size >> 21) + 2;  // page tables (2 MiB each)
    pages += (size >> 30) + 2;  // page directories (1 GiB each)
    pages += (size >> 39) + 2;  // PDPTs (512 GiB each)
  }
  return pages;
}

}  // namespace sk::npt
