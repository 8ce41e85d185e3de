// SPDX-License-Identifier: Apache-2.0
// Boots an unmodified Linux bzImage inside a partition, as a bootloader does (the Linux x86 boot
// protocol, 32-bit entry): the bzImage and the initramfs are part of this image (so the policy's
// measurement of the image covers them); it builds the zero page (setup header, e820 map of the
// partition's RAM, command line, initramfs) and jumps to the protected-mode kernel with CS 0x10,
// DS 0x18, ESI = the zero page, paging and interrupts off. Memory: the partition's RAM from
// guest-physical 0 (its size is the policy's, passed in at build time as BH_LINUX_RAM).
#include "guest.hpp"

#ifndef BH_BZIMAGE
#error "BH_BZIMAGE (the bzImage's path) is set by guests/CMakeLists.txt"
#endif

asm(".section .rodata\n.balign 16\n.global bh_bzimage, bh_bzimage_end, bh_initrd, bh_initrd_end\n"
    "bh_bzimage:\n.incbin \"" BH_BZIMAGE "\"\nbh_bzimage_end:\n"
    ".balign 16\nbh_initrd:\n.incbin \"" BH_INITRD "\"\nbh_initrd_end:\n.text\n");
extern "C" const uint8_t bh_bzimage[], bh_bzimage_end[], bh_initrd[], bh_initrd_end[];
extern "C" const uint8_t guest_image_end[];  // guests/runtime/guest.ld: past this image's .bss and stack

namespace {

constexpr uint32_t k_ram = BH_LINUX_RAM;
constexpr uint32_t k_zero_page = 0x10000, k_cmdline = 0x20000;
constexpr char k_command_line[] = BH_LINUX_CMDLINE;

template <typename T>
T get(const uint8_t* p, uint32_t offset) {
  T v;
  __builtin_memcpy(&v, p + offset, sizeof v);
  return v;
}
template <typename T>
void put(uint8_t* p, uint32_t offset, T v) {
  __builtin_memcpy(p + offset, &v, sizeof v);
}
void copy(uint8_t* to, const uint8_t* from, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) to[i] = from[i];
}

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

// The TSC's rate in kHz, measured against the kernel's clock over 50 ms: Linux cannot
// calibrate it itself here (its PIT loops count exits, not time), so it is told
// (tsc_early_khz=).
uint32_t tsc_khz() {
  const uint64_t t0 = guest::now_us(), c0 = rdtsc();
  while (guest::now_us() < t0 + 50000) {
  }
  const uint64_t t1 = guest::now_us(), c1 = rdtsc();
  const uint32_t us = uint32_t(t1 - t0), ticks = uint32_t(c1 - c0);
  return ticks / us * 1000 + (ticks % us) * 1000 / us;  // 32-bit division only (no libgcc)
}

struct __attribute__((packed)) E820 {
  uint64_t addr, size;
  uint32_t type;
};

}  // namespace

extern "C" void guest_main() {
  const uint8_t* bz = bh_bzimage;
  const uint32_t bz_size = uint32_t(bh_bzimage_end - bh_bzimage), rd_size = uint32_t(bh_initrd_end - bh_initrd);
  if (bz_size < 0x1000 || get<uint32_t>(bz, 0x202) != 0x53726448 /* "HdrS" */ || get<uint16_t>(bz, 0x206) < 0x20C) {
    guest::log("linux: not a bzImage of boot protocol 2.12 or later");
    for (;;) guest::yield();
  }
  uint32_t setup_sects = bz[0x1F1] ? bz[0x1F1] : 4;
  const uint32_t pm_offset = (setup_sects + 1) * 512, pm_size = bz_size - pm_offset;
  const uint32_t align = get<uint32_t>(bz, 0x230), init_size = get<uint32_t>(bz, 0x260);
  // Linux runs where it is put (a relocatable bzImage, 0x234): at its preferred address if this
  // loader (code, the copies inside it, its stack) lies wholly below it, else above the loader.
  uint32_t load = uint32_t(get<uint64_t>(bz, 0x258));  // pref_address
  if (load < uintptr_t(guest_image_end)) {
    if (!bz[0x234]) {
      guest::log("linux: the bzImage is not relocatable and its place 0x%x lies inside the loader", load);
      for (;;) guest::yield();
    }
    load = uint32_t(uintptr_t(guest_image_end));
  }
  if (load % align) load += align - load % align;
  const uint32_t initrd_at = (k_ram - rd_size - 0x100000) & ~0xFFFu;  // below the top MiB
  if (load + init_size > initrd_at) {
    guest::log("linux: %u bytes of RAM hold no kernel of %u bytes at 0x%x and an initramfs of %u bytes", k_ram, init_size,
               load, rd_size);
    for (;;) guest::yield();
  }
  copy(reinterpret_cast<uint8_t*>(load), bz + pm_offset, pm_size);
  copy(reinterpret_cast<uint8_t*>(initrd_at), bh_initrd, rd_size);

  uint8_t* zp = reinterpret_cast<uint8_t*>(k_zero_page);
  for (uint32_t i = 0; i < 4096; ++i) zp[i] = 0;
  const uint32_t hdr_end = 0x202 + bz[0x201];
  copy(zp + 0x1F1, bz + 0x1F1, hdr_end - 0x1F1);
  // screen_info: an 80x25 colour VGA text screen at 0xB8000 (the trusted path's virtual screen
  // of this partition; its row 0 is never shown, the indicator is).
  zp[0x06] = 3;                                         // orig_video_mode
  zp[0x07] = 80;                                        // orig_video_cols
  zp[0x0E] = 25;                                        // orig_video_lines
  zp[0x0F] = 1;                                         // orig_video_isVGA
  put<uint16_t>(zp, 0x10, 16);                          // orig_video_points
  zp[0x01] = 24;                                        // orig_y: start at the bottom row
  zp[0x210] = 0xFF;                                     // type_of_loader: undefined
  zp[0x211] |= 0x01;                                    // LOADED_HIGH
  put<uint32_t>(zp, 0x214, load);                       // code32_start
  put<uint32_t>(zp, 0x218, initrd_at);                  // ramdisk_image
  put<uint32_t>(zp, 0x21C, rd_size);                    // ramdisk_size
  put<uint32_t>(zp, 0x228, k_cmdline);                  // cmd_line_ptr
  char* line = reinterpret_cast<char*>(k_cmdline);
  copy(reinterpret_cast<uint8_t*>(line), reinterpret_cast<const uint8_t*>(k_command_line), sizeof k_command_line);
  const uint32_t khz = tsc_khz();
  {
    char digits[12];
    uint32_t n = 0;
    for (uint32_t v = khz; n == 0 || v; v /= 10) digits[n++] = char('0' + v % 10);
    char* at = line + sizeof k_command_line - 1;
    for (const char* s = " tsc_early_khz="; *s;) *at++ = *s++;
    while (n) *at++ = digits[--n];
    *at = '\0';
  }
  const E820 map[] = {{0, 0x9F000, 1}, {0x9F000, 0x61000, 2}, {0x100000, k_ram - 0x100000, 1}};
  zp[0x1E8] = sizeof map / sizeof map[0];
  copy(zp + 0x2D0, reinterpret_cast<const uint8_t*>(map), sizeof map);
  guest::log("linux: bzImage %u bytes (protocol 0x%x) at 0x%x, initramfs %u bytes at 0x%x, RAM %u MiB", bz_size,
             get<uint16_t>(bz, 0x206), load, rd_size, initrd_at, k_ram >> 20);

  static const uint64_t gdt[4] = {0, 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};  // __BOOT_CS 0x10, __BOOT_DS 0x18
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } gdtr{sizeof gdt - 1, uint32_t(reinterpret_cast<uintptr_t>(gdt))};
  asm volatile(
      "cli\n"
      "lgdt %0\n"
      "ljmp $0x10, $1f\n"
      "1:\n"
      "mov $0x18, %%eax\n"
      "mov %%eax, %%ds\n"
      "mov %%eax, %%es\n"
      "mov %%eax, %%ss\n"
      "mov %%eax, %%fs\n"
      "mov %%eax, %%gs\n"
      "xor %%ebp, %%ebp\n"
      "xor %%edi, %%edi\n"
      "xor %%ebx, %%ebx\n"
      "jmp *%%ecx\n" ::"m"(gdtr),
      "S"(k_zero_page), "c"(load)
      : "memory");
  __builtin_unreachable();
}
