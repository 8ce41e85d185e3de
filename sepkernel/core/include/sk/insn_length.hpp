// SPDX-License-Identifier: Apache-2.0
// Lengths of the instructions the kernel skips after an intercept. QEMU's SVM has no NRIP
// save, so the kernel decodes the guest's bytes at RIP itself and checks that they are the
// instruction the exit reports (a guest cannot make the kernel skip the wrong length).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::insn {

enum class Skipped : uint8_t { vmmcall, cpuid, hlt, rdmsr, wrmsr };

inline constexpr size_t k_max_length = 15;  // the architectural limit

// Length of the instruction at bytes[0..available) if it is `expected`, with any legacy
// prefixes (operand/address size, segment, lock, rep) in front: VMMCALL 0F 01 D9 (3),
// CPUID 0F A2 (2), HLT F4 (1), RDMSR 0F 32 (2), WRMSR 0F 30 (2).
// Errors: truncated (bytes end inside the instruction), bad_argument (another instruction,
// or longer than 15 bytes).
Result<uint8_t> decode_length(const uint8_t* bytes, size_t available, Skipped expected);

}  // namespace sk::insn
