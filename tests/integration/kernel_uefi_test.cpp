// SPDX-License-Identifier: Apache-2.0
// The measured UEFI path: `bulkhead image build` makes an ESP; OVMF with swtpm behind tpm-tis
// measures the boot stage (PCR 4); the boot stage measures the kernel (PCR 4), the policy (PCR 8)
// and the images (PCR 9) and hands the firmware's log to the kernel, whose PCR read-back equals
// the manifest's prediction; the live system attests (first boot recorded, second verified, a
// changed image refused by name); a missing file on the ESP is refused before the kernel runs.
#include <fstream>

#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

const Millis k_deadline(90000);

std::string bulkhead() { return harness::build_path("tools/bulkhead/bulkhead").string(); }

harness::Command_result cli(std::vector<std::string> args) {
  args.insert(args.begin(), bulkhead());
  return harness::run_command(args, Millis(120000));
}

void ok(const harness::Command_result& r) {
  INFO(r.output);
  REQUIRE(r.status == 0);
}

// An ESP for policies/attested.toml with `classified_image` as the classified partition's file.
fs::path build_esp(const harness::Work_dir& dir, const std::string& name, const fs::path& classified_image) {
  fs::path images = dir / (name + "-images");
  fs::create_directories(images);
  fs::copy(classified_image, images / "classified.elf");
  for (const char* g : {"open.elf", "agent.elf"}) fs::copy(guest(g), images / g);
  ok(cli({"policy", "compile", harness::source_path("policies/attested.toml").string(), "-o",
          (dir / (name + ".policy")).string(), "--image-dir", images.string()}));
  ok(cli({"manifest", "build", "--policy-image", (dir / (name + ".policy")).string(), "--image-dir", images.string(),
          "-o", (dir / (name + ".manifest.json")).string()}));
  fs::path esp = dir / (name + ".esp");
  ok(cli({"image", "build", "--policy-image", (dir / (name + ".policy")).string(), "--image-dir", images.string(),
          "--kernel", harness::build_path("sepkernel/bulkhead.elf").string(), "--boot-stage",
          harness::build_path("sepkernel/BOOTX64.EFI").string(), "-o", esp.string()}));
  return esp;
}

struct Uefi_system {
  std::unique_ptr<harness::Swtpm> tpm;
  std::unique_ptr<harness::Qemu> qemu;
  fs::path agent;
};

Uefi_system boot_uefi(const harness::Work_dir& dir, const fs::path& esp) {
  Uefi_system s;
  s.tpm = harness::Swtpm::start_for_qemu(dir, true);
  fs::copy("/usr/share/OVMF/OVMF_VARS_4M.fd", dir / "vars.fd", fs::copy_options::overwrite_existing);
  s.agent = dir / "agent.sock";
  harness::Qemu_options o;
  o.tpm = s.tpm.get();
  o.extra = {"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
             "-drive", "if=pflash,format=raw,file=" + (dir / "vars.fd").string(),
             "-drive", "file=" + esp.string() + ",format=raw",
             "-chardev", "socket,id=agent,path=" + s.agent.string() + ",server=on,wait=off",
             "-serial", "chardev:agent"};
  o.lifetime = Millis(240000);
  s.qemu = harness::Qemu::start(dir, o);
  return s;
}

void provision(const harness::Work_dir& dir) {
  auto tpm = harness::Swtpm::start_socket(dir);
  ok(cli({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "provision").string()}));
}

harness::Command_result attest(const harness::Work_dir& dir, const Uefi_system& s, const fs::path& manifest,
                               std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"attest", "connect", "--agent", "unix:" + s.agent.string(), "--manifest",
                                   manifest.string(), "--ak", (dir / "provision" / "ak.pub.pem").string()};
  args.insert(args.end(), more.begin(), more.end());
  return cli(args);
}

}  // namespace

TEST_CASE("uefi: a measured boot from the ESP attests; recorded firmware PCRs hold; a changed image fails",
          "[kernel][uefi]") {
  harness::Work_dir dir("kernel-uefi");
  provision(dir);
  fs::path esp = build_esp(dir, "v1", guest("classified.elf"));
  fs::path firmware = dir / "firmware.json";
  {
    Uefi_system s = boot_uefi(dir, esp);
    s.qemu->wait_for_serial(std::regex("bulkhead boot stage: measured; starting the kernel"), k_deadline, false);
    s.qemu->wait_for_serial(std::regex("^boot: UEFI path: MEASURED"), k_deadline, false);
    s.qemu->wait_for_serial(std::regex("event=boot detail=\"measured by the UEFI boot stage: event log [0-9]+ bytes"),
                            k_deadline, false);
    s.qemu->wait_for_serial(std::regex("^\\[agent\\] agent ready on COM2"), k_deadline, false);
    wait_heartbeat(*s.qemu, "classified", 2, k_deadline);
    CHECK(s.qemu->serial_lines(std::regex("UNMEASURED|PANIC")).empty());
    // First boot: verified against the build's manifest (firmware PCRs not yet recorded), then
    // recorded.
    harness::Command_result r = attest(dir, s, dir / "v1.manifest.json",
                                       {"--record-firmware", firmware.string(), "-o", (dir / "ev1.json").string()});
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("attestation: PASS") != std::string::npos);
    CHECK(r.output.find("warning: firmware PCRs 0-7 are not recorded") != std::string::npos);
  }
  ok(cli({"manifest", "build", "--policy-image", (dir / "v1.policy").string(), "--image-dir",
          (dir / "v1-images").string(), "--firmware-pcrs", firmware.string(), "-o",
          (dir / "v1.recorded.json").string()}));
  {
    Uefi_system s = boot_uefi(dir, esp);
    s.qemu->wait_for_serial(std::regex("^\\[agent\\] agent ready on COM2"), k_deadline, false);
    harness::Command_result r = attest(dir, s, dir / "v1.recorded.json");
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("attestation: PASS") != std::string::npos);
    CHECK(r.output.find("warning") == std::string::npos);
  }
  {
    // The same ESP with another classified image (its own policy, as a rebuild would make it).
    fs::path changed = build_esp(dir, "v2", guest("attack_memory.elf"));
    Uefi_system s = boot_uefi(dir, changed);
    s.qemu->wait_for_serial(std::regex("^\\[agent\\] agent ready on COM2"), k_deadline, false);
    harness::Command_result r = attest(dir, s, dir / "v1.recorded.json");
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("attestation: FAIL") != std::string::npos);
    CHECK(r.output.find("PCR 8") != std::string::npos);
  }
}

TEST_CASE("uefi: a file missing from the ESP is refused before the kernel runs; image build refuses bad input",
          "[kernel][uefi]") {
  harness::Work_dir dir("kernel-uefi-missing");
  fs::path esp = build_esp(dir, "v1", guest("classified.elf"));
  harness::Command_result del = harness::run_command({"mdel", "-i", esp.string(), "::/open.elf"}, Millis(30000));
  REQUIRE(del.status == 0);
  Uefi_system s = boot_uefi(dir, esp);
  s.qemu->wait_for_serial(std::regex("bulkhead boot stage: REFUSED: missing file on the ESP: open.elf"), k_deadline,
                          false);
  CHECK(s.qemu->serial_lines(std::regex("Bulkhead separation kernel")).empty());

  harness::Command_result bad = cli({"image", "build", "--policy-image", (dir / "v1.policy").string(), "--image-dir",
                                     (dir / "v1-images").string(), "--kernel", (dir / "no-such-kernel").string(),
                                     "--boot-stage", harness::build_path("sepkernel/BOOTX64.EFI").string(), "-o",
                                     (dir / "bad.esp").string()});
  CHECK(bad.status == 2);
  CHECK(bad.output.find("no-such-kernel: not found") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "bad.esp"));
}
