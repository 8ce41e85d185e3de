// SPDX-License-Identifier: Apache-2.0
// The kernel's table builders, hosted against fake memory: for random valid policies, every page
// the nested page table maps is granted by the policy to that partition, to the host page and
// with the rights the policy gives (SK-MEM-3, SK-MEM-5, SK-FLOW-1), and nothing else is mapped;
// the I/O permission map lets exactly the granted ports through (SK-DEV-1, SK-DEV-2); every MSR
// access exits; the instruction lengths the kernel skips are decoded exactly.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "random_policy.hpp"
#include "sk/access.hpp"
#include "sk/guest_paging.hpp"
#include "sk/insn_length.hpp"
#include "sk/npt_builder.hpp"
#include "sk/permission_maps.hpp"
#include "sk/validate.hpp"

namespace sp = sk::policy;

namespace {

struct Fake_memory {
  static constexpr uint64_t k_base = 0x100000000ull;
  std::vector<std::vector<uint64_t>> pages;
  size_t limit = SIZE_MAX;
  sk::Result<uint64_t> allocate() {
    if (pages.size() >= limit) return sk::Error::no_space;
    pages.emplace_back(512, 0);
    return k_base + (pages.size() - 1) * sp::k_page_size;
  }
  uint64_t* table(uint64_t physical) { return pages.at((physical - k_base) / sp::k_page_size).data(); }
};

struct Leaf {
  uint64_t host;
  bool writable;
};

// Every present leaf of the 4-level table under root, by guest-physical address.
void walk(Fake_memory& m, uint64_t table, int level, uint64_t base, bool writable, std::map<uint64_t, Leaf>& out) {
  for (uint64_t i = 0; i < 512; ++i) {
    uint64_t e = m.table(table)[i];
    if ((e & sk::npt::k_present) == 0) continue;
    REQUIRE((e & sk::npt::k_user) != 0);  // NPT walks are user accesses at every level
    uint64_t gpa = base | (i << (12 + 9 * level));
    bool w = writable && (e & sk::npt::k_writable);
    if (level == 0) {
      out[gpa] = {e & sk::npt::k_address_mask, w};
    } else {
      walk(m, e & sk::npt::k_address_mask, level - 1, gpa, w, out);
    }
  }
}

struct Valid final : sp::Violation_sink {
  int n = 0;
  void report(const sp::Violation&) override { ++n; }
};

}  // namespace

TEST_CASE("NPT maps exactly the policy's grants, with their rights", "[kernel][npt][property]") {
  std::mt19937_64 rng(0x4E5054);
  for (int round = 0; round < 300; ++round) {
    sp::Policy p = bh::test::random_policy(rng, true);
    Valid v;
    REQUIRE(sp::validate(p, v) == 0);
    for (uint16_t part = 0; part < p.partition_count; ++part) {
      Fake_memory m;
      auto root = sk::npt::build(p, part, m);
      REQUIRE(root.ok());
      std::map<uint64_t, Leaf> leaves;
      walk(m, root.value(), 3, 0, true, leaves);
      uint64_t granted_pages = 0;
      sp::Guest_region regions[1 + sp::k_max_channels + sp::k_max_mmio_ranges];
      uint32_t n = sp::guest_regions(p, part, regions, 1 + sp::k_max_channels + sp::k_max_mmio_ranges);
      for (uint32_t i = 0; i < n; ++i) granted_pages += regions[i].size / sp::k_page_size;
      CHECK(leaves.size() == granted_pages);  // nothing but the grants
      for (const auto& [gpa, leaf] : leaves) {
        auto g = sp::guest_page(p, part, gpa);
        INFO("partition " << part << " gpa " << std::hex << gpa);
        REQUIRE(g.access != sp::Access::none);
        CHECK(g.host_address == leaf.host);
        CHECK((g.access == sp::Access::read_write) == leaf.writable);
        CHECK(sk::npt::translate(m, root.value(), gpa).host_address == leaf.host);
        // The host page is this partition's memory, a channel it is an endpoint of, or its MMIO.
        bool own = leaf.host >= p.partitions[part].memory.base &&
                   leaf.host < p.partitions[part].memory.base + p.partitions[part].memory.size;
        bool chan = false;
        for (uint32_t c = 0; c < p.channel_count; ++c) {
          const auto& ch = p.channels[c];
          if (leaf.host >= ch.memory.base && leaf.host < ch.memory.base + ch.memory.size) {
            chan = ch.writer == part || ch.reader == part;
            CHECK(leaf.writable == (ch.writer == part));  // read-only on the reading side
          }
        }
        bool mmio = leaf.host == p.partitions[part].mmio[0].base;
        CHECK((own || chan || mmio));
      }
      // Pages next to the grants are not mapped.
      CHECK(sk::npt::translate(m, root.value(), p.partitions[part].memory.size).access == sp::Access::none);
    }
  }
}

TEST_CASE("NPT build reports an exhausted page pool instead of overrunning it", "[kernel][npt]") {
  std::mt19937_64 rng(9);
  sp::Policy p = bh::test::random_policy(rng, true);
  Fake_memory m;
  m.limit = 3;
  auto root = sk::npt::build(p, 0, m);
  CHECK(root.error() == sk::Error::no_space);
  CHECK(m.pages.size() == 3);
}

TEST_CASE("the I/O permission map lets exactly the granted ports through", "[kernel][iopm][property]") {
  std::mt19937_64 rng(0x10);
  std::vector<uint8_t> iopm(sk::permission::k_iopm_size);
  for (int round = 0; round < 40; ++round) {
    sp::Policy p = bh::test::random_policy(rng, true);
    for (uint16_t part = 0; part < p.partition_count; ++part) {
      sk::permission::build_iopm(p, part, iopm.data());
      for (uint32_t port = 0; port <= 0xFFFF; ++port) {
        bool granted = sp::port_granted(p, part, static_cast<uint16_t>(port));
        if (sk::permission::io_intercepted(iopm.data(), static_cast<uint16_t>(port), 1) == granted) {
          FAIL("port " << port << " granted=" << granted);
        }
      }
      // A 4-byte access that starts on the last granted port of a range reaches past it: exits.
      const auto& r = p.partitions[part].io[0];
      CHECK(sk::permission::io_intercepted(iopm.data(), static_cast<uint16_t>(r.first + r.count - 1), 4));
      // The keyboard, VGA, PIC and serial ports are never let through (SK-DEV-2).
      for (uint16_t port : {0x60, 0x64, 0x3D4, 0x3D5, 0x20, 0xA0, 0x3F8, 0xCF8}) {
        CHECK(sk::permission::io_intercepted(iopm.data(), port, 1));
      }
    }
  }
}

TEST_CASE("every MSR read and write exits but those VMLOAD and VMSAVE switch", "[kernel][msrpm]") {
  std::vector<uint8_t> msrpm(sk::permission::k_msrpm_size);
  sk::permission::build_msrpm(msrpm.data());
  const std::set<uint32_t> switched(std::begin(sk::permission::k_switched_msrs),
                                    std::end(sk::permission::k_switched_msrs));
  // Exactly the MSRs the VMCB's VMLOAD/VMSAVE area holds (AMD APM vol. 2, VMSAVE).
  CHECK(switched == std::set<uint32_t>{0x174, 0x175, 0x176, 0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084,
                                       0xC0000100, 0xC0000101, 0xC0000102});
  for (uint32_t msr : switched) {
    CHECK_FALSE(sk::permission::msr_intercepted(msrpm.data(), msr, false));
    CHECK_FALSE(sk::permission::msr_intercepted(msrpm.data(), msr, true));
  }
  for (uint32_t msr : {0x10u, 0x1Bu, 0x173u, 0x177u, 0xC0000080u, 0xC0000085u, 0xC00000FFu, 0xC0000103u, 0xC0010114u,
                       0xC0010117u, 0x40000000u, 0xFFFFFFFFu}) {
    CHECK(sk::permission::msr_intercepted(msrpm.data(), msr, false));
    CHECK(sk::permission::msr_intercepted(msrpm.data(), msr, true));
  }
  // Every other MSR in all three ranges, both directions.
  for (uint32_t base : {0x0u, 0xC0000000u, 0xC0010000u}) {
    for (uint32_t msr = base; msr < base + 0x2000; ++msr) {
      if (switched.count(msr)) continue;
      REQUIRE(sk::permission::msr_intercepted(msrpm.data(), msr, false));
      REQUIRE(sk::permission::msr_intercepted(msrpm.data(), msr, true));
    }
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 10000; ++i) {
    uint32_t msr = rng();
    if (switched.count(msr)) continue;
    REQUIRE(sk::permission::msr_intercepted(msrpm.data(), msr, i & 1));
  }
}

TEST_CASE("instruction lengths of every skipped instruction", "[kernel][insn]") {
  using sk::insn::decode_length;
  using sk::insn::Skipped;
  struct Case {
    std::vector<uint8_t> bytes;
    Skipped kind;
    int length;  // 0: refused
  };
  const Case cases[] = {
      {{0x0F, 0x01, 0xD9}, Skipped::vmmcall, 3},
      {{0x0F, 0xA2}, Skipped::cpuid, 2},
      {{0xF4}, Skipped::hlt, 1},
      {{0x0F, 0x32}, Skipped::rdmsr, 2},
      {{0x0F, 0x30}, Skipped::wrmsr, 2},
      {{0x0F, 0x01, 0xD1}, Skipped::xsetbv, 3},
      {{0x0F, 0x09}, Skipped::wbinvd, 2},
      {{0x0F, 0x08}, Skipped::wbinvd, 0},               // INVD is not WBINVD
      {{0x0F, 0x01, 0xD0}, Skipped::xsetbv, 0},         // XGETBV is not XSETBV
      {{0x66, 0x0F, 0xA2}, Skipped::cpuid, 3},          // operand-size prefix
      {{0x2E, 0x3E, 0xF4}, Skipped::hlt, 3},            // segment prefixes
      {{0x0F, 0xA2}, Skipped::hlt, 0},                  // not the instruction the exit reports
      {{0x0F, 0x01, 0xD8}, Skipped::vmmcall, 0},        // VMRUN is not VMMCALL
      {{0x0F, 0x30}, Skipped::rdmsr, 0},
  };
  for (const auto& c : cases) {
    auto r = decode_length(c.bytes.data(), c.bytes.size(), c.kind);
    if (c.length == 0) {
      CHECK_FALSE(r.ok());
    } else {
      REQUIRE(r.ok());
      CHECK(r.value() == c.length);
    }
  }
  const uint8_t cut[] = {0x0F, 0x01};
  CHECK(decode_length(cut, 2, Skipped::vmmcall).error() == sk::Error::truncated);
  std::vector<uint8_t> long_one(15, 0x66);
  long_one.push_back(0xF4);
  CHECK(decode_length(long_one.data(), long_one.size(), Skipped::hlt).error() == sk::Error::bad_argument);
}

TEST_CASE("guest instruction addresses are formed as the CPU forms them in each mode", "[kernel][insn]") {
  using sk::insn::advance_rip;
  using sk::insn::Code_segment;
  using sk::insn::linear_rip;
  const Code_segment flat32{0, 0xC9B};           // D set: 32-bit code
  const Code_segment based32{0xFFFFF000, 0xC9B};  // base near the top: CS.base + EIP wraps at 4 GiB
  const Code_segment real16{0xF0000, 0x9B};       // D clear: 16-bit code
  const Code_segment long64{0x12345000, 0xA9B};   // L set: 64-bit code ignores CS.base
  CHECK(linear_rip(flat32, false, 0x1000) == 0x1000);
  CHECK(linear_rip(based32, false, 0x2000) == 0x1000);            // the wrap the reviewer found missing
  CHECK(linear_rip(based32, false, 0x1'0000'2000) == 0x1000);     // only EIP counts in 32-bit code
  CHECK(linear_rip(real16, false, 0x1'FFF0) == 0xFFFF0);          // IP is 16 bits
  CHECK(linear_rip(long64, true, 0xFFFF'8000'0000'1000) == 0xFFFF'8000'0000'1000);
  CHECK(linear_rip(long64, false, 0x1000) == 0x12346000);         // L without EFER.LMA: legacy code (D clear: 16-bit)
  CHECK(advance_rip(flat32, false, 0xFFFFFFFE, 3) == 0x1);
  CHECK(advance_rip(real16, false, 0xFFFF, 2) == 0x1);
  CHECK(advance_rip(long64, true, 0xFFFFFFFE, 3) == 0x1'0000'0001);
}

TEST_CASE("guest page walks translate as the CPU does in each paging mode", "[kernel][insn][paging]") {
  using sk::paging::Guest_mode;
  std::map<uint64_t, uint64_t> memory;  // guest-physical address -> table entry
  auto read = [&](uint64_t gpa, uint32_t, uint64_t& out) {
    auto it = memory.find(gpa);
    if (it == memory.end()) return false;
    out = it->second;
    return true;
  };
  auto gpa = [&](const Guest_mode& m, uint64_t linear) {
    auto r = sk::paging::translate(m, linear, read);
    return r.ok() ? r.value() : ~uint64_t{0};
  };
  const uint64_t pg = 1ull << 31, pae = 1u << 5, pse = 1u << 4, lma = 1u << 10;
  CHECK(gpa({0x11, 0, 0, 0}, 0x123456) == 0x123456);  // paging off
  // 32-bit: PDE 1 -> table 0x3000, PTE 2 -> 0x7000; PDE 2 a 4 MiB page at 0x800000 (with PSE).
  memory[0x2000 + 1 * 4] = 0x3000 | 1;
  memory[0x3000 + 2 * 4] = 0x7000 | 1;
  memory[0x2000 + 2 * 4] = 0x800000 | 0x80 | 1;
  CHECK(gpa({pg | 1, 0x2000, 0, 0}, (1u << 22) | (2u << 12) | 0x34) == 0x7034);
  CHECK(gpa({pg | 1, 0x2000, pse, 0}, (2u << 22) | 0x12345) == 0x812345);
  CHECK(gpa({pg | 1, 0x2000, 0, 0}, 5u << 22) == ~uint64_t{0});  // not present
  // PAE: PDPTE 1 -> PD 0x5000, PDE 3 a 2 MiB page at 0x1000000; PDE 4 -> PT 0x6000, PTE 5 -> 0x9000.
  memory[0x4000 + 1 * 8] = 0x5000 | 1;
  memory[0x5000 + 3 * 8] = 0x1000000 | 0x80 | 1;
  memory[0x5000 + 4 * 8] = 0x6000 | 1;
  memory[0x6000 + 5 * 8] = 0x9000 | 1;
  CHECK(gpa({pg | 1, 0x4000, pae, 0}, (1ull << 30) | (3u << 21) | 0x1234) == 0x1001234);
  CHECK(gpa({pg | 1, 0x4000, pae, 0}, (1ull << 30) | (4u << 21) | (5u << 12) | 0x10) == 0x9010);
  // Long mode: PML4 0 -> PDPT 0xA000, PDPTE 2 a 1 GiB page at 0x40000000; PDPTE 1 -> PD 0x5000 (as above).
  memory[0x8000] = 0xA000 | 1;
  memory[0xA000 + 2 * 8] = 0x40000000 | 0x80 | 1;
  memory[0xA000 + 1 * 8] = 0x5000 | 1;
  CHECK(gpa({pg | 1, 0x8000, pae, lma}, (2ull << 30) | 0x123456) == 0x40123456);
  CHECK(gpa({pg | 1, 0x8000, pae, lma}, (1ull << 30) | (4u << 21) | (5u << 12) | 0x10) == 0x9010);
  CHECK(gpa({pg | 1, 0x8000, pae, lma}, 1ull << 39) == ~uint64_t{0});  // PML4 entry 1 absent
}
