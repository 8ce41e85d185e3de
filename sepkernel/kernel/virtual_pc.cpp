// SPDX-License-Identifier: Apache-2.0
// The virtual PIC and PIT of virtual_pc partitions (see virtual_pc.hpp).
#include "kernel/virtual_pc.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/svm.hpp"
#include "kernel/kernel.hpp"
#include "kernel/timer.hpp"
#include "virt/pic8259.hpp"
#include "virt/pit8254.hpp"

namespace sk::kernel::pc {
namespace {

namespace svm = arch::svm;

struct Platform {
  virt::Pic8259 pic;
  virt::Pit8254 pit;
};
Platform g_pc[policy::k_max_partitions];  // each used only on its partition's CPU

bool is_pc(uint16_t part) { return part < policy::k_max_partitions && policy().partitions[part].virtual_pc; }
uint64_t now_ticks() { return virt::pit_ticks(timer::now_us()); }

}  // namespace

bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip) {
  if (!is_pc(part)) return false;
  const bool in = info1 & 1, string = info1 & 4, one_byte = info1 & 0x10;
  const uint16_t port = uint16_t(info1 >> 16);
  const bool pic = port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1;
  const bool pit = (port >= 0x40 && port <= 0x43) || port == 0x61;
  if (string || !one_byte || !(pic || pit)) return false;
  Platform& p = g_pc[part];
  svm::Vmcb& v = vmcb(part);
  uint64_t& rax = v.at<uint64_t>(svm::k_rax);
  const uint8_t out = uint8_t(rax);
  uint8_t result = 0xFF;
  const uint64_t now = now_ticks();
  if (pic) {
    if (in) result = p.pic.read(port); else p.pic.write(port, out);
  } else if (port == 0x61) {
    if (in) result = p.pit.read_61(now); else p.pit.write_61(out);
  } else if (port == 0x43) {
    if (!in) p.pit.control(out, now);  // the control word cannot be read
  } else {
    if (in) result = p.pit.read(uint8_t(port - 0x40), now); else p.pit.write(uint8_t(port - 0x40), out, now);
  }
  if (in) rax = (rax & ~0xFFull) | result;
  v.at<uint64_t>(svm::k_rip) = next_rip;
  return true;
}

void raise(uint16_t part, uint8_t irq) {
  if (is_pc(part)) g_pc[part].pic.raise(irq);
}

void before_vmrun(uint16_t part) {
  if (!is_pc(part)) return;
  Platform& p = g_pc[part];
  if (p.pit.irq0_due(now_ticks())) p.pic.raise(0);
  svm::Vmcb& v = vmcb(part);
  uint32_t& vintr = v.at<uint32_t>(svm::k_vintr);
  if (vintr & (1u << 8)) return;  // V_IRQ: the last one is still waiting for the guest
  const int vector = p.pic.pending();
  if (vector < 0) return;
  p.pic.take();
  // V_IRQ with priority 15, ignoring V_TPR, taken when the guest's IF allows.
  vintr |= (1u << 8) | (0xFu << 16) | (1u << 20);
  v.at<uint8_t>(svm::k_vintr + 4) = uint8_t(vector);
}

bool idle_until(uint16_t part, uint64_t until_us) {
  if (!is_pc(part)) return false;
  Platform& p = g_pc[part];
  if (p.pic.pending() >= 0) return true;
  const uint64_t next = p.pit.next_irq0(now_ticks());
  if (next == ~uint64_t{0}) return false;
  const uint64_t wake_us = virt::pit_microseconds(next) + 1;
  if (wake_us >= until_us) return false;
  while (timer::now_us() < wake_us) arch::cpu_relax();
  return true;
}

}  // namespace sk::kernel::pc
