// SPDX-License-Identifier: Apache-2.0
// Disk keys at boot (issue 6): for each partition whose policy names a disk, read the disk's
// LUKS2 header and sealed-key area through the ATA driver, check the binding, and unseal the
// volume key through the TIS driver (storage primary, Load, policy session with PolicyPCR,
// Unseal) after the boot measurements. Keys stay in kernel memory. A partition whose key does
// not unseal is locked: it does not start, the indicator shows LOCKED with the reason, the audit
// log records it, its disk is not written, and the other partitions start.
#pragma once
#include <stdint.h>

namespace sk::kernel::disk_keys {

// Call after measure::boot_measurements and before build_partitions.
void unlock_all();
// True if part's disk key was unsealed (its disk is usable by the kernel).
bool unlocked(uint16_t part);

}  // namespace sk::kernel::disk_keys
