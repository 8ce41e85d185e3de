// SPDX-License-Identifier: Apache-2.0
// The trusted path on the measured UEFI path: the boot stage hands the kernel the firmware's
// framebuffer (GOP) and the kernel paints the indicator and the focused domain's screen on it
// with its own font rendering. Read back from QMP screendumps with the font (independently of
// the kernel's table): the indicator's pixels are the kernel's, in the policy's colours, even
// while a guest draws a fake indicator on its own screen; the secure attention key moves the
// focus and the indicator is repainted before the new owner gets its first key; keys reach
// only the focused domain.
#include "uefi_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

const Millis k_deadline(120000);

using Screen = Pixel_screen;

// The screen once row r reads `text` (painting the guest rows is spread over kernel windows).
Screen wait_row(harness::Qemu& q, size_t r, const std::string& text) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Screen s = read_screen(q);
  while (harness::pixel_row_text(s[r]).find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > until) {
      FAIL("row " << r << " never read \"" << text << "\"; it reads \"" << harness::pixel_row_text(s[r]) << "\"");
    }
    q.wait_for_serial(std::regex("^\\[classified\\] heartbeat"), k_deadline);  // let a frame or two pass
    s = read_screen(q);
  }
  return s;
}

}  // namespace

TEST_CASE("uefi: the trusted path on the firmware's framebuffer: the indicator's pixels are the kernel's; the SAK "
          "repaints it before the new owner's first key",
          "[kernel][uefi][trusted-path]") {
  harness::Work_dir dir("uefi-framebuffer");
  // The measured system with its open partition drawing a fake indicator on its own screen.
  fs::path policy = policy_variant(dir, harness::source_path("policies/attested.toml"), "fb",
                                   {{"image = \"open.elf\"", "image = \"tp_fake_indicator.elf\""}});
  fs::path esp = make_esp(dir, "fb", policy,
                          {guest("classified.elf"), guest("tp_fake_indicator.elf"), guest("agent.elf")});
  Uefi_boot s = boot_esp(dir, esp);
  harness::Qemu& q = *s.qemu;
  std::string line = q.wait_for_serial(std::regex("^trusted path: framebuffer [0-9]+x[0-9]+ at 0x[0-9a-f]+"),
                                       k_deadline, false);
  q.wait_for_serial(std::regex("event=boot detail=\"trusted path: 2 consoles, focus on classified"), k_deadline, false);
  q.wait_for_serial(std::regex("^\\[open\\] drew a fake indicator"), k_deadline, false);
  CHECK(q.serial_lines(std::regex("UNMEASURED|PANIC|partition_refused")).empty());

  // The display is the firmware's graphics mode, not VGA text: the kernel paints every pixel.
  harness::Qemu::Picture first = q.screendump();
  INFO(line);
  CHECK(line.find(std::to_string(first.width) + "x" + std::to_string(first.height)) != std::string::npos);

  Screen screen = wait_row(q, 1, "CLASSIFIED workstation");
  CHECK(harness::pixel_row_text(screen[0]) == " [1] classified | classified | RUNNING");
  CHECK(row_in_colours(screen, 0, 0xFFFFFF, 0xAA0000));  // white on red, as the policy says

  q.type_text("secret");
  q.wait_for_serial(std::regex("^\\[classified\\] scancode 0x94$"), k_deadline, false);  // 't' released
  screen = wait_row(q, 4, "typed: secret");

  // The SAK: the focus moves to open. Its first key is delivered after the indicator was
  // repainted, so the screen read once open has the key shows the new indicator.
  q.send_key({"ctrl", "alt", "delete"});
  q.wait_for_serial(std::regex("part=open event=focus_changed detail=\"from=classified to=open"), k_deadline, false);
  q.type_text("q");
  q.wait_for_serial(std::regex("^\\[open\\] scancode 0x90$"), k_deadline, false);
  screen = read_screen(q);
  CHECK(harness::pixel_row_text(screen[0]) == " [2] open | open | RUNNING");
  CHECK(row_in_colours(screen, 0, 0x000000, 0x00AA00));  // black on green
  // The guest's fake indicator shows only in its own row 1, below the kernel's.
  screen = wait_row(q, 1, " [1] classified | classified | RUNNING");
  CHECK(harness::pixel_row_text(screen[0]) == " [2] open | open | RUNNING");
  CHECK(row_in_colours(screen, 0, 0x000000, 0x00AA00));
  // open got only its own key; classified none of it.
  CHECK(q.serial_lines(std::regex("^\\[classified\\] scancode 0x10$")).empty());
  CHECK(q.serial_lines(std::regex("^\\[open\\] scancode 0x1f$")).empty());  // classified's 's'
}

TEST_CASE("uefi: a partition granted the display adapter the kernel draws on is refused at boot; the others run",
          "[kernel][uefi][trusted-path]") {
  harness::Work_dir dir("uefi-framebuffer-grant");
  // The validator cannot know where the firmware puts the framebuffer: this policy passes it
  // and grants the open domain a page (at 1 MiB) of QEMU's standard VGA framebuffer under OVMF.
  fs::path policy = policy_variant(dir, harness::source_path("policies/attested.toml"), "grab",
                                   {{"image = \"open.elf\"\nconsole = true",
                                     "image = \"open.elf\"\nconsole = true\nmmio = [ { base = 0x80100000, size = 0x1000 } ]"}});
  fs::path esp = make_esp(dir, "grab", policy, {guest("classified.elf"), guest("open.elf"), guest("agent.elf")});
  Uefi_boot s = boot_esp(dir, esp);
  harness::Qemu& q = *s.qemu;
  q.wait_for_serial(std::regex("^trusted path: framebuffer [0-9]+x[0-9]+ at 0x80000000 "), k_deadline, false);
  wait_heartbeat(q, "classified", 2, k_deadline);
  CHECK(q.serial_lines(std::regex("part=open event=partition_refused detail=\"granted the kernel's display adapter "
                                  "\\(framebuffer or its registers\\)\"")).size() == 1);
  CHECK(q.serial_lines(std::regex("part=open event=partition_started")).empty());
  CHECK(q.serial_lines(std::regex("^\\[open\\]")).empty());
  // The open domain's indicator says it is locked, and why (from row 1 on: the reason is long).
  q.send_key({"ctrl", "alt", "delete"});
  q.wait_for_serial(std::regex("part=open event=focus_changed"), k_deadline, false);
  Screen screen = wait_row(q, 1, "LOCKED: granted the kernel's display adapter");
  CHECK(harness::pixel_row_text(screen[0]) == " [2] open | open | LOCKED");
}
