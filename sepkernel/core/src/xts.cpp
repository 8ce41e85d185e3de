// SPDX-License-Identifier: Apache-2.0
// AES-256-XTS per IEEE 1619: T = E_K2(sector); C_j = E_K1(P_j ^ T_j) ^ T_j; T_{j+1} = T_j * alpha.
#include "sk/xts.hpp"

namespace sk::crypto {

namespace {
// Multiplies the tweak by alpha in GF(2^128), little-endian byte order (IEEE 1619 5.2).
void multiply_by_alpha(uint8_t t[16]) {
  uint8_t carry = 0;
  for (int i = 0; i < 16; ++i) {
    uint8_t next = uint8_t(t[i] >> 7);
    t[i] = uint8_t((t[i] << 1) | carry);
    carry = next;
  }
  if (carry) t[0] ^= 0x87;
}
}  // namespace

Status Xts_aes256::set_key(const uint8_t key[k_key_size]) {
  bool halves_equal = true;
  for (size_t i = 0; i < 32; ++i) halves_equal &= key[i] == key[32 + i];
  if (halves_equal) return Error::bad_argument;
  data_key_.set_key(key);
  tweak_key_.set_key(key + 32);
  keyed_ = true;
  return {};
}

Status Xts_aes256::run(uint64_t sector, uint8_t* data, size_t size, bool encrypting) const {
  if (!keyed_ || data == nullptr || size == 0 || size % 16 != 0) return Error::bad_argument;
  uint8_t tweak[16] = {};
  for (int i = 0; i < 8; ++i) tweak[i] = uint8_t(sector >> (8 * i));
  tweak_key_.encrypt_block(tweak, tweak);
  uint8_t block[16];
  for (size_t offset = 0; offset < size; offset += 16) {
    for (int i = 0; i < 16; ++i) block[i] = uint8_t(data[offset + i] ^ tweak[i]);
    if (encrypting) {
      data_key_.encrypt_block(block, block);
    } else {
      data_key_.decrypt_block(block, block);
    }
    for (int i = 0; i < 16; ++i) data[offset + i] = uint8_t(block[i] ^ tweak[i]);
    multiply_by_alpha(tweak);
  }
  volatile uint8_t* wipe_block = block;
  for (int i = 0; i < 16; ++i) wipe_block[i] = 0;
  return {};
}

Status Xts_aes256::encrypt(uint64_t sector, uint8_t* data, size_t size) const {
  return run(sector, data, size, true);
}

Status Xts_aes256::decrypt(uint64_t sector, uint8_t* data, size_t size) const {
  return run(sector, data, size, false);
}

void Xts_aes256::wipe() {
  data_key_.wipe();
  tweak_key_.wipe();
  keyed_ = false;
}

}  // namespace sk::crypto
