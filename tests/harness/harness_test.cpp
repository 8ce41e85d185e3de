// SPDX-License-Identifier: Apache-2.0
// The harness's own tests: it sees serial lines, fails at a deadline with the serial log, drives
// QMP (status, keys, guest memory, screen), runs swtpm for host tools and for QEMU, and leaves
// no process behind, also when a test throws.
#include <signal.h>

#include <catch2/catch.hpp>

#include "bh/harness.hpp"

using namespace bh::harness;
using namespace std::chrono_literals;

namespace {
Qemu_options hello() {
  Qemu_options o;
  o.kernel = BH_HELLO_ELF;
  o.lifetime = 120s;
  return o;
}
bool pid_alive(pid_t pid) { return kill(pid, 0) == 0; }
}  // namespace

TEST_CASE("harness boots a payload, reads serial, VGA memory and keys over QMP", "[harness]") {
  Work_dir dir("harness");
  auto q = Qemu::start(dir, hello());
  CHECK(q->wait_for_serial(std::regex("^HARNESS-HELLO$"), 60s) == "HARNESS-HELLO");
  CHECK(q->qmp().execute("query-status")["status"] == "running");

  auto screen = q->read_vga_text();
  CHECK(screen[0][0].ch == 'B');
  CHECK(screen[0][1].ch == 'H');
  CHECK(screen[0][0].attribute == 0x1F);

  // 'a' is set-1 make code 0x1e and break code 0x9e (the i8042 translates by default).
  q->send_key({"a"});
  CHECK(q->wait_for_serial(std::regex("^SC 1e$"), 30s) == "SC 1e");
  CHECK(q->wait_for_serial(std::regex("^SC 9e$"), 30s) == "SC 9e");

  auto picture = q->screendump();
  CHECK(picture.width >= 640);
  CHECK(picture.rgb.size() == size_t(picture.width) * picture.height * 3);
}

TEST_CASE("a passed deadline fails with the serial log attached", "[harness]") {
  Work_dir dir("harness-deadline");
  auto q = Qemu::start(dir, hello());
  q->wait_for_serial(std::regex("^HARNESS-HELLO$"), 60s);
  try {
    q->wait_for_serial(std::regex("THIS-LINE-NEVER-APPEARS"), 500ms);
    FAIL("no timeout");
  } catch (const Timeout& e) {
    std::string what = e.what();
    CHECK(what.find("deadline of 500 ms") != std::string::npos);
    CHECK(what.find("HARNESS-HELLO") != std::string::npos);
  }
}

TEST_CASE("QEMU and swtpm are gone after their owners, also when a test throws", "[harness]") {
  pid_t qemu_pid = 0, tpm_pid = 0;
  Work_dir dir("harness-teardown");
  try {
    auto tpm = Swtpm::start_for_qemu(dir);
    auto o = hello();
    o.tpm = tpm.get();
    auto q = Qemu::start(dir, o);
    qemu_pid = q->pid();
    tpm_pid = tpm->pid();
    // The TIS interface answers with QEMU's TPM vendor and device ID.
    CHECK(q->wait_for_serial(std::regex("^TIS-DID-VID "), 60s) == "TIS-DID-VID 00011014");
    throw std::runtime_error("test failure in the middle of a test");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "test failure in the middle of a test");
  }
  REQUIRE(qemu_pid > 0);
  CHECK_FALSE(pid_alive(qemu_pid));
  CHECK_FALSE(pid_alive(tpm_pid));
}

TEST_CASE("swtpm in socket mode serves TPM2-TSS host tools", "[harness][tpm]") {
  Work_dir dir("harness-swtpm");
  auto tpm = Swtpm::start_socket(dir);
  auto r = run_command({"tpm2_getrandom", "-T", tpm->tcti(), "--hex", "16"}, 30s);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.size() >= 32);
  auto pcr = run_command({"tpm2_pcrread", "-T", tpm->tcti(), "sha256:16"}, 30s);
  CHECK(pcr.status == 0);
}
