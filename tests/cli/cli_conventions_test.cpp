// SPDX-License-Identifier: Apache-2.0
// The `bulkhead` tool's conventions (README, "The `bulkhead` tool's conventions"), held on every
// command through the real binary: an input that is missing, or a directory where a file belongs
// (a file where a directory belongs), is exit status 2 and one line naming the option and the
// path; `--version` prints the version; every report takes `--json` and prints valid JSON; every
// output is -o/--output; --image-dir defaults to the policy's folder. The commands are read from
// the tool's own --help, so a new command or input option fails here until it is listed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "sk/event_log.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using bh::test::bulkhead;
using bh::test::lines;

namespace {

// A fresh directory, removed at scope exit.
struct Scratch {
  fs::path path;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "bh-cli-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

// The lines of a --help text's section ("Subcommands:", "Options:", "Positionals:").
std::vector<std::string> section(const std::string& help, const std::string& title) {
  std::vector<std::string> out;
  std::istringstream in(help);
  bool inside = false;
  for (std::string l; std::getline(in, l);) {
    if (l == title) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (l.empty() || l[0] != ' ') break;
    out.push_back(l);
  }
  return out;
}

// Every leaf command, as "group sub" or "group sub subsub", from the tool's own help.
std::vector<std::string> leaf_commands(const std::string& prefix = "") {
  std::vector<std::string> out;
  const auto help = bulkhead(prefix + " --help");
  const auto subs = section(help.out, "Subcommands:");
  if (subs.empty()) return {prefix.substr(1)};
  for (const auto& l : subs) {
    std::istringstream words(l);
    std::string name;
    words >> name;
    for (const auto& leaf : leaf_commands(prefix + " " + name)) out.push_back(leaf);
  }
  return out;
}

// The options of a command that name an input file (CLI11 shows the validator: TEXT:FILE,
// TEXT:FILE|- for a passphrase) or an input directory (TEXT:DIR), by their longest name (a
// positional by its name).
std::map<std::string, std::string> input_options(const std::string& command) {
  std::map<std::string, std::string> out;
  const auto help = bulkhead(command + " --help").out;
  for (const char* title : {"Options:", "Positionals:"}) {
    for (const auto& l : section(help, title)) {
      std::smatch m;
      if (!std::regex_search(l, m, std::regex(R"(^\s+(\S+) TEXT:(FILE\|-|FILE|DIR)\b)"))) continue;
      std::string names = m[1], name;
      std::istringstream parts(names);
      for (std::string n; std::getline(parts, n, ',');) {
        if (n.size() > name.size()) name = n;
      }
      out[name] = m[2];
    }
  }
  return out;
}

// The arguments each command needs besides its inputs (any value passes parsing; nothing runs:
// the input checks come first).
const std::map<std::string, std::string> k_other_arguments = {
    {"policy check", ""},
    {"policy compile", "-o OUT"},
    {"policy show", ""},
    {"disk create", "--partition open --size 2M -o OUT"},
    {"disk seal", "--partition open --tcti none"},
    {"disk reseal", "--tcti none"},
    {"disk unseal", "--tcti none"},
    {"disk recover", ""},
    {"disk epoch init", "--tcti none"},
    {"disk epoch revoke", "--tcti none"},
    {"disk epoch show", "--tcti none"},
    {"disk admin-key", "-o OUT --public OUT.pub"},
    {"disk sign-policy", "-o OUT"},
    {"disk read", "-o OUT"},
    {"disk write", ""},
    {"disk remove-seal", ""},
    {"disk passphrase", ""},
    {"disk show", ""},
    {"eventlog show", ""},
    {"tpm provision", "--tcti none -o OUT"},
    {"attest verify", "--nonce 00"},
    {"attest connect", "--agent unix:/nonexistent -o OUT"},
    {"attest quote", "--tcti none --nonce 00 -o OUT"},
    {"manifest build", "-o OUT"},
    {"image build", "-o OUT"},
};

// The commands that print a report: each takes --json.
const std::set<std::string> k_reports = {"policy check",  "policy show",   "disk show",     "disk epoch show",
                                         "eventlog show", "attest verify", "attest connect"};

// `command` with every input option given `value_of(option)`, positionals first.
std::string command_line(const std::string& command, const std::map<std::string, std::string>& inputs,
                         const std::function<std::string(const std::string&, const std::string&)>& value_of,
                         const std::string& out) {
  std::string line = command;
  for (const auto& [name, kind] : inputs) {
    if (name.rfind("-", 0) != 0) line += " " + quoted(value_of(name, kind));
  }
  for (const auto& [name, kind] : inputs) {
    if (name.rfind("-", 0) == 0) line += " " + name + " " + quoted(value_of(name, kind));
  }
  std::string rest = k_other_arguments.at(command);
  rest = std::regex_replace(rest, std::regex("OUT"), out);
  return line + " " + rest;
}

}  // namespace

TEST_CASE("every command refuses a missing input, or a directory for a file, with one line and exit 2",
          "[cli]") {
  Scratch dir;
  std::ofstream(dir / "present") << "x";
  fs::create_directory(dir / "folder");
  const auto commands = leaf_commands();
  REQUIRE(commands.size() >= 20);
  std::set<std::string> listed;
  for (const auto& [command, args] : k_other_arguments) listed.insert(command);
  size_t checked = 0;
  for (const auto& command : commands) {
    INFO("bulkhead " << command);
    CHECK(listed.count(command) == 1);  // a new command: add it to k_other_arguments
    if (listed.count(command) == 0) continue;
    const auto inputs = input_options(command);
    for (const auto& [option, kind] : inputs) {
      INFO(option << " (" << kind << ")");
      // Every other input is there; this one is missing, then of the wrong kind.
      auto with = [&](const std::string& bad) {
        return command_line(
            command, inputs,
            [&](const std::string& name, const std::string& k) {
              if (name == option) return bad;
              return k == "DIR" ? dir / "folder" : dir / "present";
            },
            dir / "out");
      };
      auto missing = bulkhead(with(dir / "no-such-input"));
      CHECK(missing.status == 2);
      CHECK(lines(missing.err) == std::vector<std::string>{"bulkhead: " + option + ": '" +
                                                           (dir / "no-such-input") + "' does not exist"});
      auto wrong_kind = bulkhead(with(kind == "DIR" ? dir / "present" : dir / "folder"));
      CHECK(wrong_kind.status == 2);
      CHECK(lines(wrong_kind.err) ==
            std::vector<std::string>{
                kind == "DIR"
                    ? "bulkhead: " + option + ": '" + (dir / "present") + "' is not a directory"
                    : "bulkhead: " + option + ": '" + (dir / "folder") + "' is a directory, not a file"});
      CHECK_FALSE(fs::exists(dir / "out"));
      ++checked;
    }
  }
  CHECK(checked >= 40);
}

TEST_CASE("the file inputs the tool's help shows are every file a command reads", "[cli]") {
  // Input options each command is known to take; a file input without the FILE check would be
  // missing from its help and fail here.
  const std::map<std::string, std::set<std::string>> expected = {
      {"policy check", {"policy", "--image-dir"}},
      {"policy compile", {"policy", "--image-dir"}},
      {"policy show", {"policy", "--image-dir"}},
      {"disk create", {"--policy", "--image-dir", "--recovery-passphrase-file"}},
      {"disk seal", {"--disk", "--manifest", "--passphrase-file", "--authorize-key"}},
      {"disk reseal", {"--disk", "--manifest", "--passphrase-file", "--authorize-key", "--signed-policy"}},
      {"disk unseal", {"--disk", "--signed-policy"}},
      {"disk recover", {"--disk", "--passphrase-file"}},
      {"disk admin-key", {"--key-passphrase-file"}},
      {"disk sign-policy", {"--key", "--manifest", "--disk", "--key-passphrase-file"}},
      {"disk read", {"--disk", "--passphrase-file", "--signed-policy"}},
      {"disk write", {"--disk", "--passphrase-file", "--signed-policy", "--input"}},
      {"disk remove-seal", {"--disk", "--passphrase-file"}},
      {"disk passphrase", {"--disk", "--passphrase-file", "--new-passphrase-file"}},
      {"disk show", {"--disk"}},
      {"eventlog show", {"file"}},
      {"attest verify", {"--evidence", "--manifest", "--ak", "--ek", "--admin-key", "--key-passphrase-file"}},
      {"attest connect", {"--manifest", "--ak", "--ek", "--admin-key", "--key-passphrase-file"}},
      {"attest quote", {"--log"}},
      {"tpm provision", {"--ek-ca"}},
      {"manifest build",
       {"--policy-image", "--image-dir", "--firmware-pcrs", "--admin-public", "--boot-stage", "--kernel"}},
      {"image build", {"--policy-image", "--image-dir", "--kernel", "--boot-stage"}},
  };
  for (const auto& command : leaf_commands()) {
    INFO("bulkhead " << command);
    std::set<std::string> shown;
    for (const auto& [name, kind] : input_options(command)) shown.insert(name);
    const auto it = expected.find(command);
    CHECK(shown == (it == expected.end() ? std::set<std::string>{} : it->second));
  }
}

TEST_CASE("every command refuses a usage error with one line naming it, and exit 2", "[cli]") {
  for (const auto& command : leaf_commands()) {
    INFO("bulkhead " << command);
    for (const std::string& args : {std::string(), std::string(" --no-such-option")}) {
      auto r = bulkhead(command + args);
      CHECK(r.status == 2);
      CHECK(r.out.empty());
      REQUIRE(lines(r.err).size() == 1);
      CHECK(r.err.rfind("bulkhead: ", 0) == 0);
      CHECK(r.err.find(" (bulkhead " + command + " --help)\n") != std::string::npos);
    }
  }
  auto none = bulkhead("");
  CHECK(none.status == 2);
  CHECK(lines(none.err) == std::vector<std::string>{"bulkhead: A subcommand is required (bulkhead --help)"});
}

TEST_CASE("bulkhead --version prints the version", "[cli]") {
  auto v = bulkhead("--version");
  CHECK(v.status == 0);
  CHECK(v.err.empty());
  CHECK(std::regex_match(v.out, std::regex("bulkhead [0-9]+\\.[0-9]+\\.[0-9]+\n")));
}

TEST_CASE("every output is -o/--output", "[cli]") {
  for (const auto& command : leaf_commands()) {
    const auto help = bulkhead(command + " --help").out;
    INFO("bulkhead " << command << "\n" << help);
    // Only the outputs' name: no command has an --out or an output under another main name.
    CHECK(help.find("--out ") == std::string::npos);
    const bool writes = k_other_arguments.at(command).find("OUT") != std::string::npos;
    CHECK(writes == (help.find("-o,--output") != std::string::npos));
  }
  // The older name still works where it was used.
  Scratch dir;
  for (const char* name : {"-o", "--output", "--out"}) {
    auto r = bulkhead("policy compile policies/default.toml --image-dir tests/policy/fixtures/images " +
                      std::string(name) + " " + quoted(dir / name));
    INFO(name << ": " << r.err);
    CHECK(r.status == 0);
    CHECK(fs::exists(dir / name));
  }
}

TEST_CASE("every report takes --json and prints valid JSON", "[cli]") {
  for (const auto& command : k_reports) {
    INFO("bulkhead " << command);
    CHECK(bulkhead(command + " --help").out.find("--json") != std::string::npos);
  }
  Scratch dir;
  const std::string images = "tests/policy/fixtures/images";
  // policy check: valid and invalid, the exit status as without --json.
  auto valid = bulkhead("policy check --json policies/default.toml --image-dir " + images);
  CHECK(valid.status == 0);
  const auto v = nlohmann::json::parse(valid.out);
  CHECK(v["valid"] == true);
  CHECK(v["partitions"] == 2);
  CHECK(v["violations"].empty());
  auto invalid =
      bulkhead("policy check --json tests/policy/fixtures/sk-mem-3-overlap.toml --image-dir " + images);
  CHECK(invalid.status == 1);
  const auto i = nlohmann::json::parse(invalid.out);
  CHECK(i["valid"] == false);
  REQUIRE(i["violations"].size() == 1);
  CHECK(i["violations"][0]["rule"] == "SK-MEM-3");
  // policy show.
  REQUIRE(
      bulkhead("policy compile policies/default.toml --image-dir " + images + " -o " + quoted(dir / "p.img"))
          .status == 0);
  auto shown = bulkhead("policy show --json " + quoted(dir / "p.img"));
  CHECK(shown.status == 0);
  CHECK(nlohmann::json::parse(shown.out)["partitions"].size() == 2);
  // eventlog show: a log of one event in the SHA-256 bank.
  {
    namespace el = sk::event_log;
    std::vector<uint8_t> log(4096);
    el::Writer w(log.data(), log.size());
    const uint16_t banks[] = {el::k_alg_sha256};
    REQUIRE(w.begin(banks, 1));
    const uint8_t digest[32] = {1, 2, 3};
    const el::Digest d{el::k_alg_sha256, digest};
    REQUIRE(w.append(8, el::k_ev_ipl, &d, 1, "bulkhead policy", 15));
    std::ofstream(dir / "log.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(log.data()), w.size());
  }
  auto events = bulkhead("eventlog show --json " + quoted(dir / "log.bin"));
  CHECK(events.status == 0);
  const auto e = nlohmann::json::parse(events.out);
  CHECK(e["events"].size() == 1);
  CHECK(e["banks"] == nlohmann::json::array({"sha256"}));
  // disk show.
  std::ofstream(dir / "pass") << "words\n";
  fs::copy(images, dir / "images");
  std::ofstream(dir / "disk.toml") << bh::test::read_file("policies/default-disk.toml");
  auto created = bulkhead("disk create --policy " + quoted(dir / "disk.toml") + " --image-dir " +
                          quoted(dir / "images") + " --partition classified --size 1M -o " +
                          quoted(dir / "d.img") + " --recovery-passphrase-file " + quoted(dir / "pass") +
                          " --pbkdf pbkdf2 --pbkdf2-iterations 1000");
  INFO(created.err);
  REQUIRE(created.status == 0);
  auto disk = bulkhead("disk show --json --disk " + quoted(dir / "d.img"));
  CHECK(disk.status == 0);
  CHECK(nlohmann::json::parse(disk.out)["created_for"] == "classified");
  // attest verify and connect (a TPM's quote) and disk epoch show (a TPM's counter) print their
  // JSON in the swtpm tests (tests/attestation, tests/storage/tpm_cli_test.cpp).
}

TEST_CASE("--image-dir defaults to the policy's folder in every command that has it", "[cli]") {
  Scratch dir;
  fs::copy("tests/policy/fixtures/images", dir.path);
  std::ofstream(dir / "policy.toml") << bh::test::read_file("policies/default.toml");
  // Run from elsewhere: the images are found beside the policy, not in the working directory.
  auto compiled =
      bulkhead("policy compile " + quoted(dir / "policy.toml") + " -o " + quoted(dir / "policy.img"));
  REQUIRE(compiled.status == 0);
  auto manifest = bulkhead("manifest build --policy-image " + quoted(dir / "policy.img") + " -o " +
                           quoted(dir / "manifest.json"));
  INFO(manifest.err);
  CHECK(manifest.status == 0);
  std::ofstream(dir / "disk.toml") << bh::test::read_file("policies/default-disk.toml");
  std::ofstream(dir / "pass") << "words\n";
  auto created =
      bulkhead("disk create --policy " + quoted(dir / "disk.toml") + " --partition classified --size 1M -o " +
               quoted(dir / "d.img") + " --recovery-passphrase-file " + quoted(dir / "pass") +
               " --pbkdf pbkdf2 --pbkdf2-iterations 1000");
  INFO(created.err);
  CHECK(created.status == 0);
}
