// SPDX-License-Identifier: Apache-2.0
// The sealed-key and signed-policy blobs: round trip, and every damaged blob is refused with
// the error a reader (the kernel at boot) reports.
#include <botan/mac.h>
#include <botan/pbkdf.h>

#include "sk/pbkdf2.hpp"
#include "sk/sealed_key.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "sk/sha256.hpp"

namespace {
using namespace sk::storage;

template <size_t N>
void fill(Bytes<N>& b, uint16_t size, uint8_t seed) {
  b.size = size;
  for (uint16_t i = 0; i < size; ++i) b.data[i] = uint8_t(seed + i * 7);
}

Sealed_key sample(Seal_mode mode) {
  Sealed_key k{};
  k.mode = mode;
  k.cipher = Cipher::aes_xts_plain64;
  k.sector_size = 4096;
  k.data_offset = k_data_offset;
  k.data_size = 64ull << 20;
  std::memcpy(k.disk_uuid, "ccd2d056-fb61-4a60-bf4a-4add75fdd0a3", 36);
  std::strcpy(k.partition, "classified");
  k.luks_digest.iterations = 1000;
  for (int i = 0; i < 32; ++i) k.luks_digest.salt[i] = uint8_t(0x50 + i), k.luks_digest.digest[i] = uint8_t(0x90 + i);
  k.pcr_hash_alg = k_tpm_alg_sha256;
  k.pcr_mask = (1u << 4) | (1u << 9);
  for (int i = 0; i < 32; ++i) k.pcr_policy[i] = uint8_t(i);
  std::memcpy(k.auth_policy, k.pcr_policy, 32);
  fill(k.parent_name, 34, 1);
  fill(k.sealed_public, 90, 2);
  fill(k.sealed_private, 222, 3);
  if (mode == Seal_mode::authorize) {
    for (int i = 0; i < 32; ++i) k.auth_policy[i] = uint8_t(0xA0 + i);
    fill(k.admin_key_name, 34, 4);
    fill(k.admin_public, 90, 5);
  }
  return k;
}

std::vector<uint8_t> written(const Sealed_key& k) {
  std::vector<uint8_t> out(k_sealed_max_size);
  auto size = write_sealed_key(k, out.data(), out.size());
  REQUIRE(size.ok());
  out.resize(size.value());
  return out;
}

// Rewrites the header digest after a deliberate change to the content, so the reader's field
// checks (not only its digest check) are exercised.
void redigest(std::vector<uint8_t>& blob) {
  sk::Sha256::digest(blob.data() + k_blob_header_size, blob.size() - k_blob_header_size, blob.data() + 24);
}
}  // namespace

TEST_CASE("a sealed-key blob round-trips in both modes", "[storage][format]") {
  for (auto mode : {Seal_mode::pcr, Seal_mode::authorize}) {
    Sealed_key k = sample(mode);
    auto blob = written(k);
    Sealed_key back{};
    REQUIRE(read_sealed_key(blob.data(), blob.size(), back).ok());
    CHECK(back.mode == mode);
    CHECK(back.data_offset == k.data_offset);
    CHECK(back.data_size == k.data_size);
    CHECK(std::memcmp(back.disk_uuid, k.disk_uuid, k_uuid_size) == 0);
    CHECK(std::string(back.partition) == "classified");
    CHECK(back.luks_digest.iterations == 1000);
    CHECK(std::memcmp(back.luks_digest.digest, k.luks_digest.digest, 32) == 0);
    CHECK(back.pcr_mask == k.pcr_mask);
    CHECK(std::memcmp(back.auth_policy, k.auth_policy, 32) == 0);
    CHECK(back.sealed_private.size == 222);
    CHECK(std::memcmp(back.sealed_private.data, k.sealed_private.data, 222) == 0);
    CHECK(back.admin_public.size == k.admin_public.size);
    // The blob sits in a zero-filled area: trailing bytes after the total size are ignored.
    blob.resize(k_sealed_area_size, 0);
    CHECK(read_sealed_key(blob.data(), blob.size(), back).ok());
  }
}

TEST_CASE("every single-byte change to a sealed-key blob is refused", "[storage][format]") {
  auto blob = written(sample(Seal_mode::authorize));
  Sealed_key out{};
  for (size_t i = 0; i < blob.size(); ++i) {
    auto damaged = blob;
    damaged[i] ^= 0x01;
    INFO("byte " << i);
    auto status = read_sealed_key(damaged.data(), damaged.size(), out);
    REQUIRE_FALSE(status.ok());
    if (i < 8) CHECK(status.error() == sk::Error::bad_magic);
    if (i >= 8 && i < 12) CHECK(status.error() == sk::Error::bad_revision);
    if (i >= 24) CHECK(status.error() == sk::Error::bad_digest);
  }
}

TEST_CASE("a truncated sealed-key blob is refused at every length", "[storage][format]") {
  auto blob = written(sample(Seal_mode::pcr));
  Sealed_key out{};
  for (size_t n = 0; n < blob.size(); ++n) {
    INFO("length " << n);
    auto status = read_sealed_key(blob.data(), n, out);
    REQUIRE_FALSE(status.ok());
    CHECK((status.error() == sk::Error::truncated || status.error() == sk::Error::bad_size));
  }
}

TEST_CASE("fields outside the format's rules are refused even with a valid digest", "[storage][format]") {
  auto blob = written(sample(Seal_mode::pcr));
  Sealed_key out{};
  const size_t c = k_blob_header_size;
  struct Case {
    const char* what;
    size_t offset;
    uint8_t value;
  };
  // Offsets inside the content: mode 0, cipher 4, sector size 8, data offset 12, LUKS2 digest
  // iterations 100, pcr alg 168, pcr mask 170 (see sealed_key.cpp for the field order).
  for (Case t : {Case{"mode", c + 0, 7}, Case{"cipher", c + 4, 2}, Case{"sector size", c + 9, 0x03},
                 Case{"data offset", c + 12, 0x01}, Case{"LUKS2 digest iterations above the limit", c + 103, 0x7F},
                 Case{"pcr bank", c + 168, 0x04}, Case{"pcr mask above 23", c + 173, 0x01}}) {
    auto damaged = blob;
    damaged[t.offset] = t.value;
    redigest(damaged);
    INFO(t.what);
    auto status = read_sealed_key(damaged.data(), damaged.size(), out);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error() == sk::Error::out_of_range);
  }
  // A PCR-mode blob whose authPolicy differs from its PolicyPCR digest is not a PCR seal.
  auto k = sample(Seal_mode::pcr);
  k.auth_policy[0] ^= 1;
  std::vector<uint8_t> buffer(k_sealed_max_size);
  CHECK(write_sealed_key(k, buffer.data(), buffer.size()).error() == sk::Error::out_of_range);
  // An authorize-mode blob without the administrator's key is refused by the writer.
  k = sample(Seal_mode::authorize);
  k.admin_public.size = 0;
  CHECK(write_sealed_key(k, buffer.data(), buffer.size()).error() == sk::Error::out_of_range);
}

TEST_CASE("a signed policy round-trips and its damage is refused", "[storage][format]") {
  Signed_policy p{};
  p.pcr_hash_alg = k_tpm_alg_sha256;
  p.pcr_mask = 1u << 9;
  for (int i = 0; i < 32; ++i) {
    p.policy_ref[i] = uint8_t(0xC0 + i);
    p.approved_policy[i] = uint8_t(i * 3);
    p.signature_r[i] = uint8_t(i + 1);
    p.signature_s[i] = uint8_t(i + 2);
  }
  fill(p.key_name, 34, 9);
  p.signature_alg = k_tpm_alg_ecdsa;
  p.signature_hash = k_tpm_alg_sha256;
  std::vector<uint8_t> blob(1024);
  auto size = write_signed_policy(p, blob.data(), blob.size());
  REQUIRE(size.ok());
  blob.resize(size.value());
  Signed_policy back{};
  REQUIRE(read_signed_policy(blob.data(), blob.size(), back).ok());
  CHECK(std::memcmp(back.approved_policy, p.approved_policy, 32) == 0);
  CHECK(std::memcmp(back.policy_ref, p.policy_ref, 32) == 0);
  CHECK(std::memcmp(back.signature_s, p.signature_s, 32) == 0);
  CHECK(back.key_name.size == 34);
  // A signed policy is a file of its own: extra bytes are refused.
  auto longer = blob;
  longer.push_back(0);
  CHECK(read_signed_policy(longer.data(), longer.size(), back).error() == sk::Error::bad_size);
  for (size_t i = 0; i < blob.size(); ++i) {
    auto damaged = blob;
    damaged[i] ^= 0x80;
    INFO("byte " << i);
    CHECK_FALSE(read_signed_policy(damaged.data(), damaged.size(), back).ok());
  }
  // A sealed-key blob is not a signed policy.
  auto sealed = written(sample(Seal_mode::pcr));
  CHECK(read_signed_policy(sealed.data(), sealed.size(), back).error() == sk::Error::bad_magic);
}

TEST_CASE("the XTS tweak of a 4096-byte sector counts 512-byte units", "[storage][format]") {
  CHECK(xts_tweak_for_sector(0, 4096) == 0);
  CHECK(xts_tweak_for_sector(1, 4096) == 8);
  CHECK(xts_tweak_for_sector(5, 512) == 5);
}

TEST_CASE("PBKDF2-HMAC-SHA-256 matches Botan, and a disk's identity names partition, UUID and digest",
          "[storage][format]") {
  const uint8_t key[64] = {1, 2, 3};
  Luks_digest d{};
  d.iterations = 1000;
  for (int i = 0; i < 32; ++i) d.salt[i] = uint8_t(i);
  auto pbkdf = Botan::PBKDF::create("PBKDF2(SHA-256)");
  REQUIRE(pbkdf);
  pbkdf->pbkdf_iterations(d.digest, 32, std::string(reinterpret_cast<const char*>(key), 64), d.salt, 32, 1000);
  CHECK(luks_digest_matches(d, key));
  uint8_t other_key[64] = {1, 2, 4};
  CHECK_FALSE(luks_digest_matches(d, other_key));
  d.iterations = 0;
  CHECK_FALSE(luks_digest_matches(d, key));
  d.iterations = k_max_luks_digest_iterations + 1;
  CHECK_FALSE(luks_digest_matches(d, key));
  uint8_t mac[32], expected[32];
  sk::hmac_sha256(key, 64, d.salt, 32, mac);
  auto hmac = Botan::MessageAuthenticationCode::create("HMAC(SHA-256)");
  hmac->set_key(key, 64);
  hmac->update(d.salt, 32);
  hmac->final(expected);
  CHECK(std::memcmp(mac, expected, 32) == 0);

  d.iterations = 1000;
  uint8_t uuid[k_uuid_size] = {}, a[32], b[32];
  std::memcpy(uuid, "ccd2d056-fb61-4a60-bf4a-4add75fdd0a3", 36);
  disk_identity("classified", uuid, d, a);
  disk_identity("open", uuid, d, b);
  CHECK(std::memcmp(a, b, 32) != 0);  // another partition
  uuid[0] = 'd';
  disk_identity("classified", uuid, d, b);
  CHECK(std::memcmp(a, b, 32) != 0);  // another disk
  uuid[0] = 'c';
  d.digest[0] ^= 1;
  disk_identity("classified", uuid, d, b);
  CHECK(std::memcmp(a, b, 32) != 0);  // another LUKS2 digest
  d.digest[0] ^= 1;
  disk_identity("classified", uuid, d, b);
  CHECK(std::memcmp(a, b, 32) == 0);
}
