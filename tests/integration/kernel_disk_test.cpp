// SPDX-License-Identifier: Apache-2.0
// Disk keys in the running kernel (issue 6, items 3-4): a disk created and sealed by the
// administrator's tools to the manifest's PCRs is unsealed by the kernel at boot (ATA + TIS);
// a changed partition image, a missing TPM or a missing disk lock that partition only: it does
// not start, the indicator says LOCKED with the reason, the audit log records it, the other
// partition runs and the disk file is left as it was.
#include <fstream>

#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

const Millis k_deadline(60000);

std::string bulkhead() { return harness::build_path("tools/bulkhead/bulkhead").string(); }

void run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {bulkhead()};
  argv.insert(argv.end(), args.begin(), args.end());
  harness::Command_result r = harness::run_command(argv, Millis(60000));
  INFO(r.output);
  REQUIRE(r.status == 0);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The default policy with a disk for classified, its images beside it, the disk created and
// sealed (to PCRs 8 and 9 as the manifest predicts them) in a TPM whose state QEMU then uses.
struct Sealed_system {
  fs::path policy_image, disk;
  explicit Sealed_system(const harness::Work_dir& dir) {
    std::ifstream src(harness::source_path("policies/default.toml"));
    std::string text((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    const std::string anchor = "image = \"classified.elf\"\n";
    REQUIRE(text.find(anchor) != std::string::npos);
    text.insert(text.find(anchor) + anchor.size(), "disk = \"classified.disk\"\n");
    std::ofstream(dir / "policy.toml") << text;
    for (const char* g : {"classified.elf", "open.elf"}) fs::copy(guest(g), dir / g);
    std::ofstream(dir / "pass") << "recovery passphrase for the test\n";
    disk = dir / "classified.disk";
    policy_image = dir / "policy.img";
    run({"disk", "create", "--policy", (dir / "policy.toml").string(), "--partition", "classified", "--size", "1M",
         "-o", disk.string(), "--recovery-passphrase-file", (dir / "pass").string()});
    run({"policy", "compile", (dir / "policy.toml").string(), "-o", policy_image.string(), "--image-dir",
         dir.path().string()});
    run({"manifest", "build", "--policy-image", policy_image.string(), "--image-dir", dir.path().string(), "-o",
         (dir / "manifest.json").string()});
    auto tpm = harness::Swtpm::start_socket(dir);
    run({"disk", "seal", "--disk", disk.string(), "--manifest", (dir / "manifest.json").string(), "--partition",
         "classified", "--tcti", tpm->tcti(), "--passphrase-file", (dir / "pass").string()});
  }
};

std::unique_ptr<harness::Qemu> boot_disk(const harness::Work_dir& dir, const Sealed_system& s, const harness::Swtpm* tpm,
                                         const fs::path& classified, bool attach_disk = true) {
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{s.policy_image, "policy"}, {classified, "classified.elf"}, {guest("open.elf"), "open.elf"}};
  o.tpm = tpm;
  if (attach_disk) o.extra = {"-drive", "file=" + s.disk.string() + ",format=raw,if=ide,index=0"};
  o.lifetime = Millis(120000);
  return harness::Qemu::start(dir, o);
}

}  // namespace

TEST_CASE("disk keys: the kernel unseals a disk sealed to the measured configuration", "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-unseal");
  Sealed_system s(dir);
  auto tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto q = boot_disk(dir, s, tpm.get(), guest("classified.elf"));
  q->wait_for_serial(std::regex("part=classified event=disk_unlocked detail=\"disk classified.disk \\(ide 0\\): key "
                                "unsealed, PCR mask 0x300"),
                     k_deadline, false);
  wait_heartbeat(*q, "classified", 2, k_deadline);
  wait_heartbeat(*q, "open", 2, k_deadline);
  CHECK(q->serial_lines(std::regex("event=disk_locked|PANIC")).empty());
}

TEST_CASE("disk keys: a changed partition image locks that partition only, and its disk is untouched",
          "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-changed");
  Sealed_system s(dir);
  const std::string before = slurp(s.disk);
  auto tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto q = boot_disk(dir, s, tpm.get(), guest("attack_memory.elf"));
  q->wait_for_serial(std::regex("part=classified event=disk_locked detail=\"disk classified.disk \\(ide 0\\): measured "
                                "boot differs from the sealed one"),
                     k_deadline, false);
  wait_heartbeat(*q, "open", 3, k_deadline);
  CHECK(q->serial_lines(std::regex("^\\[classified\\]|part=classified event=partition_started")).empty());
  CHECK(harness::Qemu::row_text(q->read_vga_text()[0]) ==
        " [1] classified | classified | LOCKED: measured boot differs from the sealed one");
  q.reset();
  CHECK(slurp(s.disk) == before);
}

TEST_CASE("disk keys: without the TPM or without the disk the partition is locked with the reason", "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-missing");
  Sealed_system s(dir);
  {
    auto q = boot_disk(dir, s, nullptr, guest("classified.elf"));
    q->wait_for_serial(std::regex("part=classified event=disk_locked detail=\"disk classified.disk \\(ide 0\\): no TPM"),
                       k_deadline, false);
    wait_heartbeat(*q, "open", 2, k_deadline);
  }
  {
    auto tpm = harness::Swtpm::start_for_qemu(dir, true);
    auto q = boot_disk(dir, s, tpm.get(), guest("classified.elf"), false);
    q->wait_for_serial(std::regex("part=classified event=disk_locked detail=\"disk classified.disk \\(ide 0\\): disk "
                                  "not attached"),
                       k_deadline, false);
    wait_heartbeat(*q, "open", 2, k_deadline);
    CHECK(harness::Qemu::row_text(q->read_vga_text()[0]) == " [1] classified | classified | LOCKED: disk not attached");
  }
}
