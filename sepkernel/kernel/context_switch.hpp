// SPDX-License-Identifier: Apache-2.0
// The world switch's second half (docs/kernel.md, "The world switch", SK-CPU-1): the per-partition
// CPU state VMRUN and VMLOAD do not load (cpu_context: x87/SSE/AVX, XCR0, DR0-DR3). Generic code:
// the registers themselves are reached only through the arch::context hooks.
#pragma once
#include <stdint.h>

namespace sk::kernel {

// Before part's first VMRUN of a frame on this CPU: makes this CPU's registers hold part's own
// context. Saves them into the record (cpu_context) of the partition they held, if any, and
// loads part's; does nothing when they already hold part's (cpu::Local::context_owner, then
// part). Precondition: part is bound to this CPU (SK-SCHED-3).
void switch_context(uint16_t part);

}  // namespace sk::kernel
