// SPDX-License-Identifier: Apache-2.0
// Linux in both partitions (issue 13, docs/linux.md): policies/linux-disk.toml, the default
// system, runs Debian's unmodified kernel (booted by Bulkhead's kernel from the policy's bzImage,
// initramfs and command line) on a virtual PC in each partition, the
// classified one with its encrypted disk as a virtio-blk device.
#include "uefi_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <vector>

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

// The default system as scripts/run.sh makes it: policies/linux-disk.toml, a new 64 MiB disk
// for classified, sealed to the manifest's PCRs in a TPM whose state QEMU then uses: first for
// the multiboot path (PCRs 8 and 9, --unmeasured-kernel), then (seal_measured) for the measured
// UEFI boot, with PCR 4 predicted from the boot stage and the kernel.
struct Linux_system {
  fs::path policy_image, disk;
  explicit Linux_system(const harness::Work_dir& dir) {
    fs::copy(harness::source_path("policies/linux-disk.toml"), dir / "policy.toml");
    fs::copy(guest("vmlinuz"), dir / "vmlinuz");
    fs::copy(guest("linux-initrd.cpio"), dir / "linux-initrd.cpio");
    fs::copy(guest("agent.elf"), dir / "agent.elf");
    std::ofstream(dir / "pass") << "recovery passphrase for the test\n";
    disk = dir / "classified.disk";
    policy_image = dir / "policy.img";
    run_bulkhead({"disk", "create", "--policy", (dir / "policy.toml").string(), "--partition", "classified", "--size",
              "64M", "-o", disk.string(), "--recovery-passphrase-file", (dir / "pass").string()});
    run_bulkhead({"policy", "compile", (dir / "policy.toml").string(), "-o", policy_image.string(), "--image-dir",
              dir.path().string()});
    run_bulkhead({"manifest", "build", "--policy-image", policy_image.string(), "--image-dir", dir.path().string(), "-o",
              (dir / "manifest.json").string()});
    auto tpm = harness::Swtpm::start_socket(dir);
    run_bulkhead({"disk", "seal", "--unmeasured-kernel", "--disk", disk.string(), "--manifest",
                  (dir / "manifest.json").string(), "--partition", "classified", "--tcti", tpm->tcti(),
                  "--passphrase-file", (dir / "pass").string()});
  }
  // Seals the disk again, as run.sh does for its UEFI boot: to PCR 4 as `manifest build` predicts
  // it from OVMF's events, the boot stage and the kernel, PCR 8 and classified's PCR 9.
  void seal_measured(const harness::Work_dir& dir) const {
    run_bulkhead({"manifest", "build", "--policy-image", policy_image.string(), "--image-dir",
                  dir.path().string(), "--boot-stage", harness::build_path("sepkernel/BOOTX64.EFI").string(),
                  "--kernel", harness::build_path("sepkernel/bulkhead.elf").string(), "-o",
                  (dir / "measured.json").string()});
    auto tpm = harness::Swtpm::start_socket(dir, true);
    run_bulkhead({"disk", "seal", "--force", "--disk", disk.string(), "--manifest",
                  (dir / "measured.json").string(), "--partition", "classified", "--tcti", tpm->tcti(),
                  "--passphrase-file", (dir / "pass").string()});
  }
  std::unique_ptr<harness::Qemu> boot(const harness::Work_dir& dir, const harness::Swtpm& tpm) const {
    harness::Qemu_options o;
    o.kernel = harness::build_path("sepkernel/bulkhead.elf");
    o.modules = {{policy_image, "policy"}, {dir / "vmlinuz", "vmlinuz"}, {dir / "linux-initrd.cpio", "linux-initrd.cpio"},
                 {dir / "agent.elf", "agent.elf"}};
    o.tpm = &tpm;
    o.extra = {"-drive", "file=" + disk.string() + ",format=raw,if=ide,index=0"};
    o.lifetime = Millis(900000);
    return harness::Qemu::start(dir, o);
  }
  // The measured boot scripts/run.sh makes by default: OVMF, the boot stage and an ESP built by
  // `bulkhead image build` from the same policy image and files.
  std::unique_ptr<harness::Qemu> boot_measured(const harness::Work_dir& dir, const harness::Swtpm& tpm) const {
    fs::path esp = esp_for(dir, "system", policy_image, dir.path());
    harness::Qemu_options o = uefi_options(dir, esp);
    o.tpm = &tpm;
    o.extra.insert(o.extra.end(), {"-drive", "file=" + disk.string() + ",format=raw,if=ide,index=0"});
    o.lifetime = Millis(900000);
    return harness::Qemu::start(dir, o);
  }
};

}  // namespace

// In each partition the kernel boots through its own decompressor to /init of the busybox
// initramfs; its console (ttyS0, the virtual 16550, interrupt-driven through the virtual PIC)
// reaches the log as that partition's lines, its VGA console the partition's screen on the
// trusted path; its clock (the TSC, told its rate by the kernel)
// and its timer (the virtual 8254 on IRQ 0) keep time: `sleep 2` lasts 2 s. Nothing is stopped.
// The classified Linux finds its disk as /dev/vda (virtio-blk over the kernel's encrypted block
// path), makes ext4 on it (it is blank), and what it writes there is back on the next boot and
// only ciphertext in the disk file; the open Linux has no disk. Text sent into the one-way
// channel with bh-channel in open is received in classified; classified cannot write it.
TEST_CASE("linux: unmodified Debian kernels boot to /init in both partitions, keep time, keep their disk",
          "[kernel][linux]") {
  harness::Work_dir dir("kernel-linux");
  const Linux_system system(dir);
  auto tpm = harness::Swtpm::start_for_qemu(dir, true);
  auto q = system.boot(dir, *tpm);
  q->wait_for_serial(std::regex("part=classified event=disk_unlocked"), Millis(120000), false);
  for (const std::string part : {"classified", "open"}) {
    const std::string prefix = "^\\[" + part + "\\] ";
    q->wait_for_serial(std::regex(prefix + "\\[ *[0-9.]+\\] Linux version 6\\.1\\."), Millis(300000), false);
    q->wait_for_serial(std::regex(prefix + "linux: /init running, kernel 6\\.1\\."), Millis(400000), false);
    q->wait_for_serial(std::regex(prefix + "linux: 1 CPU, MemTotal: +[0-9]+ kB$"), Millis(30000), false);
  }
  for (const std::string part : {"classified", "open"}) {
    // Three new reports, each the guest's uptime before and after a `sleep 2` by its own clock
    // (the reading after it included); a clock off by a factor of 1.4 or more falls outside.
    const std::regex report("^\\[" + part + "\\] linux: uptime ([0-9.]+) \\(slept 2 s from ([0-9.]+)\\)$");
    for (int i = 0; i < 3; ++i) q->wait_for_serial(report, Millis(60000), true);
    const auto lines = q->serial_lines(report);
    for (size_t i = lines.size() - 3; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      std::smatch m;
      REQUIRE(std::regex_match(line, m, report));
      const double slept = std::strtod(m[1].str().c_str(), nullptr) - std::strtod(m[2].str().c_str(), nullptr);
      INFO(line);
      CHECK(slept > 1.95);
      CHECK(slept < 2.8);
    }
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
  // The one-way channel from classified's side: bh-channel receives; writing into the channel
  // from the reader is a nested page fault (its mapping is read-only), audited, SIGSEGV.
  q->type_text("bh-channel receive &\n");
  q->wait_for_serial(std::regex("^\\[classified\\] .*bh-channel: receiving$"), Millis(60000), false);
  q->type_text("bh-channel send from classified\n");
  q->wait_for_serial(std::regex("part=classified event=npf_violation detail=\"gpa=0x800[0-9a-f]{5} write\""),
                     Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] .*Segmentation fault"), Millis(60000), false);
  // From a root shell in the open Linux (focus moved by the SAK), bh-probe (guests/linux/
  // bh_probe.cpp) reaches past its RAM and for the TPM through /dev/mem, for the kernel's disk
  // controller with iopl, for an SVM MSR through the msr module, and makes a hypercall from user
  // mode: each is refused and audited, and both Linux systems go on.
  q->send_key({"ctrl", "alt", "delete"});
  q->wait_for_serial(std::regex("part=open event=focus_changed detail=\"from=classified to=open"), Millis(60000), false);
  q->type_text("bh-probe mem 0xa000000; bh-probe mem 0xfed40000; bh-probe port 0x1f0; bh-probe msr 0xc0010117; "
               "bh-probe vmmcall 1; echo probes: done; bh-channel send hello from open\n");
  q->wait_for_serial(std::regex("^\\[open\\] .*probes: done$"), Millis(120000), false);
  // The indicator names the open domain now, over its Linux's screen.
  CHECK(harness::Qemu::row_text(q->read_vga_text()[0]).rfind(" [2] open | open | RUNNING", 0) == 0);
  for (const char* audit : {"part=open event=npf_violation detail=\"gpa=0xa000000 read\"",
                            "part=open event=npf_violation detail=\"gpa=0xfed40000 read\"",
                            "part=open event=io_violation detail=\"port=0x1f0 in size=1\"",
                            "part=open event=msr_violation detail=\"msr=0xc0010117 read\"",
                            "part=open event=hypercall_refused detail=\"number=1 error=denied from user mode"}) {
    INFO(audit);
    CHECK(q->serial_lines(std::regex(audit)).size() == 1);
  }
  CHECK(q->serial_lines(std::regex("^\\[open\\] .*bh-probe: (mem|port) .*-> read")).empty());
  CHECK(q->serial_lines(std::regex("^\\[open\\] .*Segmentation fault")).size() == 3);
  CHECK(q->serial_lines(std::regex("^\\[open\\] .*bh-probe: msr 0xc0010117 -> refused: -5$")).size() == 1);
  CHECK(q->serial_lines(std::regex("^\\[open\\] .*bh-probe: vmmcall 0x1 -> rax 0x")).size() == 1);
  // The channel from open reaches the classified Linux's receiver.
  q->wait_for_serial(std::regex("^\\[open\\] .*bh-channel: sent message 1$"), Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] (.*[^-])?channel: hello from open$"), Millis(60000), false);
  CHECK(q->serial_lines(std::regex("channel: from classified")).empty());
  for (const std::string part : {"classified", "open"}) {
    const std::regex report("^\\[" + part + "\\] linux: uptime [0-9.]+ ");
    const size_t seen = q->serial_lines(report).size();
    q->wait_for_serial(report, Millis(60000), true);
    CHECK(q->serial_lines(report).size() > seen);
  }
  // The disk: blank, so Linux made ext4; no earlier runs; this run written.
  q->wait_for_serial(std::regex("^\\[classified\\] linux: disk: /dev/vda, 64 MiB$"), Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: disk: blank, making an ext4 file system$"), Millis(60000),
                     false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: disk: ext4 mounted on /mnt, 0 earlier runs"), Millis(300000),
                     false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: disk: wrote run 1$"), Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[open\\] linux: disk: none$"), Millis(60000), false);
  CHECK(q->serial_lines(std::regex("event=partition_stopped|PANIC|Kernel panic|I/O error|EXT4-fs error")).empty());
  q.reset();
  tpm.reset();
  // What it wrote is ciphertext on the host: neither its line nor ext4's root directory entries.
  const std::string bytes = slurp(system.disk);
  CHECK(bytes.find("run 1 of ") == std::string::npos);
  CHECK(bytes.find("lost+found") == std::string::npos);
  // The next boot is the measured one scripts/run.sh makes by default (UEFI): the disk opens on
  // it and holds the file system and the line of the first run; the trusted path is on the
  // firmware's framebuffer, over the focused Linux's console, and keys reach the focused Linux.
  // Its disk is sealed to PCR 4 (OVMF's events, the boot stage, the kernel: predicted, not
  // recorded), PCR 8 and PCR 9 (mask 0x310): opening it shows the prediction holds on OVMF.
  system.seal_measured(dir);
  tpm = harness::Swtpm::start_for_qemu(dir, true);
  q = system.boot_measured(dir, *tpm);
  q->wait_for_serial(std::regex("^boot: UEFI path: MEASURED"), Millis(240000), false);
  q->wait_for_serial(std::regex("^trusted path: framebuffer [0-9]+x[0-9]+ at "), Millis(60000), false);
  q->wait_for_serial(
      std::regex("part=classified event=disk_unlocked detail=\"disk classified.disk \\(ide 0\\): key "
                 "unsealed, PCR mask 0x310,"),
      Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: disk: ext4 mounted on /mnt, 1 earlier runs, last: run 1 of "),
                     Millis(400000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] linux: disk: wrote run 2$"), Millis(60000), false);
  CHECK(q->serial_lines(std::regex("^\\[classified\\] linux: disk: blank")).empty());
  Pixel_screen pixels = read_screen(*q);
  CHECK(harness::pixel_row_text(pixels[0]) == " [1] classified | classified | RUNNING");
  CHECK(row_in_colours(pixels, 0, 0xFFFFFF, 0xAA0000));
  q->type_text("echo measured 7\n");
  q->wait_for_serial(std::regex("^\\[classified\\] measured 7$"), Millis(120000), false);
  q->send_key({"ctrl", "alt", "delete"});
  q->wait_for_serial(std::regex("part=open event=focus_changed detail=\"from=classified to=open"), Millis(60000), false);
  q->type_text("echo open 8\n");
  q->wait_for_serial(std::regex("^\\[open\\] open 8$"), Millis(120000), false);
  pixels = read_screen(*q);
  CHECK(harness::pixel_row_text(pixels[0]) == " [2] open | open | RUNNING");
  CHECK(row_in_colours(pixels, 0, 0x000000, 0x00AA00));
  CHECK(q->serial_lines(std::regex("^\\[open\\] .*measured 7")).empty());
  CHECK(q->serial_lines(std::regex("^\\[classified\\] .*open 8")).empty());
  CHECK(q->serial_lines(std::regex("UNMEASURED|event=partition_stopped|PANIC|Kernel panic|I/O error|EXT4-fs error")).empty());
}
