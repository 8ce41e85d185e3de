// SPDX-License-Identifier: Apache-2.0
// HMAC-SHA-256 and PBKDF2-HMAC-SHA-256 (RFC 2104, RFC 8018): how LUKS2 digests a volume key, so
// that the kernel can check an unsealed key against its disk before using it.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk {

// out = HMAC-SHA-256(key, message).
void hmac_sha256(const uint8_t* key, size_t key_size, const uint8_t* message, size_t message_size, uint8_t out[32]);
// out[0..out_size) = PBKDF2-HMAC-SHA-256(password, salt, iterations). iterations >= 1; the salt
// is at most 128 bytes (LUKS2 uses 32).
void pbkdf2_sha256(const uint8_t* password, size_t password_size, const uint8_t* salt, size_t salt_size,
                   uint32_t iterations, uint8_t* out, size_t out_size);

}  // namespace sk
