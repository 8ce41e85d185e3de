// SPDX-License-Identifier: Apache-2.0
// Test vectors written as hex strings.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bh::test {

inline std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace bh::test
