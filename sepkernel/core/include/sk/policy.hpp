// SPDX-License-Identifier: Apache-2.0
// The policy model: fixed-size, freestanding. The TOML front end fills it, the validator
// checks it, the image format carries it to the kernel, which builds its tables from it.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sk::policy {

// Fixed table sizes (SK-LIM-1). The kernel reserves exactly this much.
inline constexpr uint32_t k_max_labels = 8;
// Seven: each partition's pieces are measured into a PCR of its own, PCRs 9-15 (sk/event_log.hpp,
// pcr_of_partition; PCR 16 is resettable and 17-22 belong to DRTM), so that a disk sealed to its
// partition's PCR does not depend on another partition's image.
inline constexpr uint32_t k_max_partitions = 7;
inline constexpr uint32_t k_max_channels = 16;
inline constexpr uint32_t k_max_cpus = 2;
// Partitions with a disk: each disk has an IDE channel of its own (the master of channel n), so
// no partition's transfer ever waits for another's.
inline constexpr uint32_t k_max_disks = 2;
inline constexpr uint32_t k_max_frames_per_cpu = 16;
inline constexpr uint32_t k_max_io_ranges = 8;   // per partition
inline constexpr uint32_t k_max_mmio_ranges = 4; // per partition
inline constexpr uint32_t k_max_irqs = 4;        // per partition
inline constexpr uint32_t k_name_len = 32;       // including the terminating NUL
inline constexpr uint32_t k_path_len = 64;       // image / disk file names, including NUL
// A Linux partition's command line as the policy gives it, including NUL (SK-LINUX-1); the
// kernel appends at most sk::linux_boot::k_appended_max more characters at boot.
inline constexpr uint32_t k_cmdline_len = 512;
inline constexpr uint64_t k_page_size = 4096;
inline constexpr uint32_t k_max_irq = 23;        // IOAPIC inputs 0..23
inline constexpr uint16_t k_idle = 0xFFFF;       // frame owner: nobody (the CPU idles)
inline constexpr uint16_t k_none = 0xFFFF;       // index: no object

// VGA text colours (a label's indicator colours are a foreground/background pair of these).
enum class Colour : uint8_t {
  black = 0, blue, green, cyan, red, magenta, brown, light_grey,
  dark_grey, light_blue, light_green, light_cyan, light_red, light_magenta, yellow, white,
};

// What a partition's image is: an ELF32 image the kernel loads as it is, or a Linux kernel
// (bzImage) the kernel boots through Linux's boot protocol with an initramfs and a command line.
enum class Image_kind : uint8_t { elf32 = 0, linux_bzimage = 1 };

// What the kernel does when a partition violates its bounds.
enum class On_violation : uint8_t { stop = 0, inject_fault = 1 };

struct Name {
  char text[k_name_len];
  bool operator==(const Name&) const = default;  // field by field (tests, round trips)
};

struct Path {
  char text[k_path_len];
  bool operator==(const Path&) const = default;  // field by field (tests, round trips)
};

struct Command_line {
  char text[k_cmdline_len];
  bool operator==(const Command_line&) const = default;  // field by field (tests, round trips)
};

struct Range {        // [base, base + size)
  uint64_t base;
  uint64_t size;
  bool operator==(const Range&) const = default;  // field by field (tests, round trips)
};

// End of a range, saturating at 2^64-1 so that overflowing ranges (reported by SK-MEM-2) still
// compare; two ranges overlap if they share a byte (an empty range overlaps nothing). The
// validator's rules and the kernel's boot-time device checks use these.
inline uint64_t end_of(uint64_t base, uint64_t size) {
  uint64_t end = base + size;
  return end < base ? ~uint64_t{0} : end;
}
inline bool overlaps(const Range& a, const Range& b) {
  if (a.size == 0 || b.size == 0) return false;
  return a.base < end_of(b.base, b.size) && b.base < end_of(a.base, a.size);
}

struct Io_range {     // ports [first, first + count)
  uint16_t first;
  uint16_t count;
  bool operator==(const Io_range&) const = default;  // field by field (tests, round trips)
};

struct Label {
  Name name;
  uint8_t level;      // flow order: information may flow from level a to level b iff a <= b
  Colour colour_fg;   // the trusted-path indicator's colours for every partition of this label
  Colour colour_bg;   // (SK-TP-1 readable, SK-TP-2 no two labels alike)
  bool operator==(const Label&) const = default;  // field by field (tests, round trips)
};

struct Partition {
  Name name;
  uint16_t label;            // index into Policy::labels (its colours are the indicator's)
  uint8_t cpu;               // the CPU this partition's single vCPU runs on
  On_violation on_violation;
  bool console;              // has a virtual screen and keyboard on the trusted path
  bool attestation_agent;    // may ask the kernel for a TPM quote (SK-CAP-1)
  bool debug_log;            // may write to the kernel's debug log
  bool virtual_pc;           // sees a PC: ports it does not own read as absent (docs/kernel.md)
  Range memory;              // host-physical; the guest sees it at guest-physical 0
  Image_kind kind;           // what `image` is (policy: `image = ...` or `linux = { kernel = ... }`)
  Path image;                // file name of the partition image, or of the Linux kernel (bzImage)
  uint8_t image_sha256[32];  // filled by the compiler from the image file
  Path initramfs;            // linux_bzimage only: file name of the initramfs (cpio)
  uint8_t initramfs_sha256[32];
  Command_line cmdline;      // linux_bzimage only: the kernel command line (SK-LINUX-1)
  Path disk;                 // file name of the encrypted disk, empty if none
  uint32_t io_count;
  Io_range io[k_max_io_ranges];
  uint32_t mmio_count;
  Range mmio[k_max_mmio_ranges];  // host-physical = guest-physical (pass-through)
  uint32_t irq_count;
  uint8_t irqs[k_max_irqs];
  bool operator==(const Partition&) const = default;  // field by field (tests, round trips)
};

// A one-way channel: the writer maps it read-write, the reader read-only (SK-FLOW-1).
struct Channel {
  Name name;
  uint16_t writer;           // partition index
  uint16_t reader;           // partition index
  Range memory;              // host-physical pages backing the channel
  uint64_t guest_address;    // where both sides see it (guest-physical)
  bool operator==(const Channel&) const = default;  // field by field (tests, round trips)
};

// SK-TIME-1: the kernel keeps the last k_frame_guard_us of every minor frame for its own work
// (trusted-path poll, log output, the end of work it did for the partition), so that the next
// frame starts at its deadline; a frame lasts at least k_min_frame_us (SK-SCHED-1).
inline constexpr uint32_t k_frame_guard_us = 1000;
inline constexpr uint32_t k_min_frame_us = 2000;

struct Frame {
  uint16_t partition;        // partition index, or k_idle
  uint32_t duration_us;
  bool operator==(const Frame&) const = default;  // field by field (tests, round trips)
};

struct Cpu_plan {
  uint32_t major_frame_us;
  uint32_t frame_count;
  Frame frames[k_max_frames_per_cpu];
  bool operator==(const Cpu_plan&) const = default;  // field by field (tests, round trips)
};

struct Platform {
  uint64_t ram_size;         // bytes of RAM the machine has (guest RAM of QEMU)
  Range kernel_reserved;     // memory only the kernel uses
  uint8_t cpu_count;
  bool operator==(const Platform&) const = default;  // field by field (tests, round trips)
};

struct Policy {
  Platform platform;
  uint32_t label_count;
  Label labels[k_max_labels];
  uint32_t partition_count;
  Partition partitions[k_max_partitions];
  uint32_t channel_count;
  Channel channels[k_max_channels];
  Cpu_plan cpus[k_max_cpus];
  bool operator==(const Policy&) const = default;  // field by field (tests, round trips)
};

// What the kernel drives or needs, which no partition may be granted. One list per address
// space, and every grant into that space is checked against the whole list:
//   k_reserved_io      against `io` grants (SK-DEV-2);
//   k_reserved_memory  against `mmio` grants (SK-DEV-2) and against partition and channel
//                      `memory` (SK-MEM-4), whatever platform.kernel_reserved covers;
//   k_reserved_irqs    against `irqs` grants (SK-DEV-2).
// A device or page the kernel starts to use goes into its list here; the validator, the docs
// table (docs/policy.md) and the table-driven test (tests/policy/reserved_test.cpp) follow it.
struct Reserved_io {
  const char* what;
  Io_range ports;
};
struct Reserved_memory {  // host-physical: device MMIO or RAM pages the kernel itself uses
  const char* what;
  Range range;
};
struct Reserved_irq {
  const char* what;
  uint8_t irq;
};
extern const Reserved_io k_reserved_io[];
extern const size_t k_reserved_io_count;
extern const Reserved_memory k_reserved_memory[];
extern const size_t k_reserved_memory_count;
extern const Reserved_irq k_reserved_irqs[];
extern const size_t k_reserved_irq_count;

// The kernel identity-maps host-physical [0, 4 GiB) and nothing above (arch/x86_64/multiboot.S): no
// partition memory, channel or MMIO grant may reach past it (SK-MEM-2, SK-DEV-3).
inline constexpr uint64_t k_kernel_map_end = uint64_t{1} << 32;
// Guest-physical space ends where 4-level nested paging stops (sk::npt::k_guest_limit): every
// guest window must end at or below it (SK-MEM-6), or the kernel cannot build the partition's table.
inline constexpr uint64_t k_guest_physical_end = uint64_t{1} << 48;
// The page the bootstrap CPU copies the AP start-up code to (kernel/smp.cpp k_ap_trampoline,
// TRAMP in arch/x86_64/ap_trampoline.S): reserved in k_reserved_memory.
inline constexpr uint64_t k_ap_trampoline_page = 0x7000;

// Helpers.
bool name_equals(const Name& n, const char* s);
// Returns the partition index with that name, or k_none.
uint16_t find_partition(const Policy& p, const char* name);

}  // namespace sk::policy
