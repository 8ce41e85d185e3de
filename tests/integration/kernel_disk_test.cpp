// SPDX-License-Identifier: Apache-2.0
// Disk keys in the running kernel (issue 6, items 3-4): a disk created and sealed by the
// administrator's tools to the manifest's PCRs is unsealed by the kernel at boot (ATA + TIS);
// a changed partition image, a missing TPM or a missing disk lock that partition only: it does
// not start, the indicator says LOCKED with the reason, the audit log records it, the other
// partition runs and the disk file is left as it was.
#include <csignal>
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

// The default policy with a disk for classified, its images beside it, the disk created and
// sealed (to PCRs 8 and 9 as the manifest predicts them) in a TPM whose state QEMU then uses.
struct Sealed_system {
  fs::path policy_image, disk;
  std::string classified_image, open_image;
  // classified runs classified_image (with the disk), open runs open_image.
  explicit Sealed_system(const harness::Work_dir& dir, std::string classified = "classified.elf",
                         std::string open = "open.elf", bool authorize = false)
      : classified_image(classified), open_image(open) {
    std::ifstream src(harness::source_path("policies/default.toml"));
    std::string text((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    const std::string anchor = "image = \"classified.elf\"\n";
    REQUIRE(text.find(anchor) != std::string::npos);
    text.replace(text.find(anchor), anchor.size(), "image = \"" + classified + "\"\ndisk = \"classified.disk\"\n");
    const std::string open_anchor = "image = \"open.elf\"";
    REQUIRE(text.find(open_anchor) != std::string::npos);
    text.replace(text.find(open_anchor), open_anchor.size(), "image = \"" + open + "\"");
    std::ofstream(dir / "policy.toml") << text;
    for (const std::string& g : {classified, open}) fs::copy(guest(g), dir / g);
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
    std::vector<std::string> seal = {"disk", "seal", "--disk", disk.string(), "--manifest",
                                     (dir / "manifest.json").string(), "--partition", "classified", "--tcti",
                                     tpm->tcti(), "--passphrase-file", (dir / "pass").string()};
    if (authorize) {  // update-survivable: sealed to the administrator's key (PolicyAuthorize)
      run({"disk", "admin-key", "-o", (dir / "admin.pem").string(), "--public", (dir / "admin.pub.pem").string()});
      seal.insert(seal.end(), {"--authorize-key", (dir / "admin.pub.pem").string()});
    }
    run(seal);
  }
};

std::unique_ptr<harness::Qemu> boot_disk(const harness::Work_dir& dir, const Sealed_system& s, const harness::Swtpm* tpm,
                                         const fs::path& classified, bool attach_disk = true,
                                         const fs::path& signed_policy = {}) {
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{s.policy_image, "policy"}, {classified, s.classified_image}, {guest(s.open_image), s.open_image}};
  if (!signed_policy.empty()) o.modules.push_back({signed_policy, "classified.disk.sig"});
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
                                "unsealed, PCR mask 0x300, data at [0-9]+, AES-NI"),
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

namespace {

std::unique_ptr<harness::Qemu> boot_demo(const harness::Work_dir& dir, const Sealed_system& s,
                                         std::unique_ptr<harness::Swtpm>& tpm) {
  tpm.reset();  // the previous QEMU's swtpm ends with it; the state stays
  tpm = harness::Swtpm::start_for_qemu(dir, true);
  return boot_disk(dir, s, tpm.get(), guest("disk_demo.elf"));
}

unsigned number_after(const std::string& line, const std::string& word) {
  size_t at = line.find(word);
  REQUIRE(at != std::string::npos);
  return unsigned(std::stoul(line.substr(at + word.size())));
}

}  // namespace

TEST_CASE("disk: what a guest writes survives a reboot, is ciphertext on the host, opens with the passphrase",
          "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-persist");
  Sealed_system s(dir, "disk_demo.elf");
  std::unique_ptr<harness::Swtpm> tpm;
  {
    auto q = boot_demo(dir, s, tpm);
    q->wait_for_serial(std::regex("^\\[classified\\] disk: boot count 1 \\(read back\\)"), k_deadline, false);
    // Bounds: past the end of its disk, and a buffer outside its memory, fail without harm.
    q->wait_for_serial(std::regex("^\\[classified\\] disk: past the end -> status 3, foreign buffer -> status 2"),
                       k_deadline, false);
    q->wait_for_serial(std::regex("^\\[classified\\] disk: stream written"), k_deadline, false);
  }
  {
    auto q = boot_demo(dir, s, tpm);
    q->wait_for_serial(std::regex("^\\[classified\\] disk: stream of boot 1 intact up to 200$"), k_deadline, false);
    q->wait_for_serial(std::regex("^\\[classified\\] disk: boot count 2 \\(read back\\)"), k_deadline, false);
  }
  tpm.reset();
  // On the host the disk holds ciphertext only ...
  const std::string bytes = slurp(s.disk);
  CHECK(bytes.find("BHREC001") == std::string::npos);
  CHECK(bytes.find("a record of the stream") == std::string::npos);
  // ... and the recovery passphrase opens what the kernel wrote, with the standard LUKS2 layout.
  run({"disk", "read", "--disk", s.disk.string(), "--passphrase-file", (dir / "pass").string(), "--sector", "1", "-o",
       (dir / "sector1.bin").string()});
  const std::string plain = slurp(dir / "sector1.bin");
  CHECK(plain.find("BHREC001") == 0);
  CHECK(plain.find("a record of the stream") != std::string::npos);
}

TEST_CASE("disk: power cut during acknowledged writes loses no acknowledged record", "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-powercut");
  Sealed_system s(dir, "disk_demo.elf");
  std::unique_ptr<harness::Swtpm> tpm;
  unsigned boot = 0;
  for (unsigned cut_after : {3u, 17u, 41u, 8u, 90u}) {
    auto q = boot_demo(dir, s, tpm);
    std::string line = q->wait_for_serial(std::regex("^\\[classified\\] disk: boot count [0-9]+"), k_deadline, false);
    unsigned count = number_after(line, "boot count ");
    CHECK(count == boot + 1);
    boot = count;
    q->wait_for_serial(std::regex("^\\[classified\\] ACK " + std::to_string(cut_after) + "$"), k_deadline, false);
    // Power cut: SIGKILL to QEMU itself (the harness runs it under `timeout`), no shutdown;
    // whatever was acknowledged so far must survive.
    std::ifstream children("/proc/" + std::to_string(q->pid()) + "/task/" + std::to_string(q->pid()) + "/children");
    pid_t qemu_pid = 0;
    children >> qemu_pid;
    REQUIRE(qemu_pid > 0);
    kill(qemu_pid, SIGKILL);
    unsigned acked = 0;
    for (const auto& l : q->serial_lines(std::regex("^\\[classified\\] ACK [0-9]+$"))) acked = number_after(l, "ACK ");
    q.reset();
    auto next = boot_demo(dir, s, tpm);
    std::string report = next->wait_for_serial(
        std::regex("^\\[classified\\] disk: stream of boot " + std::to_string(boot) + " intact up to [0-9]+"), k_deadline,
        false);
    INFO("cut after ACK " << cut_after << ", acknowledged " << acked << ": " << report);
    CHECK(number_after(report, "intact up to ") >= acked);
    next->wait_for_serial(std::regex("^\\[classified\\] disk: boot count " + std::to_string(boot + 1)), k_deadline,
                          false);
    boot += 1;
    next.reset();
  }
}

TEST_CASE("disk: a partition without a disk gets no block device and cannot reach the IDE ports", "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-other");
  Sealed_system s(dir, "disk_demo.elf", "attack_disk.elf");
  std::unique_ptr<harness::Swtpm> tpm;
  auto q = boot_demo(dir, s, tpm);
  q->wait_for_serial(std::regex("^\\[open\\] attack: block device errors 9 9$"), k_deadline, false);  // not found
  q->wait_for_serial(std::regex("part=open event=io_violation detail=\"port=0x1f7 in size=1\""), k_deadline, false);
  q->wait_for_serial(std::regex("^\\[classified\\] disk: stream written"), k_deadline, false);
  CHECK(q->serial_lines(std::regex("ESCAPED")).empty());
  CHECK(q->serial_lines(std::regex("part=open event=hypercall_refused")).size() == 2);
}

TEST_CASE("disk: after an intended image update the disk is locked until re-sealed, then opens", "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-reseal");
  Sealed_system s(dir);  // sealed to the build with classified.elf
  // The update: a new classified image under the same name, a recompiled policy, a new manifest.
  fs::copy(guest("disk_demo.elf"), dir / "classified.elf", fs::copy_options::overwrite_existing);
  run({"policy", "compile", (dir / "policy.toml").string(), "-o", s.policy_image.string(), "--image-dir",
       dir.path().string()});
  run({"manifest", "build", "--policy-image", s.policy_image.string(), "--image-dir", dir.path().string(), "-o",
       (dir / "manifest-v2.json").string()});
  std::unique_ptr<harness::Swtpm> tpm = harness::Swtpm::start_for_qemu(dir, true);
  {
    auto q = boot_disk(dir, s, tpm.get(), dir / "classified.elf");
    q->wait_for_serial(std::regex("part=classified event=disk_locked detail=\"disk classified.disk \\(ide 0\\): measured "
                                  "boot differs from the sealed one"),
                       k_deadline, false);
    wait_heartbeat(*q, "open", 1, k_deadline);
  }
  tpm.reset();
  {
    auto socket = harness::Swtpm::start_socket(dir, true);
    run({"disk", "reseal", "--disk", s.disk.string(), "--manifest", (dir / "manifest-v2.json").string(), "--partition",
         "classified", "--tcti", socket->tcti(), "--passphrase-file", (dir / "pass").string()});
  }
  tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto q = boot_disk(dir, s, tpm.get(), dir / "classified.elf");
  q->wait_for_serial(std::regex("part=classified event=disk_unlocked"), k_deadline, false);
  q->wait_for_serial(std::regex("^\\[classified\\] disk: boot count 1 \\(read back\\)"), k_deadline, false);
}

TEST_CASE("disk: PolicyAuthorize: a newly signed policy opens the disk after an update, without re-sealing",
          "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-authorize");
  Sealed_system s(dir, "classified.elf", "open.elf", true);
  auto sign = [&](const std::string& manifest, const std::string& out) {
    run({"disk", "sign-policy", "--key", (dir / "admin.pem").string(), "--manifest", (dir / manifest).string(),
         "--partition", "classified", "-o", (dir / out).string()});
  };
  sign("manifest.json", "v1.sig");
  std::unique_ptr<harness::Swtpm> tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto boot = [&](const fs::path& sig) {
    tpm.reset();
    tpm = harness::Swtpm::start_for_qemu(dir, true);
    return boot_disk(dir, s, tpm.get(), dir / "classified.elf", true, sig);
  };
  {
    auto q = boot(dir / "v1.sig");
    q->wait_for_serial(std::regex("part=classified event=disk_unlocked"), k_deadline, false);
    wait_heartbeat(*q, "classified", 1, k_deadline);
  }
  {
    auto q = boot({});  // the disk needs the administrator's approval, which the boot lacks
    q->wait_for_serial(std::regex("part=classified event=disk_locked detail=.*: no signed policy for this disk"),
                       k_deadline, false);
  }
  // The update: new image, recompiled policy, new manifest; the administrator signs it. The disk
  // is not touched.
  fs::copy(guest("disk_demo.elf"), dir / "classified.elf", fs::copy_options::overwrite_existing);
  run({"policy", "compile", (dir / "policy.toml").string(), "-o", s.policy_image.string(), "--image-dir",
       dir.path().string()});
  run({"manifest", "build", "--policy-image", s.policy_image.string(), "--image-dir", dir.path().string(), "-o",
       (dir / "manifest-v2.json").string()});
  const std::string disk_before = slurp(s.disk);
  {
    auto q = boot(dir / "v1.sig");  // the old approval does not cover the new build
    q->wait_for_serial(
        std::regex("part=classified event=disk_locked detail=.*: measured boot differs from the approved one"),
        k_deadline, false);
  }
  CHECK(slurp(s.disk) == disk_before);
  sign("manifest-v2.json", "v2.sig");
  auto q = boot(dir / "v2.sig");
  q->wait_for_serial(std::regex("part=classified event=disk_unlocked"), k_deadline, false);
  q->wait_for_serial(std::regex("^\\[classified\\] disk: boot count 1 \\(read back\\)"), k_deadline, false);
}

TEST_CASE("disk keys: a damaged sealed-key blob locks the partition with the reason", "[kernel][disk]") {
  harness::Work_dir dir("kernel-disk-damaged");
  Sealed_system s(dir);
  {
    // One byte inside the sealed-key area (the kernel's copy of the blob) flipped on the host.
    std::fstream f(s.disk, std::ios::in | std::ios::out | std::ios::binary);
    const std::streamoff at = std::streamoff(16 * 1024 * 1024 - 64 * 1024 + 100);
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    c = char(c ^ 0x40);
    f.seekp(at);
    f.write(&c, 1);
  }
  const std::string damaged = slurp(s.disk);
  auto tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto q = boot_disk(dir, s, tpm.get(), guest("classified.elf"));
  q->wait_for_serial(std::regex("part=classified event=disk_locked detail=\"disk classified.disk \\(ide 0\\): sealed "
                                "key missing or damaged\""),
                     k_deadline, false);
  wait_heartbeat(*q, "open", 2, k_deadline);
  CHECK(harness::Qemu::row_text(q->read_vga_text()[0]) ==
        " [1] classified | classified | LOCKED: sealed key missing or damaged");
  q.reset();
  CHECK(slurp(s.disk) == damaged);  // nothing repaired or written
}

// SK-TIME-1 (issue 12): one partition does the costliest things it may (full doorbells of 64
// requests, refused hypercalls that each write an audit line, maximal debug-log lines, exit
// floods) while the other records its own frame starts and CPU share. The old kernel let the
// flooder's kernel work run on into the victim's frames (periods of 53-423 ms instead of 20,
// about 8% of the CPU instead of 50%); here every frame must start within 5 ms of its deadline
// and the victim keep more than 35% of the CPU (50% less the kernel's 1 ms guard per frame).
TEST_CASE("time: a partition flooding the kernel cannot delay or shorten the other's frames", "[kernel][time]") {
  harness::Work_dir dir("kernel-time-flood");
  Sealed_system s(dir, "time_flood.elf", "time_victim.elf");
  auto tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto q = boot_disk(dir, s, tpm.get(), guest("time_flood.elf"));
  q->wait_for_serial(std::regex("^\\[classified\\] flood: round 1 "), k_deadline, false);
  // Windows of 100 victim frames (2 s); the third one runs entirely under the flood.
  const std::string line =
      q->wait_for_serial(std::regex("^\\[open\\] time: window=3 "), k_deadline, false);
  INFO(line);
  const unsigned worst = number_after(line, "worst_start_us="), share = number_after(line, "share_permille=");
  CHECK(worst < 5000);
  CHECK(share > 350);
  q->wait_for_serial(std::regex("^\\[classified\\] flood: round 6 "), k_deadline, false);  // the flood went on
  CHECK(q->serial_lines(std::regex("part=open event=(partition_stopped|.*_violation)|PANIC")).empty());
}
