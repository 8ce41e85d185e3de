// SPDX-License-Identifier: Apache-2.0
// Shared by the TPM marshalling files of the core (not a public header): the big-endian writer
// and reader and the session-area check.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/tpm_marshal.hpp"

namespace sk::tpm::detail {

inline uint16_t digest_size(uint16_t alg) {
  switch (alg) {
    case 0x0004: return 20;
    case 0x000B: return 32;
    case 0x000C: return 48;
    case 0x000D: return 64;
  }
  return 0;
}

// Big-endian writer into a fixed buffer; the first overflow makes every later write a no-op and
// finish() report no_space.
class Out {
 public:
  Out(uint8_t* p, size_t capacity) : p_(p), capacity_(capacity) {}
  void u8(uint8_t v) { put(&v, 1); }
  void u16(uint16_t v) {
    uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
    put(b, 2);
  }
  void u32(uint32_t v) {
    uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    put(b, 4);
  }
  void bytes(const uint8_t* b, size_t n) { put(b, n); }
  void tpm2b(const uint8_t* b, uint16_t n) {
    u16(n);
    put(b, n);
  }
  // Header with a size placeholder; finish() fills it in.
  void header(uint16_t tag, uint32_t cc) {
    u16(tag);
    u32(0);
    u32(cc);
  }
  // Password authorisation area (empty password) or a policy session without HMAC.
  void auth_area(uint32_t session, uint8_t attributes) {
    u32(9);
    u32(session);
    u16(0);  // nonceCaller
    u8(attributes);
    u16(0);  // hmac / password
  }
  void pcr_selection(uint16_t bank, uint32_t mask) { pcr_selection(&bank, 1, mask); }
  // TPML_PCR_SELECTION: the same PCRs in each bank, in the order given.
  void pcr_selection(const uint16_t* banks, uint32_t count, uint32_t mask) {
    u32(count);
    for (uint32_t i = 0; i < count; ++i) {
      u16(banks[i]);
      u8(3);
      u8(uint8_t(mask));
      u8(uint8_t(mask >> 8));
      u8(uint8_t(mask >> 16));
    }
  }
  Result<size_t> finish() {
    if (overflow_ || at_ < k_header_size) return Error::no_space;
    p_[2] = uint8_t(at_ >> 24);
    p_[3] = uint8_t(at_ >> 16);
    p_[4] = uint8_t(at_ >> 8);
    p_[5] = uint8_t(at_);
    return at_;
  }

 private:
  void put(const uint8_t* b, size_t n) {
    if (overflow_ || n > capacity_ - at_) {
      overflow_ = true;
      return;
    }
    for (size_t i = 0; i < n; ++i) p_[at_ + i] = b ? b[i] : 0;
    at_ += n;
  }
  uint8_t* p_;
  size_t capacity_;
  size_t at_ = 0;
  bool overflow_ = false;
};

// Big-endian reader over a checked response body; every read checks what is left.
class In {
 public:
  In(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool u16(uint16_t& v) {
    if (n_ - at_ < 2) return false;
    v = uint16_t(p_[at_] << 8 | p_[at_ + 1]);
    at_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (n_ - at_ < 4) return false;
    v = uint32_t(p_[at_]) << 24 | uint32_t(p_[at_ + 1]) << 16 | uint32_t(p_[at_ + 2]) << 8 | p_[at_ + 3];
    at_ += 4;
    return true;
  }
  bool skip(size_t k) {
    if (n_ - at_ < k) return false;
    at_ += k;
    return true;
  }
  bool tpm2b(Span& s) {
    uint16_t size = 0;
    if (!u16(size) || n_ - at_ < size) return false;
    s = {p_ + at_, size};
    at_ += size;
    return true;
  }
  size_t at() const { return at_; }
  size_t left() const { return n_ - at_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
};

constexpr uint32_t k_pcr_mask_limit = 1u << 24;

// For a response with sessions: reads parameterSize, checks it fits and that exactly one
// authorisation response (nonce, attributes, hmac: every command here carries one session)
// fills the rest, and returns a reader over exactly the parameters.
inline Status parameters(const Response& r, In& params) {
  if (r.tag != k_st_sessions) return Error::bad_magic;
  In in(r.body, r.body_size);
  uint32_t size = 0;
  if (!in.u32(size)) return Error::truncated;
  if (size > in.left()) return Error::bad_size;
  params = In(r.body + 4, size);
  In auth(r.body + 4 + size, in.left() - size);
  Span nonce{}, hmac{};
  if (!auth.tpm2b(nonce) || !auth.skip(1) || !auth.tpm2b(hmac)) return Error::truncated;
  if (auth.left() != 0) return Error::bad_size;
  return {};
}

}  // namespace sk::tpm::detail
