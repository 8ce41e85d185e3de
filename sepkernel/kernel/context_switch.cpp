// SPDX-License-Identifier: Apache-2.0
// The world switch's second half (see context_switch.hpp). Built into the kernel and, hosted,
// into the differential test against the Coq model's switch (tests/proofs/hosted_kernel.cpp
// stands in for the arch::context save and load).
#include "kernel/context_switch.hpp"

#include "kernel/cpu_local.hpp"
#include "kernel/kernel.hpp"
#ifdef SK_BENCH_FLOOR
#include "arch/x86_64/cpu.hpp"
#include "kernel/log.hpp"
#endif

namespace sk::kernel {

// Saved and loaded only when another partition last ran on this CPU.
void switch_context(uint16_t part) {
  cpu::Local& l = cpu::local();
  if (l.context_owner == part) return;
#ifdef SK_BENCH_FLOOR
  const uint64_t t0 = arch::rdtsc();
#endif
  if (l.context_owner != cpu::k_no_owner) arch::context::save(cpu_context(l.context_owner));
  arch::context::load(cpu_context(part));
  l.context_owner = part;
#ifdef SK_BENCH_FLOOR
  // Benchmark kernel only: the cost of the world switch's second half (save + load), minimum
  // over 200 switches; under -icount shift=0 the TSC counts instructions.
  static uint64_t best = ~uint64_t{0};
  static uint32_t seen;
  const uint64_t took = arch::rdtsc() - t0;
  if (took < best) best = took;
  if (++seen == 200) {
    log::print("bench: world switch %lu (save and load of x87/SSE/AVX, XCR0, DR0-DR3; %u-byte XSAVE area)\n",
               best, arch::context::area_size());
  }
#endif
}

}  // namespace sk::kernel
