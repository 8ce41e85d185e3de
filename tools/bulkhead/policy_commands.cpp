// SPDX-License-Identifier: Apache-2.0
// `bulkhead policy check|compile|show`: the policy pipeline source -> validated model -> image.
#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "bh/cli/input_file.hpp"
#include "bh/policy_source.hpp"
#include "bh/storage/luks_disk.hpp"
#include "commands.hpp"
#include "sk/policy_image.hpp"

namespace bh::cli {

namespace {

namespace sp = sk::policy;
namespace fs = std::filesystem;

struct Options {
  std::string file;
  std::string image_dir;
  std::string out;
  bool json = false;
};

// Parses the policy file; one line and exit 2 when it cannot be read.
bh::policy::Source parsed_source(const Options& o) {
  try {
    return bh::policy::parse_file(o.file, o.image_dir);
  } catch (const bh::policy::Unreadable_input& e) {
    fmt::print(stderr, "bulkhead: {}\n", e.what());
    throw Exit{2};
  }
}

// Parses and checks; prints every finding on stderr. Returns the source when valid.
bh::policy::Source checked_source(const Options& o) {
  bh::policy::Source src = parsed_source(o);
  auto findings = bh::policy::check(src);
  for (const auto& d : findings) fmt::print(stderr, "{}\n", bh::policy::format(o.file, d));
  if (!findings.empty()) throw Exit{1};
  return src;
}

// `policy check --json`: {"file", "valid", "violations": [{"line", "rule", "message"}], and for a
// valid policy its counts}; exit status as without --json.
void run_check_json(const Options& o) {
  const bh::policy::Source src = parsed_source(o);
  const auto findings = bh::policy::check(src);
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& d : findings) violations.push_back({{"line", d.line}, {"rule", d.rule}, {"message", d.message}});
  nlohmann::json j = {{"file", o.file}, {"valid", findings.empty()}, {"violations", violations}};
  if (findings.empty()) {
    j["partitions"] = src.policy.partition_count;
    j["channels"] = src.policy.channel_count;
    j["cpus"] = src.policy.platform.cpu_count;
  }
  fmt::print("{}\n", j.dump(2));
  if (!findings.empty()) throw Exit{1};
}

void run_check(const Options& o) {
  if (o.json) return run_check_json(o);
  auto src = checked_source(o);
  fmt::print("{}: valid: {} partitions, {} channels, {} CPUs\n", o.file, src.policy.partition_count,
             src.policy.channel_count, src.policy.platform.cpu_count);
}

// Writes bytes to path through a temporary file and a rename, so a failure never leaves a
// partial or truncated output behind.
void write_atomically(const std::string& path, const uint8_t* bytes, size_t size) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes), static_cast<std::streamsize>(size));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      fmt::print(stderr, "bulkhead: {}: cannot write the policy image\n", path);
      throw Exit{2};
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    fmt::print(stderr, "bulkhead: {}: cannot write the policy image\n", path);
    throw Exit{2};
  }
}

void run_compile(const Options& o) {
  auto src = checked_source(o);
  std::vector<uint8_t> image(sp::k_image_max_size);
  auto written = sp::write_image(src.policy, image.data(), image.size());
  if (!written) {
    fmt::print(stderr, "bulkhead: {}: cannot encode the policy image: {}\n", o.file, sk::error_name(written.error()));
    throw Exit{1};
  }
  write_atomically(o.out, image.data(), written.value());
  fmt::print("{}: compiled to {} ({} bytes, revision {})\n", o.file, o.out, written.value(), sp::k_image_revision);
}

// Reads and checks an image; prints the one reason on stderr when it is refused.
sp::Policy read_checked_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "bulkhead: {}: cannot read the policy image\n", path);
    throw Exit{2};
  }
  std::ostringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  static sp::Policy policy;  // large: not on the stack
  policy = sp::Policy{};
  auto status = sp::read_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), policy);
  if (!status) {
    fmt::print(stderr, "bulkhead: {}: policy image rejected: {}{}\n", path, sk::error_name(status.error()),
               status.error() == sk::Error::bad_magic ? " (not a compiled policy image; a source must be named *.toml)" : "");
    throw Exit{1};
  }
  auto findings = bh::policy::check_model(policy);
  for (const auto& d : findings) fmt::print(stderr, "{}\n", bh::policy::format(path, d));
  if (!findings.empty()) throw Exit{1};
  return policy;
}

void print_layout(const nlohmann::json& j) {
  const int cpus = j["platform"]["cpus"].get<int>();
  fmt::print("platform: ram {}, kernel reserved [{}, +{}), {} CPU{}\n", j["platform"]["ram"].get<std::string>(),
             j["platform"]["kernel_reserved"]["base"].get<std::string>(),
             j["platform"]["kernel_reserved"]["size"].get<std::string>(), cpus, cpus == 1 ? "" : "s");
  fmt::print("labels (low to high, with the indicator's colours):");
  std::map<std::string, std::string> colours;  // label -> "fg/bg"
  for (const auto& l : j["labels"]) {
    const std::string name = l["name"].get<std::string>();
    colours[name] = l["colour"]["fg"].get<std::string>() + "/" + l["colour"]["bg"].get<std::string>();
    fmt::print(" {} {}", name, colours[name]);
  }
  // Every partition with everything it is granted; [N] is the domain number the trusted path's
  // indicator shows (1-based, in policy order).
  fmt::print("\npartitions:\n");
  int number = 0;
  for (const auto& p : j["partitions"]) {
    ++number;
    fmt::print("  [{}] {}: label {}, colour {}, cpu {}, memory [{}, +{}), on_violation {}\n", number,
               p["name"].get<std::string>(), p["label"].get<std::string>(), colours[p["label"].get<std::string>()],
               p["cpu"].get<int>(), p["memory"]["base"].get<std::string>(),
               p["memory"]["size"].get<std::string>(), p["on_violation"].get<std::string>());
    if (p.contains("linux")) {
      const auto& l = p["linux"];
      fmt::print("      linux kernel {} sha256 {}\n", l["kernel"].get<std::string>(), l["kernel_sha256"].get<std::string>());
      fmt::print("      linux initramfs {} sha256 {}\n", l["initramfs"].get<std::string>(),
                 l["initramfs_sha256"].get<std::string>());
      fmt::print("      linux cmdline \"{}\"\n", l["cmdline"].get<std::string>());
    } else {
      fmt::print("      image {} sha256 {}\n", p["image"].get<std::string>(), p["image_sha256"].get<std::string>());
    }
    const std::string disk = p["disk"].get<std::string>();
    fmt::print("      disk {}\n", disk.empty() ? "none" : disk);
    std::vector<std::string> caps;
    for (const char* cap : {"console", "debug_log", "virtual_pc", "attestation_agent"}) {
      if (p[cap].get<bool>()) caps.push_back(cap);
    }
    fmt::print("      capabilities {}\n", caps.empty() ? std::string("none") : fmt::format("{}", fmt::join(caps, ", ")));
    std::vector<std::string> io, mmio, irqs;
    for (const auto& r : p["io"]) io.push_back(fmt::format("{}+{}", r["first"].get<std::string>(), r["count"].get<int>()));
    for (const auto& r : p["mmio"]) {
      mmio.push_back(fmt::format("[{}, +{})", r["base"].get<std::string>(), r["size"].get<std::string>()));
    }
    for (const auto& r : p["irqs"]) irqs.push_back(std::to_string(r.get<int>()));
    auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, ", ")); };
    fmt::print("      io ports {}; mmio {}; irqs {}\n", list(io), list(mmio), list(irqs));
  }
  fmt::print("memory map (host-physical):\n");
  struct Row {
    uint64_t base;
    std::string text;
  };
  std::vector<Row> rows;
  auto num = [](const nlohmann::json& v) { return std::stoull(v.get<std::string>(), nullptr, 16); };
  rows.push_back({num(j["platform"]["kernel_reserved"]["base"]),
                  fmt::format("[{}, +{}) kernel", j["platform"]["kernel_reserved"]["base"].get<std::string>(),
                              j["platform"]["kernel_reserved"]["size"].get<std::string>())});
  for (const auto& p : j["partitions"]) {
    rows.push_back({num(p["memory"]["base"]), fmt::format("[{}, +{}) partition {}", p["memory"]["base"].get<std::string>(),
                                                           p["memory"]["size"].get<std::string>(),
                                                           p["name"].get<std::string>())});
  }
  for (const auto& c : j["channels"]) {
    rows.push_back({num(c["memory"]["base"]), fmt::format("[{}, +{}) channel {}", c["memory"]["base"].get<std::string>(),
                                                           c["memory"]["size"].get<std::string>(),
                                                           c["name"].get<std::string>())});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.base < b.base; });
  for (const auto& r : rows) fmt::print("  {}\n", r.text);
  fmt::print("channels (one-way):\n");
  for (const auto& c : j["channels"]) {
    fmt::print("  {:<24} {} -> {} (reader read-only) at guest {}\n", c["name"].get<std::string>(),
               c["writer"].get<std::string>(), c["reader"].get<std::string>(), c["guest_address"].get<std::string>());
  }
  fmt::print("schedule:\n");
  for (const auto& c : j["schedule"]) {
    fmt::print("  cpu {} major frame {} us:", c["cpu"].get<int>(), c["major_frame_us"].get<uint32_t>());
    std::vector<std::string> frames;
    for (const auto& f : c["frames"]) frames.push_back(fmt::format("{} {} us", f["partition"].get<std::string>(), f["us"].get<uint32_t>()));
    fmt::print(" {}\n", fmt::join(frames, ", "));
  }
}

// `policy show` reads a compiled image, or a source (a .toml file), checked as `policy check`
// checks it: the layout an administrator reviews before compiling is the one the image would have.
void run_show(const Options& o) {
  nlohmann::json j;
  if (fs::path(o.file).extension() == ".toml") {
    j = bh::policy::to_json(checked_source(o).policy);
  } else {
    j = bh::policy::to_json(read_checked_image(o.file));
  }
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    print_layout(j);
  }
}

}  // namespace

void add_policy_commands(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* policy = app.add_subcommand("policy", "check, compile and show partition policies");
  policy->require_subcommand(1);

  CLI::App* check = policy->add_subcommand(
      "check", "run every named rule; one line per violation as FILE:LINE: RULE-ID: message (exit 0 valid, 1 invalid, 2 unreadable)");
  check->add_option("policy", opts->file, "policy source (TOML)")->required()->check(bh::cli::input_file());
  check->add_option("--image-dir", opts->image_dir, "where partition images and disks are (default: the policy's folder)")
      ->check(bh::cli::input_directory());
  check->add_flag("--json", opts->json, "print the verdict and every violation as JSON");
  check->callback([opts] { run_check(*opts); });

  CLI::App* compile = policy->add_subcommand("compile", "validate and write the binary policy image the kernel loads");
  compile->add_option("policy", opts->file, "policy source (TOML)")->required()->check(bh::cli::input_file());
  compile->add_option("-o,--output", opts->out, "policy image to write")->required();
  compile->add_option("--image-dir", opts->image_dir, "where partition images and disks are (default: the policy's folder)")
      ->check(bh::cli::input_directory());
  compile->callback([opts] { run_compile(*opts); });

  CLI::App* show = policy->add_subcommand("show", "print the layout of a compiled policy image or of a checked source");
  show->add_option("policy", opts->file, "compiled policy image, or policy source (*.toml)")->required()->check(bh::cli::input_file());
  show->add_option("--image-dir", opts->image_dir, "a source's partition images and disks (default: the policy's folder)")
      ->check(bh::cli::input_directory());
  show->add_flag("--json", opts->json, "print the model as JSON");
  show->callback([opts] { run_show(*opts); });
}

void check_policy_for_disk(const std::string& policy_path, const std::string& image_dir, const std::string& partition) {
  bh::policy::Source src;
  try {
    src = bh::policy::parse_file(policy_path, image_dir);
  } catch (const bh::policy::Unreadable_input& e) {
    throw bh::storage::Storage_error(e.what());
  }
  auto findings = bh::policy::check(src);
  // The disk being created does not exist yet: its own SK-IMG-1 finding is expected.
  std::erase_if(findings, [](const bh::policy::Diagnostic& d) {
    return d.rule == "SK-IMG-1" && d.message.find(" disk \"") != std::string::npos;
  });
  if (!findings.empty()) {
    throw bh::storage::Storage_error(bh::policy::format(policy_path, findings.front()) + " (run `bulkhead policy check`)");
  }
  uint16_t i = partition.size() < sp::k_name_len ? sp::find_partition(src.policy, partition.c_str()) : sp::k_none;
  if (i == sp::k_none) throw bh::storage::Storage_error(policy_path + ": no partition \"" + partition + "\"");
  if (src.policy.partitions[i].disk.text[0] == '\0') {
    throw bh::storage::Storage_error(policy_path + ": partition \"" + partition + "\" declares no disk");
  }
}

}  // namespace bh::cli
