// SPDX-License-Identifier: Apache-2.0
// Access decisions derived from the policy (see access.hpp).
#include "sk/access.hpp"

namespace sk::policy {

namespace {
bool inside(uint64_t x, uint64_t base, uint64_t size) { return x >= base && x - base < size; }
}  // namespace

uint32_t guest_regions(const Policy& p, uint16_t part, Guest_region* out, uint32_t capacity) {
  if (part >= p.partition_count || part >= k_max_partitions) return 0;
  const Partition& me = p.partitions[part];
  uint32_t n = 0;
  auto emit = [&](const Guest_region& r) {
    if (n < capacity) out[n] = r;
    ++n;
  };
  emit({0, me.memory.base, me.memory.size, Access::read_write});
  for (uint32_t c = 0; c < p.channel_count && c < k_max_channels; ++c) {
    const Channel& ch = p.channels[c];
    if (ch.writer == part) {
      emit({ch.guest_address, ch.memory.base, ch.memory.size, Access::read_write});
    } else if (ch.reader == part) {
      emit({ch.guest_address, ch.memory.base, ch.memory.size, Access::read});
    }
  }
  for (uint32_t m = 0; m < me.mmio_count && m < k_max_mmio_ranges; ++m) {
    emit({me.mmio[m].base, me.mmio[m].base, me.mmio[m].size, Access::read_write});
  }
  return n;
}

Page_grant guest_page(const Policy& p, uint16_t part, uint64_t gpa) {
  constexpr uint32_t k_cap = 1 + k_max_channels + k_max_mmio_ranges;
  Guest_region regions[k_cap];
  uint32_t n = guest_regions(p, part, regions, k_cap);
  if (n > k_cap) n = k_cap;
  uint64_t page = gpa & ~(k_page_size - 1);
  // A valid policy has no overlapping regions (SK-MEM-6); the first match wins otherwise,
  // and the unit tests of the builders use the same order.
  for (uint32_t i = 0; i < n; ++i) {
    if (inside(page, regions[i].guest_address, regions[i].size)) {
      return {regions[i].access, regions[i].host_address + (page - regions[i].guest_address)};
    }
  }
  return {Access::none, 0};
}

bool port_granted(const Policy& p, uint16_t part, uint16_t port) {
  if (part >= p.partition_count || part >= k_max_partitions) return false;
  const Partition& me = p.partitions[part];
  for (uint32_t i = 0; i < me.io_count && i < k_max_io_ranges; ++i) {
    if (port >= me.io[i].first && uint32_t(port) - me.io[i].first < me.io[i].count) return true;
  }
  return false;
}

bool irq_granted(const Policy& p, uint16_t part, uint8_t irq) {
  if (part >= p.partition_count || part >= k_max_partitions) return false;
  const Partition& me = p.partitions[part];
  for (uint32_t i = 0; i < me.irq_count && i < k_max_irqs; ++i) {
    if (me.irqs[i] == irq) return true;
  }
  return false;
}

}  // namespace sk::policy
