// SPDX-License-Identifier: Apache-2.0
// The per-partition CPU state that neither VMRUN/#VMEXIT nor VMLOAD/VMSAVE switch: everything
// XSAVE covers (x87, SSE, AVX, AVX-512, PKRU, MXCSR), XCR0 and DR0-DR3. The kernel saves the
// outgoing partition's and loads the incoming one's at every switch between partitions on a
// CPU (docs/kernel.md, "The world switch"), so no value of one partition is ever visible to
// another. Arch hook: generic code calls these and nothing else touches the registers.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::arch::context {

// Bytes of the XSAVE area reserved per partition; boot refuses a CPU that needs more.
inline constexpr uint32_t k_area_max = 3072;

struct alignas(64) Extended {
  uint8_t area[k_area_max];  // XSAVE standard format (or FXSAVE's first 512 bytes without XSAVE)
  uint64_t xcr0;             // the partition's own XCR0 (its XSETBV is intercepted and emulated)
  uint64_t dr[4];            // DR0-DR3 (DR6 and DR7 live in the VMCB)
};

// Once per CPU before any partition runs: CR4.OSFXSR, OSXMMEXCPT and, with XSAVE, OSXSAVE;
// XCR0 = every user state component the CPU has. Errors: no_space if the XSAVE area for
// those components exceeds k_area_max.
[[nodiscard]] Status init_cpu();
// The XCR0 components this CPU supports (x87 only bit 0 without XSAVE); bytes of the area in use.
uint64_t supported_xcr0();
uint32_t area_size();
// The state of a CPU after RESET as a guest finds it: x87 FCW 0x37F, MXCSR 0x1F80, every vector
// register zero, XCR0 = 1, DR0-DR3 zero.
void reset(Extended& c);
// Saves the live state of every component (whatever the partition's XCR0) and DR0-DR3 into c.
void save(Extended& c);
// Loads all of c into the CPU and leaves XCR0 = c.xcr0. Clears the x87 last-instruction and
// last-operand pointers first when c holds no pending x87 exception (AMD's FXSAVE/XSAVE leave
// them out then, so XRSTOR alone would keep the previous owner's).
void load(const Extended& c);
// True if XSETBV would accept value as XCR0 on this CPU (bit 0 set, only supported bits, AVX
// with SSE, the AVX-512 bits together and with AVX, the MPX bits together).
bool xcr0_valid(uint64_t value);
// Writes the live XCR0 (the caller checked xcr0_valid).
void set_xcr0(uint64_t value);

}  // namespace sk::arch::context
