// SPDX-License-Identifier: Apache-2.0
// `bulkhead manifest build`: the reference manifest (every expected event and PCR value) computed
// from the compiled policy image and the partition images the boot stage will measure.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "bh/cli/input_file.hpp"
#include <filesystem>

#include "bh/attest/authenticode.hpp"
#include "bh/attest/firmware_record.hpp"
#include "bh/attest/manifest.hpp"
#include "commands.hpp"

namespace bh::cli {

namespace {

struct Build_options {
  std::string policy_image, image_dir, firmware_pcrs, admin_public, boot_stage, kernel, out;
};

void run_build(const Build_options& o) {
  namespace at = bh::attest;
  at::Build_inputs in = at::load_inputs(o.policy_image, image_dir_of(o.policy_image, o.image_dir), "");
  if (!o.firmware_pcrs.empty()) {
    // Only a complete record the administrator signed is believed: disks are sealed to it too.
    if (o.admin_public.empty()) throw at::Input_error("--firmware-pcrs: needs --admin-public (the record is signed)");
    const at::Bytes text = at::read_file(o.firmware_pcrs, "the firmware record");
    in.firmware = at::read_firmware_record(std::string(text.begin(), text.end()), o.firmware_pcrs,
                                           at::read_file(o.admin_public, "the administrator public key"),
                                           o.admin_public);
  }
  if (!o.kernel.empty() && o.boot_stage.empty()) {
    throw at::Input_error("--kernel: needs --boot-stage (PCR 4 holds the boot stage before the kernel)");
  }
  if (!o.boot_stage.empty()) {
    in.boot_stage.file = std::filesystem::path(o.boot_stage).filename().string();
    in.boot_stage.digests =
        at::authenticode_digests(at::read_file(o.boot_stage, "the boot stage"),
                                 {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512}, o.boot_stage);
  }
  if (!o.kernel.empty()) {
    in.kernel_file = o.kernel;
    in.kernel_bytes = at::read_file(o.kernel, "the kernel");
  }
  at::Manifest m = at::compute_manifest(in);
  at::write_text(o.out, at::manifest_to_json(m));
  fmt::print(
      "manifest build: {} events, PCRs 8-{} predicted in {} banks, PCR 4 {}, firmware PCRs {}; wrote {}\n",
      m.events.size(), m.partitions.empty() ? 8 : m.partitions.back().pcr, m.banks.size(),
      m.firmware_recorded      ? "recorded"
      : !m.kernel.file.empty() ? "predicted (boot stage and kernel)"
                               : "not predicted (no --kernel: disk seal then needs --unmeasured-kernel)",
      m.firmware_recorded ? "recorded" : "not recorded", o.out);
}

}  // namespace

void add_manifest_commands(CLI::App& app) {
  auto o = std::make_shared<Build_options>();
  CLI::App* m = app.add_subcommand("manifest", "reference manifests for attestation");
  m->require_subcommand(1);
  CLI::App* b = m->add_subcommand("build", "predict every event and PCR value of a boot of these images");
  b->add_option("--policy-image", o->policy_image, "compiled policy image (bulkhead policy compile)")->required()->check(bh::cli::input_file());
  b->add_option("--image-dir", o->image_dir, "directory holding the partition images (default: the policy image's folder)")
      ->check(bh::cli::input_directory());
  b->add_option("--firmware-pcrs", o->firmware_pcrs, "signed firmware record (attest verify --record-firmware)")
      ->check(bh::cli::input_file());
  b->add_option("--admin-public", o->admin_public, "administrator public key (PEM) that signed the firmware record")
      ->check(bh::cli::input_file());
  b->add_option("--boot-stage", o->boot_stage,
                "the UEFI boot stage (BOOTX64.EFI) the firmware measures into PCR 4: its Authenticode digest")
      ->check(bh::cli::input_file());
  b->add_option(
       "--kernel", o->kernel,
       "the kernel ELF (bulkhead.elf) the boot stage measures into PCR 4: with --boot-stage, PCR 4 is "
       "predicted and each disk is sealed to it")
      ->check(bh::cli::input_file());
  b->add_option("-o,--output", o->out, "manifest JSON to write")->required();
  b->callback([o] {
    try {
      run_build(*o);
    } catch (const bh::attest::Input_error& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{2};
    } catch (const bh::attest::Record_refused& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{1};
    }
  });
}

}  // namespace bh::cli
