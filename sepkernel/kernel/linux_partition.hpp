// SPDX-License-Identifier: Apache-2.0
// A Linux partition: the kernel boots Linux itself, through Linux's x86 boot protocol (32-bit
// entry), from the bzImage, initramfs and command line the policy names (docs/linux.md).
#pragma once
#include <stdint.h>

#include "kernel/kernel.hpp"

namespace sk::kernel::linux_partition {

// Checks partition i's bzImage against its memory, initramfs and command line (sk/linux_boot.hpp,
// SK-LINUX-2), then zeroes its memory and writes the protected-mode kernel, the initramfs, the
// zero page, the GDT and the command line (the policy's, with " tsc_early_khz=N" appended).
// Precondition: both modules are present and their digests are the policy's.
// Returns the entry point (guest-physical), or 0 after auditing partition_refused with the reason.
uint32_t load(uint16_t i, const Partition_modules& m);

}  // namespace sk::kernel::linux_partition
