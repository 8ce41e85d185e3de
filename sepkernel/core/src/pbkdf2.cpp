// SPDX-License-Identifier: Apache-2.0
// HMAC-SHA-256 and PBKDF2 (see pbkdf2.hpp). The inner and outer pads are hashed once per call and
// copied for each iteration, so an iteration costs two compression functions.
#include "sk/pbkdf2.hpp"

#include "sk/sha256.hpp"

namespace sk {
namespace {

struct Hmac {
  Sha256 inner, outer;
  Hmac(const uint8_t* key, size_t key_size) {
    uint8_t block[64] = {};
    if (key_size > sizeof block) {
      Sha256::digest(key, key_size, block);
    } else {
      for (size_t i = 0; i < key_size; ++i) block[i] = key[i];
    }
    uint8_t pad[64];
    for (size_t i = 0; i < 64; ++i) pad[i] = uint8_t(block[i] ^ 0x36);
    inner.update(pad, sizeof pad);
    for (size_t i = 0; i < 64; ++i) pad[i] = uint8_t(block[i] ^ 0x5C);
    outer.update(pad, sizeof pad);
    for (auto& b : block) b = 0;
  }
  void mac(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size, uint8_t out[32]) const {
    Sha256 i = inner, o = outer;
    i.update(a, a_size);
    if (b_size) i.update(b, b_size);
    uint8_t inner_digest[32];
    i.finish(inner_digest);
    o.update(inner_digest, sizeof inner_digest);
    o.finish(out);
  }
};

}  // namespace

void hmac_sha256(const uint8_t* key, size_t key_size, const uint8_t* message, size_t message_size, uint8_t out[32]) {
  Hmac(key, key_size).mac(message, message_size, nullptr, 0, out);
}

void pbkdf2_sha256(const uint8_t* password, size_t password_size, const uint8_t* salt, size_t salt_size,
                   uint32_t iterations, uint8_t* out, size_t out_size) {
  const Hmac h(password, password_size);
  for (uint32_t block = 1; out_size > 0; ++block) {
    const uint8_t index[4] = {uint8_t(block >> 24), uint8_t(block >> 16), uint8_t(block >> 8), uint8_t(block)};
    uint8_t u[32], t[32];
    h.mac(salt, salt_size, index, sizeof index, u);
    for (int i = 0; i < 32; ++i) t[i] = u[i];
    for (uint32_t k = 1; k < iterations; ++k) {
      h.mac(u, sizeof u, nullptr, 0, u);
      for (int i = 0; i < 32; ++i) t[i] ^= u[i];
    }
    const size_t n = out_size < 32 ? out_size : 32;
    for (size_t i = 0; i < n; ++i) *out++ = t[i];
    out_size -= n;
  }
}

}  // namespace sk
