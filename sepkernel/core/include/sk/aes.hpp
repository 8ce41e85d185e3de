// SPDX-License-Identifier: Apache-2.0
// AES-256 block cipher (FIPS-197), portable reference implementation for the shared core.
// The kernel prefers AES-NI (sepkernel/arch) and uses this only where AES-NI is absent;
// this version uses table look-ups and is therefore not constant-time (see SECURITY.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sk::crypto {

class Aes256 {
 public:
  static constexpr size_t k_key_size = 32;
  static constexpr size_t k_block_size = 16;
  static constexpr int k_rounds = 14;

  // Expands key (32 bytes). Postcondition: encrypt/decrypt use this key.
  void set_key(const uint8_t key[k_key_size]);
  void encrypt_block(const uint8_t in[k_block_size], uint8_t out[k_block_size]) const;
  void decrypt_block(const uint8_t in[k_block_size], uint8_t out[k_block_size]) const;
  // Overwrites the key schedule with zeros.
  void wipe();

 private:
  uint8_t round_keys_[(k_rounds + 1) * k_block_size];
};

}  // namespace sk::crypto
