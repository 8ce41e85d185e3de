// SPDX-License-Identifier: Apache-2.0
// LAPIC one-shot timer and TSC clock, both calibrated over 10 ms of PIT channel 2; legacy PICs
// remapped to 0xF0-0xFF and fully masked.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"
#include "sk/panic.hpp"

namespace sk::timer {
namespace {

constexpr uint64_t k_lapic = 0xFEE00000;
constexpr uint32_t k_reg_eoi = 0xB0, k_reg_svr = 0xF0, k_reg_lvt_timer = 0x320;
constexpr uint32_t k_reg_initial = 0x380, k_reg_current = 0x390, k_reg_divide = 0x3E0;

uint64_t g_tsc_start;
uint64_t g_tsc_per_us = 1;
uint64_t g_tsc_khz = 1000;
uint64_t g_lapic_per_us = 1;  // LAPIC timer ticks (divide by 16) per microsecond, x1024

volatile uint32_t& reg(uint32_t offset) { return arch::mmio32(k_lapic + offset); }

void mask_legacy_pics() {
  using arch::outb;
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

void enable_lapic() {
  uint64_t base = arch::rdmsr(arch::k_msr_apic_base);
  if ((base & 0xFFFFF000) != k_lapic) panic("LAPIC not at 0xFEE00000");
  arch::wrmsr(arch::k_msr_apic_base, base | (1u << 11));
  reg(k_reg_svr) = 0x100 | arch::k_spurious_vector;
  reg(k_reg_divide) = 0x3;  // divide by 16
  reg(k_reg_lvt_timer) = 0x10000 | arch::k_timer_vector;  // masked until armed
}

}  // namespace

void init_bsp() {
  mask_legacy_pics();
  enable_lapic();
  // PIT channel 2, mode 0, 11932 ticks = 10 ms; OUT2 (port 0x61 bit 5) rises at the end.
  uint8_t gate = arch::inb(0x61);
  arch::outb(0x61, uint8_t((gate & ~0x02) | 0x01));
  arch::outb(0x43, 0xB0);
  arch::outb(0x42, 11932 & 0xFF);
  arch::outb(0x42, 11932 >> 8);
  reg(k_reg_initial) = 0xFFFFFFFF;
  uint64_t t0 = arch::rdtsc();
  while ((arch::inb(0x61) & 0x20) == 0) {
  }
  uint64_t t1 = arch::rdtsc();
  uint32_t lapic_ticks = 0xFFFFFFFF - reg(k_reg_current);
  reg(k_reg_initial) = 0;
  arch::outb(0x61, gate);
  g_tsc_per_us = (t1 - t0) / 10000;
  g_tsc_khz = (t1 - t0) / 10;
  g_lapic_per_us = (uint64_t(lapic_ticks) * 1024) / 10000;
  if (g_tsc_per_us == 0 || g_lapic_per_us == 0) panic("timer calibration failed");
  g_tsc_start = arch::rdtsc();
  log::print("timer: TSC %lu ticks/us, LAPIC %lu ticks/ms (divide 16)\n", g_tsc_per_us, g_lapic_per_us * 1000 / 1024);
}

void init_ap() { enable_lapic(); }

uint64_t now_us() { return (arch::rdtsc() - g_tsc_start) / g_tsc_per_us; }
uint64_t tsc_per_us() { return g_tsc_per_us; }
uint32_t tsc_khz() { return uint32_t(g_tsc_khz); }

void arm(uint32_t us) {
  cpu::local().timer_fired = false;
  uint64_t ticks = (uint64_t(us) * g_lapic_per_us) / 1024;
  if (ticks == 0) ticks = 1;
  if (ticks > 0xFFFFFFFF) ticks = 0xFFFFFFFF;
  reg(k_reg_lvt_timer) = arch::k_timer_vector;  // one-shot, unmasked
  reg(k_reg_initial) = uint32_t(ticks);
}

void arm_at(uint64_t deadline_us) {
  const uint64_t now = now_us();
  arm(deadline_us > now ? uint32_t(deadline_us - now < 0xFFFFFFFF ? deadline_us - now : 0xFFFFFFFF) : 0);
}

bool fired() { return cpu::local().timer_fired; }

void on_interrupt() {
  cpu::local().timer_fired = true;
  reg(k_reg_eoi) = 0;
}

}  // namespace sk::timer
