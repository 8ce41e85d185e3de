// SPDX-License-Identifier: Apache-2.0
// GDT, TSS (with a separate stack for double faults and NMIs) and IDT of each CPU.
#pragma once
#include <stdint.h>

namespace sk::arch {

inline constexpr uint8_t k_timer_vector = 32;
inline constexpr uint8_t k_spurious_vector = 0xFF;

struct Interrupt_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};

// Loads this CPU's GDT, TSS and the shared IDT. cpu < k_max_cpus.
void load_descriptors(uint32_t cpu);

}  // namespace sk::arch
