// SPDX-License-Identifier: Apache-2.0
// The key derivations and the cipher mode of TPM 2.0 sessions (TPM 2.0 Part 1, "Key Derivation
// Functions" and "Parameter Encryption"): KDFa (SP 800-108 counter mode with HMAC-SHA-256),
// KDFe (SP 800-56A concatenation KDF with SHA-256) and AES-256 in CFB-128 mode. Freestanding;
// tested against Botan.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::tpm {

// out[0..out_size) = KDFa(SHA-256, key, label, context_u, context_v, 8 * out_size): blocks
// HMAC(key, [i]32 || label || 0x00 || context_u || context_v || [8 * out_size]32), i = 1, 2, ...
// label is a NUL-terminated string (the terminator is the 0x00). Preconditions: out_size <= 256.
void kdfa_sha256(const uint8_t* key, size_t key_size, const char* label, const uint8_t* context_u,
                 size_t context_u_size, const uint8_t* context_v, size_t context_v_size, uint8_t* out,
                 size_t out_size);

// out[0..32) = KDFe(SHA-256, z, label, party_u, party_v, 256): SHA-256([1]32 || z || label || 0x00
// || party_u || party_v). One block: the salt of a SHA-256 session is 32 bytes.
void kdfe_sha256(const uint8_t* z, size_t z_size, const char* label, const uint8_t* party_u, size_t party_u_size,
                 const uint8_t* party_v, size_t party_v_size, uint8_t out[32]);

// AES-256-CFB-128 over data in place (the last block may be partial); iv is 16 bytes.
void aes256_cfb_encrypt(const uint8_t key[32], const uint8_t iv[16], uint8_t* data, size_t size);
void aes256_cfb_decrypt(const uint8_t key[32], const uint8_t iv[16], uint8_t* data, size_t size);

}  // namespace sk::tpm
