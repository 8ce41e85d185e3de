// SPDX-License-Identifier: Apache-2.0
// TCG crypto-agile event log writer and reader (see event_log.hpp).
#include "sk/event_log.hpp"

#include "sk/policy.hpp"

namespace sk::event_log {

// Every partition has a PCR of its own among the static PCRs 9-15.
static_assert(pcr_of_partition(policy::k_max_partitions - 1) == k_pcr_last_partition);

namespace {

constexpr uint8_t k_signature[16] = {'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ',
                                     'E', 'v', 'e', 'n', 't', '0', '3', 0};

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// Appends a C string at out[at..]; returns the new length or 0 if it does not fit.
size_t append_text(char* out, size_t capacity, size_t at, const char* text) {
  if (at == 0 && capacity == 0) return 0;
  for (; *text != 0; ++text) {
    if (at >= capacity) return 0;
    out[at++] = *text;
  }
  return at;
}

}  // namespace

size_t describe_policy(char* out, size_t capacity) { return append_text(out, capacity, 0, "bulkhead policy image"); }

size_t describe_partition(const char* name, const char* image, char* out, size_t capacity) {
  return describe_piece(name, "image", image, out, capacity);
}

size_t describe_piece(const char* name, const char* piece, const char* file, char* out, size_t capacity) {
  size_t at = append_text(out, capacity, 0, "bulkhead partition ");
  if (at != 0) at = append_text(out, capacity, at, name);
  if (at != 0) at = append_text(out, capacity, at, " ");
  if (at != 0) at = append_text(out, capacity, at, piece);
  if (file != nullptr && at != 0) at = append_text(out, capacity, at, " ");
  if (file != nullptr && at != 0) at = append_text(out, capacity, at, file);
  return at;
}

uint16_t digest_size(uint16_t alg) {
  switch (alg) {
    case k_alg_sha1: return 20;
    case k_alg_sha256: return 32;
    case k_alg_sha384: return 48;
    case k_alg_sha512: return 64;
  }
  return 0;
}

Status Writer::begin(const uint16_t* algs, uint32_t count) {
  if (size_ != 0 || count == 0 || count > k_max_banks) return Error::bad_argument;
  for (uint32_t i = 0; i < count; ++i) {
    if (digest_size(algs[i]) == 0) return Error::bad_argument;
    for (uint32_t j = 0; j < i; ++j) {
      if (algs[j] == algs[i]) return Error::bad_argument;
    }
  }
  const uint32_t spec_size = 16 + 4 + 4 + 4 + 4 * count + 1;
  const size_t total = 4 + 4 + 20 + 4 + spec_size;
  if (total > capacity_) return Error::no_space;
  uint8_t* p = buffer_;
  put32(p, 0);
  put32(p + 4, k_ev_no_action);
  for (int i = 0; i < 20; ++i) p[8 + i] = 0;
  put32(p + 28, spec_size);
  p += 32;
  for (int i = 0; i < 16; ++i) p[i] = k_signature[i];
  put32(p + 16, 0);  // platform class: client
  p[20] = 0;         // spec version minor
  p[21] = 2;         // spec version major
  p[22] = 0;         // errata
  p[23] = 2;         // uintn size: 64-bit
  put32(p + 24, count);
  p += 28;
  for (uint32_t i = 0; i < count; ++i) {
    put16(p, algs[i]);
    put16(p + 2, digest_size(algs[i]));
    p += 4;
    algs_[i] = algs[i];
  }
  *p = 0;  // no vendor info
  bank_count_ = count;
  size_ = total;
  return {};
}

Status Writer::append(uint32_t pcr, uint32_t type, const Digest* digests, uint32_t count, const void* data,
                      uint32_t data_size) {
  if (bank_count_ == 0 || pcr > k_max_pcr || count != bank_count_ || data_size > k_max_event_data) {
    return Error::bad_argument;
  }
  size_t need = 4 + 4 + 4 + 4;
  for (uint32_t i = 0; i < count; ++i) {
    if (digests[i].alg != algs_[i]) return Error::bad_argument;
    need += 2 + digest_size(algs_[i]);
  }
  if (need + data_size > capacity_ - size_) return Error::no_space;
  uint8_t* p = buffer_ + size_;
  put32(p, pcr);
  put32(p + 4, type);
  put32(p + 8, count);
  p += 12;
  for (uint32_t i = 0; i < count; ++i) {
    put16(p, algs_[i]);
    p += 2;
    for (uint16_t b = 0; b < digest_size(algs_[i]); ++b) p[b] = digests[i].bytes[b];
    p += digest_size(algs_[i]);
  }
  put32(p, data_size);
  p += 4;
  const auto* d = static_cast<const uint8_t*>(data);
  for (uint32_t i = 0; i < data_size; ++i) p[i] = d[i];
  size_ += need + data_size;
  return {};
}

Status Writer::resume(size_t existing_size) {
  if (size_ != 0 || existing_size > capacity_) return Error::bad_argument;
  Reader r;
  if (Status s = r.open(buffer_, existing_size); !s) return s;
  Event e{};
  size_t end = r.offset();
  while (r.next(e)) end = r.offset();
  bank_count_ = r.bank_count();
  for (uint32_t i = 0; i < bank_count_; ++i) algs_[i] = r.bank(i);
  size_ = end;
  return {};
}

Status Reader::open(const uint8_t* log, size_t size) {
  log_ = log;
  size_ = size;
  pos_ = 0;
  bank_count_ = 0;
  if (size < 32) return Error::truncated;
  if (get32(log) != 0 || get32(log + 4) != k_ev_no_action) return Error::bad_magic;
  const uint32_t spec_size = get32(log + 28);
  if (spec_size > size - 32) return Error::truncated;
  if (spec_size < 16 + 12 + 1) return Error::bad_magic;
  const uint8_t* p = log + 32;
  for (int i = 0; i < 16; ++i) {
    if (p[i] != k_signature[i]) return Error::bad_magic;
  }
  const uint32_t count = get32(p + 24);
  if (count == 0 || count > k_max_banks) return Error::out_of_range;
  if (28 + 4ull * count + 1 > spec_size) return Error::truncated;
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t alg = get16(p + 28 + 4 * i);
    uint16_t sz = get16(p + 30 + 4 * i);
    if (digest_size(alg) == 0 || digest_size(alg) != sz) return Error::out_of_range;
    for (uint32_t j = 0; j < i; ++j) {
      if (algs_[j] == alg) return Error::out_of_range;
    }
    algs_[i] = alg;
  }
  const uint32_t vendor = p[28 + 4 * count];
  if (28 + 4ull * count + 1 + vendor != spec_size) return Error::bad_size;
  bank_count_ = count;
  pos_ = 32 + spec_size;
  return {};
}

Status Reader::next(Event& e) {
  if (bank_count_ == 0) return Error::bad_argument;
  if (pos_ == size_) return Error::not_found;
  auto left = [&] { return size_ - pos_; };
  if (left() < 12) return Error::truncated;
  const uint8_t* p = log_ + pos_;
  e.pcr = get32(p);
  e.type = get32(p + 4);
  e.digest_count = get32(p + 8);
  if (e.pcr > k_max_pcr) return Error::out_of_range;
  if (e.digest_count != bank_count_) return Error::out_of_range;
  size_t at = 12;
  for (uint32_t i = 0; i < e.digest_count; ++i) {
    if (size_ - pos_ - at < 2) return Error::truncated;
    uint16_t alg = get16(p + at);
    if (alg != algs_[i]) return Error::out_of_range;
    at += 2;
    if (size_ - pos_ - at < digest_size(alg)) return Error::truncated;
    e.digests[i] = {alg, p + at};
    at += digest_size(alg);
  }
  if (size_ - pos_ - at < 4) return Error::truncated;
  e.data_size = get32(p + at);
  at += 4;
  if (e.data_size > k_max_event_data) return Error::out_of_range;
  if (size_ - pos_ - at < e.data_size) return Error::truncated;
  e.data = p + at;
  pos_ += at + e.data_size;
  return {};
}

}  // namespace sk::event_log
