// SPDX-License-Identifier: Apache-2.0
// The legacy ATA (IDE) disks, PIO mode, LBA28, driven by the kernel alone: no partition is granted
// the ports (0x1F0-0x1F7, 0x3F6, 0x170-0x177, 0x376). Disk n is QEMU's `-drive if=ide,index=n`:
// 0 primary master, 1 primary slave, 2 secondary master, 3 secondary slave. Every wait has a
// deadline; a device error or a timeout is an error, never a hang.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::drivers::ata {

inline constexpr uint32_t k_sector = 512;
inline constexpr uint32_t k_max_disks = 4;

// IDENTIFY: not_found if no ATA disk answers at that position. sectors: its LBA28 capacity.
[[nodiscard]] Status identify(uint32_t disk, uint64_t& sectors);
// Reads count (1..256) sectors from lba into out (count * 512 bytes).
[[nodiscard]] Status read(uint32_t disk, uint64_t lba, uint32_t count, uint8_t* out);
// Writes count (1..256) sectors and then flushes the device's write cache (FLUSH CACHE): success
// means the data reached the medium as far as the device can say.
[[nodiscard]] Status write(uint32_t disk, uint64_t lba, uint32_t count, const uint8_t* in);

}  // namespace sk::drivers::ata
