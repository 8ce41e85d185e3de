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

// The same transfers in steps, for work done in a partition's own time (SK-TIME-1): run() drives
// the device until the transfer is done or `until_us` passes while the device is still busy
// (pending: the channel stays with this transfer; call run() again later). A device that makes
// no progress for 2 s, or reports an error, fails the transfer. One transfer per channel at a
// time: the caller owns the channel from the first run() to done or failed.
struct Transfer {
  uint32_t disk;
  uint64_t lba;
  uint32_t count;
  uint8_t* data;  // count * 512 bytes: filled by a read, sent by a write
  bool write;
  uint8_t phase;        // 0 not started, 1 data, 2 flush to issue, 3 flushing
  uint32_t sector;      // sectors moved so far
  uint64_t waiting_us;  // when the current wait began
};
enum class Progress : uint8_t { done, pending, failed };
[[nodiscard]] Progress run(Transfer& t, uint64_t until_us);
// The channel (0 primary, 1 secondary) of a disk.
inline constexpr uint32_t channel_of(uint32_t disk) { return disk / 2; }
// True for a port of either channel (command block or control): the kernel's alone.
inline constexpr bool is_port(uint16_t port) {
  return (port >= 0x1F0 && port <= 0x1F7) || port == 0x3F6 || (port >= 0x170 && port <= 0x177) || port == 0x376;
}

}  // namespace sk::drivers::ata
