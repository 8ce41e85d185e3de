// SPDX-License-Identifier: Apache-2.0
// The measured UEFI path for integration tests: an ESP made by `bulkhead image build` from a
// policy and its images, booted under OVMF with swtpm behind tpm-tis.
#pragma once

#include <fstream>
#include <iterator>

#include "kernel_fixture.hpp"

namespace bh::kernel_test {

inline harness::Command_result bulkhead_cli(std::vector<std::string> args) {
  args.insert(args.begin(), harness::build_path("tools/bulkhead/bulkhead").string());
  return harness::run_command(args, Millis(120000));
}

inline void require_ok(const harness::Command_result& r) {
  INFO(r.output);
  REQUIRE(r.status == 0);
}

// policy's text with every `from` replaced by `to` (a variant of a shipped policy), in dir.
inline fs::path policy_variant(const harness::Work_dir& dir, const fs::path& policy, const std::string& name,
                               const std::vector<std::pair<std::string, std::string>>& replacements) {
  std::ifstream in(policy);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [from, to] : replacements) {
    size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  fs::path out = dir / (name + ".toml");
  std::ofstream(out) << text;
  return out;
}

// An ESP for a compiled policy image whose files lie in image_dir.
inline fs::path esp_for(const harness::Work_dir& dir, const std::string& name, const fs::path& policy_image,
                        const fs::path& image_dir) {
  fs::path esp = dir / (name + ".esp");
  require_ok(bulkhead_cli({"image", "build", "--policy-image", policy_image.string(), "--image-dir", image_dir.string(),
                           "--kernel", harness::build_path("sepkernel/bulkhead.elf").string(), "--boot-stage",
                           harness::build_path("sepkernel/BOOTX64.EFI").string(), "-o", esp.string()}));
  return esp;
}

// An ESP for policy whose images are the files in images (copied under their own names).
inline fs::path make_esp(const harness::Work_dir& dir, const std::string& name, const fs::path& policy,
                         const std::vector<fs::path>& images) {
  fs::path image_dir = dir / (name + "-images");
  fs::create_directories(image_dir);
  for (const fs::path& i : images) fs::copy(i, image_dir / i.filename(), fs::copy_options::overwrite_existing);
  require_ok(bulkhead_cli({"policy", "compile", policy.string(), "-o", (dir / (name + ".policy")).string(),
                           "--image-dir", image_dir.string()}));
  return esp_for(dir, name, dir / (name + ".policy"), image_dir);
}

struct Uefi_boot {
  std::unique_ptr<harness::Swtpm> tpm;
  std::unique_ptr<harness::Qemu> qemu;
};

// QEMU options for OVMF (fresh variables) booting esp, as scripts/run.sh does: the ESP on the
// primary channel's second position (the kernel's disks are ide 0 and 2), and OVMF's first boot
// option (bootindex 0): the boot stage is then its first boot attempt, which PCR 4's prediction
// assumes (docs/attestation.md, "PCR map"; another option tried first adds two events to PCR 4).
inline harness::Qemu_options uefi_options(const harness::Work_dir& dir, const fs::path& esp) {
  fs::copy("/usr/share/OVMF/OVMF_VARS_4M.fd", dir / "vars.fd", fs::copy_options::overwrite_existing);
  harness::Qemu_options o;
  o.extra = {"-drive",  "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
             "-drive",  "if=pflash,format=raw,file=" + (dir / "vars.fd").string(),
             "-drive",  "file=" + esp.string() + ",format=raw,if=none,id=esp,snapshot=on",
             "-device", "ide-hd,drive=esp,bus=ide.0,unit=1,bootindex=0"};
  o.lifetime = Millis(240000);
  return o;
}

// OVMF with a software TPM, booting esp; COM1 is the kernel's log.
inline Uefi_boot boot_esp(const harness::Work_dir& dir, const fs::path& esp) {
  Uefi_boot s;
  s.tpm = harness::Swtpm::start_for_qemu(dir, true);
  harness::Qemu_options o = uefi_options(dir, esp);
  o.tpm = s.tpm.get();
  s.qemu = harness::Qemu::start(dir, o);
  return s;
}

// The framebuffer's text screen, read back from a screendump with the font file.
using Pixel_screen = std::vector<std::vector<harness::Pixel_cell>>;
inline Pixel_screen read_screen(harness::Qemu& q) {
  return harness::read_pixel_text(q.screendump(), harness::source_path(".cache/font/default8x16.psf"));
}

// Every cell of row r in colours fg on bg (a blank cell: bg only).
inline bool row_in_colours(const Pixel_screen& s, size_t r, uint32_t fg, uint32_t bg) {
  for (const harness::Pixel_cell& c : s[r]) {
    if (c.bg != bg || (c.ch != ' ' && c.fg != fg)) return false;
  }
  return true;
}

}  // namespace bh::kernel_test
