// SPDX-License-Identifier: Apache-2.0
// The core's crypto for the kernel's salted TPM session against Botan 2: P-256 scalar
// multiplication and the curve check, KDFa (SP 800-108 counter mode), KDFe (SP 800-56A),
// AES-256-CFB; and the session's Unseal exchange against a TPM simulated with Botan: the command
// HMAC verifies, the encrypted response decrypts, and an altered response is refused.
#include <botan/bigint.h>
#include <botan/cipher_mode.h>
#include <botan/ec_group.h>
#include <botan/hash.h>
#include <botan/kdf.h>
#include <botan/mac.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "sk/p256.hpp"
#include "sk/tpm_crypto.hpp"
#include "sk/tpm_session.hpp"

namespace p256 = sk::crypto::p256;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

Bytes be32(const Botan::BigInt& v) {
  Bytes out(32);
  v.binary_encode(out.data(), 32);
  return out;
}

Botan::PointGFp botan_point(const Botan::EC_Group& g, const p256::Point& p) {
  return g.point(Botan::BigInt(p.x, 32), Botan::BigInt(p.y, 32));
}

Bytes botan_kdfa(const Bytes& key, const std::string& label, const Bytes& u, const Bytes& v, size_t n) {
  auto kdf = Botan::KDF::create_or_throw("SP800-108-Counter(HMAC(SHA-256))");
  Bytes context = u;
  context.insert(context.end(), v.begin(), v.end());
  auto out = kdf->derive_key(n, key.data(), key.size(), context.data(), context.size(),
                             reinterpret_cast<const uint8_t*>(label.data()), label.size());
  return Bytes(out.begin(), out.end());
}

Bytes botan_hmac(const Bytes& key, const Bytes& message) {
  auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
  mac->set_key(key);
  mac->update(message);
  auto out = mac->final();
  return Bytes(out.begin(), out.end());
}

Bytes botan_cfb(bool encrypt, const Bytes& key, const Bytes& iv, Bytes data) {
  auto mode = Botan::Cipher_Mode::create_or_throw("AES-256/CFB",
                                                  encrypt ? Botan::ENCRYPTION : Botan::DECRYPTION);
  mode->set_key(key);
  mode->start(iv);
  Botan::secure_vector<uint8_t> buf(data.begin(), data.end());
  mode->finish(buf);
  return Bytes(buf.begin(), buf.end());
}

Bytes sha256(const Bytes& data) {
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(data);
  auto out = h->final();
  return Bytes(out.begin(), out.end());
}

void append(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
void append_u16(Bytes& out, uint16_t v) { append(out, {uint8_t(v >> 8), uint8_t(v)}); }
void append_u32(Bytes& out, uint32_t v) {
  append(out, {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
}

}  // namespace

TEST_CASE("p256 scalar multiplication agrees with Botan", "[core][p256][property]") {
  std::mt19937_64 rng(0x256);
  const Botan::EC_Group group("secp256r1");
  for (int round = 0; round < 40; ++round) {
    Bytes seed = random_bytes(rng, 32);
    uint8_t d[32];
    p256::scalar_from_seed(seed.data(), d);
    REQUIRE(p256::valid_scalar(d));
    p256::Point q{};
    REQUIRE(p256::multiply(d, nullptr, q));
    const Botan::PointGFp expected = group.get_base_point() * Botan::BigInt(d, 32);
    CHECK(be32(expected.get_affine_x()) == Bytes(q.x, q.x + 32));
    CHECK(be32(expected.get_affine_y()) == Bytes(q.y, q.y + 32));
    CHECK(p256::on_curve(q));
    // d2 * Q for a second scalar: ECDH's shared point.
    uint8_t d2[32];
    Bytes seed2 = random_bytes(rng, 32);
    p256::scalar_from_seed(seed2.data(), d2);
    p256::Point shared{};
    REQUIRE(p256::multiply(d2, &q, shared));
    const Botan::PointGFp expected_shared = botan_point(group, q) * Botan::BigInt(d2, 32);
    CHECK(be32(expected_shared.get_affine_x()) == Bytes(shared.x, shared.x + 32));
    CHECK(be32(expected_shared.get_affine_y()) == Bytes(shared.y, shared.y + 32));
  }
}

TEST_CASE("p256 refuses points off the curve and scalars out of range", "[core][p256]") {
  std::mt19937_64 rng(0x257);
  uint8_t d[32];
  Bytes seed = random_bytes(rng, 32);
  p256::scalar_from_seed(seed.data(), d);
  p256::Point q{};
  REQUIRE(p256::multiply(d, nullptr, q));
  p256::Point bad = q;
  bad.y[31] ^= 1;
  CHECK_FALSE(p256::on_curve(bad));
  p256::Point out{};
  CHECK_FALSE(p256::multiply(d, &bad, out));
  p256::Point above_p = q;
  std::memset(above_p.x, 0xFF, 32);  // x >= p
  CHECK_FALSE(p256::on_curve(above_p));
  uint8_t small[32] = {};
  small[31] = 5;  // top bit clear
  CHECK_FALSE(p256::valid_scalar(small));
  uint8_t n_minus_1[32];
  const Bytes order = be32(Botan::EC_Group("secp256r1").get_order() - 1);
  std::memcpy(n_minus_1, order.data(), 32);
  CHECK_FALSE(p256::valid_scalar(n_minus_1));
  n_minus_1[31] -= 1;
  CHECK(p256::valid_scalar(n_minus_1));
}

TEST_CASE("KDFa and KDFe agree with Botan's SP 800-108 and SP 800-56A", "[core][tpm-crypto][property]") {
  std::mt19937_64 rng(0x108);
  for (int round = 0; round < 100; ++round) {
    const Bytes key = random_bytes(rng, 1 + rng() % 64);
    const Bytes u = random_bytes(rng, rng() % 33), v = random_bytes(rng, rng() % 33);
    const size_t n = 1 + rng() % 96;
    const char* label = round % 2 ? "CFB" : "ATH";
    Bytes ours(n);
    sk::tpm::kdfa_sha256(key.data(), key.size(), label, u.data(), u.size(), v.data(), v.size(), ours.data(), n);
    CHECK(ours == botan_kdfa(key, label, u, v, n));
  }
  auto kdfe = Botan::KDF::create_or_throw("SP800-56A(SHA-256)");
  for (int round = 0; round < 50; ++round) {
    const Bytes z = random_bytes(rng, 32), u = random_bytes(rng, 32), v = random_bytes(rng, 32);
    uint8_t ours[32];
    sk::tpm::kdfe_sha256(z.data(), 32, "SECRET", u.data(), 32, v.data(), 32, ours);
    Bytes other_info = {'S', 'E', 'C', 'R', 'E', 'T', 0};
    append(other_info, u);
    append(other_info, v);
    auto expected = kdfe->derive_key(32, z.data(), 32, nullptr, 0, other_info.data(), other_info.size());
    CHECK(Bytes(ours, ours + 32) == Bytes(expected.begin(), expected.end()));
  }
}

TEST_CASE("AES-256-CFB agrees with Botan, partial last blocks included", "[core][tpm-crypto][property]") {
  std::mt19937_64 rng(0xCFB);
  for (int round = 0; round < 100; ++round) {
    const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 16);
    const Bytes plain = random_bytes(rng, rng() % 200);
    Bytes data = plain;
    sk::tpm::aes256_cfb_encrypt(key.data(), iv.data(), data.data(), data.size());
    CHECK(data == botan_cfb(true, key, iv, plain));
    sk::tpm::aes256_cfb_decrypt(key.data(), iv.data(), data.data(), data.size());
    CHECK(data == plain);
  }
}

// The TPM's side of the exchange, computed with Botan from Part 1's definitions.
TEST_CASE("salted session: a Botan-simulated TPM accepts the command HMAC and its encrypted response decrypts",
          "[core][tpm-session]") {
  std::mt19937_64 rng(0x5E5);
  const Botan::EC_Group group("secp256r1");
  const Botan::BigInt tpm_secret = Botan::BigInt(random_bytes(rng, 32).data(), 32) % group.get_order();
  const Botan::PointGFp tpm_public = group.get_base_point() * tpm_secret;
  sk::tpm::Ecc_primary primary{};
  primary.handle = 0x80000000;
  const Bytes tx = be32(tpm_public.get_affine_x()), ty = be32(tpm_public.get_affine_y());
  std::memcpy(primary.x, tx.data(), 32);
  std::memcpy(primary.y, ty.data(), 32);

  const Bytes seed = random_bytes(rng, 32), nonce_caller = random_bytes(rng, 32);
  sk::tpm::Session s{};
  uint8_t cmd[512];
  auto n = sk::tpm::build_start_salted_policy_session(cmd, sizeof cmd, primary, seed.data(), nonce_caller.data(), s);
  REQUIRE(n.ok());
  // The TPM decrypts the salt: Z = secret * ephemeral point, salt = KDFe(Z, "SECRET", Qe.x, Qs.x).
  const size_t at = 10 + 4 + 4 + 2 + 32;  // header, tpmKey, bind, nonceCaller
  REQUIRE(cmd[at] == 0);
  REQUIRE(cmd[at + 1] == 68);
  const Bytes ex(cmd + at + 4, cmd + at + 36), ey(cmd + at + 38, cmd + at + 70);
  const Botan::PointGFp ephemeral = group.point(Botan::BigInt(ex.data(), 32), Botan::BigInt(ey.data(), 32));
  REQUIRE(ephemeral.on_the_curve());
  const Bytes z = be32((ephemeral * tpm_secret).get_affine_x());
  Bytes other_info = {'S', 'E', 'C', 'R', 'E', 'T', 0};
  append(other_info, ex);
  append(other_info, tx);
  auto kdfe = Botan::KDF::create_or_throw("SP800-56A(SHA-256)");
  const auto salt_v = kdfe->derive_key(32, z.data(), 32, nullptr, 0, other_info.data(), other_info.size());
  const Bytes salt(salt_v.begin(), salt_v.end());

  const Bytes nonce_tpm = random_bytes(rng, 32);
  Bytes rsp = {0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
  append_u32(rsp, 0x03000000);
  append_u16(rsp, 32);
  append(rsp, nonce_tpm);
  rsp[5] = uint8_t(rsp.size());
  REQUIRE(sk::tpm::parse_start_salted_session(rsp.data(), rsp.size(), s).ok());
  const Bytes session_key = botan_kdfa(salt, "ATH", nonce_tpm, nonce_caller, 32);
  CHECK(Bytes(s.key, s.key + 32) == session_key);

  // Unseal: the TPM checks the command HMAC over cpHash = H(CC || Name).
  uint8_t name[sk::tpm::k_name_size] = {0x00, 0x0B};
  for (int i = 2; i < 34; ++i) name[i] = uint8_t(rng());
  const Bytes next_nonce = random_bytes(rng, 32);
  n = sk::tpm::build_unseal_salted(cmd, sizeof cmd, 0x80000001, name, s, next_nonce.data());
  REQUIRE(n.ok());
  REQUIRE(n.value() == 10 + 4 + 4 + 73);
  Bytes cp = {0, 0, 0x01, 0x5E};
  append(cp, Bytes(name, name + 34));
  Bytes message = sha256(cp);
  append(message, next_nonce);
  append(message, nonce_tpm);
  message.push_back(0x40);
  CHECK(Bytes(cmd + n.value() - 32, cmd + n.value()) == botan_hmac(session_key, message));

  // The TPM's response: outData encrypted with KDFa(sessionKey, "CFB", nonceTPM', nonceCaller).
  const Bytes secret = random_bytes(rng, 96), nonce_tpm2 = random_bytes(rng, 32);
  const Bytes key_iv = botan_kdfa(session_key, "CFB", nonce_tpm2, next_nonce, 48);
  const Bytes encrypted = botan_cfb(true, Bytes(key_iv.begin(), key_iv.begin() + 32),
                                    Bytes(key_iv.begin() + 32, key_iv.end()), secret);
  Bytes params;
  append_u16(params, 96);
  append(params, encrypted);
  Bytes rp = {0, 0, 0, 0, 0, 0, 0x01, 0x5E};
  append(rp, params);
  Bytes rmessage = sha256(rp);
  append(rmessage, nonce_tpm2);
  append(rmessage, next_nonce);
  rmessage.push_back(0x40);
  const Bytes rhmac = botan_hmac(session_key, rmessage);
  Bytes unseal = {0x80, 0x02, 0, 0, 0, 0, 0, 0, 0, 0};
  append_u32(unseal, uint32_t(params.size()));
  append(unseal, params);
  append_u16(unseal, 32);
  append(unseal, nonce_tpm2);
  unseal.push_back(0x40);
  append_u16(unseal, 32);
  append(unseal, rhmac);
  unseal[4] = uint8_t(unseal.size() >> 8);
  unseal[5] = uint8_t(unseal.size());

  SECTION("the response decrypts to the sealed data") {
    sk::tpm::Span data{};
    Bytes copy = unseal;
    REQUIRE(sk::tpm::parse_unseal_salted(copy.data(), copy.size(), s, data).ok());
    CHECK(Bytes(data.bytes, data.bytes + data.size) == secret);
  }
  SECTION("any altered byte of the response is refused") {
    for (size_t i = 10; i < unseal.size(); ++i) {
      Bytes copy = unseal;
      copy[i] ^= 0x01;
      sk::tpm::Session t = s;
      sk::tpm::Span data{};
      INFO("byte " << i);
      CHECK_FALSE(sk::tpm::parse_unseal_salted(copy.data(), copy.size(), t, data).ok());
    }
  }
  SECTION("a response without the encrypt attribute is refused") {
    Bytes copy = unseal;
    copy[10 + 4 + params.size() + 34] = 0x00;
    sk::tpm::Span data{};
    CHECK(sk::tpm::parse_unseal_salted(copy.data(), copy.size(), s, data).error() == sk::Error::out_of_range);
  }
}
