// SPDX-License-Identifier: Apache-2.0
// The kernel's side of the interrupt hooks arch/ calls (arch/x86_64/hooks.hpp).
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/hooks.hpp"
#include "kernel/log.hpp"
#include "kernel/smp.hpp"
#include "kernel/timer.hpp"
#include "sk/panic.hpp"

namespace sk::arch::hooks {

void timer_interrupt() { timer::on_interrupt(); }

void unexpected_interrupt(const Interrupt_frame& f, uint64_t cr2) {
  // Another CPU panicked and stopped this one (smp::stop_other_cpus): halt without a word.
  if (f.vector == 2 && smp::panicking()) halt_forever();
  log::print("EXCEPTION vector=%lu error=0x%lx rip=0x%lx rsp=0x%lx\n", f.vector, f.error_code, f.rip, f.rsp);
  log::print("  cr2=0x%lx rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx\n", cr2, f.rax, f.rbx, f.rcx, f.rdx);
  panic("CPU exception in the kernel");
}

}  // namespace sk::arch::hooks
