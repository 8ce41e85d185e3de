// SPDX-License-Identifier: Apache-2.0
// SHA-256 (FIPS 180-4), freestanding: the policy image digest, image measurements and the
// kernel's event log use it. Tested against Botan on random data.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sk {

class Sha256 {
 public:
  static constexpr size_t k_digest_size = 32;
  Sha256();
  void update(const void* data, size_t size);
  // Writes the digest; the object must not be updated afterwards.
  void finish(uint8_t out[k_digest_size]);

  static void digest(const void* data, size_t size, uint8_t out[k_digest_size]);

 private:
  void block(const uint8_t* p);
  uint32_t state_[8];
  uint64_t length_;
  uint8_t buffer_[64];
  size_t buffered_;
};

}  // namespace sk
