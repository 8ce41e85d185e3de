// SPDX-License-Identifier: Apache-2.0
// Shared steps of the kernel integration tests: compile a policy with the real `bulkhead` CLI
// against the built guest images, and boot the kernel with it under QEMU (TCG, EPYC).
#pragma once
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "bh/harness.hpp"

namespace bh::kernel_test {

namespace fs = std::filesystem;
using harness::Millis;

inline fs::path guest(const std::string& name) { return harness::build_path("guests/" + name); }

// Runs `bulkhead ARGS...`; REQUIREs it to succeed (its output in the failure message).
inline void run_bulkhead(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {harness::build_path("tools/bulkhead/bulkhead").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  harness::Command_result r = harness::run_command(argv, Millis(60000));
  INFO(r.output);
  REQUIRE(r.status == 0);
}

// Compiles policy (a source path) into dir/policy.img; REQUIREs the CLI to succeed.
inline fs::path compile_policy(const harness::Work_dir& dir, const fs::path& policy) {
  fs::path out = dir / "policy.img";
  harness::Command_result r = harness::run_command(
      {harness::build_path("tools/bulkhead/bulkhead").string(), "policy", "compile", policy.string(), "-o",
       out.string(), "--image-dir", harness::build_path("guests").string()},
      Millis(30000));
  INFO(r.output);
  REQUIRE(r.status == 0);
  return out;
}

inline std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file's bytes as a string (binary: disk images, evidence, manifests).
inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Boots the kernel with the policy image and the two partition images. Each image's module is
// named by its file name (the name the policy gives it), unless a name is given explicitly (to
// hand the kernel a different file under the name the policy measured).
inline std::unique_ptr<harness::Qemu> boot(const harness::Work_dir& dir, const fs::path& image,
                                           const fs::path& classified, const fs::path& open,
                                           Millis lifetime = Millis(120000), std::string classified_name = {},
                                           std::string open_name = {}) {
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  if (classified_name.empty()) classified_name = classified.filename().string();
  if (open_name.empty()) open_name = open.filename().string();
  o.modules = {{image, "policy"}, {classified, classified_name}, {open, open_name}};
  o.lifetime = lifetime;
  return harness::Qemu::start(dir, o);
}

// The number in the last "[name] heartbeat N" line so far (0 if none).
inline unsigned last_heartbeat(harness::Qemu& q, const std::string& name) {
  auto lines = q.serial_lines(std::regex("^\\[" + name + "\\] heartbeat [0-9]+"));
  if (lines.empty()) return 0;
  std::smatch m;
  std::regex_search(lines.back(), m, std::regex("heartbeat ([0-9]+)"));
  return unsigned(std::stoul(m[1]));
}

// Waits until partition name prints heartbeat number `beat` (guests print every number).
inline std::string wait_heartbeat(harness::Qemu& q, const std::string& name, unsigned beat, Millis deadline) {
  return q.wait_for_serial(std::regex("^\\[" + name + "\\] heartbeat " + std::to_string(beat) + "([^0-9]|$)"),
                           deadline, false);
}

}  // namespace bh::kernel_test
