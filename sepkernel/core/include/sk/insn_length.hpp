// SPDX-License-Identifier: Apache-2.0
// Lengths of the instructions the kernel skips after an intercept. QEMU's SVM has no NRIP
// save, so the kernel decodes the guest's bytes at RIP itself and checks that they are the
// instruction the exit reports (a guest cannot make the kernel skip the wrong length).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::insn {

enum class Skipped : uint8_t { vmmcall, cpuid, hlt, rdmsr, wrmsr, xsetbv, wbinvd };

inline constexpr size_t k_max_length = 15;  // the architectural limit

// Length of the instruction at bytes[0..available) if it is `expected`, with any legacy
// prefixes (operand/address size, segment, lock, rep) in front: VMMCALL 0F 01 D9 (3),
// CPUID 0F A2 (2), HLT F4 (1), RDMSR 0F 32 (2), WRMSR 0F 30 (2).
// Errors: truncated (bytes end inside the instruction), bad_argument (another instruction,
// or longer than 15 bytes).
Result<uint8_t> decode_length(const uint8_t* bytes, size_t available, Skipped expected);

// The code segment as the VMCB holds it: attributes bit 9 = L (64-bit code), bit 10 = D/B.
struct Code_segment {
  uint64_t base;
  uint16_t attributes;
};
// The linear address of the instruction at rip, formed as the CPU forms it: in 64-bit code
// (EFER.LMA and CS.L) rip alone; in 32-bit code CS.base + EIP, wrapped at 4 GiB; in 16-bit code
// CS.base + IP (IP wrapped at 64 KiB), wrapped at 4 GiB.
uint64_t linear_rip(const Code_segment& cs, bool long_mode_active, uint64_t rip);
// rip advanced by length, wrapped as the CPU wraps it in that code (RIP, EIP or IP).
uint64_t advance_rip(const Code_segment& cs, bool long_mode_active, uint64_t rip, uint8_t length);

}  // namespace sk::insn
