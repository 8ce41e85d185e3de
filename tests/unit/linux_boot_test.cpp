// SPDX-License-Identifier: Apache-2.0
// sk::linux_boot: the bzImage header checks, the placement of kernel and initramfs in a
// partition's RAM, and the zero page the kernel hands Linux (what the kernel then copies).
#include "sk/linux_boot.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "bzimage.hpp"

namespace lb = sk::linux_boot;
using bh::test::Bzimage_fields;
using bh::test::make_bzimage;

namespace {

constexpr uint64_t k_mib = 1024 * 1024;

lb::Refusal parse_refusal(const std::vector<uint8_t>& b) {
  return lb::parse(b.data(), b.size()).refusal;
}

uint32_t get32(const uint8_t* p, size_t at) {
  uint32_t v;
  std::memcpy(&v, p + at, 4);
  return v;
}
uint64_t get64(const uint8_t* p, size_t at) {
  uint64_t v;
  std::memcpy(&v, p + at, 8);
  return v;
}

}  // namespace

TEST_CASE("linux_boot: a well-formed bzImage header is read field by field", "[unit][linux]") {
  auto b = make_bzimage();
  lb::Parsed p = lb::parse(b.data(), b.size());
  REQUIRE(p.refusal == lb::Refusal::none);
  CHECK(p.header.protocol == 0x020F);
  CHECK(p.header.setup_bytes == 5 * 512);
  CHECK(p.header.kernel_bytes == 0x2000);
  CHECK(p.header.header_end == 0x26C);
  CHECK(p.header.alignment == 0x200000);
  CHECK(p.header.relocatable);
  CHECK(p.header.cmdline_size == 2047);
  CHECK(p.header.pref_address == 0x1000000);
  CHECK(p.header.init_size == 0x800000);
}

TEST_CASE("linux_boot: malformed headers are refused with their reason", "[unit][linux]") {
  auto b = make_bzimage();
  SECTION("empty and truncated files") {
    CHECK(lb::parse(nullptr, 0).refusal == lb::Refusal::too_short);
    for (size_t n : {size_t{1}, size_t{0x1FF}, size_t{0x263}})
      CHECK(lb::parse(b.data(), n).refusal == lb::Refusal::too_short);
    // The header is whole but the file ends inside its own setup sectors.
    CHECK(lb::parse(b.data(), 5 * 512).refusal == lb::Refusal::too_short);
  }
  SECTION("wrong magic") {
    b[0x202] = 'X';
    CHECK(parse_refusal(b) == lb::Refusal::no_signature);
    CHECK(std::string(lb::reason(lb::Refusal::no_signature)) == "not a bzImage (no HdrS signature)");
  }
  SECTION("no boot sector signature") {
    b[0x1FE] = 0;
    CHECK(parse_refusal(b) == lb::Refusal::no_signature);
  }
  SECTION("an ELF file is not a bzImage") {
    std::vector<uint8_t> elf(4096, 0);
    std::memcpy(elf.data(),
                "\x7f"
                "ELF",
                4);
    CHECK(parse_refusal(elf) == lb::Refusal::no_signature);
  }
  SECTION("boot protocol before 2.12") {
    Bzimage_fields f;
    f.protocol = 0x020B;
    CHECK(parse_refusal(make_bzimage(f)) == lb::Refusal::old_protocol);
  }
  SECTION("a zImage (LOADED_HIGH clear)") {
    Bzimage_fields f;
    f.loadflags = 0;
    CHECK(parse_refusal(make_bzimage(f)) == lb::Refusal::not_bzimage);
  }
  SECTION("setup header longer than boot_params holds, or shorter than init_size's field") {
    Bzimage_fields f;
    f.header_length = 0x8F;  // ends at 0x291
    CHECK(parse_refusal(make_bzimage(f)) == lb::Refusal::bad_header);
    f.header_length = 0x60;  // ends at 0x262, before init_size
    CHECK(parse_refusal(make_bzimage(f)) == lb::Refusal::bad_header);
  }
  SECTION("kernel_alignment zero, not a power of two, or absurd") {
    for (uint32_t a : {0u, 0x300000u, 0x80000000u}) {
      Bzimage_fields f;
      f.alignment = a;
      INFO("alignment " << a);
      CHECK(parse_refusal(make_bzimage(f)) == lb::Refusal::bad_header);
    }
  }
  SECTION("init_size smaller than the kernel it must hold") {
    Bzimage_fields f;
    f.init_size = 0x1000;
    CHECK(parse_refusal(make_bzimage(f)) == lb::Refusal::bad_header);
  }
  SECTION("setup_sects 0 means 4") {
    Bzimage_fields f;
    f.setup_sects = 0;
    f.kernel_bytes = 0x100;
    auto z = make_bzimage(f);  // 0x300 bytes: the header then claims 5 sectors of setup
    CHECK(lb::parse(z.data(), z.size()).refusal == lb::Refusal::too_short);
  }
}

TEST_CASE("linux_boot: a header parsed from any prefix of any byte pattern stays in bounds",
          "[unit][linux]") {
  auto b = make_bzimage();
  // Every truncation and a byte flipped in every header position: parse never reads past the
  // buffer (ASan) and, when it accepts, what it describes lies inside the file.
  for (size_t n = 0; n <= b.size(); n += 97) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + long(n));
    lb::Parsed p = lb::parse(cut.data(), cut.size());
    if (p.refusal == lb::Refusal::none) CHECK(p.header.setup_bytes + p.header.kernel_bytes == n);
  }
  for (size_t at = 0x1F0; at < 0x270; ++at) {
    auto m = b;
    m[at] ^= 0xFF;
    lb::Parsed p = lb::parse(m.data(), m.size());
    if (p.refusal == lb::Refusal::none) {
      CHECK(p.header.setup_bytes + p.header.kernel_bytes == m.size());
      CHECK(p.header.header_end <= p.header.setup_bytes);
    }
  }
}

TEST_CASE("linux_boot: the kernel goes to its preferred address, the initramfs to the top of RAM",
          "[unit][linux]") {
  auto b = make_bzimage();
  lb::Header h = lb::parse(b.data(), b.size()).header;
  lb::Plan p = lb::place(h, 160 * k_mib, 7953920, 200);
  REQUIRE(p.refusal == lb::Refusal::none);
  CHECK(p.kernel_at == 0x1000000);
  CHECK(p.initrd_size == 7953920);
  CHECK(p.initrd_at % 4096 == 0);
  CHECK(p.initrd_at + p.initrd_size <= 160 * k_mib);
  CHECK(160 * k_mib - (p.initrd_at + p.initrd_size) < 4096);
  CHECK(p.kernel_at + h.init_size <= p.initrd_at);  // no overlap
}

TEST_CASE("linux_boot: placement in small memory, and refusals", "[unit][linux]") {
  auto b = make_bzimage();
  lb::Header h = lb::parse(b.data(), b.size()).header;  // init_size 8 MiB, alignment 2 MiB
  SECTION("preferred address does not fit: relocated to the first aligned address above 1 MiB") {
    lb::Plan p = lb::place(h, 16 * k_mib, 1 * k_mib, 100);
    REQUIRE(p.refusal == lb::Refusal::none);
    CHECK(p.kernel_at == 0x200000);
    CHECK(p.kernel_at + h.init_size <= p.initrd_at);
    CHECK(p.initrd_at + p.initrd_size <= 16 * k_mib);
  }
  SECTION("kernel and initramfs would overlap: too little memory") {
    // 2 MiB + 8 MiB of kernel + 7 MiB of initramfs > 16 MiB.
    CHECK(lb::place(h, 16 * k_mib, 7 * k_mib, 100).refusal == lb::Refusal::memory_too_small);
    CHECK(lb::place(h, 16 * k_mib, 6 * k_mib, 100).refusal == lb::Refusal::none);
  }
  SECTION("tiny memory: below 1 MiB nothing fits, and an initramfs larger than RAM") {
    for (uint64_t ram : {uint64_t{0}, uint64_t{4096}, uint64_t{0x10000}, k_mib, 2 * k_mib, 10 * k_mib - 1}) {
      INFO("ram " << ram);
      CHECK(lb::place(h, ram, 0, 10).refusal == lb::Refusal::memory_too_small);
    }
    CHECK(lb::place(h, 64 * k_mib, 65 * k_mib, 10).refusal == lb::Refusal::memory_too_small);
    CHECK(lb::place(h, 64 * k_mib, ~uint64_t{0}, 10).refusal == lb::Refusal::memory_too_small);
  }
  SECTION("init_size near 4 GiB does not wrap") {
    lb::Header big = h;
    big.init_size = 0xFFFFF000u;
    CHECK(lb::place(big, 3 * 1024 * k_mib, 0, 10).refusal == lb::Refusal::memory_too_small);
  }
  SECTION("a fixed kernel whose address does not fit") {
    lb::Header fixed = h;
    fixed.relocatable = false;
    CHECK(lb::place(fixed, 160 * k_mib, 0, 10).refusal == lb::Refusal::none);
    CHECK(lb::place(fixed, 16 * k_mib, 0, 10).refusal == lb::Refusal::not_relocatable);
  }
  SECTION("the initramfs ends below initrd_addr_max") {
    lb::Header low = h;
    low.initrd_addr_max = 0x3FFFFFF;  // 64 MiB
    lb::Plan p = lb::place(low, 160 * k_mib, k_mib, 10);
    REQUIRE(p.refusal == lb::Refusal::none);
    CHECK(p.initrd_at + p.initrd_size <= 64 * k_mib);
  }
  SECTION("an empty initramfs is not placed") {
    lb::Plan p = lb::place(h, 160 * k_mib, 0, 10);
    REQUIRE(p.refusal == lb::Refusal::none);
    CHECK(p.initrd_at == 0);
    CHECK(p.initrd_size == 0);
  }
  SECTION("a command line longer than the kernel's cmdline_size") {
    CHECK(lb::place(h, 160 * k_mib, 0, 2047).refusal == lb::Refusal::none);
    CHECK(lb::place(h, 160 * k_mib, 0, 2048).refusal == lb::Refusal::cmdline_too_long);
    lb::Header small = h;
    small.cmdline_size = 255;
    CHECK(lb::place(small, 160 * k_mib, 0, 256).refusal == lb::Refusal::cmdline_too_long);
  }
}

TEST_CASE("linux_boot: the zero page carries the header, screen, e820, initramfs and command line",
          "[unit][linux]") {
  auto b = make_bzimage();
  lb::Header h = lb::parse(b.data(), b.size()).header;
  lb::Plan plan = lb::place(h, 160 * k_mib, 3 * k_mib, 100);
  REQUIRE(plan.refusal == lb::Refusal::none);
  std::vector<uint8_t> zp(4096, 0xCC);
  lb::build_zero_page(zp.data(), b.data(), h, plan, 160 * k_mib);
  // The setup header copied whole (then the loader's fields over it).
  CHECK(get32(zp.data(), 0x202) == 0x53726448);
  CHECK(get64(zp.data(), 0x258) == 0x1000000);
  CHECK(get32(zp.data(), 0x260) == h.init_size);
  CHECK(zp[0x26C] == 0);  // nothing past the header's end
  CHECK(zp[0x210] == 0xFF);
  CHECK((zp[0x211] & 1) == 1);
  CHECK(get32(zp.data(), 0x214) == plan.kernel_at);
  CHECK(get32(zp.data(), 0x218) == plan.initrd_at);
  CHECK(get32(zp.data(), 0x21C) == 3 * k_mib);
  CHECK(get32(zp.data(), 0x228) == lb::k_cmdline);
  // 80x25 colour VGA text.
  CHECK(zp[0x06] == 3);
  CHECK(zp[0x07] == 80);
  CHECK(zp[0x0E] == 25);
  CHECK(zp[0x0F] == 1);
  // e820: [0, 0x9F000) RAM, [0x9F000, 1 MiB) reserved, [1 MiB, 160 MiB) RAM.
  REQUIRE(zp[0x1E8] == 3);
  CHECK(get64(zp.data(), 0x2D0) == 0);
  CHECK(get64(zp.data(), 0x2D8) == 0x9F000);
  CHECK(get32(zp.data(), 0x2E0) == 1);
  CHECK(get64(zp.data(), 0x2E4) == 0x9F000);
  CHECK(get32(zp.data(), 0x2F4) == 2);
  CHECK(get64(zp.data(), 0x2F8) == k_mib);
  CHECK(get64(zp.data(), 0x300) == 159 * k_mib);
  CHECK(get32(zp.data(), 0x308) == 1);
  // The pages the kernel writes below 1 MiB lie in the e820's usable low memory, apart.
  CHECK(lb::k_zero_page + 4096 <= lb::k_gdt);
  CHECK(lb::k_gdt + sizeof lb::k_boot_gdt <= lb::k_cmdline);
  CHECK(lb::k_cmdline + lb::k_cmdline_room <= lb::k_low_end);
}

TEST_CASE("linux_boot: the kernel's TSC rate is appended to the command line", "[unit][linux]") {
  char line[64] = "console=ttyS0";
  CHECK(lb::append_tsc_khz(line, sizeof line, 2994375) == 13 + 15 + 7);
  CHECK(std::string(line) == "console=ttyS0 tsc_early_khz=2994375");
  char empty[32] = "";
  CHECK(lb::append_tsc_khz(empty, sizeof empty, 0) == 16);
  CHECK(std::string(empty) == " tsc_early_khz=0");
  char tight[20] = "console=ttyS0";
  CHECK(lb::append_tsc_khz(tight, sizeof tight, 1) == 0);
  CHECK(std::string(tight) == "console=ttyS0");  // unchanged when it does not fit
  // The longest the kernel appends (10 digits) is within k_appended_max.
  char longest[64] = "";
  CHECK(lb::append_tsc_khz(longest, sizeof longest, 4294967295u) <= lb::k_appended_max);
}
