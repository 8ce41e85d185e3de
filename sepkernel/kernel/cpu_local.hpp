// SPDX-License-Identifier: Apache-2.0
// Per-CPU kernel state, found through the LAPIC ID (QEMU numbers CPUs 0..n-1).
#pragma once
#include <stdint.h>

#include "arch/x86_64/cpu.hpp"
#include "sk/policy.hpp"

namespace sk::cpu {

inline constexpr uint16_t k_no_owner = 0xFFFF;

struct Local {
  volatile bool timer_fired;
  uint32_t index;
  uint64_t host_save_pa;  // VM_HSAVE_PA page
  uint64_t vmsave_pa;     // host FS/GS/TR/LDTR/syscall MSRs across VMRUN (VMSAVE/VMLOAD)
  uint16_t context_owner; // the partition whose cpu_context() is live in the registers, or k_no_owner
};

inline uint32_t index() { return arch::mmio32(0xFEE00020) >> 24; }
Local& local();

}  // namespace sk::cpu
