// SPDX-License-Identifier: Apache-2.0
// Remote attestation of a running system (policies/attested.toml) against swtpm: the AK is
// provisioned into the TPM's state, the kernel measures at boot, the agent partition relays a
// verifier's nonce to the kernel's quote hypercall, and `bulkhead attest connect` verifies the
// quote, the event log and the PCRs against the manifest built from the same files.
#include <fstream>

#include "bh/attest/common.hpp"
#include "bh/attest/evidence.hpp"
#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;
namespace at = bh::attest;

namespace {

const Millis k_deadline(60000);

std::string bulkhead() { return harness::build_path("tools/bulkhead/bulkhead").string(); }

struct System {
  std::unique_ptr<harness::Swtpm> tpm;
  std::unique_ptr<harness::Qemu> qemu;
  fs::path agent_socket;
};

// Provisions the AK into a fresh TPM state (socket mode), then boots the attested system with
// that TPM behind tpm-tis and the agent's COM2 on a unix socket.
System boot_attested(const harness::Work_dir& dir, const fs::path& policy_image, const fs::path& classified) {
  {
    auto tpm = harness::Swtpm::start_socket(dir);
    harness::Command_result r = harness::run_command(
        {bulkhead(), "tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "provision").string()}, Millis(60000));
    INFO(r.output);
    REQUIRE(r.status == 0);
  }
  System s;
  s.tpm = harness::Swtpm::start_for_qemu(dir, true);
  s.agent_socket = dir / "agent.sock";
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{policy_image, "policy"},
               {classified, "classified.elf"},
               {guest("open.elf"), "open.elf"},
               {guest("agent.elf"), "agent.elf"}};
  o.tpm = s.tpm.get();
  o.extra = {"-chardev", "socket,id=agent,path=" + s.agent_socket.string() + ",server=on,wait=off", "-serial",
             "chardev:agent"};
  o.lifetime = Millis(180000);
  s.qemu = harness::Qemu::start(dir, o);
  s.qemu->wait_for_serial(std::regex("^\\[agent\\] agent ready on COM2"), k_deadline, false);
  return s;
}

fs::path manifest(const harness::Work_dir& dir, const fs::path& policy_image) {
  fs::path out = dir / "manifest.json";
  harness::Command_result r =
      harness::run_command({bulkhead(), "manifest", "build", "--policy-image", policy_image.string(), "--image-dir",
                            harness::build_path("guests").string(), "-o", out.string()},
                           Millis(30000));
  INFO(r.output);
  REQUIRE(r.status == 0);
  return out;
}

// The administrator's signing key (disk admin-key) in dir, for the firmware record.
fs::path admin_key(const harness::Work_dir& dir) {
  const fs::path key = dir / "admin.pem";
  harness::Command_result r = harness::run_command(
      {bulkhead(), "disk", "admin-key", "-o", key.string(), "--public", (dir / "admin.pub.pem").string()},
      Millis(30000));
  INFO(r.output);
  REQUIRE(r.status == 0);
  return key;
}

harness::Command_result attest(const harness::Work_dir& dir, const System& s, const fs::path& m,
                               std::vector<std::string> more = {}) {
  std::vector<std::string> argv = {bulkhead(), "attest", "connect", "--agent", "unix:" + s.agent_socket.string(),
                                   "--manifest", m.string(), "--ak", (dir / "provision" / "ak.pub").string(),
                                   "--ek", (dir / "provision" / "ek.pub").string()};
  argv.insert(argv.end(), more.begin(), more.end());
  return harness::run_command(argv, Millis(120000));
}

}  // namespace

TEST_CASE("attestation: a running system's agent returns evidence that verifies, also for tpm2_checkquote",
          "[kernel][attest]") {
  harness::Work_dir dir("kernel-attest-good");
  fs::path image = compile_policy(dir, harness::source_path("policies/attested.toml"));
  System s = boot_attested(dir, image, guest("classified.elf"));
  const std::string nonce = "00112233445566778899aabbccddeeff0102030405060708090a0b0c0d0e0f10";
  harness::Command_result r = attest(dir, s, manifest(dir, image),
                                     {"--nonce", nonce, "-o", (dir / "evidence.json").string(), "--record-firmware",
                                      (dir / "firmware.json").string(), "--admin-key", admin_key(dir).string()});
  INFO(r.output);
  // The firmware's log (SeaBIOS measures into PCRs 0-7) is kept and the kernel's events follow.
  CHECK(s.qemu->serial_lines(std::regex("^measure: firmware event log found in ACPI TPM2")).size() == 1);
  CHECK(r.status == 0);
  CHECK(r.output.find("attestation: PASS: quote signed by the AK, nonce fresh, 4 Bulkhead events") != std::string::npos);
  s.qemu->wait_for_serial(std::regex("^\\[agent\\] answered a nonce of 32 bytes"), k_deadline, false);

  // Interop: tpm2_checkquote accepts the live quote's signature and nonce (it replays a log only
  // together with a PCR file, which a running system's agent does not export), and
  // tpm2_eventlog reads the exported log.
  at::Evidence e = at::evidence_from_json(slurp(dir / "evidence.json"), "evidence");
  at::write_file((dir / "quote.msg").string(), e.attest);
  at::write_file((dir / "quote.sig").string(), e.signature);
  at::write_file((dir / "eventlog.bin").string(), e.event_log);
  harness::Command_result check = harness::run_command(
      {"tpm2_checkquote", "-u", (dir / "provision" / "ak.pub.pem").string(), "-m", (dir / "quote.msg").string(), "-s",
       (dir / "quote.sig").string(), "-g", "sha256", "-q", nonce},
      Millis(30000));
  INFO(check.output);
  CHECK(check.status == 0);
  harness::Command_result events =
      harness::run_command({"tpm2_eventlog", (dir / "eventlog.bin").string()}, Millis(30000));
  CHECK(events.status == 0);
  CHECK(events.output.find("bulkhead partition agent image agent.elf") != std::string::npos);

  // The same evidence with another nonce is a replay.
  harness::Command_result replay = harness::run_command(
      {bulkhead(), "attest", "verify", "--evidence", (dir / "evidence.json").string(), "--manifest",
       (dir / "manifest.json").string(), "--ak", (dir / "provision" / "ak.pub").string(), "--ek",
       (dir / "provision" / "ek.pub").string(), "--nonce", "aa55"},
      Millis(30000));
  INFO(replay.output);
  CHECK(replay.status == 1);
  CHECK(replay.output.find("nonce") != std::string::npos);
}

TEST_CASE("attestation: firmware PCRs recorded on a first boot are enforced; a changed image fails by name",
          "[kernel][attest]") {
  harness::Work_dir dir("kernel-attest-record");
  fs::path image = compile_policy(dir, harness::source_path("policies/attested.toml"));
  fs::path firmware = dir / "firmware.json";
  {
    System first = boot_attested(dir, image, guest("classified.elf"));
    harness::Command_result r = attest(dir, first, manifest(dir, image),
                                       {"--record-firmware", firmware.string(), "--admin-key", admin_key(dir).string()});
    INFO(r.output);
    REQUIRE(r.status == 0);
  }
  fs::path recorded = dir / "manifest-recorded.json";
  harness::Command_result m = harness::run_command(
      {bulkhead(), "manifest", "build", "--policy-image", image.string(), "--image-dir",
       harness::build_path("guests").string(), "--firmware-pcrs", firmware.string(), "--admin-public",
       (dir / "admin.pub.pem").string(), "-o", recorded.string()},
      Millis(30000));
  REQUIRE(m.status == 0);
  {
    harness::Work_dir second_dir("kernel-attest-second");
    fs::copy(dir.path() / "provision", second_dir.path() / "provision");
    System second = boot_attested(second_dir, image, guest("classified.elf"));
    harness::Command_result r = attest(second_dir, second, recorded);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("attestation: PASS") != std::string::npos);
    CHECK(r.output.find("warning: firmware PCRs") == std::string::npos);
  }
  {
    harness::Work_dir changed_dir("kernel-attest-changed");
    fs::copy(dir.path() / "provision", changed_dir.path() / "provision");
    System changed = boot_attested(changed_dir, image, guest("attack_memory.elf"));
    harness::Command_result r = attest(changed_dir, changed, recorded);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("attestation: FAIL") != std::string::npos);
    CHECK(r.output.find("PCR 9") != std::string::npos);
  }
}

TEST_CASE("attestation: an unreachable agent is one clear error", "[kernel][attest]") {
  harness::Work_dir dir("kernel-attest-unreachable");
  // The files exist (a missing one is refused before anything else, exit 2 as well); the agent
  // is asked first, and there is none.
  std::ofstream(dir / "none.json") << "{}";
  std::ofstream(dir / "none.pem") << "";
  harness::Command_result r = harness::run_command(
      {bulkhead(), "attest", "connect", "--agent", "unix:" + (dir / "nobody.sock").string(), "--manifest",
       (dir / "none.json").string(), "--ak", (dir / "none.pem").string(), "--ek", (dir / "none.pem").string()},
      Millis(30000));
  CHECK(r.status == 2);
  CHECK(r.output.find("cannot connect to the agent") != std::string::npos);
}
