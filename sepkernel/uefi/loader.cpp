// SPDX-License-Identifier: Apache-2.0
// The Bulkhead UEFI boot stage (BOOTX64.EFI). Firmware measured this application into PCR 4.
// It reads BOOT.LST from its ESP (written by `bulkhead image build`), measures the kernel ELF into
// PCR 4 and loads it at its physical addresses, and, before anything of Bulkhead runs, measures
// through EFI_TCG2_PROTOCOL the policy's measured form (the policy without its image digests,
// sk/policy_image.hpp) into PCR 8 and each partition's pieces into that partition's own PCR, 9 +
// its index in the policy (its image, or a Linux partition's kernel, initramfs and command
// line), in policy order, with the
// EV_IPL events the reference manifest predicts. It takes the firmware's crypto-agile event log
// (then, after ExitBootServices, the events of the Final Events table) and hands everything to
// the kernel's multiboot entry as modules ("policy", the images by file name, "eventlog").
#include "efi.hpp"
#include "sk/event_log.hpp"
#include "sk/policy_image.hpp"

namespace {

efi::System_table* g_st;
efi::Boot_services* g_bs;
// Modules must lie inside the policy's kernel_reserved (the kernel checks): below its end, which
// BOOT.LST's "reserved END" line gives (written by `bulkhead image build`); 32 MiB without one.
uint64_t g_below = 0x1FFFFFF;
constexpr uint32_t k_ev_ipl = 0x0000000D;
// The policy, decoded from BOOT.LST's "policy" file: its measured form goes into PCR 8, and the
// index of each partition it names gives that partition's PCR.
sk::policy::Policy* g_policy = nullptr;

void print(const char* s) {
  char16_t buf[160];
  size_t n = 0;
  for (; *s && n + 2 < 160; ++s) {
    if (*s == '\n') buf[n++] = u'\r';
    buf[n++] = char16_t(*s);
  }
  buf[n] = 0;
  g_st->con_out->output_string(g_st->con_out, buf);
}

[[noreturn]] void fail(const char* what, const char* detail = "") {
  print("bulkhead boot stage: REFUSED: ");
  print(what);
  print(detail);
  print("\n");
  for (;;) asm volatile("cli; hlt");
}

void copy(void* d, const void* s, uint64_t n) {
  auto* dp = static_cast<volatile uint8_t*>(d);  // volatile: never turned back into memcpy
  auto* sp = static_cast<const uint8_t*>(s);
  for (uint64_t i = 0; i < n; ++i) dp[i] = sp[i];
}

uint8_t* pages_below(uint64_t bytes, uint64_t max = 0) {
  uint64_t address = max ? max : g_below;
  if (g_bs->allocate_pages(efi::allocate_max_address, efi::k_loader_data, (bytes + 4095) / 4096, &address) !=
      efi::k_success) {
    fail("out of memory below the end of kernel_reserved");
  }
  return reinterpret_cast<uint8_t*>(address);
}

struct Loaded {
  uint8_t* data;
  uint64_t size;
};

Loaded read_file(efi::File* root, const char* name) {
  char16_t wide[64];
  size_t n = 0;
  for (; name[n] && n < 63; ++n) wide[n] = char16_t(name[n]);
  wide[n] = 0;
  efi::File* f = nullptr;
  if (root->open(root, &f, wide, 1, 0) != efi::k_success) fail("missing file on the ESP: ", name);
  uint64_t size = 0;
  if (f->set_position(f, ~0ull) != efi::k_success || f->get_position(f, &size) != efi::k_success ||
      f->set_position(f, 0) != efi::k_success) {
    fail("cannot size ", name);
  }
  uint8_t* data = pages_below(size + 1);
  uint64_t got = size;
  if (f->read(f, &got, data) != efi::k_success || got != size) fail("cannot read ", name);
  data[size] = 0;
  f->close(f);
  return {data, size};
}

void measure(efi::Tcg2* tcg, uint32_t pcr, const Loaded& file, const char* description) {
  // description: at most 160 characters (the callers' buffers).
  alignas(8) uint8_t buffer[256];
  auto* e = reinterpret_cast<efi::Tcg2_event*>(buffer);
  uint32_t length = 0;
  while (description[length]) ++length;
  e->header.header_size = sizeof(efi::Tcg2_event_header);
  e->header.header_version = 1;
  e->header.pcr_index = pcr;
  e->header.event_type = k_ev_ipl;
  copy(e->event, description, length);
  e->size = uint32_t(sizeof(uint32_t) + sizeof(efi::Tcg2_event_header) + length);
  if (tcg->hash_log_extend_event(tcg, 0, uint64_t(file.data), file.size, e) != efi::k_success) {
    fail("the TPM refused a measurement: ", description);
  }
}

// The PCR of the policy's partition with this name (sk::event_log::pcr_of_partition).
uint32_t partition_pcr(const char* name) {
  if (!g_policy) fail("BOOT.LST: a partition's piece before the policy: ", name);
  for (uint32_t i = 0; i < g_policy->partition_count && i < sk::policy::k_max_partitions; ++i) {
    const char* a = g_policy->partitions[i].name.text;
    const char* b = name;
    while (*a && *a == *b) ++a, ++b;
    if (*a == *b) return sk::event_log::pcr_of_partition(i);
  }
  fail("BOOT.LST: a partition the policy does not name: ", name);
}

// Size of one crypto-agile event (TCG_PCR_EVENT2) at p; 0 if it is not one.
uint64_t event_size(const uint8_t* p) {
  auto u32 = [](const uint8_t* q) { return uint32_t(q[0]) | uint32_t(q[1]) << 8 | uint32_t(q[2]) << 16 | uint32_t(q[3]) << 24; };
  uint32_t count = u32(p + 8);
  if (count == 0 || count > 4) return 0;
  uint64_t at = 12;
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t alg = uint16_t(p[at] | p[at + 1] << 8);
    uint64_t size = alg == 0x0004 ? 20 : alg == 0x000B ? 32 : alg == 0x000C ? 48 : alg == 0x000D ? 64 : 0;
    if (size == 0) return 0;
    at += 2 + size;
  }
  return at + 4 + u32(p + at);
}

// Appends s and a NUL to the strings area; returns its address.
uint32_t add_string(uint8_t*& strings, const char* s) {
  uint32_t at = uint32_t(uint64_t(strings));
  while (*s) *strings++ = uint8_t(*s++);
  *strings++ = 0;
  return at;
}

struct Elf_segment {
  uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

uint32_t load_kernel(const Loaded& k) {
  const uint8_t* e = k.data;
  if (k.size < 52 || e[0] != 0x7F || e[1] != 'E' || e[2] != 'L' || e[3] != 'F' || e[4] != 1) fail("kernel is not an ELF32 file");
  uint32_t entry = *reinterpret_cast<const uint32_t*>(e + 24);
  uint32_t phoff = *reinterpret_cast<const uint32_t*>(e + 28);
  uint16_t phnum = *reinterpret_cast<const uint16_t*>(e + 44);
  for (uint16_t i = 0; i < phnum; ++i) {
    if (phoff + (i + 1) * 32ull > k.size) fail("kernel program headers truncated");
    Elf_segment s;
    copy(&s, e + phoff + i * 32, sizeof s);
    if (s.type != 1 || s.memsz == 0) continue;
    if (uint64_t(s.offset) + s.filesz > k.size || s.filesz > s.memsz) fail("kernel segment outside the file");
    uint64_t start = s.paddr & ~0xFFFull, end = (uint64_t(s.paddr) + s.memsz + 4095) & ~0xFFFull;
    uint64_t address = start;
    if (g_bs->allocate_pages(efi::allocate_address, efi::k_loader_data, (end - start) / 4096, &address) !=
        efi::k_success) {
      fail("the kernel's load address is not free memory");
    }
    auto* dst = reinterpret_cast<uint8_t*>(uint64_t(s.paddr));
    copy(dst, e + s.offset, s.filesz);
    for (uint64_t b = s.filesz; b < s.memsz; ++b) dst[b] = 0;
  }
  return entry;
}

// Bit position of an 8-bit channel mask (0xFF << k), or 0xFF if it is not one.
uint8_t channel_shift(uint32_t mask) {
  for (uint8_t k = 0; k <= 24; k += 8) {
    if (mask == 0xFFu << k) return k;
  }
  return 0xFF;
}

// The firmware's linear framebuffer (GOP), for the kernel's trusted-path screen, in the
// multiboot information's framebuffer fields (flags bit 12; type 1, direct RGB). Without one
// the kernel has no screen to draw the indicator on, and says so.
void hand_over_framebuffer(uint32_t* mbi) {
  efi::Graphics_output* gop = nullptr;
  if (g_bs->locate_protocol(&efi::k_graphics_output, nullptr, reinterpret_cast<void**>(&gop)) != efi::k_success ||
      !gop || !gop->mode || !gop->mode->info) {
    print("bulkhead boot stage: no graphics output (GOP): the trusted path will have no screen\n");
    return;
  }
  const efi::Graphics_mode_information& info = *gop->mode->info;
  uint8_t red = 0xFF, green = 0xFF, blue = 0xFF;
  if (info.pixel_format == 0) red = 0, green = 8, blue = 16;
  if (info.pixel_format == 1) blue = 0, green = 8, red = 16;
  if (info.pixel_format == 2) {
    red = channel_shift(info.red_mask), green = channel_shift(info.green_mask), blue = channel_shift(info.blue_mask);
  }
  if (red == 0xFF || green == 0xFF || blue == 0xFF || gop->mode->frame_buffer_base == 0) {
    print("bulkhead boot stage: the graphics output has no linear 32-bit framebuffer: the trusted path will have no "
          "screen\n");
    return;
  }
  mbi[0] |= 1u << 12;
  mbi[22] = uint32_t(gop->mode->frame_buffer_base);        // offset 88: framebuffer_addr
  mbi[23] = uint32_t(gop->mode->frame_buffer_base >> 32);
  mbi[24] = info.pixels_per_scan_line * 4;                 // 96: pitch in bytes
  mbi[25] = info.horizontal_resolution;                    // 100: width
  mbi[26] = info.vertical_resolution;                      // 104: height
  auto* bytes = reinterpret_cast<uint8_t*>(mbi);
  bytes[108] = 32;                                         // bits per pixel
  bytes[109] = 1;                                          // type: direct RGB
  bytes[110] = red, bytes[111] = 8, bytes[112] = green, bytes[113] = 8, bytes[114] = blue, bytes[115] = 8;
}

}  // namespace

extern "C" [[noreturn]] void sk_uefi_enter_multiboot(uint32_t entry, uint32_t info);

// The compiler may call these for structure copies and initialisers; there is no C library.
extern "C" void* memcpy(void* d, const void* s, size_t n) {
  copy(d, s, n);
  return d;
}
extern "C" void* memset(void* d, int v, size_t n) {
  auto* p = static_cast<volatile uint8_t*>(d);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t(v);
  return d;
}

extern "C" efi::Status efi_main(efi::Handle image, efi::System_table* st) {
  g_st = st;
  g_bs = st->boot_services;
  g_bs->set_watchdog_timer(0, 0, 0, nullptr);
  print("bulkhead boot stage (UEFI): loading and measuring\n");
  efi::Loaded_image* li = nullptr;
  efi::Simple_file_system* fs = nullptr;
  efi::File* root = nullptr;
  if (g_bs->handle_protocol(image, &efi::k_loaded_image, reinterpret_cast<void**>(&li)) != efi::k_success ||
      g_bs->handle_protocol(li->device, &efi::k_simple_file_system, reinterpret_cast<void**>(&fs)) != efi::k_success ||
      fs->open_volume(fs, &root) != efi::k_success) {
    fail("cannot open the boot volume");
  }
  efi::Tcg2* tcg = nullptr;
  if (g_bs->locate_protocol(&efi::k_tcg2, nullptr, reinterpret_cast<void**>(&tcg)) != efi::k_success || !tcg) {
    fail("no TPM 2.0 (EFI_TCG2_PROTOCOL): a measured boot needs one");
  }

  // BOOT.LST: "kernel FILE", "policy FILE", then each partition's pieces in policy order: "image
  // FILE PARTITION", or "linux FILE PARTITION", "initramfs FILE PARTITION", "cmdline PARTITION TEXT".
  Loaded list = read_file(root, "BOOT.LST");
  constexpr uint32_t k_max = 10;
  Loaded files[k_max];
  const char* names[k_max];
  uint32_t count = 0;
  uint32_t entry = 0;
  uint8_t* info_page = pages_below(8192);
  for (uint64_t i = 0; i < 8192; ++i) info_page[i] = 0;
  uint8_t* strings = info_page + 1024;
  char* line = reinterpret_cast<char*>(list.data);
  while (*line) {
    char* end = line;
    while (*end && *end != '\n') ++end;
    bool last = *end == '\0';
    *end = '\0';
    char* words[3] = {line, nullptr, nullptr};
    for (int w = 1; w < 3; ++w) {
      char* p = words[w - 1];
      while (p && *p && *p != ' ') ++p;
      if (p && *p == ' ') {
        *p = '\0';
        words[w] = p + 1;
      }
    }
    auto is = [](const char* a, const char* b) {
      while (*a && *a == *b) ++a, ++b;
      return *a == *b;
    };
    if (words[0][0] == '\0') {
    } else if (is(words[0], "kernel") && words[1]) {
      // The kernel joins the boot application in PCR 4 (firmware PCRs are recorded on a trusted
      // first boot): a changed kernel changes PCR 4.
      Loaded kernel = read_file(root, words[1]);
      char description[96] = "bulkhead kernel ";
      uint32_t n = 16;
      for (const char* s = words[1]; *s && n < 94; ++s) description[n++] = *s;
      description[n] = '\0';
      measure(tcg, 4, kernel, description);
      entry = load_kernel(kernel);
    } else if (is(words[0], "policy") && words[1] && count < k_max) {
      files[count] = read_file(root, words[1]);
      g_policy = reinterpret_cast<sk::policy::Policy*>(pages_below(sizeof(sk::policy::Policy)));
      for (uint64_t i = 0; i < sizeof(sk::policy::Policy); ++i) reinterpret_cast<uint8_t*>(g_policy)[i] = 0;
      if (!sk::policy::read_image(files[count].data, files[count].size, *g_policy)) {
        fail("not a policy image (magic, revision, size or digest): ", words[1]);
      }
      uint8_t* form = pages_below(sk::policy::k_image_max_size);
      sk::Result<size_t> form_size =
          sk::policy::write_measured_form(*g_policy, form, sk::policy::k_image_max_size);
      if (!form_size) fail("cannot write the policy's measured form: ", words[1]);
      char description[32];
      description[sk::event_log::describe_policy(description, sizeof description - 1)] = '\0';
      measure(tcg, sk::event_log::k_pcr_policy, Loaded{form, form_size.value()}, description);
      names[count++] = "policy";
    } else if (is(words[0], "reserved") && words[1]) {
      uint64_t end = 0;
      for (const char* h = words[1]; *h; ++h) {
        const char c = *h;
        const uint64_t digit = c >= '0' && c <= '9' ? uint64_t(c - '0') : c >= 'a' && c <= 'f' ? uint64_t(c - 'a' + 10) : 16;
        if (digit == 16 || end >> 60) fail("BOOT.LST: reserved: not a hexadecimal address: ", words[1]);
        end = end << 4 | digit;
      }
      if (end < 0x1000000) fail("BOOT.LST: reserved: ends below 16 MiB: ", words[1]);
      g_below = end - 1;
    } else if ((is(words[0], "image") || is(words[0], "linux") || is(words[0], "initramfs")) && words[1] &&
               words[2] && count < k_max) {
      // A partition's piece: "image|linux|initramfs FILE PARTITION". A file two partitions
      // share is loaded once (one module) and measured for each.
      uint32_t loaded = 0;
      while (loaded < count && !is(names[loaded], words[1])) ++loaded;
      if (loaded == count) files[count] = read_file(root, words[1]);
      char description[160];
      const size_t n = sk::event_log::describe_piece(words[2], words[0], words[1], description, sizeof description - 1);
      if (n == 0) fail("BOOT.LST: names too long for an event: ", line);
      description[n] = '\0';
      measure(tcg, partition_pcr(words[2]), files[loaded], description);
      if (loaded == count) names[count++] = words[1];
    } else if (is(words[0], "cmdline") && words[1]) {
      // "cmdline PARTITION TEXT": a Linux partition's command line as its policy gives it (the
      // rest of the line; printable ASCII, SK-LINUX-1), measured as text, not handed over (the
      // kernel takes it from the policy, measured in PCR 8).
      const char* text = words[2] ? words[2] : "";
      uint64_t length = 0;
      while (text[length]) ++length;
      char description[160];
      const size_t n = sk::event_log::describe_piece(words[1], "cmdline", nullptr, description, sizeof description - 1);
      if (n == 0) fail("BOOT.LST: names too long for an event: ", line);
      description[n] = '\0';
      measure(tcg, partition_pcr(words[1]),
              Loaded{reinterpret_cast<uint8_t*>(const_cast<char*>(text)), length}, description);
    } else {
      fail("BOOT.LST: unknown line: ", line);
    }
    if (last) break;
    line = end + 1;
  }
  if (!entry) fail("BOOT.LST names no kernel");

  // The firmware's log so far, our events included; room for what ExitBootServices adds.
  uint64_t location = 0, last_entry = 0;
  bool truncated = false;
  if (tcg->get_event_log(tcg, efi::k_event_log_format_tcg2, &location, &last_entry, &truncated) != efi::k_success ||
      !location || truncated) {
    fail("the firmware's event log is missing or truncated");
  }
  uint64_t log_size = last_entry == location ? 0 : last_entry - location + event_size(reinterpret_cast<uint8_t*>(last_entry));
  if (last_entry != location && log_size == last_entry - location) fail("the firmware's event log is malformed");
  uint8_t* log = pages_below(log_size + 65536);
  copy(log, reinterpret_cast<void*>(location), log_size);
  const uint8_t* final_table = nullptr;
  for (uint64_t i = 0; i < st->table_entries; ++i) {
    const efi::Guid& g = st->configuration_table[i].guid;
    const efi::Guid& want = efi::k_tcg2_final_events;
    bool same = g.a == want.a && g.b == want.b && g.c == want.c;
    for (int k = 0; k < 8; ++k) same = same && g.d[k] == want.d[k];
    if (same) final_table = static_cast<const uint8_t*>(st->configuration_table[i].table);
  }
  const uint64_t final_before = final_table ? *reinterpret_cast<const uint64_t*>(final_table + 8) : 0;

  // Multiboot information: flags (memory, modules), mem_upper, module list and names.
  uint64_t map_size = 0, key = 0, descriptor_size = 0;
  uint32_t version = 0;
  g_bs->get_memory_map(&map_size, nullptr, &key, &descriptor_size, &version);
  map_size += 8 * descriptor_size;
  uint8_t* map = pages_below(map_size, ~0ull);
  uint64_t ram_end = 0;
  if (g_bs->get_memory_map(&map_size, reinterpret_cast<efi::Memory_descriptor*>(map), &key, &descriptor_size,
                           &version) != efi::k_success) {
    fail("no memory map");
  }
  for (uint64_t at = 0; at + descriptor_size <= map_size; at += descriptor_size) {
    auto* d = reinterpret_cast<efi::Memory_descriptor*>(map + at);
    uint64_t end = d->physical_start + d->pages * 4096;
    bool usable = d->type == efi::k_conventional_memory || d->type == efi::k_boot_services_code ||
                  d->type == efi::k_boot_services_data || d->type == efi::k_loader_code || d->type == efi::k_loader_data;
    if (usable && end <= (1ull << 32) && end > ram_end) ram_end = end;
  }
  auto* mbi = reinterpret_cast<uint32_t*>(info_page);
  auto* mods = reinterpret_cast<uint32_t*>(info_page + 128);
  mbi[0] = 1u | (1u << 3);
  mbi[1] = 640;
  mbi[2] = uint32_t(ram_end / 1024 - 1024);
  for (uint32_t i = 0; i < count; ++i) {
    mods[4 * i] = uint32_t(uint64_t(files[i].data));
    mods[4 * i + 1] = uint32_t(uint64_t(files[i].data) + files[i].size);
    mods[4 * i + 2] = add_string(strings, names[i]);
  }
  uint32_t* log_module = mods + 4 * count;
  log_module[0] = uint32_t(uint64_t(log));
  log_module[2] = add_string(strings, "eventlog");
  mbi[5] = count + 1;
  mbi[6] = uint32_t(uint64_t(mods));
  hand_over_framebuffer(mbi);
  print("bulkhead boot stage: measured; starting the kernel\n");

  if (g_bs->exit_boot_services(image, key) != efi::k_success) {
    map_size += 8 * descriptor_size;
    if (g_bs->get_memory_map(&map_size, reinterpret_cast<efi::Memory_descriptor*>(map), &key, &descriptor_size,
                             &version) != efi::k_success ||
        g_bs->exit_boot_services(image, key) != efi::k_success) {
      for (;;) asm volatile("cli; hlt");
    }
  }
  // Events logged after GetEventLog (ExitBootServices' own, into PCR 5) are only in the Final
  // Events table: append them so the log replays to the PCRs a quote will show.
  if (final_table) {
    const uint64_t total = *reinterpret_cast<const uint64_t*>(final_table + 8);
    const uint8_t* p = final_table + 16;
    for (uint64_t i = 0; i < total; ++i) {
      uint64_t size = event_size(p);
      if (size == 0 || log_size + size > log_size + 65536 - 1) break;
      if (i >= final_before) {
        copy(log + log_size, p, size);
        log_size += size;
      }
      p += size;
    }
  }
  log_module[1] = uint32_t(uint64_t(log) + log_size);
  sk_uefi_enter_multiboot(entry, uint32_t(uint64_t(info_page)));
}

// From 64-bit long mode (UEFI's identity map) to the kernel's 32-bit multiboot entry: a 32-bit
// code segment, compatibility mode, paging and EFER.LME off, then EAX = multiboot magic,
// EBX = information, jump. This code runs below 4 GiB (where the firmware loaded the image).
asm(R"(
  .text
  .globl sk_uefi_enter_multiboot
sk_uefi_enter_multiboot:
  cli
  mov %ecx, %ebp            # entry (Microsoft x64: first argument in rcx)
  mov %edx, %ebx            # multiboot information
  lgdt uefi_gdtr(%rip)
  lea 1f(%rip), %rax
  pushq $0x08
  pushq %rax
  lretq
  .code32
1:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov %cr0, %eax
  and $0x7FFFFFFF, %eax     # paging off: long mode ends
  mov %eax, %cr0
  mov $0xC0000080, %ecx
  rdmsr
  and $0xFFFFFEFF, %eax     # EFER.LME off
  wrmsr
  mov %cr4, %eax
  and $0xFFFFFFDF, %eax     # PAE off (the kernel sets its own)
  mov %eax, %cr4
  mov $0x2BADB002, %eax
  jmp *%ebp
  .code64
  .data
  .p2align 4
uefi_gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF  # 0x08: 32-bit code
  .quad 0x00CF92000000FFFF  # 0x10: data
uefi_gdtr:
  .word uefi_gdtr - uefi_gdt - 1
  .quad uefi_gdt
  .text
)");
