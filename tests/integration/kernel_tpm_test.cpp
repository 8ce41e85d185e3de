// SPDX-License-Identifier: Apache-2.0
// The kernel's TPM driver and boot measurements, against swtpm behind QEMU's tpm-tis: the kernel
// extends PCR 8 with the policy's measured form and each partition's own PCR (9 + its index) with
// its image before any partition runs, and the values it reads back from the TPM equal what
// `bulkhead manifest build` predicts from the same files; a changed partition image changes its
// own PCR only; without a TPM the kernel
// boots, says so, and measures nothing.
#include <fstream>

#include <nlohmann/json.hpp>

#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

const Millis k_deadline(60000);

std::unique_ptr<harness::Qemu> boot_with_tpm(const harness::Work_dir& dir, const harness::Swtpm& tpm,
                                             const fs::path& image, const fs::path& classified) {
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{image, "policy"}, {classified, "classified.elf"}, {guest("open.elf"), "open.elf"}};
  o.tpm = &tpm;
  o.lifetime = Millis(120000);
  return harness::Qemu::start(dir, o);
}

std::string pcr_line(harness::Qemu& q, unsigned pcr) {
  std::string line = q.wait_for_serial(std::regex("^measure: PCR " + std::to_string(pcr) + " sha256 = [0-9a-f]{64}"),
                                       k_deadline, false);
  return line.substr(line.size() - 64);
}

nlohmann::json manifest(const harness::Work_dir& dir, const fs::path& policy_image, const fs::path& image_dir) {
  fs::path out = dir / "manifest.json";
  harness::Command_result r = harness::run_command(
      {harness::build_path("tools/bulkhead/bulkhead").string(), "manifest", "build", "--policy-image",
       policy_image.string(), "--image-dir", image_dir.string(), "-o", out.string()},
      Millis(30000));
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("tpm: the kernel measures the policy into PCR 8 and each partition into its own PCR as predicted",
          "[kernel][tpm]") {
  harness::Work_dir dir("kernel-tpm-measure");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto tpm = harness::Swtpm::start_for_qemu(dir);
  auto q = boot_with_tpm(dir, *tpm, image, guest("classified.elf"));
  q->wait_for_serial(std::regex("event=boot detail=\"tpm: TIS locality 0, DID_VID 0x[0-9a-f]+"), k_deadline, false);
  std::string pcr8 = pcr_line(*q, 8), pcr9 = pcr_line(*q, 9), pcr10 = pcr_line(*q, 10);
  q->wait_for_serial(
      std::regex("event=boot detail=\"measured: policy into PCR 8, 2 partition pieces into PCRs 9-10 "
                 "\\(one per partition\\)"),
      k_deadline, false);
  wait_heartbeat(*q, "classified", 2, k_deadline);
  // Measured before any partition was built.
  const std::string log = q->serial_log();
  CHECK(log.find("measure: PCR 10") < log.find("event=partition_started"));

  nlohmann::json m = manifest(dir, image, harness::build_path("guests"));
  CHECK(pcr8 == m["pcrs"]["sha256"]["8"].get<std::string>());
  CHECK(pcr9 == m["pcrs"]["sha256"]["9"].get<std::string>());
  CHECK(pcr10 == m["pcrs"]["sha256"]["10"].get<std::string>());
}

TEST_CASE("tpm: a different partition image changes its PCR 9 and not PCR 8 or the other's PCR 10",
          "[kernel][tpm]") {
  harness::Work_dir dir("kernel-tpm-changed");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  nlohmann::json m = manifest(dir, image, harness::build_path("guests"));
  auto tpm = harness::Swtpm::start_for_qemu(dir);
  // The classified module is another file (the policy then refuses to start it, after measuring).
  auto q = boot_with_tpm(dir, *tpm, image, guest("attack_memory.elf"));
  std::string pcr8 = pcr_line(*q, 8), pcr9 = pcr_line(*q, 9), pcr10 = pcr_line(*q, 10);
  q->wait_for_serial(std::regex("part=classified event=partition_refused"), k_deadline, false);
  CHECK(pcr8 == m["pcrs"]["sha256"]["8"].get<std::string>());
  CHECK(pcr9 != m["pcrs"]["sha256"]["9"].get<std::string>());
  CHECK(pcr10 == m["pcrs"]["sha256"]["10"].get<std::string>());
}

TEST_CASE("tpm: without a TPM the kernel boots, says so once and measures nothing", "[kernel][tpm]") {
  harness::Work_dir dir("kernel-tpm-none");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto q = boot(dir, image, guest("classified.elf"), guest("open.elf"));
  q->wait_for_serial(std::regex("event=boot detail=\"tpm: none at 0xfed40000"), k_deadline, false);
  wait_heartbeat(*q, "open", 2, k_deadline);
  CHECK(q->serial_lines(std::regex("^measure: |detail=\"measured: ")).empty());
}
