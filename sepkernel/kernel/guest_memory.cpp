// SPDX-License-Identifier: Apache-2.0
// Guest memory reads for the exit handlers and hypercalls (see guest_memory.hpp).
#include "kernel/guest_memory.hpp"

#include "kernel/kernel.hpp"
#include "sk/access.hpp"

namespace sk::kernel {

Status read_guest(uint16_t part, uint64_t gpa, void* out, size_t n, bool own_memory_only) {
  const policy::Policy& p = policy();
  if (part >= p.partition_count) return Error::bad_argument;
  if (gpa + n < gpa) return Error::out_of_range;
  if (own_memory_only && gpa + n > p.partitions[part].memory.size) return Error::denied;
  auto* dst = static_cast<uint8_t*>(out);
  for (size_t i = 0; i < n;) {
    policy::Page_grant g = policy::guest_page(p, part, gpa + i);
    if (g.access == policy::Access::none) return Error::denied;
    // RAM and channel pages only: a granted MMIO page is a device (reads have side effects) and
    // may lie where the kernel maps nothing.
    if (g.host_address >= p.platform.ram_size) return Error::denied;
    uint64_t offset = (gpa + i) & (policy::k_page_size - 1);
    size_t chunk = policy::k_page_size - offset;
    if (chunk > n - i) chunk = n - i;
    const auto* src = reinterpret_cast<const uint8_t*>(g.host_address + offset);
    for (size_t k = 0; k < chunk; ++k) dst[i + k] = src[k];
    i += chunk;
  }
  return {};
}

Status write_guest(uint16_t part, uint64_t gpa, const void* in, size_t n) {
  const policy::Policy& p = policy();
  if (part >= p.partition_count) return Error::bad_argument;
  if (gpa + n < gpa) return Error::out_of_range;
  if (gpa + n > p.partitions[part].memory.size) return Error::denied;  // own RAM only, never a channel
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = reinterpret_cast<uint8_t*>(p.partitions[part].memory.base + gpa);
  for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  return {};
}

}  // namespace sk::kernel
