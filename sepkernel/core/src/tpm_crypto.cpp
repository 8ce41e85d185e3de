// SPDX-License-Identifier: Apache-2.0
// KDFa, KDFe and AES-CFB as TPM 2.0 sessions use them (see tpm_crypto.hpp).
#include "sk/tpm_crypto.hpp"

#include "sk/aes.hpp"
#include "sk/pbkdf2.hpp"
#include "sk/sha256.hpp"

namespace sk::tpm {
namespace {

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

size_t string_size(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

void wipe(uint8_t* p, size_t n) {
  volatile uint8_t* v = p;
  for (size_t i = 0; i < n; ++i) v[i] = 0;
}

}  // namespace

void kdfa_sha256(const uint8_t* key, size_t key_size, const char* label, const uint8_t* context_u,
                 size_t context_u_size, const uint8_t* context_v, size_t context_v_size, uint8_t* out,
                 size_t out_size) {
  // The message is at most 4 + label + 1 + 2 * 64 + 4 bytes for the nonces the sessions use.
  uint8_t message[256];
  const size_t label_size = string_size(label) + 1;  // with its terminating 0x00
  if (out_size > 256 || 4 + label_size + context_u_size + context_v_size + 4 > sizeof message) return;
  size_t at = 4;
  for (size_t i = 0; i < label_size; ++i) message[at++] = uint8_t(label[i]);
  for (size_t i = 0; i < context_u_size; ++i) message[at++] = context_u[i];
  for (size_t i = 0; i < context_v_size; ++i) message[at++] = context_v[i];
  put_u32(message + at, uint32_t(out_size * 8));
  at += 4;
  for (uint32_t counter = 1; out_size > 0; ++counter) {
    put_u32(message, counter);
    uint8_t block[32];
    hmac_sha256(key, key_size, message, at, block);
    const size_t n = out_size < 32 ? out_size : 32;
    for (size_t i = 0; i < n; ++i) *out++ = block[i];
    out_size -= n;
    wipe(block, sizeof block);
  }
}

void kdfe_sha256(const uint8_t* z, size_t z_size, const char* label, const uint8_t* party_u, size_t party_u_size,
                 const uint8_t* party_v, size_t party_v_size, uint8_t out[32]) {
  const uint8_t counter[4] = {0, 0, 0, 1};
  Sha256 h;
  h.update(counter, sizeof counter);
  h.update(z, z_size);
  h.update(label, string_size(label) + 1);
  h.update(party_u, party_u_size);
  h.update(party_v, party_v_size);
  h.finish(out);
}

namespace {

void cfb(const uint8_t key[32], const uint8_t iv[16], uint8_t* data, size_t size, bool decrypt) {
  crypto::Aes256 aes;
  aes.set_key(key);
  uint8_t feedback[16];
  for (int i = 0; i < 16; ++i) feedback[i] = iv[i];
  for (size_t at = 0; at < size; at += 16) {
    uint8_t stream[16];
    aes.encrypt_block(feedback, stream);
    const size_t n = size - at < 16 ? size - at : 16;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t c = decrypt ? data[at + i] : uint8_t(data[at + i] ^ stream[i]);
      data[at + i] = uint8_t(data[at + i] ^ stream[i]);
      feedback[i] = c;
    }
    wipe(stream, sizeof stream);
  }
  aes.wipe();
}

}  // namespace

void aes256_cfb_encrypt(const uint8_t key[32], const uint8_t iv[16], uint8_t* data, size_t size) {
  cfb(key, iv, data, size, false);
}

void aes256_cfb_decrypt(const uint8_t key[32], const uint8_t iv[16], uint8_t* data, size_t size) {
  cfb(key, iv, data, size, true);
}

}  // namespace sk::tpm
