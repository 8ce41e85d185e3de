// SPDX-License-Identifier: Apache-2.0
// A Linux partition the kernel cannot boot (issue 13): a bzImage with a wrong signature, or too
// little memory for its init_size and initramfs, is refused before it runs with one audit line
// naming the partition and the reason, while the other partition runs. The kernel measures each
// piece (kernel, initramfs, command line) into PCR 9 as `bulkhead manifest build` predicts, and a
// changed command line changes PCR 9. The host tools refuse these policies earlier
// (tests/policy/linux_test.cpp); here the policy image is changed behind the compiler's back,
// which only the kernel's own checks (sk/linux_boot.hpp) stop. The bzImage is synthetic
// (tests/support/bzimage.hpp: a real header, init_size 64 MiB, no kernel): nothing boots Linux.
// On the measured UEFI path the boot stage measures the same three pieces from the ESP that
// `bulkhead image build` made, and the kernel's PCR 9 read-back equals the manifest's.
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/bzimage.hpp"
#include "kernel_fixture.hpp"
#include "sk/policy_image.hpp"
#include "sk/sha256.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

const Millis k_deadline(60000);

// tests/integration/policies/linux_refused.toml compiled against a synthetic bzImage and a small
// initramfs in dir, with cmdline; then the bzImage replaced by bz (if not empty) and memory size
// set (if not 0), the policy image rewritten with their digests: a well-formed image of what
// `policy compile` would refuse.
fs::path make_system(const harness::Work_dir& dir, const std::string& cmdline, std::vector<uint8_t> bz = {},
                     uint64_t memory_size = 0) {
  bh::test::Bzimage_fields f;
  f.init_size = 0x4000000;  // 64 MiB, as Debian's 6.1
  auto valid = bh::test::make_bzimage(f);
  for (size_t i = (f.setup_sects + 1u) * 512u; i + 1 < valid.size(); i += 2) {  // its "kernel": jmp $
    valid[i] = 0xEB;
    valid[i + 1] = 0xFE;
  }
  write_file(dir / "vmlinuz", valid);
  write_file(dir / "initrd.cpio", std::vector<uint8_t>(0x100000, 'r'));
  fs::copy_file(guest("open.elf"), dir / "open.elf");
  std::string text = slurp(harness::source_path("tests/integration/policies/linux_refused.toml"));
  const std::string line = "cmdline = \"console=ttyS0 nokaslr\"";
  text.replace(text.find(line), line.size(), "cmdline = \"" + cmdline + "\"");
  std::ofstream(dir / "policy.toml") << text;
  run_bulkhead({"policy", "compile", (dir / "policy.toml").string(), "-o", (dir / "policy.img").string(),
                "--image-dir", dir.path().string()});
  if (bz.empty() && memory_size == 0) return dir / "policy.img";
  auto bytes = read_file(dir / "policy.img");
  sk::policy::Policy p{};
  REQUIRE(sk::policy::read_image(bytes.data(), bytes.size(), p).ok());
  if (!bz.empty()) {
    write_file(dir / "vmlinuz", bz);
    sk::Sha256::digest(bz.data(), bz.size(), p.partitions[0].image_sha256);
  }
  if (memory_size) p.partitions[0].memory.size = memory_size;
  std::vector<uint8_t> out(sk::policy::k_image_max_size);
  auto size = sk::policy::write_image(p, out.data(), out.size());
  REQUIRE(size.ok());
  out.resize(size.value());
  write_file(dir / "policy.img", out);
  return dir / "policy.img";
}

std::unique_ptr<harness::Qemu> boot_system(const harness::Work_dir& dir, const harness::Swtpm* tpm) {
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{dir / "policy.img", "policy"},
               {dir / "vmlinuz", "vmlinuz"},
               {dir / "initrd.cpio", "initrd.cpio"},
               {dir / "open.elf", "open.elf"}};
  o.tpm = tpm;
  o.lifetime = Millis(120000);
  return harness::Qemu::start(dir, o);
}

// The refusal is the only thing said about classified; open runs; nothing panics.
void expect_refused_while_open_runs(harness::Qemu& q, const std::string& reason) {
  // Started instead of refused ends the wait too, and fails at once.
  const std::string line =
      q.wait_for_serial(std::regex("part=classified event=partition_(refused|started)"), k_deadline, false);
  INFO(line);
  REQUIRE(line.find("event=partition_refused") != std::string::npos);
  CHECK(line.find("detail=\"linux vmlinuz: " + reason + "\"") != std::string::npos);
  wait_heartbeat(q, "open", 3, k_deadline);
  CHECK(q.serial_lines(std::regex("part=classified event=")).size() == 1);
  CHECK(q.serial_lines(std::regex("part=open event=partition_started")).size() == 1);
  CHECK(q.serial_lines(std::regex("^\\[classified\\]|PANIC|event=partition_stopped")).empty());
}

std::string pcr9(harness::Qemu& q) {
  std::string line =
      q.wait_for_serial(std::regex("^measure: PCR 9 sha256 = [0-9a-f]{64}"), k_deadline, false);
  return line.substr(line.size() - 64);
}

std::string predicted_pcr9(const harness::Work_dir& dir) {
  run_bulkhead({"manifest", "build", "--policy-image", (dir / "policy.img").string(), "--image-dir",
                dir.path().string(), "-o", (dir / "manifest.json").string()});
  std::ifstream in(dir / "manifest.json");
  return nlohmann::json::parse(in)["pcrs"]["sha256"]["9"].get<std::string>();
}

}  // namespace

TEST_CASE(
    "linux refused: a bzImage with a wrong signature is refused with one audit line; the other runs; "
    "its pieces are measured as predicted",
    "[kernel][linux][tpm]") {
  harness::Work_dir dir("kernel-linux-bad-bzimage");
  bh::test::Bzimage_fields f;
  f.init_size = 0x4000000;
  auto bad = bh::test::make_bzimage(f);
  bad[0x202] = 'X';  // "XdrS"
  make_system(dir, "console=ttyS0 nokaslr", bad);
  auto tpm = harness::Swtpm::start_for_qemu(dir);
  auto q = boot_system(dir, tpm.get());
  const std::string measured = pcr9(*q);
  q->wait_for_serial(
      std::regex("event=boot detail=\"measured: policy into PCR 8, 4 partition pieces into PCRs 9-10"),
      k_deadline, false);
  expect_refused_while_open_runs(*q, "not a bzImage (no HdrS signature)");
  CHECK(measured == predicted_pcr9(dir));
}

TEST_CASE(
    "linux refused: too little memory for init_size and the initramfs is refused with one audit line; the "
    "other runs; a changed command line changes PCR 9 as predicted",
    "[kernel][linux][tpm]") {
  std::string first;
  for (const char* cmdline : {"console=ttyS0 nokaslr", "console=ttyS0 nokaslr init=/bin/sh"}) {
    INFO(cmdline);
    harness::Work_dir dir("kernel-linux-small");
    make_system(dir, cmdline, {}, 0x4000000);  // 64 MiB: 2 MiB + 64 MiB of init_size do not fit
    auto tpm = harness::Swtpm::start_for_qemu(dir);
    auto q = boot_system(dir, tpm.get());
    const std::string measured = pcr9(*q);
    expect_refused_while_open_runs(*q, "memory too small for its init_size and initramfs");
    CHECK(q->serial_lines(std::regex("^linux: classified: memory 0x4000000, bzImage init_size 0x4000000"))
              .size() == 1);
    CHECK(measured == predicted_pcr9(dir));
    if (first.empty()) {
      first = measured;
    } else {
      CHECK(measured != first);
    }
  }
}

TEST_CASE("linux pieces on the UEFI path: the boot stage measures kernel, initramfs and command line as predicted",
          "[kernel][linux][uefi]") {
  harness::Work_dir dir("kernel-linux-uefi");
  make_system(dir, "console=ttyS0 nokaslr");
  const std::string prediction = predicted_pcr9(dir);
  const fs::path esp = dir / "esp.img";
  run_bulkhead({"image", "build", "--policy-image", (dir / "policy.img").string(), "--image-dir", dir.path().string(),
                "--kernel", harness::build_path("sepkernel/bulkhead.elf").string(), "--boot-stage",
                harness::build_path("sepkernel/BOOTX64.EFI").string(), "-o", esp.string()});
  auto tpm = harness::Swtpm::start_for_qemu(dir, true);
  fs::copy("/usr/share/OVMF/OVMF_VARS_4M.fd", dir / "vars.fd", fs::copy_options::overwrite_existing);
  harness::Qemu_options o;
  o.tpm = tpm.get();
  o.extra = {"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
             "-drive", "if=pflash,format=raw,file=" + (dir / "vars.fd").string(),
             "-drive", "file=" + esp.string() + ",format=raw"};
  o.lifetime = Millis(180000);
  auto q = harness::Qemu::start(dir, o);
  q->wait_for_serial(std::regex("^boot: UEFI path: MEASURED"), Millis(90000), false);
  CHECK(pcr9(*q) == prediction);
  q->wait_for_serial(std::regex("^linux: classified: bzImage vmlinuz \\(boot protocol 2\\.15\\) at 0x1000000, "
                                "initramfs initrd.cpio \\(1048576 bytes\\)"),
                     k_deadline, false);
  q->wait_for_serial(std::regex("part=classified event=partition_started"), k_deadline, false);
  wait_heartbeat(*q, "open", 3, k_deadline);
  CHECK(q->serial_lines(std::regex("PANIC|event=partition_(refused|stopped)")).empty());
}
