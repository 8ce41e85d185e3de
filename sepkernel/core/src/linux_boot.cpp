// SPDX-License-Identifier: Apache-2.0
// Linux's x86 boot protocol for the 32-bit entry (see linux_boot.hpp): header checks, placement
// and the zero page. Offsets are those of boot.rst's setup header and of struct boot_params.
#include "sk/linux_boot.hpp"

namespace sk::linux_boot {
namespace {

uint32_t get16(const uint8_t* p, size_t at) {
  return uint32_t(p[at]) | uint32_t(p[at + 1]) << 8;
}
uint32_t get32(const uint8_t* p, size_t at) {
  return get16(p, at) | get16(p, at + 2) << 16;
}
uint64_t get64(const uint8_t* p, size_t at) {
  return uint64_t(get32(p, at)) | uint64_t(get32(p, at + 4)) << 32;
}
void put(uint8_t* p, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[at + i] = uint8_t(v >> (8 * i));
}

constexpr size_t k_header_min_end = 0x264;       // init_size's last byte + 1 (protocol 2.10+)
constexpr size_t k_boot_params_hdr_end = 0x290;  // boot_params: the setup header ends before this
constexpr size_t k_e820_entries = 0x1E8, k_e820_table = 0x2D0;

uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

}  // namespace

const char* reason(Refusal r) {
  switch (r) {
    case Refusal::none:
      return "valid";
    case Refusal::too_short:
      return "not a bzImage (too short)";
    case Refusal::no_signature:
      return "not a bzImage (no HdrS signature)";
    case Refusal::old_protocol:
      return "boot protocol older than 2.12";
    case Refusal::not_bzimage:
      return "a zImage, not a bzImage (LOADED_HIGH clear)";
    case Refusal::bad_header:
      return "malformed setup header";
    case Refusal::not_relocatable:
      return "not relocatable, and its address does not fit";
    case Refusal::memory_too_small:
      return "memory too small for its init_size and initramfs";
    case Refusal::cmdline_too_long:
      return "command line longer than its cmdline_size";
  }
  return "refused";
}

Parsed parse(const uint8_t* bz, size_t size) {
  Parsed out{};
  Header& h = out.header;
  if (size < k_header_min_end) return {Refusal::too_short, h};
  if (get16(bz, 0x1FE) != 0xAA55 || get32(bz, 0x202) != 0x53726448) return {Refusal::no_signature, h};
  h.protocol = uint16_t(get16(bz, 0x206));
  if (h.protocol < k_min_protocol) return {Refusal::old_protocol, h};
  h.header_end = 0x202 + bz[0x201];
  const uint32_t setup_sects = bz[0x1F1] ? bz[0x1F1] : 4;
  h.setup_bytes = (setup_sects + 1) * 512;
  if (h.setup_bytes >= size) return {Refusal::too_short, h};
  h.kernel_bytes = uint32_t(size - h.setup_bytes);
  if (size > 0xFFFFFFFFu) return {Refusal::bad_header, h};
  h.loadflags = bz[0x211];
  if (!(h.loadflags & 0x01)) return {Refusal::not_bzimage, h};
  h.initrd_addr_max = get32(bz, 0x22C);
  h.alignment = get32(bz, 0x230);
  h.relocatable = bz[0x234] != 0;
  h.cmdline_size = get32(bz, 0x238);
  h.pref_address = get64(bz, 0x258);
  h.init_size = get32(bz, 0x260);
  const bool power_of_two = h.alignment != 0 && (h.alignment & (h.alignment - 1)) == 0;
  if (h.header_end < k_header_min_end || h.header_end > k_boot_params_hdr_end ||
      h.header_end > h.setup_bytes || !power_of_two || h.alignment > 0x40000000u ||
      h.init_size < h.kernel_bytes) {
    return {Refusal::bad_header, h};
  }
  return out;
}

Plan place(const Header& h, uint64_t ram_size, uint64_t initrd_size, size_t cmdline_length) {
  Plan p{};
  if (cmdline_length > h.cmdline_size || cmdline_length + 1 > k_cmdline_room)
    return {Refusal::cmdline_too_long, 0, 0, 0};
  const uint64_t ram = ram_size < (uint64_t{1} << 32) ? ram_size : (uint64_t{1} << 32);
  // The initramfs: page-aligned at the top of RAM, ending at or below initrd_addr_max + 1.
  uint64_t top = ram;
  if (uint64_t{h.initrd_addr_max} + 1 < top) top = uint64_t{h.initrd_addr_max} + 1;
  if (initrd_size > top || top - initrd_size < k_high_start) return {Refusal::memory_too_small, 0, 0, 0};
  const uint64_t initrd_at = initrd_size ? (top - initrd_size) & ~uint64_t{0xFFF} : top;
  // The kernel: [at, at + init_size) inside [1 MiB, initrd_at).
  auto fits = [&](uint64_t at) { return at >= k_high_start && at + h.init_size <= initrd_at; };
  uint64_t at = h.pref_address;
  if (!fits(at) || at % h.alignment != 0) {
    if (!h.relocatable) return {Refusal::not_relocatable, 0, 0, 0};
    at = align_up(k_high_start, h.alignment);
    if (!fits(at)) return {Refusal::memory_too_small, 0, 0, 0};
  }
  p.kernel_at = uint32_t(at);
  p.initrd_at = initrd_size ? uint32_t(initrd_at) : 0;
  p.initrd_size = uint32_t(initrd_size);
  return p;
}

void build_zero_page(uint8_t* zp, const uint8_t* bz, const Header& h, const Plan& plan, uint64_t ram_size) {
  for (size_t i = 0; i < 4096; ++i) zp[i] = 0;
  for (size_t i = 0x1F1; i < h.header_end; ++i) zp[i] = bz[i];
  // screen_info: an 80x25 colour VGA text screen at 0xB8000 (the partition's virtual screen on
  // the trusted path; its row 0 is never shown, the indicator is), the cursor on the last row.
  zp[0x01] = 24;                            // orig_y
  zp[0x06] = 3;                             // orig_video_mode
  zp[0x07] = 80;                            // orig_video_cols
  zp[0x0E] = 25;                            // orig_video_lines
  zp[0x0F] = 1;                             // orig_video_isVGA
  put(zp, 0x10, 16, 2);                     // orig_video_points
  zp[0x210] = 0xFF;                         // type_of_loader: undefined
  zp[0x211] = uint8_t(h.loadflags | 0x01);  // LOADED_HIGH
  put(zp, 0x214, plan.kernel_at, 4);        // code32_start
  put(zp, 0x218, plan.initrd_at, 4);        // ramdisk_image
  put(zp, 0x21C, plan.initrd_size, 4);      // ramdisk_size
  put(zp, 0x228, k_cmdline, 4);             // cmd_line_ptr
  // e820: low memory, the reserved hole below 1 MiB, the rest of the partition's RAM.
  const uint64_t map[3][3] = {{0, k_low_end, 1},
                              {k_low_end, k_high_start - k_low_end, 2},
                              {k_high_start, ram_size - k_high_start, 1}};
  zp[k_e820_entries] = 3;
  for (size_t e = 0; e < 3; ++e) {
    put(zp, k_e820_table + 20 * e, map[e][0], 8);
    put(zp, k_e820_table + 20 * e + 8, map[e][1], 8);
    put(zp, k_e820_table + 20 * e + 16, map[e][2], 4);
  }
}

size_t append_tsc_khz(char* out, size_t capacity, uint32_t khz) {
  size_t n = 0;
  while (n < capacity && out[n]) ++n;
  char digits[10];
  size_t d = 0;
  for (uint32_t v = khz; d == 0 || v; v /= 10) digits[d++] = char('0' + v % 10);
  const char* word = " tsc_early_khz=";
  size_t word_length = 15;
  if (n == capacity || n + word_length + d + 1 > capacity) return 0;
  for (size_t i = 0; i < word_length; ++i) out[n++] = word[i];
  while (d) out[n++] = digits[--d];
  out[n] = '\0';
  return n;
}

}  // namespace sk::linux_boot
