// SPDX-License-Identifier: Apache-2.0
// Writer and checking reader of the sealed-key and signed-policy blobs (freestanding).
#include "sk/sealed_key.hpp"

#include "sk/pbkdf2.hpp"

#include "sk/sha256.hpp"

namespace sk::storage {

namespace {

// Appends little-endian fields to a bounded buffer; remembers the first overflow.
class Writer {
 public:
  Writer(uint8_t* out, size_t capacity) : out_(out), capacity_(capacity) {}
  void bytes(const void* p, size_t n) {
    if (n > capacity_ - used_ || used_ > capacity_) {
      full_ = true;
      return;
    }
    const auto* s = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) out_[used_ + i] = s[i];
    used_ += n;
  }
  void u16(uint16_t v) {
    uint8_t b[2] = {uint8_t(v), uint8_t(v >> 8)};
    bytes(b, 2);
  }
  void u32(uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) b[i] = uint8_t(v >> (8 * i));
    bytes(b, 4);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
    bytes(b, 8);
  }
  template <size_t N>
  void string(const Bytes<N>& b) {
    u16(b.size);
    bytes(b.data, b.size);
  }
  bool full() const { return full_; }
  size_t used() const { return used_; }
  uint8_t* data() { return out_; }

 private:
  uint8_t* out_;
  size_t capacity_;
  size_t used_ = 0;
  bool full_ = false;
};

// Reads little-endian fields; remembers the first read past the end.
class Reader {
 public:
  Reader(const uint8_t* p, size_t size) : p_(p), size_(size) {}
  void bytes(void* out, size_t n) {
    auto* d = static_cast<uint8_t*>(out);
    if (n > size_ - used_) {
      short_ = true;
      for (size_t i = 0; i < n; ++i) d[i] = 0;
      return;
    }
    for (size_t i = 0; i < n; ++i) d[i] = p_[used_ + i];
    used_ += n;
  }
  uint16_t u16() {
    uint8_t b[2];
    bytes(b, 2);
    return uint16_t(b[0] | (b[1] << 8));
  }
  uint32_t u32() {
    uint8_t b[4];
    bytes(b, 4);
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  uint64_t u64() {
    uint8_t b[8];
    bytes(b, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  // Returns false if the declared length exceeds N (the field is then left empty).
  template <size_t N>
  bool string(Bytes<N>& b) {
    b.size = u16();
    if (b.size > N) {
      b.size = 0;
      return false;
    }
    bytes(b.data, b.size);
    return true;
  }
  bool short_read() const { return short_; }
  bool at_end() const { return used_ == size_; }

 private:
  const uint8_t* p_;
  size_t size_;
  size_t used_ = 0;
  bool short_ = false;
};

bool equal(const uint8_t* a, const uint8_t* b, size_t n) {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= uint8_t(a[i] ^ b[i]);
  return diff == 0;
}

bool magic_is(const uint8_t* p, const uint8_t (&magic)[8]) {
  return equal(p, magic, 8);
}

// Writes the shared header in front of content already placed at out + k_blob_header_size.
Result<size_t> finish_blob(Writer& w, const uint8_t (&magic)[8], uint32_t revision) {
  if (w.full()) return Error::no_space;
  size_t total = w.used();
  uint8_t* out = w.data();
  for (int i = 0; i < 8; ++i) out[i] = magic[i];
  Writer h(out + 8, 16);
  h.u32(revision);
  h.u32(k_blob_header_size);
  h.u32(uint32_t(total));
  h.u32(0);
  Sha256::digest(out + k_blob_header_size, total - k_blob_header_size, out + 24);
  return total;
}

// Checks the shared header. On success, *content_size is the number of content bytes.
Status check_header(const uint8_t* blob, size_t size, const uint8_t (&magic)[8], uint32_t revision,
                    size_t max_size, bool exact, size_t* content_size) {
  if (blob == nullptr || size < k_blob_header_size) return Error::truncated;
  if (!magic_is(blob, magic)) return Error::bad_magic;
  Reader r(blob + 8, 16);
  uint32_t rev = r.u32();
  uint32_t header_size = r.u32();
  uint32_t total = r.u32();
  uint32_t reserved = r.u32();
  if (rev != revision) return Error::bad_revision;
  if (header_size != k_blob_header_size || reserved != 0) return Error::bad_size;
  if (total < k_blob_header_size || total > max_size) return Error::bad_size;
  if (exact ? total != size : total > size) return Error::bad_size;
  uint8_t digest[Sha256::k_digest_size];
  Sha256::digest(blob + k_blob_header_size, total - k_blob_header_size, digest);
  if (!equal(digest, blob + 24, sizeof digest)) return Error::bad_digest;
  *content_size = total - k_blob_header_size;
  return {};
}

bool pcr_selection_ok(uint16_t alg, uint32_t mask) {
  return alg == k_tpm_alg_sha256 && mask != 0 && (mask >> 24) == 0;
}

bool name_ok(const char (&name)[k_partition_name_size]) {
  if (name[0] == '\0') return false;
  for (size_t i = 0; i < k_partition_name_size; ++i) {
    if (name[i] == '\0') return true;
  }
  return false;
}

// The semantic checks both the writer and the reader apply (the writer refuses to produce a
// blob the reader would refuse).
bool sealed_key_ok(const Sealed_key& k) {
  if (k.mode != Seal_mode::pcr && k.mode != Seal_mode::authorize) return false;
  if (k.cipher != Cipher::aes_xts_plain64) return false;
  if (k.sector_size != 512 && k.sector_size != 4096) return false;
  if (k.data_offset == 0 || k.data_offset % k.sector_size != 0) return false;
  if (k.data_size == 0 || k.data_size % k.sector_size != 0) return false;
  if (k.data_offset + k.data_size < k.data_offset) return false;
  if (!name_ok(k.partition) || !pcr_selection_ok(k.pcr_hash_alg, k.pcr_mask)) return false;
  if (k.luks_digest.iterations == 0 || k.luks_digest.iterations > k_max_luks_digest_iterations) return false;
  if (k.parent_name.size == 0 || k.parent_name.size > k_max_name) return false;
  if (k.sealed_public.size == 0 || k.sealed_public.size > k_max_tpm2b) return false;
  if (k.sealed_private.size == 0 || k.sealed_private.size > k_max_tpm2b) return false;
  if (k.admin_key_name.size > k_max_name || k.admin_public.size > k_max_tpm2b) return false;
  if (k.mode == Seal_mode::pcr) {
    // A PCR-sealed object's authPolicy is the PolicyPCR digest itself; no administrator key.
    return equal(k.auth_policy, k.pcr_policy, k_digest_size) && k.admin_key_name.size == 0 &&
           k.admin_public.size == 0;
  }
  return k.admin_key_name.size != 0 && k.admin_public.size != 0;
}

}  // namespace

Result<size_t> write_sealed_key(const Sealed_key& k, uint8_t* out, size_t capacity) {
  if (out == nullptr || !sealed_key_ok(k)) return Error::out_of_range;
  if (capacity > k_sealed_max_size) capacity = k_sealed_max_size;
  if (capacity < k_blob_header_size) return Error::no_space;
  Writer w(out, capacity);
  uint8_t zero_header[k_blob_header_size] = {};
  w.bytes(zero_header, sizeof zero_header);
  w.u32(uint32_t(k.mode));
  w.u32(uint32_t(k.cipher));
  w.u32(k.sector_size);
  w.u64(k.data_offset);
  w.u64(k.data_size);
  w.bytes(k.disk_uuid, k_uuid_size);
  w.bytes(k.partition, k_partition_name_size);
  w.u32(k.luks_digest.iterations);
  w.bytes(k.luks_digest.salt, k_digest_size);
  w.bytes(k.luks_digest.digest, k_digest_size);
  w.u16(k.pcr_hash_alg);
  w.u32(k.pcr_mask);
  w.bytes(k.pcr_policy, k_digest_size);
  w.bytes(k.auth_policy, k_digest_size);
  w.string(k.parent_name);
  w.string(k.admin_key_name);
  w.string(k.admin_public);
  w.string(k.sealed_public);
  w.string(k.sealed_private);
  return finish_blob(w, k_sealed_magic, k_sealed_revision);
}

Status read_sealed_key(const uint8_t* blob, size_t size, Sealed_key& out) {
  size_t content_size = 0;
  Status header =
      check_header(blob, size, k_sealed_magic, k_sealed_revision, k_sealed_max_size, false, &content_size);
  if (!header) return header;
  Reader r(blob + k_blob_header_size, content_size);
  out.mode = Seal_mode(r.u32());
  out.cipher = Cipher(r.u32());
  out.sector_size = r.u32();
  out.data_offset = r.u64();
  out.data_size = r.u64();
  r.bytes(out.disk_uuid, k_uuid_size);
  r.bytes(out.partition, k_partition_name_size);
  out.luks_digest.iterations = r.u32();
  r.bytes(out.luks_digest.salt, k_digest_size);
  r.bytes(out.luks_digest.digest, k_digest_size);
  out.pcr_hash_alg = r.u16();
  out.pcr_mask = r.u32();
  r.bytes(out.pcr_policy, k_digest_size);
  r.bytes(out.auth_policy, k_digest_size);
  bool lengths_ok = r.string(out.parent_name) && r.string(out.admin_key_name) && r.string(out.admin_public) &&
                    r.string(out.sealed_public) && r.string(out.sealed_private);
  if (r.short_read()) return Error::truncated;
  if (!lengths_ok || !r.at_end() || !sealed_key_ok(out)) return Error::out_of_range;
  return {};
}

Result<size_t> write_signed_policy(const Signed_policy& p, uint8_t* out, size_t capacity) {
  if (out == nullptr || !pcr_selection_ok(p.pcr_hash_alg, p.pcr_mask)) return Error::out_of_range;
  if (p.epoch_index != 0 && p.epoch_index != k_approval_epoch_index) return Error::out_of_range;
  if (p.key_name.size == 0 || p.key_name.size > k_max_name) return Error::out_of_range;
  if (p.signature_alg != k_tpm_alg_ecdsa || p.signature_hash != k_tpm_alg_sha256) {
    return Error::out_of_range;
  }
  if (capacity < k_blob_header_size) return Error::no_space;
  Writer w(out, capacity);
  uint8_t zero_header[k_blob_header_size] = {};
  w.bytes(zero_header, sizeof zero_header);
  w.bytes(p.policy_ref, k_digest_size);
  w.u32(p.epoch_index);
  w.u64(p.epoch);
  w.u16(p.pcr_hash_alg);
  w.u32(p.pcr_mask);
  w.bytes(p.approved_policy, k_digest_size);
  w.bytes(p.manifest_sha256, k_digest_size);
  w.string(p.key_name);
  w.u16(p.signature_alg);
  w.u16(p.signature_hash);
  w.bytes(p.signature_r, 32);
  w.bytes(p.signature_s, 32);
  return finish_blob(w, k_signed_policy_magic, k_signed_policy_revision);
}

Status read_signed_policy(const uint8_t* blob, size_t size, Signed_policy& out) {
  size_t content_size = 0;
  Status header = check_header(blob, size, k_signed_policy_magic, k_signed_policy_revision, k_sealed_max_size,
                               true, &content_size);
  if (!header) return header;
  Reader r(blob + k_blob_header_size, content_size);
  r.bytes(out.policy_ref, k_digest_size);
  out.epoch_index = r.u32();
  out.epoch = r.u64();
  out.pcr_hash_alg = r.u16();
  out.pcr_mask = r.u32();
  r.bytes(out.approved_policy, k_digest_size);
  r.bytes(out.manifest_sha256, k_digest_size);
  bool name_fits = r.string(out.key_name);
  out.signature_alg = r.u16();
  out.signature_hash = r.u16();
  r.bytes(out.signature_r, 32);
  r.bytes(out.signature_s, 32);
  if (r.short_read()) return Error::truncated;
  if (!name_fits || !r.at_end() || out.key_name.size == 0) return Error::out_of_range;
  if (!pcr_selection_ok(out.pcr_hash_alg, out.pcr_mask)) return Error::out_of_range;
  if (out.epoch_index != 0 && out.epoch_index != k_approval_epoch_index) return Error::out_of_range;
  if (out.signature_alg != k_tpm_alg_ecdsa || out.signature_hash != k_tpm_alg_sha256) {
    return Error::out_of_range;
  }
  return {};
}

Status check_disk_binding(const uint8_t* header, size_t size, const Sealed_key& k) {
  static const uint8_t k_luks_magic[6] = {'L', 'U', 'K', 'S', 0xBA, 0xBE};
  if (header == nullptr || size < 4096) return Error::truncated;
  if (!equal(header, k_luks_magic, 6)) return Error::bad_magic;
  if (header[6] != 0 || header[7] != 2) return Error::bad_revision;
  uint64_t header_size = 0;
  for (int i = 8; i < 16; ++i) header_size = (header_size << 8) | header[i];
  if (header_size < 4096 || header_size > 4 * 1024 * 1024) return Error::bad_size;
  if (header_size > size) return Error::truncated;
  // The checksum covers the header area with its own 64-byte field (offset 448) zeroed.
  static const uint8_t k_zeros[64] = {};
  Sha256 h;
  h.update(header, 448);
  h.update(k_zeros, sizeof k_zeros);
  h.update(header + 512, size_t(header_size) - 512);
  uint8_t digest[Sha256::k_digest_size];
  h.finish(digest);
  if (!equal(digest, header + 448, sizeof digest)) return Error::bad_digest;
  if (!equal(header + 168, k.disk_uuid, k_uuid_size)) return Error::denied;
  return {};
}

void disk_identity(const char* partition, const uint8_t uuid[k_uuid_size], const Luks_digest& d,
                   uint8_t out[k_digest_size]) {
  static const char k_tag[] = "bulkhead disk identity 2";
  char name[k_partition_name_size] = {};
  for (size_t i = 0; i + 1 < k_partition_name_size && partition[i]; ++i) name[i] = partition[i];
  const uint8_t iterations[4] = {uint8_t(d.iterations), uint8_t(d.iterations >> 8), uint8_t(d.iterations >> 16),
                                 uint8_t(d.iterations >> 24)};
  Sha256 h;
  h.update(k_tag, sizeof k_tag);  // with its NUL
  h.update(name, sizeof name);
  h.update(uuid, k_uuid_size);
  h.update(iterations, sizeof iterations);
  h.update(d.salt, k_digest_size);
  h.update(d.digest, k_digest_size);
  h.finish(out);
}

bool luks_digest_matches(const Luks_digest& d, const uint8_t volume_key[k_volume_key_size]) {
  if (d.iterations == 0 || d.iterations > k_max_luks_digest_iterations) return false;
  uint8_t computed[k_digest_size];
  pbkdf2_sha256(volume_key, k_volume_key_size, d.salt, k_digest_size, d.iterations, computed, sizeof computed);
  const bool same = equal(computed, d.digest, k_digest_size);
  for (auto& b : computed) b = 0;
  return same;
}

}  // namespace sk::storage
