// SPDX-License-Identifier: Apache-2.0
// The static cyclic schedule: each CPU walks its plan's minor frames forever. A frame belongs
// to its partition alone; time it does not use (yield, halt, wait, stopped) idles the CPU and
// is never lent to another partition (no timing channel through the scheduler).
#include "arch/x86_64/cpu.hpp"
#include "kernel/console.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/kernel.hpp"
#include "kernel/timer.hpp"

namespace sk::kernel {
namespace {

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
  uint64_t vmcb_pa = reinterpret_cast<uint64_t>(&vmcb(part));
  uint64_t host_pa = cpu::local().vmsave_pa;
  while (ready(rt) && !timer::fired()) {
    console::before_vmrun(part);
    sk_svm_run(vmcb_pa, &rt.regs, host_pa);
    if (!handle_exit(part)) break;
  }
}

}  // namespace

[[noreturn]] void run_schedule(uint32_t cpu) {
  const policy::Cpu_plan& plan = policy().cpus[cpu];
  if (plan.frame_count == 0) {
    for (;;) arch::wait_for_interrupt();
  }
  for (;;) {
    for (uint32_t f = 0; f < plan.frame_count; ++f) {
      const policy::Frame& frame = plan.frames[f];
      timer::arm(frame.duration_us);
      if (frame.partition != policy::k_idle && frame.partition < policy().partition_count) run_frame(frame.partition);
      while (!timer::fired()) arch::wait_for_interrupt();
      if (cpu == 0) console::tick();  // the focused console's screen, once per minor frame
    }
  }
}

}  // namespace sk::kernel
