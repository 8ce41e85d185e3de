// SPDX-License-Identifier: Apache-2.0
// The kernel's clock (the TSC) and minor-frame timer (the LAPIC's one-shot timer), both
// calibrated over 10 ms of PIT channel 2 at boot (timer.hpp; registers in arch/x86_64/lapic_timer).
#include "kernel/timer.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/lapic_timer.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/log.hpp"
#include "sk/panic.hpp"

namespace sk::timer {
namespace {

uint64_t g_tsc_start;
uint64_t g_tsc_per_us = 1;
uint64_t g_tsc_khz = 1000;
uint64_t g_lapic_per_us = 1;  // LAPIC timer ticks (divide by 16) per microsecond, x1024

void enable_lapic() {
  if (!arch::lapic::enable()) panic("LAPIC not at 0xFEE00000");
}

}  // namespace

void init_bsp() {
  arch::lapic::mask_legacy_pics();
  enable_lapic();
  const arch::lapic::Calibration c = arch::lapic::calibrate_10ms();
  g_tsc_per_us = c.tsc_ticks / 10000;
  g_tsc_khz = c.tsc_ticks / 10;
  g_lapic_per_us = (uint64_t(c.lapic_ticks) * 1024) / 10000;
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
  arch::lapic::arm_oneshot(uint32_t(ticks));
}

void arm_at(uint64_t deadline_us) {
  const uint64_t now = now_us();
  arm(deadline_us > now ? uint32_t(deadline_us - now < 0xFFFFFFFF ? deadline_us - now : 0xFFFFFFFF) : 0);
}

bool fired() { return cpu::local().timer_fired; }

void on_interrupt() {
  cpu::local().timer_fired = true;
  arch::lapic::end_of_interrupt();
}

}  // namespace sk::timer
