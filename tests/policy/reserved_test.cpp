// SPDX-License-Identifier: Apache-2.0
// The kernel's reserved lists as a class (SK-DEV-2, SK-DEV-3, SK-MEM-2, SK-MEM-4): every reserved
// port range, address range and IRQ is refused in every grant kind that reaches its space, with
// its exact line and whatever kernel_reserved covers; the neighbours of each entry stay grantable;
// nothing reaches past the kernel's 4 GiB map; the shipped policies stay valid; and the lists
// cover the ports and addresses the kernel's own sources use, so a new driver cannot skip them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>

#include "bh/policy_source.hpp"
#include "sk/policy.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
namespace sp = sk::policy;

namespace {

const std::string k_root = BH_SOURCE_DIR;
const std::string k_images = k_root + "/tests/policy/fixtures/images";
constexpr uint64_t k_page = sp::k_page_size;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
std::string range(uint64_t base, uint64_t size) {
  return "[" + hex(base) + ", " + hex(base + size) + ")";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// "RULE-ID: message" for every finding, in the order the checker gives them.
std::vector<std::string> findings(const std::string& text) {
  auto src = bh::policy::parse_text(text, "test.toml", k_images);
  std::vector<std::string> out;
  for (const auto& d : bh::policy::check(src)) out.push_back(d.rule + ": " + d.message);
  return out;
}

const std::string& default_policy() {
  static const std::string text = bh::test::read_file(k_root + "/policies/default.toml");
  return text;
}

// The default policy with a grant line added to partition "open" (after its on_violation).
std::string grant_open(const std::string& line) {
  const std::string& base = default_policy();
  const std::string anchor = "on_violation = \"stop\"\n\n[[channel]]";
  return replace(base, anchor, "on_violation = \"stop\"\n" + line + "\n\n[[channel]]");
}

// The default policy on a 4 GiB machine whose kernel_reserved leaves the first 16 MiB free: every
// reserved address range then lies in RAM and outside kernel_reserved, so only the reserved list
// can refuse a region there.
std::string low_and_high_ram() {
  std::string t = replace(default_policy(), "ram = 0x20000000", "ram = 0x100000000");
  return replace(t, "kernel_reserved = { base = 0x0, size = 0x2000000 }",
                 "kernel_reserved = { base = 0x1000000, size = 0x1000000 }");
}

bool port_reserved(uint32_t port) {
  for (size_t d = 0; d < sp::k_reserved_io_count; ++d) {
    const auto& r = sp::k_reserved_io[d].ports;
    if (port >= r.first && port < uint32_t{r.first} + r.count) return true;
  }
  return false;
}

bool page_reserved(uint64_t page) {
  for (size_t d = 0; d < sp::k_reserved_memory_count; ++d) {
    const auto& r = sp::k_reserved_memory[d].range;
    if (page < r.base + r.size && r.base < page + k_page) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the reserved lists are well-formed and sorted", "[policy][reserved]") {
  for (size_t d = 0; d < sp::k_reserved_io_count; ++d) {
    const auto& r = sp::k_reserved_io[d];
    INFO(r.what);
    CHECK(r.ports.count > 0);
    if (d > 0)
      CHECK(sp::k_reserved_io[d - 1].ports.first + sp::k_reserved_io[d - 1].ports.count <= r.ports.first);
  }
  for (size_t d = 0; d < sp::k_reserved_memory_count; ++d) {
    const auto& r = sp::k_reserved_memory[d];
    INFO(r.what);
    CHECK(r.range.size > 0);
    CHECK(r.range.base % k_page == 0);
    CHECK(r.range.size % k_page == 0);
    CHECK(r.range.base + r.range.size <= sp::k_kernel_map_end);
    if (d > 0)
      CHECK(sp::k_reserved_memory[d - 1].range.base + sp::k_reserved_memory[d - 1].range.size <=
            r.range.base);
  }
}

TEST_CASE("every reserved port range is refused in io, whole and at either end", "[policy][reserved]") {
  for (size_t d = 0; d < sp::k_reserved_io_count; ++d) {
    const auto& r = sp::k_reserved_io[d];
    const uint32_t last = uint32_t{r.ports.first} + r.ports.count - 1;
    const std::pair<uint32_t, uint32_t> grants[] = {
        {r.ports.first, r.ports.count}, {r.ports.first, 1}, {last, 1}};
    for (auto [first, count] : grants) {
      INFO(r.what << ": io " << range(first, count));
      auto got = findings(grant_open("io = [ { first = " + hex(first) + ", count = " + hex(count) + " } ]"));
      CHECK(got == std::vector<std::string>{"SK-DEV-2: partition \"open\" io ports " + range(first, count) +
                                            " overlap the kernel's " + r.what + " ports " +
                                            range(r.ports.first, r.ports.count)});
    }
    // Exactly these ports: a free neighbour is still grantable (COM2 stays the agent's, say).
    for (uint32_t port : {uint32_t{r.ports.first} - 1, last + 1}) {
      if (port > 0xFFFF || port_reserved(port)) continue;
      INFO(r.what << ": neighbour port " << hex(port));
      CHECK(findings(grant_open("io = [ { first = " + hex(port) + ", count = 1 } ]")).empty());
    }
  }
}

TEST_CASE("every reserved address range is refused as partition memory, channel memory and mmio",
          "[policy][reserved]") {
  const std::string ram4 = low_and_high_ram();
  REQUIRE(findings(ram4).empty());
  const std::string open_memory = "memory = { base = 0x3000000, size = 0x1000000 }";
  const std::string channel_memory = "memory = { base = 0x4000000, size = 0x1000 }";
  for (size_t d = 0; d < sp::k_reserved_memory_count; ++d) {
    const auto& r = sp::k_reserved_memory[d];
    const std::string tail =
        " overlaps the kernel's " + std::string(r.what) + " " + range(r.range.base, r.range.size);
    for (uint64_t page : {r.range.base, r.range.base + r.range.size - k_page}) {
      const std::string at = "{ base = " + hex(page) + ", size = 0x1000 }";
      INFO(r.what << ": page " << hex(page));
      CHECK(findings(replace(ram4, open_memory, "memory = " + at)) ==
            std::vector<std::string>{"SK-MEM-4: partition \"open\" memory " + range(page, k_page) + tail});
      CHECK(findings(replace(ram4, channel_memory, "memory = " + at)) ==
            std::vector<std::string>{"SK-MEM-4: channel \"open-to-classified\" memory " +
                                     range(page, k_page) + tail});
      // As MMIO on the default 512 MiB machine: what lies above RAM is the kernel's device
      // (SK-DEV-2); what lies below is RAM, never a pass-through window (SK-DEV-3).
      const std::string mmio = "partition \"open\" mmio " + range(page, k_page);
      const std::string expected = page >= 0x20000000
                                       ? "SK-DEV-2: " + mmio + tail
                                       : "SK-DEV-3: " + mmio + " lies inside RAM [0x0, 0x20000000)";
      CHECK(findings(grant_open("mmio = [ " + at + " ]")) == std::vector<std::string>{expected});
    }
    // Exactly these pages: a free neighbour is still grantable.
    for (uint64_t page : {r.range.base - k_page, r.range.base + r.range.size}) {
      if (page >= sp::k_kernel_map_end || page_reserved(page)) continue;  // (0 - page wraps high)
      const std::string at = "{ base = " + hex(page) + ", size = 0x1000 }";
      INFO(r.what << ": neighbour page " << hex(page));
      CHECK(findings(replace(ram4, channel_memory, "memory = " + at)).empty());
      if (page >= 0x20000000) CHECK(findings(grant_open("mmio = [ " + at + " ]")).empty());
    }
  }
}

TEST_CASE("the default memory layout refuses the low reserved pages twice over", "[policy][reserved]") {
  // kernel_reserved covers the first 32 MiB in the shipped policies; the list says why as well.
  auto got = findings(replace(default_policy(), "memory = { base = 0x4000000, size = 0x1000 }",
                              "memory = { base = 0x0, size = 0x100000 }"));
  std::vector<std::string> expected{
      "SK-MEM-4: channel \"open-to-classified\" memory [0x0, 0x100000) overlaps "
      "kernel-reserved memory [0x0, 0x2000000)"};
  for (size_t d = 0; d < sp::k_reserved_memory_count; ++d) {
    const auto& r = sp::k_reserved_memory[d];
    if (r.range.base >= 0x100000) continue;
    expected.push_back(
        "SK-MEM-4: channel \"open-to-classified\" memory [0x0, 0x100000) overlaps the kernel's " +
        std::string(r.what) + " " + range(r.range.base, r.range.size));
  }
  CHECK(got == expected);
}

TEST_CASE("every reserved IRQ is refused", "[policy][reserved]") {
  for (size_t d = 0; d < sp::k_reserved_irq_count; ++d) {
    const auto& r = sp::k_reserved_irqs[d];
    INFO(r.what);
    CHECK(findings(grant_open("irqs = [ " + std::to_string(r.irq) + " ]")) ==
          std::vector<std::string>{"SK-DEV-2: partition \"open\" irq " + std::to_string(r.irq) +
                                   " belongs to the kernel's " + r.what});
  }
}

TEST_CASE("nothing reaches past the kernel's 4 GiB identity map", "[policy][reserved]") {
  const std::string map = " reaches past the kernel's identity map [0x0, 0x100000000)";
  CHECK(findings(grant_open("mmio = [ { base = 0xfffff000, size = 0x1000 } ]")).empty());
  CHECK(findings(grant_open("mmio = [ { base = 0xfffff000, size = 0x2000 } ]")) ==
        std::vector<std::string>{"SK-DEV-3: partition \"open\" mmio [0xfffff000, 0x100001000)" + map});
  CHECK(findings(grant_open("mmio = [ { base = 0x200000000, size = 0x1000 } ]")) ==
        std::vector<std::string>{"SK-DEV-3: partition \"open\" mmio [0x200000000, 0x200001000)" + map});
  // Memory on a machine with more than 4 GiB of RAM: inside RAM, outside the kernel's map.
  const std::string ram8 = replace(default_policy(), "ram = 0x20000000", "ram = 0x200000000");
  REQUIRE(findings(ram8).empty());
  CHECK(findings(replace(ram8, "memory = { base = 0x3000000, size = 0x1000000 }",
                         "memory = { base = 0xfff00000, size = 0x200000 }")) ==
        std::vector<std::string>{"SK-MEM-2: partition \"open\" memory [0xfff00000, 0x100100000)" + map});
  CHECK(findings(replace(ram8, "memory = { base = 0x4000000, size = 0x1000 }",
                         "memory = { base = 0x100000000, size = 0x1000 }")) ==
        std::vector<std::string>{
            "SK-MEM-2: channel \"open-to-classified\" memory [0x100000000, 0x100001000)" + map});
  CHECK(findings(replace(ram8, "kernel_reserved = { base = 0x0, size = 0x2000000 }",
                         "kernel_reserved = { base = 0x100000000, size = 0x2000000 }")) ==
        std::vector<std::string>{"SK-MEM-2: kernel_reserved [0x100000000, 0x102000000)" + map});
}

TEST_CASE("the shipped policies stay valid", "[policy][reserved]") {
  for (const std::string dir : {"policies", "tests/integration/policies"}) {
    for (const auto& e : fs::directory_iterator(k_root + "/" + dir)) {
      if (e.path().extension() != ".toml") continue;
      INFO(e.path().string());
      auto src = bh::policy::parse_file(e.path().string(), k_images);
      for (const auto& d : bh::policy::check(src)) {
        if (d.rule == "SK-IMG-1") continue;  // guest images are build outputs, absent here
        FAIL_CHECK(d.rule << ": " << d.message);
      }
    }
  }
}

TEST_CASE("the reserved lists cover every port and address the kernel's sources name", "[policy][reserved]") {
  // Literal ports and MMIO addresses the kernel uses: port I/O and MMIO with a literal operand
  // anywhere in the kernel; port and address constants in the drivers and the architecture code
  // (kernel/ declares guest-physical addresses and 0xFFFF sentinels, which are neither).
  std::set<uint32_t> ports;
  std::set<uint64_t> addresses;
  const std::regex port_use(R"((?:outb|inb|outw|inw|outl|inl)\((0x[0-9A-Fa-f]+))");
  const std::regex address_use(R"((?:mmio32\(|reinterpret_cast<volatile [^>]*>\()(0x[0-9A-Fa-f]+))");
  const std::regex port_constants(R"(constexpr uint16_t ([^;]*);)");
  const std::regex address_constants(R"(constexpr uint64_t ([^;]*);)");
  const std::regex value(R"(= (0x[0-9A-Fa-f]+))");
  auto each = [](const std::string& text, const std::regex& re, int group, auto&& f) {
    for (std::sregex_iterator m(text.begin(), text.end(), re), end; m != end; ++m) f((*m)[group].str());
  };
  for (const std::string dir : {"sepkernel/drivers", "sepkernel/arch/x86_64", "sepkernel/kernel"}) {
    const bool constants = dir != "sepkernel/kernel";
    for (const auto& e : fs::directory_iterator(k_root + "/" + dir)) {
      if (e.path().extension() != ".cpp" && e.path().extension() != ".hpp") continue;
      if (e.path().filename() == "svm.hpp") continue;  // VMCB offsets and exit codes, not addresses
      const std::string text = bh::test::read_file(e.path().string());
      each(text, port_use, 1, [&](const std::string& v) { ports.insert(std::stoul(v, nullptr, 16)); });
      each(text, address_use, 1,
           [&](const std::string& v) { addresses.insert(std::stoull(v, nullptr, 16)); });
      if (!constants) continue;
      each(text, port_constants, 1, [&](const std::string& decl) {
        each(decl, value, 1, [&](const std::string& v) { ports.insert(std::stoul(v, nullptr, 16)); });
      });
      each(text, address_constants, 1, [&](const std::string& decl) {
        each(decl, value, 1, [&](const std::string& v) {
          uint64_t a = std::stoull(v, nullptr, 16);
          if (a >= 0x10000 && a < sp::k_kernel_map_end) addresses.insert(a);  // small values: counts, masks
        });
      });
    }
  }
  // The ATA channels' command blocks (8 ports from each base) and control ports.
  const std::string ata = bh::test::read_file(k_root + "/sepkernel/drivers/ata.cpp");
  std::smatch channels;
  REQUIRE(std::regex_search(
      ata, channels, std::regex(R"(k_channels\[2\] = \{\{(0x\w+), (0x\w+)\}, \{(0x\w+), (0x\w+)\}\})")));
  for (int c = 0; c < 2; ++c) {
    uint32_t base = static_cast<uint32_t>(std::stoul(channels[1 + 2 * c].str(), nullptr, 16));
    for (uint32_t p = base; p < base + 8; ++p) ports.insert(p);
    ports.insert(static_cast<uint32_t>(std::stoul(channels[2 + 2 * c].str(), nullptr, 16)));
  }
  // The serial log's UART: 8 registers from serial.cpp's k_com1.
  std::smatch com1;
  const std::string serial = bh::test::read_file(k_root + "/sepkernel/drivers/serial.cpp");
  REQUIRE(std::regex_search(serial, com1, std::regex(R"(k_com1 = (0x\w+))")));
  const uint32_t uart = static_cast<uint32_t>(std::stoul(com1[1].str(), nullptr, 16));
  for (uint32_t p = uart; p < uart + 8; ++p) ports.insert(p);
  REQUIRE(ports.count(0x61) == 1);  // the scan sees the calibration's port B
  for (uint32_t p : ports) {
    INFO("port " << hex(p));
    CHECK(port_reserved(p));
  }
  REQUIRE(addresses.count(0xFED40000) == 1);
  REQUIRE(addresses.count(0xB8000) == 1);
  for (uint64_t a : addresses) {
    INFO("address " << hex(a));
    CHECK(page_reserved(a & ~(k_page - 1)));
  }
  // The AP trampoline: one address in smp.cpp, ap_trampoline.S and the reserved list.
  const std::string smp = bh::test::read_file(k_root + "/sepkernel/kernel/smp.cpp");
  const std::string tramp = bh::test::read_file(k_root + "/sepkernel/arch/x86_64/ap_trampoline.S");
  CHECK(smp.find("k_ap_trampoline = " + hex(sp::k_ap_trampoline_page)) != std::string::npos);
  CHECK(tramp.find(".set TRAMP, " + hex(sp::k_ap_trampoline_page)) != std::string::npos);
  CHECK(page_reserved(sp::k_ap_trampoline_page));
  // The BIOS areas kernel/acpi.cpp reads: the EBDA pointer in the BDA and the ROM it scans.
  CHECK(page_reserved(0x0));
  for (uint64_t a = 0xE0000; a < 0x100000; a += k_page) CHECK(page_reserved(a));
}

TEST_CASE("docs/policy.md lists every reserved entry", "[policy][reserved]") {
  const std::string doc = bh::test::read_file(k_root + "/docs/policy.md");
  auto listed = [&](const char* what) {
    INFO(what);
    CHECK(doc.find(std::string("| ") + what + " |") != std::string::npos);
  };
  for (size_t d = 0; d < sp::k_reserved_io_count; ++d) listed(sp::k_reserved_io[d].what);
  for (size_t d = 0; d < sp::k_reserved_memory_count; ++d) listed(sp::k_reserved_memory[d].what);
  for (size_t d = 0; d < sp::k_reserved_irq_count; ++d) listed(sp::k_reserved_irqs[d].what);
}
