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
Spinlock g_io_lock;                          // the channel owners, whichever CPU asks
Work_cost g_request_cost{500};  // the CPU part of one 4 KiB request (AES-XTS, PIO, copies); raised to the worst seen

// The request a partition's doorbell is serving: its ring slot, a private copy of the request
// (the guest may change the ring meanwhile), and the device transfer, which may run over several
// of the caller's frames while the device is busy. Its sector buffer is the partition's own.
struct In_flight {
  bool active;
  uint64_t at;  // guest-physical address of the request in the ring
  hc::Block_request r;
  uint64_t tweak;
  drivers::ata::Transfer t;
};
In_flight g_flight[policy::k_max_partitions];
alignas(16) uint8_t g_buffer[policy::k_max_partitions][hc::k_block_sector];
// The partition whose transfer holds each ATA channel (k_max_partitions: none). Commands on one
// channel cannot interleave, so partitions whose disks share a channel wait for each other.
uint16_t g_channel_owner[2] = {policy::k_max_partitions, policy::k_max_partitions};

// Checks a request and prepares its transfer (a write's sector encrypted into the partition's
// buffer). Anything but ok completes the request without touching the device.
hc::Block_status prepare(uint16_t part, const disk_keys::Disk& d, In_flight& f) {
  const hc::Block_request& r = f.r;
  if (r.op != uint32_t(hc::Block_op::read) && r.op != uint32_t(hc::Block_op::write)) return hc::Block_status::bad_request;
  if (r.sector >= d.data_size / hc::k_block_sector) return hc::Block_status::out_of_range;
  if (r.buffer % 16 != 0) return hc::Block_status::bad_request;
  const uint64_t lba = (d.data_offset + r.sector * hc::k_block_sector) / drivers::ata::k_sector;
  f.tweak = storage::xts_tweak_for_sector(r.sector, hc::k_block_sector);
  uint8_t* buffer = g_buffer[part];
  const bool write = r.op == uint32_t(hc::Block_op::write);
  if (write) {
    if (!read_guest(part, r.buffer, buffer, hc::k_block_sector, true)) return hc::Block_status::bad_request;
    if (!d.encrypt(f.tweak, buffer, hc::k_block_sector)) return hc::Block_status::io_error;
  }
  f.t = drivers::ata::Transfer{d.ata, lba, k_lbas, buffer, write, 0, 0, 0};
  return hc::Block_status::ok;
}

// A finished transfer's result; a read's sector decrypted into the guest's buffer.
hc::Block_status complete(uint16_t part, const disk_keys::Disk& d, const In_flight& f, drivers::ata::Progress p) {
  if (p != drivers::ata::Progress::done) return hc::Block_status::io_error;
  if (f.t.write) return hc::Block_status::ok;
  uint8_t* buffer = g_buffer[part];
  hc::Block_status status = hc::Block_status::ok;
  if (!d.decrypt(f.tweak, buffer, hc::k_block_sector)) {
    status = hc::Block_status::io_error;
  } else if (!write_guest(part, f.r.buffer, buffer, hc::k_block_sector)) {
    status = hc::Block_status::bad_request;
  }
  for (uint32_t i = 0; i < hc::k_block_sector; ++i) buffer[i] = 0;  // no plaintext left behind
  return status;
}

}  // namespace

Error info(uint16_t part, uint32_t ring_gpa) {
  const disk_keys::Disk* d = disk_keys::disk(part);
  if (!d) return Error::not_found;
  if (policy().partitions[part].virtual_pc) return Error::denied;  // its disk is the virtio device
  if (ring_gpa % 4096 != 0 || ring_gpa == 0) return Error::bad_argument;
  uint8_t probe = 0;
  if (!read_guest(part, ring_gpa + 4095, &probe, 1, true)) return Error::denied;  // own RAM only
  g_ring[part] = ring_gpa;
  partition(part).regs.rbx = uint32_t(d->data_size / hc::k_block_sector);
  partition(part).regs.rcx = hc::k_block_sector;
  return Error::none;
}

Served serve(uint16_t part, const hc::Block_request& r, hc::Block_status& status) {
  const disk_keys::Disk* d = disk_keys::disk(part);
  In_flight& f = g_flight[part];
  if (!d) {
    status = hc::Block_status::io_error;
    return Served::done;
  }
  if (!g_request_cost.fits()) return Served::pending;  // the rest runs at the caller's next frame (SK-TIME-1)
  const uint64_t t0 = timer::now_us();
  if (!f.active) {
    f.r = r;
    status = prepare(part, *d, f);
    if (status != hc::Block_status::ok) return Served::done;
    f.active = true;
  }
  const uint32_t channel = drivers::ata::channel_of(d->ata);
  {
    Lock_guard guard(g_io_lock);
    if (g_channel_owner[channel] != part && g_channel_owner[channel] != policy::k_max_partitions) {
      return Served::pending;  // another partition's transfer holds the channel
    }
    g_channel_owner[channel] = part;
  }
  // The device is waited for only while the caller's own time still holds the rest of the
  // request; a transfer still busy then keeps the channel and goes on at its next frame.
  const uint64_t t1 = timer::now_us(), left = own_time_left_us();
  const uint64_t until = t1 + (left > g_request_cost.worst_us ? left - g_request_cost.worst_us : 0);
  const drivers::ata::Progress p = drivers::ata::run(f.t, until);
  const uint64_t waited = timer::now_us() - t1;
  if (p == drivers::ata::Progress::pending) return Served::pending;
  {
    Lock_guard guard(g_io_lock);
    g_channel_owner[channel] = policy::k_max_partitions;
  }
  f.active = false;
  status = complete(part, *d, f, p);
  g_request_cost.record(timer::now_us() - t0 - waited);
  return Served::done;
}

Error doorbell(uint16_t part, bool& deferred) {
  const disk_keys::Disk* d = disk_keys::disk(part);
  if (!d) return Error::not_found;
  if (policy().partitions[part].virtual_pc) return Error::denied;  // its disk is the virtio device
  const uint32_t ring = g_ring[part];
  if (ring == 0) return Error::bad_argument;
  uint32_t indices[2];
  if (!read_guest(part, ring, indices, sizeof indices, true)) return Error::denied;
  uint32_t head = indices[0], tail = indices[1], done = 0;
  In_flight& f = g_flight[part];
  // At most one ring's worth per doorbell: a guest cannot keep the kernel busy indefinitely.
  while ((f.active || tail != head) && done < hc::k_block_ring_entries) {
    hc::Block_request r{};
    if (!f.active) {
      f.at = ring + 8 + uint64_t(tail % hc::k_block_ring_entries) * sizeof(hc::Block_request);
      if (!read_guest(part, f.at, &r, sizeof r, true)) return Error::denied;
    }
    hc::Block_status status = hc::Block_status::ok;
    if (serve(part, r, status) == Served::pending) {
      deferred = true;
      break;
    }
    const uint32_t value = uint32_t(status);
    if (!write_guest(part, f.at + 4, &value, sizeof value)) return Error::denied;
    ++tail;
    ++done;
  }
  if (!write_guest(part, ring + 4, &tail, sizeof tail)) return Error::denied;
  partition(part).regs.rbx = done;
  return Error::none;
}

}  // namespace sk::kernel::block
