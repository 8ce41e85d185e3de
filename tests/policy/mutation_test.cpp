// SPDX-License-Identifier: Apache-2.0
// Mutation tests: policies/default.toml with one field changed at a time must be refused by
// exactly the rules that guard that field, and by no other.
#include <catch2/catch.hpp>
#include <set>

#include "bh/policy_source.hpp"
#include "support.hpp"

namespace {

struct Mutation {
  const char* what;
  const char* from;
  const char* to;
  const char* rules;  // every rule that must fire, and no other (a renamed partition also
                      // breaks the references to its old name)
};

const std::string k_images = std::string(BH_SOURCE_DIR) + "/tests/policy/fixtures/images";

std::set<std::string> rules_after(const std::string& text) {
  auto src = bh::policy::parse_text(text, "default.toml", k_images);
  std::set<std::string> rules;
  for (const auto& d : bh::policy::check(src)) rules.insert(d.rule);
  return rules;
}

}  // namespace

TEST_CASE("one-field mutations of the default policy are refused by their own rule", "[policy][mutation]") {
  const std::string base = bh::test::read_file(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
  REQUIRE(rules_after(base).empty());

  const Mutation mutations[] = {
      {"version", "version = 1", "version = 2", "SK-SYN-3"},
      {"ram not a number", "ram = 0x20000000", "ram = \"512M\"", "SK-SYN-3"},
      {"ram too small", "ram = 0x20000000", "ram = 0x3800000", "SK-MEM-2"},
      {"ram unaligned", "ram = 0x20000000", "ram = 0x20000001", "SK-MEM-1"},
      {"two CPUs, one plan", "cpus = 1", "cpus = 2", "SK-SCHED-1"},
      {"three CPUs", "cpus = 1", "cpus = 3", "SK-LIM-1"},
      {"label order not an array", "order = [\"open\", \"classified\"]", "order = \"open\"", "SK-SYN-3"},
      {"bad label name", "\"classified\"]                    # lowest first\ncolour.open = { fg = \"black\", bg = \"green\" }      # the indicator's colours for each label\ncolour.classified",
       "\"Classified!\"]\ncolour.open = { fg = \"black\", bg = \"green\" }\ncolour.\"Classified!\"", "SK-NAME-1 SK-LABEL-1"},
      {"label without colours", "colour.classified = { fg = \"white\", bg = \"red\" }\n", "", "SK-SYN-3"},
      {"colours of no label", "colour.classified", "colour.secret", "SK-SYN-2 SK-SYN-3"},
      {"partition name empty", "name = \"classified\"\nlabel", "name = \"\"\nlabel",
       "SK-NAME-1 SK-FLOW-2 SK-SCHED-1 SK-SCHED-2"},
      {"partition named idle", "name = \"open\"\nlabel = \"open\"", "name = \"idle\"\nlabel = \"open\"",
       "SK-NAME-1 SK-FLOW-2 SK-SCHED-1 SK-SCHED-2"},
      {"unknown colour", "fg = \"white\"", "fg = \"ultraviolet\"", "SK-SYN-3"},
      {"colour key misspelt", "fg = \"white\"", "foreground = \"white\"", "SK-SYN-2 SK-SYN-3"},
      {"memory size zero", "base = 0x2000000, size = 0x1000000", "base = 0x2000000, size = 0", "SK-MEM-1"},
      {"memory unaligned size", "base = 0x2000000, size = 0x1000000", "base = 0x2000000, size = 0x1000010", "SK-MEM-1"},
      {"memory overlaps open", "base = 0x2000000, size = 0x1000000", "base = 0x2000000, size = 0x1001000", "SK-MEM-3"},
      {"memory in kernel", "base = 0x2000000, size", "base = 0x1ff0000, size", "SK-MEM-4"},
      {"memory missing", "memory = { base = 0x2000000, size = 0x1000000 }   # 16 MiB, seen by the guest at 0\n", "",
       "SK-SYN-3"},
      {"image with a path", "image = \"open.elf\"", "image = \"../open.elf\"", "SK-SYN-3"},
      {"disk missing", "image = \"open.elf\"", "image = \"open.elf\"\ndisk = \"open.disk\"", "SK-IMG-1"},
      {"on_violation unknown", "on_violation = \"stop\"", "on_violation = \"ignore\"", "SK-SYN-3"},
      {"unknown partition key", "console = true", "console = true\nmouse = true", "SK-SYN-2"},
      {"channel writer unknown", "writer = \"open\"", "writer = \"nobody\"", "SK-FLOW-2"},
      {"channel to itself", "reader = \"classified\"", "reader = \"open\"", "SK-FLOW-2"},
      {"channel memory in kernel", "base = 0x4000000, size = 0x1000", "base = 0x1000000, size = 0x1000", "SK-MEM-4"},
      {"channel overlaps partition", "base = 0x4000000, size = 0x1000", "base = 0x2fff000, size = 0x2000", "SK-MEM-5"},
      {"channel unaligned", "base = 0x4000000, size = 0x1000", "base = 0x4000000, size = 0x800", "SK-MEM-1"},
      {"channel guest window in RAM", "guest_address = 0x80000000", "guest_address = 0x1000", "SK-MEM-6"},
      {"channel guest window unaligned", "guest_address = 0x80000000", "guest_address = 0x80000010", "SK-MEM-1"},
      {"frame too long", "{ partition = \"open\", us = 10000 }", "{ partition = \"open\", us = 11000 }", "SK-SCHED-1"},
      {"frame shorter than the kernel's guard allows (SK-TIME-1)", "{ partition = \"open\", us = 10000 } ]",
       "{ partition = \"open\", us = 8500 }, { partition = \"idle\", us = 1500 } ]", "SK-SCHED-1"},
      {"frame names nobody", "{ partition = \"open\", us = 10000 }", "{ partition = \"ghost\", us = 10000 }",
       "SK-SCHED-1 SK-SCHED-2"},
      {"open never scheduled", "{ partition = \"open\", us = 10000 }", "{ partition = \"classified\", us = 10000 }",
       "SK-SCHED-2"},
      {"cpu id out of range", "id = 0", "id = 7", "SK-SYN-3"},
      {"grant the TPM", "on_violation = \"stop\"\n\n[[channel]]",
       "on_violation = \"stop\"\nmmio = [ { base = 0xfed40000, size = 0x1000 } ]\n\n[[channel]]", "SK-DEV-2"},
      {"grant the VGA ports", "on_violation = \"stop\"\n\n[[channel]]",
       "on_violation = \"stop\"\nio = [ { first = 0x3d4, count = 2 } ]\n\n[[channel]]", "SK-DEV-2"},
      {"grant the keyboard IRQ", "on_violation = \"stop\"\n\n[[channel]]",
       "on_violation = \"stop\"\nirqs = [ 1 ]\n\n[[channel]]", "SK-DEV-2"},
      {"port range past 0xffff", "on_violation = \"stop\"\n\n[[channel]]",
       "on_violation = \"stop\"\nio = [ { first = 0xfff0, count = 0x20 } ]\n\n[[channel]]", "SK-DEV-3"},
      {"not TOML", "[platform]", "[platform", "SK-SYN-1"},
  };
  for (const auto& m : mutations) {
    INFO("mutation: " << m.what);
    const std::string from = m.from;
    auto at = base.find(from);
    REQUIRE(at != std::string::npos);
    std::string text = base;
    text.replace(at, from.size(), m.to);
    std::set<std::string> expected;
    std::istringstream words(m.rules);
    for (std::string w; words >> w;) expected.insert(w);
    CHECK(rules_after(text) == expected);
  }
}
