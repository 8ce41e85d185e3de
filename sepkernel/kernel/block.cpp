// SPDX-License-Identifier: Apache-2.0
// Request handling of the paravirtual block device (see block.hpp, docs/hypercalls.md).
#include "kernel/block.hpp"

#include "drivers/ata.hpp"
#include "kernel/disk_keys.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/spinlock.hpp"
#include "kernel/timer.hpp"
#include "sk/hypercall_abi.hpp"
#include "sk/sealed_key.hpp"

namespace sk::kernel::block {
namespace {

namespace hc = hypercall;
constexpr uint32_t k_lbas = hc::k_block_sector / drivers::ata::k_sector;

uint32_t g_ring[policy::k_max_partitions];  // GPA of each partition's ring, 0: none yet
Spinlock g_io_lock;                          // one ATA transfer at a time, whichever CPU asks
uint8_t g_sector[hc::k_block_sector];
Work_cost g_request_cost{500};  // one 4 KiB request: ATA PIO + AES-XTS; raised to the worst seen

hc::Block_status serve(uint16_t part, const disk_keys::Disk& d, const hc::Block_request& r) {
  if (r.op != uint32_t(hc::Block_op::read) && r.op != uint32_t(hc::Block_op::write)) return hc::Block_status::bad_request;
  if (r.sector >= d.data_size / hc::k_block_sector) return hc::Block_status::out_of_range;
  if (r.buffer % 16 != 0) return hc::Block_status::bad_request;
  const uint64_t lba = (d.data_offset + r.sector * hc::k_block_sector) / drivers::ata::k_sector;
  const uint64_t tweak = storage::xts_tweak_for_sector(r.sector, hc::k_block_sector);
  Lock_guard guard(g_io_lock);
  if (r.op == uint32_t(hc::Block_op::read)) {
    if (!drivers::ata::read(d.ata, lba, k_lbas, g_sector)) return hc::Block_status::io_error;
    if (!d.decrypt(tweak, g_sector, sizeof g_sector)) return hc::Block_status::io_error;
    Status s = write_guest(part, r.buffer, g_sector, sizeof g_sector);
    for (auto& b : g_sector) b = 0;
    return s ? hc::Block_status::ok : hc::Block_status::bad_request;
  }
  if (!read_guest(part, r.buffer, g_sector, sizeof g_sector, true)) return hc::Block_status::bad_request;
  if (!d.encrypt(tweak, g_sector, sizeof g_sector)) return hc::Block_status::io_error;
  return drivers::ata::write(d.ata, lba, k_lbas, g_sector) ? hc::Block_status::ok : hc::Block_status::io_error;
}

}  // namespace

Error info(uint16_t part, uint32_t ring_gpa) {
  const disk_keys::Disk* d = disk_keys::disk(part);
  if (!d) return Error::not_found;
  if (ring_gpa % 4096 != 0 || ring_gpa == 0) return Error::bad_argument;
  uint8_t probe = 0;
  if (!read_guest(part, ring_gpa + 4095, &probe, 1, true)) return Error::denied;  // own RAM only
  g_ring[part] = ring_gpa;
  partition(part).regs.rbx = uint32_t(d->data_size / hc::k_block_sector);
  partition(part).regs.rcx = hc::k_block_sector;
  return Error::none;
}

Error doorbell(uint16_t part, bool& deferred) {
  const disk_keys::Disk* d = disk_keys::disk(part);
  if (!d) return Error::not_found;
  const uint32_t ring = g_ring[part];
  if (ring == 0) return Error::bad_argument;
  uint32_t indices[2];
  if (!read_guest(part, ring, indices, sizeof indices, true)) return Error::denied;
  uint32_t head = indices[0], tail = indices[1], done = 0;
  // At most one ring's worth per doorbell: a guest cannot keep the kernel busy indefinitely.
  while (tail != head && done < hc::k_block_ring_entries) {
    if (!g_request_cost.fits()) {  // the rest runs at the caller's next frame (SK-TIME-1)
      deferred = true;
      break;
    }
    const uint64_t t0 = timer::now_us();
    const uint32_t slot = tail % hc::k_block_ring_entries;
    const uint64_t at = ring + 8 + uint64_t(slot) * sizeof(hc::Block_request);
    hc::Block_request r{};  // a private copy: the guest may change the ring meanwhile
    if (!read_guest(part, at, &r, sizeof r, true)) return Error::denied;
    const uint32_t status = uint32_t(serve(part, *d, r));
    if (!write_guest(part, at + 4, &status, sizeof status)) return Error::denied;
    ++tail;
    ++done;
    g_request_cost.record(timer::now_us() - t0);
  }
  if (!write_guest(part, ring + 4, &tail, sizeof tail)) return Error::denied;
  partition(part).regs.rbx = done;
  return Error::none;
}

}  // namespace sk::kernel::block
