// SPDX-License-Identifier: Apache-2.0
// Guest block-device helpers (see block.hpp).
#include "block.hpp"

#include "guest.hpp"

namespace guest::block {
namespace {
namespace hc = sk::hypercall;
alignas(4096) hc::Block_ring g_ring;
}  // namespace

uint32_t open(uint32_t* error) {
  Hypercall_result r = hypercall(hc::Number::block_info, uint32_t(reinterpret_cast<uintptr_t>(&g_ring)));
  if (error) *error = r.error;
  return r.error ? 0 : r.ebx;
}

uint32_t request(hc::Block_op op, uint64_t sector, void* buffer) {
  hc::Block_request& r = g_ring.requests[g_ring.head % hc::k_block_ring_entries];
  r.op = uint32_t(op);
  r.status = 0;
  r.sector = sector;
  r.buffer = uint32_t(reinterpret_cast<uintptr_t>(buffer));
  ++g_ring.head;
  Hypercall_result d = hypercall(hc::Number::block_doorbell);
  if (d.error) return 0x10000u + d.error;
  return r.status;
}

uint32_t submit_ring(uint32_t sectors, uint8_t (*buffers)[4096], uint32_t count) {
  for (uint32_t i = 0; i < hc::k_block_ring_entries; ++i) {
    hc::Block_request& r = g_ring.requests[g_ring.head % hc::k_block_ring_entries];
    r.op = uint32_t(i % 2 ? hc::Block_op::read : hc::Block_op::write);
    r.status = 0;
    r.sector = sectors - 1 - (i % 8) % sectors;
    r.buffer = uint32_t(reinterpret_cast<uintptr_t>(buffers[i % count]));
    ++g_ring.head;
  }
  return hypercall(hc::Number::block_doorbell).ebx;
}

}  // namespace guest::block
