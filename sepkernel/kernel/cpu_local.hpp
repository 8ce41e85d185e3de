// SPDX-License-Identifier: Apache-2.0
// Per-CPU kernel state, found through the LAPIC ID (QEMU numbers CPUs 0..n-1).
#pragma once
#include <stdint.h>

#include "arch/x86_64/cpu.hpp"
#include "sk/policy.hpp"

namespace sk::cpu {

struct Local {
  volatile bool timer_fired;
  uint32_t index;
  uint64_t host_save_pa;  // VM_HSAVE_PA page
  uint64_t vmsave_pa;     // host FS/GS/TR/LDTR/syscall MSRs across VMRUN (VMSAVE/VMLOAD)
};

inline uint32_t index() { return arch::mmio32(0xFEE00020) >> 24; }
Local& local();

}  // namespace sk::cpu
