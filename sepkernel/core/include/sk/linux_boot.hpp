// SPDX-License-Identifier: Apache-2.0
// Linux's x86 boot protocol (Documentation/arch/x86/boot.rst), the part a loader needs for the
// 32-bit entry: checks a bzImage's setup header, places the protected-mode kernel and the
// initramfs in a partition's RAM, and builds the zero page (struct boot_params). Pure: the
// kernel (kernel/linux_partition.cpp) copies what a Plan says; `bulkhead policy check` runs the
// same checks on the files (SK-LINUX-2). Every offset and size is checked before anything is
// trusted: a Plan that is returned describes copies inside the bzImage and inside guest RAM.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::linux_boot {

// Guest-physical layout of the pages the loader writes below 1 MiB (the partition's RAM starts
// at guest-physical 0; [0x9F000, 1 MiB) is reported reserved in the e820 map).
inline constexpr uint32_t k_zero_page = 0x10000;    // boot_params, 4 KiB; ESI points here
inline constexpr uint32_t k_gdt = 0x11000;          // __BOOT_CS 0x10, __BOOT_DS 0x18
inline constexpr uint32_t k_cmdline = 0x12000;      // the command line, NUL-terminated
inline constexpr uint32_t k_cmdline_room = 0x1000;  // bytes at k_cmdline
inline constexpr uint32_t k_low_end = 0x9F000;      // usable low memory ends here
inline constexpr uint32_t k_high_start = 0x100000;  // the kernel and initramfs go above 1 MiB
inline constexpr uint16_t k_min_protocol = 0x020C;  // 2.12: xloadflags, pref_address, init_size
// What the kernel appends to the policy's command line: " tsc_early_khz=" and up to 10 digits.
inline constexpr uint32_t k_appended_max = 32;
// The GDT the 32-bit entry expects (flat 4 GiB code and data, as __BOOT_CS and __BOOT_DS).
inline constexpr uint64_t k_boot_gdt[4] = {0, 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};
inline constexpr uint16_t k_boot_cs = 0x10, k_boot_ds = 0x18;

// Why a bzImage cannot be booted in a partition. reason() gives the text (at most 50 characters,
// to fit an audit record's detail) of the audit line and of `bulkhead policy check`'s
// SK-LINUX-2 message.
enum class Refusal : uint8_t {
  none = 0,
  too_short,         // shorter than a setup header, or than its own setup sectors
  no_signature,      // no "HdrS" at 0x202 or no 0xAA55 at 0x1FE
  old_protocol,      // boot protocol below 2.12
  not_bzimage,       // LOADED_HIGH clear: a zImage, loaded below 1 MiB
  bad_header,        // header length, kernel_alignment or init_size (below the kernel) wrong
  not_relocatable,   // its fixed address does not fit the partition
  memory_too_small,  // kernel (init_size) and initramfs do not both fit in the RAM
  cmdline_too_long,  // command line plus what the kernel appends exceeds cmdline_size
};
const char* reason(Refusal r);

struct Header {
  uint16_t protocol;         // 0x206
  uint32_t setup_bytes;      // (setup_sects + 1) * 512: where the protected-mode kernel starts
  uint32_t kernel_bytes;     // the protected-mode kernel's size in the file
  uint32_t header_end;       // 0x202 + the byte at 0x201: end of the setup header
  uint8_t loadflags;         // 0x211
  uint32_t initrd_addr_max;  // 0x22C: highest address the initramfs may end at
  uint32_t alignment;        // 0x230: kernel_alignment (a power of two)
  bool relocatable;          // 0x234
  uint32_t cmdline_size;     // 0x238: longest command line, without its NUL
  uint64_t pref_address;     // 0x258
  uint32_t init_size;        // 0x260: bytes the kernel needs from its load address on
};

struct Parsed {
  Refusal refusal;  // none: header is valid
  Header header;
};

// Checks the setup header of bz (size bytes). Never reads outside [bz, bz + size).
Parsed parse(const uint8_t* bz, size_t size);

struct Plan {
  Refusal refusal;     // none: the other fields hold
  uint32_t kernel_at;  // guest-physical address of the protected-mode kernel (and the entry)
  uint32_t initrd_at;  // guest-physical address of the initramfs (0 if it is empty)
  uint32_t initrd_size;
};

// Places the kernel and an initramfs of initrd_size bytes in guest RAM [0, ram_size) with a
// command line of cmdline_length characters (what the kernel appends included). The kernel goes
// to its preferred address if its init_size fits there below the initramfs, else (if
// relocatable) to the lowest aligned address from 1 MiB; the initramfs to the top of RAM (below
// initrd_addr_max), page-aligned. The two never overlap each other or the low pages.
Plan place(const Header& h, uint64_t ram_size, uint64_t initrd_size, size_t cmdline_length);

// Builds the zero page at zero_page (4096 bytes): the bzImage's setup header, an e820 map of
// [0, k_low_end) and [1 MiB, ram_size) usable, an 80x25 colour VGA text screen, type_of_loader
// 0xFF, LOADED_HIGH, code32_start, ramdisk_image/size and cmd_line_ptr = k_cmdline.
// Preconditions: parse(bz, ...) and place(...) succeeded with these values.
void build_zero_page(uint8_t* zero_page, const uint8_t* bz, const Header& h, const Plan& plan,
                     uint64_t ram_size);

// Appends " tsc_early_khz=<khz>" to the NUL-terminated line in out (capacity bytes). Returns the
// new length, or 0 if it does not fit.
size_t append_tsc_khz(char* out, size_t capacity, uint32_t khz);

}  // namespace sk::linux_boot
