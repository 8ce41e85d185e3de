// SPDX-License-Identifier: Apache-2.0
// Fuzzes the policy image reader and the validator the kernel runs on it: any bytes are refused
// with an error or decode to a model that validates without reading outside its tables; a model
// that decodes re-encodes to exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sk/policy_image.hpp"
#include "sk/validate.hpp"

namespace {
struct Count final : sk::policy::Violation_sink {
  uint32_t n = 0;
  void report(const sk::policy::Violation&) override { ++n; }
};
sk::policy::Policy g_policy;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_policy = sk::policy::Policy{};
  if (!sk::policy::read_image(data, size, g_policy).ok()) return 0;
  Count sink;
  uint32_t n = sk::policy::validate(g_policy, sink);
  if (n != sink.n) __builtin_trap();
  std::vector<uint8_t> again(sk::policy::k_image_max_size);
  auto written = sk::policy::write_image(g_policy, again.data(), again.size());
  if (!written.ok() || written.value() != size || std::memcmp(again.data(), data, size) != 0) __builtin_trap();
  return 0;
}
