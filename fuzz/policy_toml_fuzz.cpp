// SPDX-License-Identifier: Apache-2.0
// Fuzzes the TOML policy front end and the validator behind it: any bytes must give findings or
// a valid model, never a crash, a sanitizer report or an unbounded read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bh/policy_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Images are looked up in an empty directory: SK-IMG-1 findings, no file reads of note.
  auto src = bh::policy::parse_text(text, "fuzz.toml", "/nonexistent-bulkhead-fuzz");
  auto findings = bh::policy::check(src);
  for (const auto& d : findings) {
    if (d.rule.rfind("SK-", 0) != 0) __builtin_trap();  // every finding names a rule
  }
  return 0;
}
