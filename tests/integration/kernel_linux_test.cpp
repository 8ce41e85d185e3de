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

// In each partition the kernel boots through its own decompressor to /init of the busybox
// initramfs; its console (ttyS0, the virtual 16550, interrupt-driven through the virtual PIC)
// reaches the log as that partition's lines, its VGA console the partition's screen on the
// trusted path; its clock (the TSC, told its rate by the loader)
// and its timer (the virtual 8254 on IRQ 0) keep time: `sleep 2` lasts 2 s. Nothing is stopped.
TEST_CASE("linux: unmodified Debian kernels boot to /init in both partitions and keep time", "[kernel][linux]") {
  harness::Work_dir dir("kernel-linux");
  auto q = boot(dir, compile_policy(dir, harness::source_path("policies/linux.toml")), guest("linux.elf"),
                guest("linux.elf"), Millis(900000), "linux.elf", "linux.elf");
  for (const std::string part : {"classified", "open"}) {
    const std::string prefix = "^\\[" + part + "\\] ";
    q->wait_for_serial(std::regex(prefix + "\\[ *[0-9.]+\\] Linux version 6\\.1\\."), Millis(300000), false);
    q->wait_for_serial(std::regex(prefix + "linux: /init running, kernel 6\\.1\\."), Millis(400000), false);
    q->wait_for_serial(std::regex(prefix + "linux: 1 CPU, MemTotal: +[0-9]+ kB$"), Millis(30000), false);
  }
  for (const std::string part : {"classified", "open"}) {
    // Three consecutive reports, two sleeps of 2 s apart by the guest's own clock.
    const std::regex report("^\\[" + part + "\\] linux: uptime [0-9.]+$");
    q->wait_for_serial(report, Millis(60000), false);
    const size_t seen = q->serial_lines(report).size();
    while (q->serial_lines(report).size() < seen + 3) q->wait_for_serial(report, Millis(60000), true);
    const auto lines = q->serial_lines(report);
    const double a = uptime_of(lines[seen]), b = uptime_of(lines[seen + 2]);
    INFO(part << ": " << lines[seen] << " ... " << lines[seen + 2]);
    CHECK(b - a > 3.9);
    CHECK(b - a < 5.0);
  }
  // Its VGA text console (vgacon) is the trusted path's virtual screen of its partition: the
  // focused one's kernel messages fill rows 1-24 under the kernel's own indicator in row 0.
  const auto screen = q->read_vga_text();
  CHECK(harness::Qemu::row_text(screen[0]).rfind(" [1] classified | classified | RUNNING", 0) == 0);
  unsigned printk_rows = 0;
  for (size_t row = 1; row < screen.size(); ++row) {
    printk_rows += std::regex_search(harness::Qemu::row_text(screen[row]), std::regex("^\\[ *[0-9]+\\.[0-9]{6}\\] "));
  }
  CHECK(printk_rows >= 12);
  // Keys typed on the trusted path reach the focused partition's Linux (its i8042 driver on the
  // virtual PIC's IRQ 1, a shell on tty1 answering on the serial port), and only that one.
  q->type_text("echo one two 42\n");
  // The command's own output is a line of its own (the line editor's echo of the typed line
  // comes before it, redrawn with carriage returns).
  q->wait_for_serial(std::regex("^\\[classified\\] one two 42$"), Millis(120000), false);
  CHECK(q->serial_lines(std::regex("^\\[open\\] .*one two 42")).empty());
  CHECK(q->serial_lines(std::regex("event=partition_stopped|PANIC|Kernel panic")).empty());
}
