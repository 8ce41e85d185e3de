// SPDX-License-Identifier: Apache-2.0
// Local APIC timer and legacy PIC registers (lapic_timer.hpp).
#include "arch/x86_64/lapic_timer.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"

namespace sk::arch::lapic {
namespace {

constexpr uint64_t k_lapic = 0xFEE00000;
constexpr uint32_t k_reg_eoi = 0xB0, k_reg_svr = 0xF0, k_reg_lvt_timer = 0x320;
constexpr uint32_t k_reg_initial = 0x380, k_reg_current = 0x390, k_reg_divide = 0x3E0;

volatile uint32_t& reg(uint32_t offset) { return mmio32(k_lapic + offset); }

}  // namespace

void mask_legacy_pics() {
  outb(0x20, 0x11);
  outb(0xA0, 0x11);
  outb(0x21, 0xF0);  // master vectors 0xF0..0xF7
  outb(0xA1, 0xF8);  // slave vectors 0xF8..0xFF
  outb(0x21, 0x04);
  outb(0xA1, 0x02);
  outb(0x21, 0x01);
  outb(0xA1, 0x01);
  outb(0x21, 0xFF);  // mask everything
  outb(0xA1, 0xFF);
}

bool enable() {
  uint64_t base = rdmsr(k_msr_apic_base);
  if ((base & 0xFFFFF000) != k_lapic) return false;
  wrmsr(k_msr_apic_base, base | (1u << 11));
  reg(k_reg_svr) = 0x100 | k_spurious_vector;
  reg(k_reg_divide) = 0x3;                          // divide by 16
  reg(k_reg_lvt_timer) = 0x10000 | k_timer_vector;  // masked until armed
  return true;
}

Calibration calibrate_10ms() {
  // PIT channel 2, mode 0, 11932 ticks = 10 ms; OUT2 (port 0x61 bit 5) rises at the end.
  uint8_t gate = inb(0x61);
  outb(0x61, uint8_t((gate & ~0x02) | 0x01));
  outb(0x43, 0xB0);
  outb(0x42, 11932 & 0xFF);
  outb(0x42, 11932 >> 8);
  reg(k_reg_initial) = 0xFFFFFFFF;
  uint64_t t0 = rdtsc();
  while ((inb(0x61) & 0x20) == 0) {
  }
  uint64_t t1 = rdtsc();
  uint32_t lapic_ticks = 0xFFFFFFFF - reg(k_reg_current);
  reg(k_reg_initial) = 0;
  outb(0x61, gate);
  return {t1 - t0, lapic_ticks};
}

void arm_oneshot(uint32_t ticks) {
  reg(k_reg_lvt_timer) = k_timer_vector;  // one-shot, unmasked
  reg(k_reg_initial) = ticks;
}

void end_of_interrupt() { reg(k_reg_eoi) = 0; }

}  // namespace sk::arch::lapic
