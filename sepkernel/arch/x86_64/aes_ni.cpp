// SPDX-License-Identifier: Apache-2.0
// The C++ side of the AES-NI XTS (see aes_ni.hpp): CPU check, SSE state saved around the
// assembly, argument checks.
#include "arch/x86_64/aes_ni.hpp"

extern "C" void sk_aesni_expand256(const uint8_t key[32], uint8_t enc[240], uint8_t dec[240]);
extern "C" void sk_aesni_xts(const uint8_t* enc, const uint8_t* dec, const uint8_t* tweak_enc, uint64_t tweak,
                             uint8_t* data, uint64_t blocks, uint64_t decrypt);

namespace sk::arch {
namespace {

// The whole x87/SSE state, saved before the assembly touches XMM and restored after it.
class Sse_guard {
 public:
  Sse_guard() { asm volatile("fxsave64 %0" : "=m"(area_)); }
  ~Sse_guard() { asm volatile("fxrstor64 %0" ::"m"(area_)); }
  Sse_guard(const Sse_guard&) = delete;
  Sse_guard& operator=(const Sse_guard&) = delete;

 private:
  alignas(16) uint8_t area_[512];
};

}  // namespace

bool aesni_available() {
  uint32_t a = 1, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return (c & (1u << 25)) && (c & (1u << 19));  // AES, SSE4.1
}

Status Aesni_xts::set_key(const uint8_t key[k_key_size]) {
  if (!aesni_available()) return Error::not_found;
  Sse_guard guard;
  sk_aesni_expand256(key, enc_, dec_);
  sk_aesni_expand256(key + 32, tweak_enc_, tweak_dec_unused_);
  for (auto& b : tweak_dec_unused_) b = 0;
  keyed_ = true;
  return {};
}

Status Aesni_xts::run(uint64_t tweak, uint8_t* data, size_t size, bool decrypting) const {
  if (!keyed_) return Error::denied;
  if (size == 0 || size % 16 != 0) return Error::bad_argument;
  Sse_guard guard;
  sk_aesni_xts(enc_, dec_, tweak_enc_, tweak, data, size / 16, decrypting ? 1 : 0);
  return {};
}

Status Aesni_xts::encrypt(uint64_t tweak, uint8_t* data, size_t size) const { return run(tweak, data, size, false); }
Status Aesni_xts::decrypt(uint64_t tweak, uint8_t* data, size_t size) const { return run(tweak, data, size, true); }

void Aesni_xts::wipe() {
  for (size_t i = 0; i < 240; ++i) enc_[i] = dec_[i] = tweak_enc_[i] = 0;
  keyed_ = false;
}

}  // namespace sk::arch
