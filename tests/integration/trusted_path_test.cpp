// SPDX-License-Identifier: Apache-2.0
// The trusted path in the running kernel, driven over QMP like a user at the keyboard: the
// indicator row names the focused domain in its colours; keys reach only the focused domain;
// Ctrl+Alt+Del (the secure attention key) moves the focus, reaches no guest and leaves no key
// stuck; nothing else moves the focus; spoofing guests fail and are audited.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

const Millis k_deadline(30000);

// The test's own scancode-set-1 table (independent of the guests' runtime).
char key_char(unsigned make) {
  static const std::string row1 = "1234567890", row2 = "qwertyuiop", row3 = "asdfghjkl", row4 = "zxcvbnm";
  if (make >= 0x02 && make <= 0x0B) return row1[make - 0x02];
  if (make >= 0x10 && make <= 0x19) return row2[make - 0x10];
  if (make >= 0x1E && make <= 0x26) return row3[make - 0x1E];
  if (make >= 0x2C && make <= 0x32) return row4[make - 0x2C];
  return 0;
}

// Every scancode byte partition `name` logged, in order.
std::vector<unsigned> scancodes(harness::Qemu& q, const std::string& name) {
  std::vector<unsigned> out;
  for (const auto& line : q.serial_lines(std::regex("^\\[" + name + "\\] scancode 0x[0-9a-f]+"))) {
    out.push_back(unsigned(std::stoul(line.substr(line.find("0x") + 2), nullptr, 16)));
  }
  return out;
}

// The text partition `name` received: characters of its make codes (not after an E0 prefix).
std::string typed(harness::Qemu& q, const std::string& name) {
  std::string s;
  bool extended = false;
  for (unsigned b : scancodes(q, name)) {
    if (b == 0xE0) {
      extended = true;
      continue;
    }
    if (!extended && b < 0x80 && key_char(b)) s += key_char(b);
    extended = false;
  }
  return s;
}

// Waits until partition `name` logged the break code of the last key of `word`.
void wait_typed(harness::Qemu& q, const std::string& name, char last) {
  static const std::string chars = "1234567890qwertyuiopasdfghjklzxcvbnm";
  unsigned make = 0;
  for (unsigned m = 0; m < 0x40; ++m) {
    if (key_char(m) == last) make = m;
  }
  REQUIRE(make != 0);
  std::ostringstream pattern;
  pattern << "^\\[" << name << "\\] scancode 0x" << std::hex << (make | 0x80) << "$";
  q.wait_for_serial(std::regex(pattern.str()), k_deadline, false);
}

std::string row(harness::Qemu& q, size_t r) { return harness::Qemu::row_text(q.read_vga_text()[r]); }

bool row_in_colour(harness::Qemu& q, size_t r, uint8_t attribute) {
  auto cells = q.read_vga_text()[r];
  return std::all_of(cells.begin(), cells.end(), [&](const harness::Cell& c) { return c.attribute == attribute; });
}

// The default policy with the open partition running `open_image`.
fs::path policy_with_open(const harness::Work_dir& dir, const std::string& open_image) {
  std::ifstream in(harness::source_path("policies/default.toml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = text.find("image = \"open.elf\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("image = \"open.elf\"").size(), "image = \"" + open_image + "\"");
  fs::path source = dir / "policy.toml";
  std::ofstream(source) << text;
  return compile_policy(dir, source);
}

size_t count(harness::Qemu& q, const std::string& pattern) { return q.serial_lines(std::regex(pattern)).size(); }

}  // namespace

TEST_CASE("trusted path: keys reach only the focused domain; the SAK moves the focus and reaches no guest",
          "[kernel][trusted-path]") {
  harness::Work_dir dir("tp-focus");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto q = boot(dir, image, guest("classified.elf"), guest("open.elf"));
  q->wait_for_serial(std::regex("event=boot detail=\"trusted path: 2 consoles, focus on classified"), k_deadline, false);
  wait_heartbeat(*q, "classified", 2, k_deadline);
  wait_heartbeat(*q, "open", 2, k_deadline);

  // Focus 1: classified, white on red; its own screen below the indicator.
  CHECK(row(*q, 0) == " [1] classified | classified | RUNNING");
  CHECK(row_in_colour(*q, 0, 0x4F));
  CHECK(row(*q, 1).find("CLASSIFIED workstation") != std::string::npos);
  q->type_text("secret");
  wait_typed(*q, "classified", 't');
  CHECK(typed(*q, "classified") == "secret");
  CHECK(scancodes(*q, "open").empty());

  // The SAK: focus moves to open; the indicator follows; open gets none of classified's keys.
  q->send_key({"ctrl", "alt", "delete"});
  q->wait_for_serial(std::regex("part=open event=focus_changed detail=\"from=classified to=open"), k_deadline, false);
  q->type_text("public");
  wait_typed(*q, "open", 'c');
  CHECK(row(*q, 0) == " [2] open | open | RUNNING");
  CHECK(row_in_colour(*q, 0, 0x20));
  CHECK(row(*q, 1).find("OPEN workstation") != std::string::npos);
  CHECK(row(*q, 4).find("typed: public") != std::string::npos);
  CHECK(typed(*q, "open") == "public");
  CHECK(typed(*q, "classified") == "secret");

  // No stuck modifiers: classified saw Ctrl and Alt go down and got their releases at the
  // switch; open never saw either modifier of the SAK.
  auto c = scancodes(*q, "classified");
  for (unsigned b : {0x1Du, 0x38u, 0x9Du, 0xB8u}) CHECK(std::count(c.begin(), c.end(), b) == 1);
  auto o = scancodes(*q, "open");
  for (unsigned b : {0x1Du, 0x38u, 0x9Du, 0xB8u}) CHECK(std::count(o.begin(), o.end(), b) == 0);

  // SAK + digit: straight to console 1; the digit reaches nobody either.
  q->send_key({"ctrl", "alt", "delete", "1"});
  q->wait_for_serial(std::regex("part=classified event=focus_changed detail=\"from=open to=classified"), k_deadline,
                     false);
  q->type_text("x");
  wait_typed(*q, "classified", 'x');
  CHECK(row(*q, 0) == " [1] classified | classified | RUNNING");
  CHECK(row_in_colour(*q, 0, 0x4F));
  CHECK(row(*q, 4).find("typed: secretx") != std::string::npos);
  CHECK(typed(*q, "open") == "public");

  // Delete (0x53 after E0) and the selecting digit (0x02) never reached a guest.
  for (const std::string name : {"classified", "open"}) {
    auto s = scancodes(*q, name);
    CHECK(std::count(s.begin(), s.end(), 0x53u) == 0);
    CHECK(std::count(s.begin(), s.end(), 0xD3u) == 0);
    CHECK(std::count(s.begin(), s.end(), 0x02u) == 0);
    CHECK(std::count(s.begin(), s.end(), 0x82u) == 0);
  }
  CHECK(count(*q, "event=focus_changed") == 2);
}

TEST_CASE("trusted path: nothing but the SAK moves the focus, and a guest cannot inject keys", "[kernel][trusted-path]") {
  harness::Work_dir dir("tp-no-focus-change");
  fs::path image = policy_with_open(dir, "tp_inject.elf");
  auto q = boot(dir, image, guest("classified.elf"), guest("tp_inject.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] injection attempted"), k_deadline, false);
  wait_heartbeat(*q, "classified", 2, k_deadline);
  // Near misses of the SAK, typed at the classified domain.
  q->send_key({"ctrl", "alt"});
  q->send_key({"ctrl", "delete"});
  q->send_key({"alt", "delete"});
  q->send_key({"delete"});
  q->send_key({"ctrl", "alt", "2"});
  q->type_text("z");
  wait_typed(*q, "classified", 'z');
  CHECK(count(*q, "event=focus_changed") == 0);
  CHECK(row(*q, 0) == " [1] classified | classified | RUNNING");
  // The injected 'a' (0x1E) reached neither domain, and each refused command was audited.
  CHECK(typed(*q, "classified") == "2z");
  CHECK(typed(*q, "open").empty());
  CHECK(count(*q, "part=open event=device_refused detail=\"i8042 command 0xd2 ") == 3);
  CHECK(count(*q, "part=open event=device_refused detail=\"i8042 command 0xd3 ") == 3);
  CHECK(count(*q, "PANIC|partition_stopped") == 0);
}

TEST_CASE("trusted path: a fake indicator drawn by a guest never reaches the indicator row", "[kernel][trusted-path]") {
  harness::Work_dir dir("tp-fake-indicator");
  fs::path image = policy_with_open(dir, "tp_fake_indicator.elf");
  auto q = boot(dir, image, guest("classified.elf"), guest("tp_fake_indicator.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] drew a fake indicator"), k_deadline, false);
  q->send_key({"ctrl", "alt", "delete"});
  q->wait_for_serial(std::regex("event=focus_changed detail=\"from=classified to=open"), k_deadline, false);
  q->type_text("q");
  q->wait_for_serial(std::regex("^\\[open\\] scancode 0x90$"), k_deadline, false);
  // Row 0 is the kernel's: the open domain, black on green. The fake shows only in the guest's
  // own row 1, below the real indicator.
  CHECK(row(*q, 0) == " [2] open | open | RUNNING");
  CHECK(row_in_colour(*q, 0, 0x20));
  CHECK(row(*q, 1) == " [1] classified | classified | RUNNING");
}

TEST_CASE("trusted path: writes around the virtual screen stay in the guest; past its memory they fault",
          "[kernel][trusted-path]") {
  harness::Work_dir dir("tp-overflow");
  fs::path image = policy_with_open(dir, "tp_overflow.elf");
  auto q = boot(dir, image, guest("classified.elf"), guest("tp_overflow.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] wrote around its screen"), k_deadline, false);
  q->wait_for_serial(std::regex("part=open event=npf_violation detail=\"gpa=0x10b8000 write\""), k_deadline, false);
  q->wait_for_serial(std::regex("part=open event=partition_stopped"), k_deadline, false);
  q->send_key({"ctrl", "alt", "delete"});
  q->wait_for_serial(std::regex("event=focus_changed detail=\"from=classified to=open"), k_deadline, false);
  unsigned beat = last_heartbeat(*q, "classified");
  wait_heartbeat(*q, "classified", beat + 2, k_deadline);  // a few frames: the screen was refreshed
  CHECK(row(*q, 0) == " [2] open | open | STOPPED: violation (see audit log)");
  CHECK(row_in_colour(*q, 0, 0x20));
  auto screen = q->read_vga_text();
  for (const auto& cells : screen) {
    CHECK(std::none_of(cells.begin(), cells.end(), [](const harness::Cell& c) { return c.ch == '!'; }));
  }
  CHECK(count(*q, "ESCAPED") == 0);
}

TEST_CASE("trusted path: probing the keyboard controller and VGA ports is virtual or a violation",
          "[kernel][trusted-path]") {
  harness::Work_dir dir("tp-probe");
  fs::path image = policy_with_open(dir, "tp_probe.elf");
  auto q = boot(dir, image, guest("classified.elf"), guest("tp_probe.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] probed i8042 status 0x[0-9a-f]+, crtc 0x0; machine still running"),
                     k_deadline, false);
  q->wait_for_serial(std::regex("part=open event=io_violation detail=\"port=0x3da in size=1\""), k_deadline, false);
  q->wait_for_serial(std::regex("part=open event=partition_stopped"), k_deadline, false);
  CHECK(count(*q, "part=open event=device_refused detail=\"i8042 command 0xfe ") == 1);
  CHECK(count(*q, "part=open event=device_refused detail=\"i8042 command 0xd1 ") == 1);
  // The machine was not reset: the classified domain keeps beating in the same boot.
  unsigned beat = last_heartbeat(*q, "classified");
  wait_heartbeat(*q, "classified", beat + 2, k_deadline);
  CHECK(count(*q, "Bulkhead separation kernel") == 1);
  CHECK(count(*q, "ESCAPED") == 0);
}

TEST_CASE("trusted path: a guest driver that waits for IRQ 1 gets its keys by interrupt", "[kernel][trusted-path]") {
  harness::Work_dir dir("tp-irq");
  fs::path image = policy_with_open(dir, "tp_irq.elf");
  auto q = boot(dir, image, guest("classified.elf"), guest("tp_irq.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] waiting for keyboard interrupts"), k_deadline, false);
  q->send_key({"ctrl", "alt", "delete"});
  q->wait_for_serial(std::regex("event=focus_changed detail=\"from=classified to=open"), k_deadline, false);
  q->type_text("irq");
  q->wait_for_serial(std::regex("^\\[open\\] irq scancode 0x90$"), k_deadline, false);  // q released
  std::string got;
  for (const auto& line : q->serial_lines(std::regex("^\\[open\\] irq scancode 0x[0-9a-f]+$"))) {
    unsigned b = unsigned(std::stoul(line.substr(line.find("0x") + 2), nullptr, 16));
    if (b < 0x80 && key_char(b)) got += key_char(b);
  }
  CHECK(got == "irq");
  CHECK(count(*q, "part=open event=(shutdown|partition_stopped)") == 0);
}

// SK-TIME-2 (issue 12): the exit counter read_status returns used to count every interrupt that
// arrived while its partition ran, keys typed into another domain included. Keys are now polled
// in the kernel's own window and only a partition's own exits count: the watcher in "open" sees
// its counters move by exactly its own calls while "classified" (focused) receives keys.
TEST_CASE("trusted path: keys typed into one domain change nothing another partition can read",
          "[kernel][trusted-path][time]") {
  harness::Work_dir dir("tp-status-watch");
  fs::path image = compile_policy(dir, harness::source_path("tests/integration/policies/status_watch.toml"));
  auto q = boot(dir, image, guest("classified.elf"), guest("status_watch.elf"));
  q->wait_for_serial(std::regex("^\\[open\\] status: calls=20000 "), k_deadline, false);
  q->type_text("secretkey");
  wait_typed(*q, "classified", 'y');
  CHECK(typed(*q, "classified") == "secretkey");
  const unsigned after = unsigned(q->serial_lines(std::regex("^\\[open\\] status: calls=")).size()) + 2;
  q->wait_for_serial(std::regex("^\\[open\\] status: calls=" + std::to_string(after * 20000) + " "), k_deadline, false);
  CHECK(q->serial_lines(std::regex("^\\[open\\] status: calls=[0-9]+ anomalies=0$")).size() >= after);
  CHECK(q->serial_lines(std::regex("^\\[open\\] status: exits moved")).empty());
  CHECK(scancodes(*q, "open").empty());
}
