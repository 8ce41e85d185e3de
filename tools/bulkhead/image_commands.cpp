// SPDX-License-Identifier: Apache-2.0
// `bulkhead image build`: the boot image of the measured UEFI path, a FAT EFI system partition
// made with mtools (no root, no loop device): EFI/BOOT/BOOTX64.EFI (the boot stage), BOOT.LST (what
// it loads and measures, in policy order), the kernel, the compiled policy image and every
// partition image, Linux kernel and initramfs the policy names (checked against the digests the
// policy records; a Linux kernel that cannot boot in its partition was refused by policy compile).
#include <fmt/core.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "bh/cli/input_file.hpp"
#include "sk/policy_image.hpp"
#include "bh/attest/manifest.hpp"
#include "commands.hpp"
#include "sk/linux_boot.hpp"

extern char** environ;

namespace bh::cli {
namespace {

namespace fs = std::filesystem;
using bh::attest::Input_error;

// A refused operation (exit 1), as opposed to an unusable input (exit 2).
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Image_options {
  std::string policy_image, image_dir, kernel, boot_stage, out;
  unsigned size_mib = 64;
};

// Runs an mtools command (no shell); its output goes to a log that is shown if it fails.
void run_tool(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Input_error(argv[0] + ": cannot run it (install mtools: scripts/bootstrap.sh)");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(log);
    std::string last, line;
    while (std::getline(in, line)) last = line;
    throw Input_error(argv[0] + " failed" + (last.empty() ? " (exit status " + std::to_string(WEXITSTATUS(status)) + ")"
                                                           : ": " + last));
  }
}

void run_image_build(const Image_options& o) {
  // The policy and its images, with the digests checked (refusals name the file).
  const bh::attest::Build_inputs in = bh::attest::load_inputs(o.policy_image, image_dir_of(o.policy_image, o.image_dir), "");
  // A Linux partition the kernel would refuse at boot (SK-LINUX-2: the checks `policy check`
  // makes with the files present) is refused here, before anything is written.
  for (const auto& p : in.partitions) {
    if (!p.is_linux) continue;
    namespace lb = sk::linux_boot;
    const lb::Parsed parsed = lb::parse(p.bytes.data(), p.bytes.size());
    lb::Refusal refusal = parsed.refusal;
    if (refusal == lb::Refusal::none) {
      refusal = lb::place(parsed.header, p.memory_size, p.initramfs_bytes.size(), p.cmdline.size() + lb::k_appended_max)
                    .refusal;
    }
    if (refusal != lb::Refusal::none) {
      throw Refused((fs::path(image_dir_of(o.policy_image, o.image_dir)) / p.image).string() + ": partition \"" + p.name +
                    "\" cannot boot this Linux kernel: " + lb::reason(refusal) + " (SK-LINUX-2)");
    }
  }
  for (const auto& f : {o.kernel, o.boot_stage}) {
    if (!fs::is_regular_file(f)) throw Input_error(f + ": not found");
  }
  const fs::path work = fs::path(o.out).parent_path() / (fs::path(o.out).filename().string() + ".work");
  fs::remove_all(work);
  fs::create_directories(work);
  const fs::path list = work / "BOOT.LST", log = work / "mtools.log", tmp = work / "esp.img";
  {
    std::ofstream l(list);
    // The boot stage loads the modules below the end of kernel_reserved, where the kernel wants them
    // (load_inputs has checked the image).
    auto policy = std::make_unique<sk::policy::Policy>();
    (void)sk::policy::read_image(in.policy_image.data(), in.policy_image.size(), *policy);
    const sk::policy::Range& reserved = policy->platform.kernel_reserved;
    l << fmt::format("reserved {:x}\n", reserved.base + reserved.size);
    l << "kernel bulkhead.elf\npolicy policy.img\n";
    for (const auto& p : in.partitions) {
      if (!p.is_linux) {
        l << "image " << p.image << " " << p.name << "\n";
        continue;
      }
      l << "linux " << p.image << " " << p.name << "\n";
      l << "initramfs " << p.initramfs << " " << p.name << "\n";
      l << "cmdline " << p.name << " " << p.cmdline << "\n";  // the rest of the line, as the policy gives it
    }
  }
  const std::string img = tmp.string();
  // A FAT image of size_mib MiB (heads/sectors only describe its geometry to mformat).
  run_tool({"mformat", "-i", img, "-C", "-T", std::to_string(o.size_mib * 2048), "-h", "64", "-s", "32", "::"}, log);
  run_tool({"mmd", "-i", img, "::/EFI", "::/EFI/BOOT"}, log);
  run_tool({"mcopy", "-i", img, o.boot_stage, "::/EFI/BOOT/BOOTX64.EFI"}, log);
  run_tool({"mcopy", "-i", img, list.string(), "::/BOOT.LST"}, log);
  run_tool({"mcopy", "-i", img, o.kernel, "::/bulkhead.elf"}, log);
  run_tool({"mcopy", "-i", img, o.policy_image, "::/policy.img"}, log);
  std::set<std::string> copied;  // a file two partitions share goes onto the ESP once
  for (const auto& p : in.partitions) {
    for (const std::string& file : {p.image, p.initramfs}) {
      if (file.empty() || !copied.insert(file).second) continue;
      run_tool({"mcopy", "-i", img, (fs::path(image_dir_of(o.policy_image, o.image_dir)) / file).string(), "::/" + file}, log);
    }
  }
  fs::rename(tmp, o.out);  // atomic: the ESP appears whole or not at all
  fs::remove_all(work);
  fmt::print("image build: wrote {} (boot stage, kernel, policy, {} partition images)\n", o.out,
             in.partitions.size());
}

}  // namespace

void add_image_commands(CLI::App& app) {
  auto o = std::make_shared<Image_options>();
  CLI::App* i = app.add_subcommand("image", "boot images for the measured UEFI path");
  i->require_subcommand(1);
  CLI::App* b = i->add_subcommand("build", "make the EFI system partition image (FAT, mtools)");
  b->add_option("--policy-image", o->policy_image, "compiled policy image (bulkhead policy compile)")->required()->check(bh::cli::input_file());
  b->add_option("--image-dir", o->image_dir, "directory holding the partition images (default: the policy image's folder)")
      ->check(bh::cli::input_directory());
  b->add_option("--kernel", o->kernel, "the kernel (build/host/sepkernel/bulkhead.elf)")->required()->check(bh::cli::input_file());
  b->add_option("--boot-stage", o->boot_stage, "the UEFI boot stage (build/host/sepkernel/BOOTX64.EFI)")->required()->check(bh::cli::input_file());
  b->add_option("--size", o->size_mib, "ESP size in MiB (default 64)");
  b->add_option("-o,--output", o->out, "ESP image to write")->required();
  b->callback([o] {
    try {
      run_image_build(*o);
    } catch (const Input_error& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{2};
    } catch (const Refused& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{1};
    } catch (const std::filesystem::filesystem_error& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{2};
    }
  });
}

}  // namespace bh::cli
