// SPDX-License-Identifier: Apache-2.0
// One invalid fixture per rule: `bulkhead policy check` must print exactly the fixture's
// `# expect:` lines (FILE:LINE: RULE-ID: message) and exit 1; and every rule has a fixture.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "sk/invariants.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {
const std::string k_dir = "tests/policy/fixtures";

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(std::string(BH_SOURCE_DIR) + "/" + k_dir)) {
    if (e.path().extension() == ".toml") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> expected_lines(const std::string& file) {
  std::vector<std::string> out;
  for (const auto& l : bh::test::lines(bh::test::read_file(std::string(BH_SOURCE_DIR) + "/" + file))) {
    const std::string tag = "# expect: ";
    if (l.rfind(tag, 0) != 0) continue;
    std::string e = l.substr(tag.size());
    auto at = e.find("{FILE}");
    if (at != std::string::npos) e.replace(at, 6, file);
    out.push_back(e);
  }
  return out;
}
}  // namespace

TEST_CASE("every invalid fixture is refused with exactly its expected lines", "[policy][fixtures]") {
  auto names = fixture_names();
  REQUIRE(names.size() >= 22);
  for (const auto& name : names) {
    const std::string file = k_dir + "/" + name;
    INFO("fixture " << file);
    auto expected = expected_lines(file);
    REQUIRE(!expected.empty());
    auto run = bh::test::bulkhead("policy check " + file + " --image-dir " + k_dir + "/images");
    CHECK(run.status == 1);
    CHECK(bh::test::lines(run.err) == expected);
    // The fixture's own rule is among the lines it expects.
    std::string id = name.substr(0, name.find('-', name.find('-', 3) + 1));
    for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool cites = false;
    for (const auto& e : expected) cites |= e.find(": " + id + ": ") != std::string::npos;
    CHECK(cites);
  }
}

TEST_CASE("every invariant has its own fixture", "[policy][fixtures]") {
  std::set<std::string> covered;
  for (const auto& name : fixture_names()) {
    std::string id = name.substr(0, name.find('-', name.find('-', 3) + 1));
    for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    covered.insert(id);
  }
  for (unsigned r = 0; r < static_cast<unsigned>(sk::Rule::count); ++r) {
    const std::string id = sk::rule_id(static_cast<sk::Rule>(r));
    INFO("rule " << id);
    CHECK(covered.count(id) == 1);
  }
}

TEST_CASE("the default policy is valid and the CLI's exit codes say so", "[policy][cli]") {
  auto ok = bh::test::bulkhead("policy check policies/default.toml --image-dir " + k_dir + "/images");
  CHECK(ok.status == 0);
  CHECK(ok.err.empty());
  auto missing = bh::test::bulkhead("policy check tests/policy/fixtures/no-such-file.toml");
  CHECK(missing.status == 2);
  CHECK(bh::test::lines(missing.err) ==
        std::vector<std::string>{"bulkhead: policy: 'tests/policy/fixtures/no-such-file.toml' does not exist"});
  // A directory where a file belongs: one line, exit 2, for every kind of input.
  for (const std::string& command : {std::string("policy check tests"), std::string("policy show tests"),
                                     std::string("disk show --disk tests"), std::string("eventlog show tests")}) {
    auto dir = bh::test::bulkhead(command);
    INFO(command);
    CHECK(dir.status == 2);
    CHECK(bh::test::lines(dir.err).size() == 1);
    CHECK(dir.err.find("'tests' is a directory, not a file") != std::string::npos);
  }
  auto usage = bh::test::bulkhead("policy check");
  CHECK(usage.status == 2);
}
