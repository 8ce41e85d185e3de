// SPDX-License-Identifier: Apache-2.0
// On demand, not a test (bench/run_boot_bench.sh): in one run, QEMU start to both domains
// running (the first heartbeat of each) for the same system (policies/attested.toml) on the
// measured UEFI path and on the multiboot path, and QEMU start to OVMF's own shell with nothing
// to boot; the ratios. Wall-clock seconds under QEMU TCG: run it on a quiet machine.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <regex>

#include "bh/harness.hpp"

namespace harness = bh::harness;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const harness::Millis k_deadline(300000);

void bulkhead(std::vector<std::string> args) {
  args.insert(args.begin(), harness::build_path("tools/bulkhead/bulkhead").string());
  harness::Command_result r = harness::run_command(args, harness::Millis(120000));
  if (r.status != 0) throw std::runtime_error(args[1] + " failed: " + r.output);
}

std::vector<std::string> ovmf(const fs::path& dir) {
  fs::copy("/usr/share/OVMF/OVMF_VARS_4M.fd", dir / "vars.fd", fs::copy_options::overwrite_existing);
  return {"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", "-drive",
          "if=pflash,format=raw,file=" + (dir / "vars.fd").string()};
}

// Seconds from QEMU's start until every pattern was seen on the serial log.
double time_until(const harness::Work_dir& dir, harness::Qemu_options o, const std::vector<std::string>& patterns) {
  o.lifetime = k_deadline;
  const auto t0 = Clock::now();
  auto q = harness::Qemu::start(dir, o);
  for (const auto& p : patterns) q->wait_for_serial(std::regex(p), k_deadline, false);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main() {
  try {
    const std::vector<std::string> both = {"^\\[classified\\] heartbeat", "^\\[open\\] heartbeat"};
    harness::Work_dir dir("boot-bench");
    const fs::path images = dir / "images";
    fs::create_directories(images);
    for (const char* g : {"classified.elf", "open.elf", "agent.elf"}) fs::copy(harness::build_path("guests") / g, images / g);
    const fs::path policy = dir / "policy.img", esp = dir / "system.esp";
    bulkhead({"policy", "compile", harness::source_path("policies/attested.toml").string(), "-o", policy.string(),
              "--image-dir", images.string()});
    bulkhead({"image", "build", "--policy-image", policy.string(), "--image-dir", images.string(), "--kernel",
              harness::build_path("sepkernel/bulkhead.elf").string(), "--boot-stage",
              harness::build_path("sepkernel/BOOTX64.EFI").string(), "-o", esp.string()});

    double multiboot = 0, uefi = 0, shell = 0;
    {
      harness::Work_dir d("boot-bench-multiboot");
      auto tpm = harness::Swtpm::start_for_qemu(d);
      harness::Qemu_options o;
      o.tpm = tpm.get();
      o.kernel = harness::build_path("sepkernel/bulkhead.elf");
      o.modules = {{policy, "policy"}, {images / "classified.elf", "classified.elf"}, {images / "open.elf", "open.elf"},
                   {images / "agent.elf", "agent.elf"}};
      multiboot = time_until(d, o, both);
    }
    {
      harness::Work_dir d("boot-bench-uefi");
      auto tpm = harness::Swtpm::start_for_qemu(d);
      harness::Qemu_options o;
      o.tpm = tpm.get();
      o.extra = ovmf(d.path());
      o.extra.insert(o.extra.end(), {"-drive", "file=" + esp.string() + ",format=raw,snapshot=on"});
      uefi = time_until(d, o, both);
    }
    {
      harness::Work_dir d("boot-bench-shell");
      auto tpm = harness::Swtpm::start_for_qemu(d);
      harness::Qemu_options o;
      o.tpm = tpm.get();
      o.extra = ovmf(d.path());
      o.extra.insert(o.extra.end(), {"-nic", "none"});  // else it tries network boot for minutes first
      shell = time_until(d, o, {"UEFI Interactive Shell"});
    }
    std::cout << std::fixed << std::setprecision(2)
              << "QEMU start to both domains running, multiboot path: " << multiboot << " s\n"
              << "QEMU start to both domains running, measured UEFI path: " << uefi << " s\n"
              << "QEMU start to OVMF's shell (nothing to boot): " << shell << " s\n"
              << "UEFI / multiboot: " << uefi / multiboot << "\n"
              << "UEFI / OVMF to its shell: " << uefi / shell << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "boot bench: " << e.what() << "\n";
    return 1;
  }
}
