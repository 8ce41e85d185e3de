// SPDX-License-Identifier: Apache-2.0
// `bulkhead manifest build`: the reference manifest (every expected event and PCR value) computed
// from the compiled policy image and the partition images the boot stage will measure.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "bh/cli/input_file.hpp"
#include "bh/attest/manifest.hpp"
#include "commands.hpp"

namespace bh::cli {

namespace {

struct Build_options {
  std::string policy_image, image_dir = ".", firmware_pcrs, out;
};

void run_build(const Build_options& o) {
  namespace at = bh::attest;
  const at::Manifest m = at::compute_manifest(at::load_inputs(o.policy_image, o.image_dir, o.firmware_pcrs));
  at::write_text(o.out, at::manifest_to_json(m));
  fmt::print("manifest build: {} events, PCRs 8 and 9 predicted in {} banks, firmware PCRs {}; wrote {}\n",
             m.events.size(), m.banks.size(), m.firmware_recorded ? "recorded" : "not recorded", o.out);
}

}  // namespace

void add_manifest_commands(CLI::App& app) {
  auto o = std::make_shared<Build_options>();
  CLI::App* m = app.add_subcommand("manifest", "reference manifests for attestation");
  m->require_subcommand(1);
  CLI::App* b = m->add_subcommand("build", "predict every event and PCR value of a boot of these images");
  b->add_option("--policy-image", o->policy_image, "compiled policy image (bulkhead policy compile)")->required()->check(bh::cli::input_file());
  b->add_option("--image-dir", o->image_dir, "directory holding the partition images (default .)");
  b->add_option("--firmware-pcrs", o->firmware_pcrs, "recorded firmware PCRs 0-7 (attest verify --record-firmware)");
  b->add_option("-o,--out", o->out, "manifest JSON to write")->required();
  b->callback([o] {
    try {
      run_build(*o);
    } catch (const bh::attest::Input_error& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{2};
    }
  });
}

}  // namespace bh::cli
