// SPDX-License-Identifier: Apache-2.0
// The virtio-blk disk of virtual_pc partitions (see virtual_disk.hpp).
#include "kernel/virtual_disk.hpp"

#include "arch/x86_64/svm.hpp"
#include "kernel/block.hpp"
#include "kernel/disk_keys.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/timer.hpp"
#include "kernel/virtual_pc.hpp"
#include "virt/virtio_blk.hpp"

namespace sk::kernel::vdisk {
namespace {

namespace svm = arch::svm;
namespace hc = hypercall;
using virt::Virtio_blk;
constexpr uint16_t k_bar_base = 0xC000;
constexpr uint8_t k_irq = 11;

struct Own_ram final : virt::Guest_ram {
  uint16_t part;
  explicit Own_ram(uint16_t p) : part(p) {}
  bool read(uint64_t gpa, void* to, uint32_t size) override { return bool(read_guest(part, gpa, to, size, true)); }
  bool write(uint64_t gpa, const void* from, uint32_t size) override {
    return bool(write_guest(part, gpa, from, size));
  }
};

// Each used only on its partition's CPU.
struct State {
  bool looked_up;  // whether the partition has the device is decided once
  bool present;
  bool kicked;   // notified since the available ring was last seen empty
  bool have;     // req taken off the ring, not yet completed
  uint32_t unit; // req's next unit
  uint8_t status;
  Virtio_blk dev;
  virt::Blk_request req;
};
State g_state[policy::k_max_partitions];
// Taking a request off the queue or completing it (a chain of up to 128 descriptors read from
// guest memory): started only if it fits in the partition's own time left (SK-TIME-1); raised
// to the worst seen. The 4096-byte units themselves are bounded by block::serve.
Work_cost g_queue_cost{100};

// Called before every VMRUN: whether the partition has the device is looked up once (its disk key
// was unsealed, or not, at boot, before it first runs).
State* state(uint16_t part) {
  if (part >= policy::k_max_partitions) return nullptr;
  State& s = g_state[part];
  if (!s.looked_up) {
    s.looked_up = true;
    const disk_keys::Disk* d = policy().partitions[part].virtual_pc ? disk_keys::disk(part) : nullptr;
    s.present = d != nullptr;
    if (d) s.dev.configure(d->data_size / Virtio_blk::k_unit, k_bar_base, k_irq);
  }
  return s.present ? &s : nullptr;
}

// Serves queued requests as far as the partition's own time allows.
void work(uint16_t part, State& s) {
  Own_ram ram{part};
  bool raise = false;
  for (uint32_t n = 0; n < Virtio_blk::k_queue_size; ++n) {  // bounded per call; the rest at the next VMRUN
    if (!s.have) {
      if (!g_queue_cost.fits()) break;  // the rest at the partition's next VMRUN, in its own time
      const uint64_t t0 = timer::now_us();
      const bool taken = s.dev.next(ram, s.req);
      g_queue_cost.record(timer::now_us() - t0);
      if (!taken) {
        s.kicked = false;
        break;
      }
      s.have = true;
      s.unit = 0;
      s.status = s.req.status;
    }
    bool pending = false;
    while (s.status == Virtio_blk::k_ok && s.unit < s.req.units) {
      const uint64_t gpa = s.req.data_gpa(s.unit);
      if (gpa >> 32) {  // above 4 GiB: never the partition's RAM
        s.status = Virtio_blk::k_ioerr;
        break;
      }
      const hc::Block_request r{uint32_t(s.req.read() ? hc::Block_op::read : hc::Block_op::write), 0,
                                s.req.unit + s.unit, uint32_t(gpa), 0};
      hc::Block_status st = hc::Block_status::ok;
      if (block::serve(part, r, st) == block::Served::pending) {
        pending = true;
        break;
      }
      if (st != hc::Block_status::ok) s.status = Virtio_blk::k_ioerr;
      ++s.unit;
    }
    if (pending || !g_queue_cost.fits()) break;
    const uint64_t t0 = timer::now_us();
    if (s.dev.finish(ram, s.req, s.status) && s.dev.interrupt_enabled()) raise = true;
    g_queue_cost.record(timer::now_us() - t0);
    s.have = false;
  }
  if (raise) pc::raise(part, s.dev.irq());
}

}  // namespace

bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip) {
  State* s = state(part);
  if (!s || (info1 & 4)) return false;  // string I/O: not the device's
  const uint8_t size = (info1 & 0x10) ? 1 : (info1 & 0x20) ? 2 : 4;  // SZ8, SZ16, SZ32
  const uint16_t port = uint16_t(info1 >> 16);
  svm::Vmcb& v = vmcb(part);
  uint64_t& rax = v.at<uint64_t>(svm::k_rax);
  if (info1 & 1) {
    uint32_t value = 0;
    if (!s->dev.io_read(port, size, value)) return false;
    const uint64_t mask = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
    rax = size == 4 ? uint64_t(value) : (rax & ~mask) | (value & mask);  // IN EAX clears RAX's upper half
  } else {
    bool notified = false;
    if (!s->dev.io_write(port, size, uint32_t(rax), notified)) return false;
    if (notified) {
      s->kicked = true;
      work(part, *s);
    }
  }
  v.at<uint64_t>(svm::k_rip) = next_rip;
  return true;
}

void before_vmrun(uint16_t part) {
  State* s = state(part);
  if (s && (s->have || s->kicked)) work(part, *s);
}

bool busy(uint16_t part) {
  const State* s = state(part);
  return s && (s->have || s->kicked);
}

}  // namespace sk::kernel::vdisk
