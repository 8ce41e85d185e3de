// SPDX-License-Identifier: Apache-2.0
// The virtual devices the kernel shows partitions (sepkernel/virt/, docs/kernel.md "Virtual
// devices"): the 16550 serial port at 0x3F8.
#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

// policies/default.toml with "open" running `image`, with debug_log as given (and virtual_pc).
fs::path open_policy(const harness::Work_dir& dir, const std::string& image, bool debug_log, bool virtual_pc = false) {
  std::string text = slurp(harness::source_path("policies/default.toml"));
  const std::string was = "image = \"open.elf\"\nconsole = true\ndebug_log = true\n";
  REQUIRE(text.find(was) != std::string::npos);
  text.replace(text.find(was), was.size(),
               "image = \"" + image + "\"\nconsole = true\ndebug_log = " + (debug_log ? "true" : "false") + "\n" +
                   (virtual_pc ? "virtual_pc = true\n" : ""));
  const fs::path policy = dir / "uart.toml";
  std::ofstream(policy) << text;
  return compile_policy(dir, policy);
}

}  // namespace

// A partition with debug_log gets a 16550 of its own: a driver's set-up and Linux's probe see
// the chip (scratch register, FIFO, loopback), and what it sends reaches the kernel's log line
// by line, as its own, with control characters replaced.
TEST_CASE("virtual 16550: a partition's serial output reaches the log as its own lines", "[kernel][devices]") {
  harness::Work_dir dir("kernel-uart");
  auto q = boot(dir, open_policy(dir, "uart_demo.elf", true), guest("classified.elf"), guest("uart_demo.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] uart: hello through the 16550$"), Millis(30000), false);
  q->wait_for_serial(std::regex("^\\[open\\] uart: \\.\\[2J bell\\. tab end$"), Millis(30000), false);
  CHECK(q->serial_lines(std::regex("^\\[open\\] uart: probe scratch=0x5a iir=0xc1 loopback_msr=0x90 lsr=0x60$")).size() ==
        1);
  // The byte sent in loopback never left the chip (it would start the next line).
  CHECK(q->serial_lines(std::regex("^\\[open\\] X")).empty());
  wait_heartbeat(*q, "open", 2, Millis(30000));
  wait_heartbeat(*q, "classified", 2, Millis(30000));
  CHECK(q->serial_lines(std::regex("event=(partition_stopped|.*_violation)|PANIC")).empty());
}

// Without debug_log the port does not exist for the partition: its first access is an I/O
// violation, as for any port the policy does not grant.
TEST_CASE("virtual 16550: without debug_log the port is a violation", "[kernel][devices]") {
  harness::Work_dir dir("kernel-uart-denied");
  auto q = boot(dir, open_policy(dir, "uart_demo.elf", false), guest("classified.elf"), guest("uart_demo.elf"));
  q->wait_for_serial(std::regex("part=open event=io_violation detail=\"port=0x3fb out size=1\""), Millis(30000), false);
  q->wait_for_serial(std::regex("part=open event=partition_stopped"), Millis(10000), false);
  wait_heartbeat(*q, "classified", 2, Millis(30000));
  CHECK(q->serial_lines(std::regex("^\\[open\\] uart:")).empty());
}

// virtual_pc: ports nobody owns read as absent (all ones, every size) and take writes without
// effect, as an operating system's probes expect; string I/O is still a violation. Without
// virtual_pc the first such access is one.
TEST_CASE("virtual PC: unowned ports are absent, string I/O is refused", "[kernel][devices]") {
  {
    harness::Work_dir dir("kernel-absent-ports");
    auto q = boot(dir, open_policy(dir, "absent_ports.elf", true, true), guest("classified.elf"), guest("absent_ports.elf"));
    q->wait_for_serial(std::regex("^\\[open\\] absent: pci=0xffffffff rtc=0xff word=0xffff$"), Millis(30000), false);
    q->wait_for_serial(std::regex("part=open event=io_violation detail=\"port=0x71 in size=1\""), Millis(30000), false);
    q->wait_for_serial(std::regex("part=open event=partition_stopped"), Millis(10000), false);
    wait_heartbeat(*q, "classified", 2, Millis(30000));
    CHECK(q->serial_lines(std::regex("ESCAPED")).empty());
  }
  {
    harness::Work_dir dir("kernel-absent-ports-denied");
    auto q = boot(dir, open_policy(dir, "absent_ports.elf", true, false), guest("classified.elf"), guest("absent_ports.elf"));
    q->wait_for_serial(std::regex("part=open event=io_violation detail=\"port=0x80 out size=1\""), Millis(30000), false);
    q->wait_for_serial(std::regex("part=open event=partition_stopped"), Millis(10000), false);
    CHECK(q->serial_lines(std::regex("^\\[open\\] absent:")).empty());
  }
}
