// SPDX-License-Identifier: Apache-2.0
// Application processors: the bootstrap CPU starts CPUs 1..n-1 with INIT-SIPI-SIPI, each
// loads its own descriptors, LAPIC timer and SVM host state, reports ready, and waits until the
// bootstrap CPU has finished boot (and poisoned the boot-only code) before running its own plan.
// A CPU the policy needs that does not come up is a boot panic: no partition runs on a machine
// that cannot keep the policy's schedule.
#include "kernel/smp.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/lapic_ipi.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/init.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"
#include "sk/panic.hpp"

extern "C" uint8_t sk_ap_trampoline_start[], sk_ap_trampoline_end[], sk_ap_trampoline_stack[],
    sk_ap_trampoline_cpu[];

namespace sk::smp {
namespace {

constexpr uint64_t k_ap_trampoline = 0x7000;  // must match TRAMP in ap_trampoline.S
constexpr uint64_t k_start_deadline_us = 3000000;
constexpr size_t k_ap_stack_size = 16384;

alignas(16) uint8_t g_ap_stack[policy::k_max_cpus][k_ap_stack_size];
volatile bool g_ready[policy::k_max_cpus];
volatile bool g_go;
volatile bool g_panicking;
uint32_t g_started = 1;

void wait_us(uint64_t us) {
  uint64_t end = timer::now_us() + us;
  while (timer::now_us() < end) arch::cpu_relax();
}

SK_INIT void start_one(uint32_t cpu) {
  auto* copy = reinterpret_cast<uint8_t*>(k_ap_trampoline);
  size_t size = size_t(sk_ap_trampoline_end - sk_ap_trampoline_start);
  for (size_t i = 0; i < size; ++i) copy[i] = sk_ap_trampoline_start[i];
  uint64_t stack_top = reinterpret_cast<uint64_t>(&g_ap_stack[cpu][k_ap_stack_size]);
  *reinterpret_cast<volatile uint64_t*>(copy + (sk_ap_trampoline_stack - sk_ap_trampoline_start)) = stack_top;
  *reinterpret_cast<volatile uint32_t*>(copy + (sk_ap_trampoline_cpu - sk_ap_trampoline_start)) = cpu;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);

  // The Intel/AMD start-up sequence: INIT, 10 ms, STARTUP, 200 us, STARTUP again.
  uint64_t t0 = timer::now_us();
  if (!arch::lapic::send_init(cpu)) panic("smp: the local APIC did not send INIT");
  wait_us(10000);
  for (int round = 0; round < 2 && !g_ready[cpu]; ++round) {
    if (!arch::lapic::send_startup(cpu, uint32_t(k_ap_trampoline >> 12))) panic("smp: the local APIC did not send STARTUP");
    wait_us(200);
  }
  while (!g_ready[cpu]) {
    if (timer::now_us() - t0 > k_start_deadline_us) {
      char line[160];
      log::format(line, sizeof line,
                  "policy needs %u CPUs but cpu %u did not start within %lu ms (QEMU: -smp %u)",
                  kernel::policy().platform.cpu_count, cpu, k_start_deadline_us / 1000,
                  kernel::policy().platform.cpu_count);
      panic(line);
    }
    arch::cpu_relax();
  }
  ++g_started;
  kernel::audit(audit::k_kernel, audit::Event::boot, "cpu %u started in %lu us", cpu, timer::now_us() - t0);
}

}  // namespace

void start_application_processors(uint32_t count) {
  for (uint32_t cpu = 1; cpu < count && cpu < policy::k_max_cpus; ++cpu) start_one(cpu);
}

void release_application_processors() {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  g_go = true;
}

void stop_other_cpus() {
  g_panicking = true;
  if (g_started > 1) arch::lapic::send_nmi_to_others();
}

bool panicking() { return g_panicking; }

uint32_t started_cpus() { return g_started; }

}  // namespace sk::smp

// Entered from the trampoline in long mode, on this CPU's own stack, interrupts off.
extern "C" [[noreturn]] void sk_ap_main(uint32_t cpu) {
  using namespace sk;
  if (cpu >= policy::k_max_cpus || cpu != sk::cpu::index()) arch::halt_forever();
  arch::load_descriptors(cpu);
  timer::init_ap();
  kernel::start_cpu_svm(cpu);  // boot-only code: runs before the bootstrap CPU poisons it
  smp::g_ready[cpu] = true;
  while (!smp::g_go) arch::cpu_relax();
  kernel::audit(audit::k_kernel, audit::Event::boot, "schedule starting on cpu %u at t=%lu us", cpu, timer::now_us());
  kernel::run_schedule(cpu);
}
