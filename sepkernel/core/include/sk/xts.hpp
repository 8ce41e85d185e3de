// SPDX-License-Identifier: Apache-2.0
// AES-256-XTS sector encryption (IEEE 1619, NIST SP 800-38E) for per-partition disks.
// The tweak is the sector number, little-endian, as dm-crypt's "plain64" and LUKS2 use it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sk/aes.hpp"
#include "sk/result.hpp"

namespace sk::crypto {

class Xts_aes256 {
 public:
  static constexpr size_t k_key_size = 64;  // data key || tweak key

  // key: 64 bytes. Refuses (bad_argument) a key whose two halves are equal (SP 800-38E).
  Status set_key(const uint8_t key[k_key_size]);
  // Encrypts or decrypts one data unit in place. size must be a non-zero multiple of 16
  // (whole sectors; ciphertext stealing is not needed and not offered): bad_argument otherwise.
  Status encrypt(uint64_t sector, uint8_t* data, size_t size) const;
  Status decrypt(uint64_t sector, uint8_t* data, size_t size) const;
  void wipe();

 private:
  Status run(uint64_t sector, uint8_t* data, size_t size, bool encrypting) const;
  Aes256 data_key_;
  Aes256 tweak_key_;
  bool keyed_ = false;
};

}  // namespace sk::crypto
