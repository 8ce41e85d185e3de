// SPDX-License-Identifier: Apache-2.0
// The static cyclic schedule: each CPU walks its plan's minor frames forever, each starting at
// its absolute deadline (SK-TIME-1). A frame belongs to its partition alone; time it does not
// use (yield, halt, wait, stopped) idles the CPU and is never lent to another partition.
#include "arch/x86_64/cpu.hpp"
#include "kernel/console.hpp"
#include "kernel/context_switch.hpp"
#include "kernel/virtual_disk.hpp"
#include "kernel/virtual_pc.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/frame_cursor.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"

namespace sk::kernel {
namespace {

// SK-TIME-1: the last k_guard_us of every minor frame belong to the kernel. The partition's
// timer fires at frame end - guard; whatever the kernel still does for it (an exit in flight,
// bounded by the checks in own_time_left_us's callers), the trusted-path poll and the log
// drain fit in the guard, and the next frame starts at its absolute deadline regardless.
constexpr uint32_t k_guard_us = policy::k_frame_guard_us;
constexpr uint32_t k_drain_margin_us = 200;   // the drain stops this long before the deadline
constexpr uint64_t k_report_every = 256;      // major frames between schedule report lines

struct Frame_clock {
  uint64_t own_start_us;     // start of the running partition's own time in this frame
  uint64_t own_end_us;       // end of it: the frame's end less the guard
  uint64_t worst_window_us;  // longest kernel window so far (the report line; bench/)
  uint64_t overruns;         // frames whose partition still ran at the frame's end (late timer)
  uint64_t worst_overrun_us;
};
Frame_clock g_clock[policy::k_max_cpus];

void wait_until(uint64_t deadline_us) {
  timer::arm_at(deadline_us);
  while (!timer::fired()) arch::wait_for_interrupt();
}

// Wakes a waiting partition whose channel has moved on.
bool ready(Partition_runtime& rt) {
  if (rt.state == Run_state::waiting) {
    uint32_t events = channel(rt.wait_channel).events;
    if (events == rt.wait_seen) return false;
    rt.regs.rbx = events;
    rt.state = Run_state::runnable;
  }
  return rt.state == Run_state::runnable;
}

void run_frame(uint16_t part) {
  Partition_runtime& rt = partition(part);
  if (!ready(rt)) return;
  switch_context(part);  // context_switch.cpp
  uint64_t vmcb_pa = reinterpret_cast<uint64_t>(&vmcb(part));
  uint64_t host_pa = cpu::local().vmsave_pa;
  while (ready(rt) && !timer::fired()) {
    console::before_vmrun(part);
    vdisk::before_vmrun(part);  // may raise the disk's interrupt line, injected just below
    pc::before_vmrun(part);
    sk_svm_run(vmcb_pa, &rt.regs, host_pa);
    if (!handle_exit(part)) break;
  }
}

}  // namespace

[[noreturn]] void run_schedule(uint32_t cpu) {
  if (cpu == 0) log::start_buffering();
  Frame_clock& clock = g_clock[cpu];
  // Frame k starts at start + the durations of frames 0..k-1: additions only, no drift.
  Frame_cursor cursor = first_frame(policy(), cpu, timer::now_us() + k_guard_us);
  for (uint64_t major = 0;;) {
    const uint64_t start = cursor.start_us, end = cursor.end_us();
    wait_until(start);
    clock.own_start_us = start;
    clock.own_end_us = end - k_guard_us;
    timer::arm_at(clock.own_end_us);
    const uint16_t part = cursor.partition();
    if (part != policy::k_idle && part < policy().partition_count) run_frame(part);
    while (!timer::fired()) arch::wait_for_interrupt();
    // The timer interrupt that ends a partition's own time can reach a busy guest late (under
    // QEMU TCG by up to ~4 ms): the overrun eats the guard and then the next frame. Counted.
    const uint64_t stopped = timer::now_us();
    if (stopped > end) {
      ++clock.overruns;
      if (stopped - end > clock.worst_overrun_us) clock.worst_overrun_us = stopped - end;
    }
    // The kernel's window: work for nobody in particular, bounded, done before `end`.
    const uint64_t window = timer::now_us();
    if (cpu == 0) console::tick(end - k_guard_us / 2);
    log::drain(end - k_drain_margin_us);
    const uint64_t used = timer::now_us() - window;
    if (used > clock.worst_window_us) clock.worst_window_us = used;
    cursor.advance();
    if (cursor.index == 0 && ++major % k_report_every == 0) {
      log::print("schedule: cpu %u: %u frames from absolute deadlines, guard %u us, worst kernel window %lu us, "
                 "%lu frames overran their end (worst by %lu us) since start\n",
                 cpu, cursor.count, k_guard_us, clock.worst_window_us, clock.overruns, clock.worst_overrun_us);
    }
  }
}

uint64_t own_time_left_us() {
  const uint64_t now = timer::now_us(), end = g_clock[cpu::local().index].own_end_us;
  return end > now ? end - now : 0;
}

bool Work_cost::fits() const {
  const Frame_clock& c = g_clock[cpu::local().index];
  const uint64_t left = own_time_left_us();
  return left >= worst_us || left >= (c.own_end_us - c.own_start_us) * 3 / 4;
}

}  // namespace sk::kernel
