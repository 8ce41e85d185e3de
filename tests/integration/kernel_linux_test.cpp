// SPDX-License-Identifier: Apache-2.0
// Linux in a partition (issue 13, docs/linux.md): policies/linux.toml runs Debian's unmodified
// kernel (guests/linux/) in "classified" on a virtual PC, beside the demo guest in "open".
#include "kernel_fixture.hpp"

#include <cstdlib>
#include <vector>

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

double uptime_of(const std::string& line) { return std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr); }

}  // namespace

// The kernel boots through its own decompressor to /init of the busybox initramfs; its console
// (ttyS0, the virtual 16550, interrupt-driven through the virtual PIC) reaches the log; its
// clock (the TSC, told its rate by the loader) and its timer (the virtual 8254 on IRQ 0) keep
// time: `sleep 2` lasts 2 s of the kernel's clock. The other partition keeps its heartbeat and
// nothing of it is stopped.
TEST_CASE("linux: an unmodified Debian kernel boots to /init in a partition and keeps time", "[kernel][linux]") {
  harness::Work_dir dir("kernel-linux");
  auto q = boot(dir, compile_policy(dir, harness::source_path("policies/linux.toml")), guest("linux.elf"),
                guest("open.elf"), Millis(400000));
  q->wait_for_serial(std::regex("^\\[classified\\] \\[ *[0-9.]+\\] Linux version 6\\.1\\."), Millis(120000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: /init running, kernel 6\\.1\\."), Millis(300000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: 1 CPU, MemTotal: +[0-9]+ kB$"), Millis(30000), true);
  // Three consecutive reports, two sleeps of 2 s apart by the guest's own clock.
  std::vector<double> uptime;
  for (int i = 0; i < 3; ++i) {
    uptime.push_back(uptime_of(
        q->wait_for_serial(std::regex("^\\[classified\\] linux: uptime [0-9.]+$"), Millis(60000), true)));
  }
  INFO("uptimes " << uptime[0] << ", " << uptime[1] << ", " << uptime[2]);
  CHECK(uptime[2] - uptime[0] > 3.9);
  CHECK(uptime[2] - uptime[0] < 5.0);
  const unsigned beat = last_heartbeat(*q, "open");
  wait_heartbeat(*q, "open", beat + 2, Millis(30000));
  CHECK(q->serial_lines(std::regex("event=partition_stopped|PANIC|Kernel panic")).empty());
}
