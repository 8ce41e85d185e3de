// SPDX-License-Identifier: Apache-2.0
// The SVM I/O and MSR permission maps of one partition, built from the policy alone and deny
// by default (SK-DEV-1, SK-DEV-2): a set bit makes the access exit to the kernel.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/policy.hpp"

namespace sk::permission {

inline constexpr size_t k_iopm_size = 12 * 1024;  // one bit per port, plus the spill-over page
inline constexpr size_t k_msrpm_size = 8 * 1024;  // two bits (read, write) per MSR, three ranges

// Fills iopm (k_iopm_size bytes): every port intercepted except those port_granted() grants.
void build_iopm(const policy::Policy& p, uint16_t part, uint8_t* iopm);

// The MSRs a guest reads and writes without an exit: exactly those VMLOAD and VMSAVE switch with
// the partition's own VMCB at every VMRUN and #VMEXIT (SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR,
// SFMASK, FS.base, GS.base, KERNEL_GS_BASE), so each partition has its own copy (SK-CPU-1).
inline constexpr uint32_t k_switched_msrs[] = {0x174, 0x175, 0x176, 0xC0000081, 0xC0000082, 0xC0000083,
                                               0xC0000084, 0xC0000100, 0xC0000101, 0xC0000102};

// Fills msrpm (k_msrpm_size bytes): every MSR read and write intercepted but k_switched_msrs (no
// policy grants MSRs; MSRs outside the three mapped ranges always exit).
void build_msrpm(uint8_t* msrpm);

// True iff an access of size bytes (1, 2 or 4) at port exits, as the hardware decides: any byte
// of the access whose bit is set.
bool io_intercepted(const uint8_t* iopm, uint16_t port, uint32_t size);

// True iff the read (write == false) or write of msr exits.
bool msr_intercepted(const uint8_t* msrpm, uint32_t msr, bool write);

}  // namespace sk::permission
