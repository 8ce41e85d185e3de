// SPDX-License-Identifier: Apache-2.0
// Secret random bytes from RDRAND, conditioned with SHA-256 (see random.hpp).
#include "kernel/random.hpp"

#include "arch/x86_64/random.hpp"
#include "sk/sha256.hpp"

namespace sk::kernel::random {

bool fill(uint8_t* out, size_t size) {
  static uint64_t counter = 0;
  if (!arch::has_rdrand()) {
    for (size_t i = 0; i < size; ++i) out[i] = 0;
    return false;
  }
  while (size > 0) {
    Sha256 h;
    uint64_t previous = 0;
    for (int i = 0; i < 8; ++i) {
      uint64_t v = 0;
      if (!arch::rdrand64(v) || (i > 0 && v == previous)) {
        for (size_t k = 0; k < size; ++k) out[k] = 0;
        return false;
      }
      h.update(&v, sizeof v);
      previous = v;
    }
    const uint64_t extra[2] = {arch::rdtsc(), ++counter};
    h.update(extra, sizeof extra);
    uint8_t block[32];
    h.finish(block);
    const size_t n = size < 32 ? size : 32;
    for (size_t i = 0; i < n; ++i) *out++ = block[i];
    size -= n;
    for (auto& b : block) b = 0;
  }
  return true;
}

}  // namespace sk::kernel::random
