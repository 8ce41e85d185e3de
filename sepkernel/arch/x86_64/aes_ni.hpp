// SPDX-License-Identifier: Apache-2.0
// AES-256-XTS with AES-NI (aes_ni.S) for the kernel's disk sectors: constant-time (no table
// look-ups), and the SSE state it uses is saved and restored around every call (FXSAVE/FXRSTOR),
// so a guest's XMM registers, live in the CPU while the kernel runs, are left as they were.
// Built into the kernel and, unchanged, into a hosted library for tests and benchmarks.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::arch {

// True if this CPU has AES-NI (CPUID.1:ECX.AES) and the SSE4.1 PINSRQ/PEXTRQ the code uses.
bool aesni_available();

class Aesni_xts {
 public:
  static constexpr size_t k_key_size = 64;  // data key || tweak key, as sk::crypto::Xts_aes256
  Status set_key(const uint8_t key[k_key_size]);
  // In place; size a non-zero multiple of 16 (bad_argument otherwise); tweak as LUKS2's plain64.
  Status encrypt(uint64_t tweak, uint8_t* data, size_t size) const;
  Status decrypt(uint64_t tweak, uint8_t* data, size_t size) const;
  void wipe();

 private:
  Status run(uint64_t tweak, uint8_t* data, size_t size, bool decrypting) const;
  alignas(16) uint8_t enc_[240] = {};
  alignas(16) uint8_t dec_[240] = {};
  alignas(16) uint8_t tweak_enc_[240] = {};
  alignas(16) uint8_t tweak_dec_unused_[240] = {};
  bool keyed_ = false;
};

}  // namespace sk::arch
