// SPDX-License-Identifier: Apache-2.0
// Each partition's virtual serial port at 0x3F8-0x3FF (sepkernel/virt/uart16550.hpp), for
// partitions the policy grants `debug_log`: what the guest sends goes, line by line, into the
// kernel's log as "[name] text" (printable ASCII only), like the debug_log hypercall. The real
// COM1 is the kernel's own and never granted (SK-DEV-2).
#pragma once
#include <stdint.h>

namespace sk::kernel::uart {

// Handles an I/O exit (EXITINFO1, EXITINFO2 = the next RIP) if it is a byte access to the
// partition's virtual port; false otherwise (the caller treats it as before).
bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip);

}  // namespace sk::kernel::uart
