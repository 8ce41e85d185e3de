// SPDX-License-Identifier: Apache-2.0
// The salted, encrypted policy session for Unseal (see tpm_session.hpp).
#include "sk/tpm_session.hpp"

#include "sk/p256.hpp"
#include "sk/pbkdf2.hpp"
#include "sk/sha256.hpp"
#include "sk/tpm_crypto.hpp"
#include "tpm_marshal_detail.hpp"

namespace sk::tpm {
using namespace detail;
namespace {

constexpr uint8_t k_attr_continue = 0x01;
constexpr uint8_t k_attr_encrypt = 0x40;
constexpr uint16_t k_alg_aes = 0x0006;
constexpr uint16_t k_alg_cfb = 0x0043;
constexpr uint16_t k_alg_ecc = 0x0023;
constexpr uint16_t k_curve_p256 = 0x0003;

void wipe_bytes(uint8_t* p, size_t n) {
  volatile uint8_t* v = p;
  for (size_t i = 0; i < n; ++i) v[i] = 0;
}

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// The session HMAC: HMAC(sessionKey, parameter hash || nonce_newer || nonce_older || attributes).
// The sealed object's authValue is empty and no PolicyAuthValue is used, so the key is the
// session key alone.
void session_hmac(const Session& s, const uint8_t p_hash[32], const uint8_t newer[32], const uint8_t older[32],
                  uint8_t attributes, uint8_t out[32]) {
  uint8_t message[32 + 32 + 32 + 1];
  for (int i = 0; i < 32; ++i) {
    message[i] = p_hash[i];
    message[32 + i] = newer[i];
    message[64 + i] = older[i];
  }
  message[96] = attributes;
  hmac_sha256(s.key, sizeof s.key, message, sizeof message, out);
}

}  // namespace

Status object_name(const uint8_t* public_blob, size_t public_size, uint8_t name[k_name_size]) {
  if (public_size < 6 || size_t(public_blob[0] << 8 | public_blob[1]) + 2 != public_size) return Error::bad_size;
  const uint16_t name_alg = uint16_t(public_blob[4] << 8 | public_blob[5]);
  if (name_alg != k_alg_sha256) return Error::out_of_range;
  name[0] = uint8_t(k_alg_sha256 >> 8);
  name[1] = uint8_t(k_alg_sha256);
  Sha256::digest(public_blob + 2, public_size - 2, name + 2);
  return {};
}

Status parse_create_primary_ecc(const uint8_t* in, size_t size, Ecc_primary& primary) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  In head(r.body, r.body_size);
  if (!head.u32(primary.handle)) return Error::truncated;
  const Response rest{r.tag, r.code, r.body + 4, r.body_size - 4};
  In params(nullptr, 0);
  if (auto s = parameters(rest, params); !s) return s;
  // outPublic, creationData, creationHash, creationTicket (tag, hierarchy, digest), name.
  Span out_public{}, skip{}, name{};
  uint16_t tag = 0;
  uint32_t hierarchy = 0;
  if (!params.tpm2b(out_public) || !params.tpm2b(skip) || !params.tpm2b(skip) || !params.u16(tag) ||
      !params.u32(hierarchy) || !params.tpm2b(skip) || !params.tpm2b(name)) {
    return Error::truncated;
  }
  if (params.left() != 0) return Error::bad_size;
  // TPMT_PUBLIC of an ECC key: type, nameAlg, attributes, authPolicy, symmetric, scheme, curve,
  // kdf, unique (x, y).
  In pub(out_public.bytes, out_public.size);
  uint16_t type = 0, name_alg = 0, sym = 0, scheme = 0, curve = 0, kdf = 0;
  uint32_t attributes = 0;
  Span policy{}, x{}, y{};
  if (!pub.u16(type) || !pub.u16(name_alg) || !pub.u32(attributes) || !pub.tpm2b(policy) || !pub.u16(sym)) {
    return Error::truncated;
  }
  if (type != k_alg_ecc || name_alg != k_alg_sha256) return Error::out_of_range;
  if (sym != k_alg_null && !pub.skip(4)) return Error::truncated;  // keyBits, mode
  if (!pub.u16(scheme)) return Error::truncated;
  if (scheme != k_alg_null && !pub.skip(2)) return Error::truncated;  // scheme's hash
  if (!pub.u16(curve) || !pub.u16(kdf)) return Error::truncated;
  if (kdf != k_alg_null && !pub.skip(2)) return Error::truncated;
  if (!pub.tpm2b(x) || !pub.tpm2b(y)) return Error::truncated;
  if (pub.left() != 0) return Error::bad_size;
  if (curve != k_curve_p256 || x.size != 32 || y.size != 32) return Error::out_of_range;
  for (int i = 0; i < 32; ++i) {
    primary.x[i] = x.bytes[i];
    primary.y[i] = y.bytes[i];
  }
  primary.name[0] = uint8_t(k_alg_sha256 >> 8);
  primary.name[1] = uint8_t(k_alg_sha256);
  Sha256::digest(out_public.bytes, out_public.size, primary.name + 2);
  if (name.size != k_name_size) return Error::bad_digest;
  for (size_t i = 0; i < k_name_size; ++i) {
    if (name.bytes[i] != primary.name[i]) return Error::bad_digest;
  }
  return {};
}

Result<size_t> build_start_salted_policy_session(uint8_t* out, size_t capacity, const Ecc_primary& primary,
                                                 const uint8_t ephemeral_seed[32], const uint8_t nonce_caller[32],
                                                 Session& s) {
  crypto::p256::Point tpm_key{}, ephemeral{}, shared{};
  for (int i = 0; i < 32; ++i) {
    tpm_key.x[i] = primary.x[i];
    tpm_key.y[i] = primary.y[i];
  }
  if (!crypto::p256::on_curve(tpm_key)) return Error::bad_argument;
  uint8_t d[32];
  crypto::p256::scalar_from_seed(ephemeral_seed, d);
  const bool ok = crypto::p256::multiply(d, nullptr, ephemeral) && crypto::p256::multiply(d, &tpm_key, shared);
  wipe_bytes(d, sizeof d);
  if (!ok) return Error::bad_argument;
  // salt = KDFe(SHA-256, Z = shared.x, "SECRET", ephemeral.x, tpm_key.x) (Part 1, "Secret
  // Sharing", ECDH).
  kdfe_sha256(shared.x, 32, "SECRET", ephemeral.x, 32, tpm_key.x, 32, s.salt);
  wipe_bytes(shared.x, 32);
  wipe_bytes(shared.y, 32);
  for (int i = 0; i < 32; ++i) s.nonce_caller[i] = nonce_caller[i];
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_start_auth_session);
  o.u32(primary.handle);  // tpmKey: the salt is encrypted to it
  o.u32(k_rh_null);       // bind: unbound
  o.tpm2b(nonce_caller, 32);
  o.u16(2 + 32 + 2 + 32);  // encryptedSalt: the ephemeral TPMS_ECC_POINT
  o.tpm2b(ephemeral.x, 32);
  o.tpm2b(ephemeral.y, 32);
  o.u8(0x01);  // TPM_SE_POLICY
  o.u16(k_alg_aes);
  o.u16(256);
  o.u16(k_alg_cfb);
  o.u16(k_alg_sha256);
  return o.finish();
}

Status parse_start_salted_session(const uint8_t* in, size_t size, Session& s) {
  Response r{};
  if (auto st = parse_response(in, size, r); !st) return st;
  if (r.code != 0) return Error::denied;
  In body(r.body, r.body_size);
  uint32_t handle = 0;
  Span nonce_tpm{};
  if (!body.u32(handle) || !body.tpm2b(nonce_tpm)) return Error::truncated;
  if (body.left() != 0) return Error::bad_size;
  if ((handle >> 24) != 0x03) return Error::out_of_range;  // policy session handles are 0x03xxxxxx
  if (nonce_tpm.size != 32) return Error::out_of_range;    // the nonce is the session hash's size
  s.handle = handle;
  for (int i = 0; i < 32; ++i) s.nonce_tpm[i] = nonce_tpm.bytes[i];
  // sessionKey = KDFa(SHA-256, bind.authValue (none) || salt, "ATH", nonceTPM, nonceCaller, 256).
  kdfa_sha256(s.salt, sizeof s.salt, "ATH", s.nonce_tpm, 32, s.nonce_caller, 32, s.key, sizeof s.key);
  wipe_bytes(s.salt, sizeof s.salt);
  return {};
}

Result<size_t> build_unseal_salted(uint8_t* out, size_t capacity, uint32_t item, const uint8_t item_name[k_name_size],
                                   Session& s, const uint8_t next_nonce_caller[32]) {
  for (int i = 0; i < 32; ++i) s.nonce_caller[i] = next_nonce_caller[i];
  // cpHash = SHA-256(commandCode || Name(item)); Unseal has no parameters.
  uint8_t cp_hash[32];
  Sha256 h;
  uint8_t cc[4];
  put_u32(cc, k_cc_unseal);
  h.update(cc, sizeof cc);
  h.update(item_name, k_name_size);
  h.finish(cp_hash);
  uint8_t hmac[32];
  session_hmac(s, cp_hash, s.nonce_caller, s.nonce_tpm, k_attr_encrypt, hmac);
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_unseal);
  o.u32(item);
  o.u32(4 + 2 + 32 + 1 + 2 + 32);  // authorizationSize
  o.u32(s.handle);
  o.tpm2b(s.nonce_caller, 32);
  o.u8(k_attr_encrypt);  // continueSession clear: the TPM flushes the session
  o.tpm2b(hmac, 32);
  return o.finish();
}

Status parse_unseal_salted(uint8_t* in, size_t size, Session& s, Span& data) {
  Response r{};
  if (auto st = parse_response(in, size, r); !st) return st;
  if (r.code != 0) return Error::denied;
  if (r.tag != k_st_sessions) return Error::bad_magic;
  In body(r.body, r.body_size);
  uint32_t parameter_size = 0;
  if (!body.u32(parameter_size) || parameter_size > body.left()) return Error::truncated;
  In params(r.body + 4, parameter_size);
  Span out_data{};
  if (!params.tpm2b(out_data)) return Error::truncated;
  if (params.left() != 0) return Error::bad_size;
  In auth(r.body + 4 + parameter_size, body.left() - parameter_size);
  Span nonce_tpm{}, hmac{};
  if (!auth.tpm2b(nonce_tpm) || auth.left() < 1) return Error::truncated;
  const uint8_t attributes = r.body[4 + parameter_size + 2 + nonce_tpm.size];
  if (!auth.skip(1) || !auth.tpm2b(hmac)) return Error::truncated;
  if (auth.left() != 0) return Error::bad_size;
  if (nonce_tpm.size != 32 || hmac.size != 32) return Error::out_of_range;
  if ((attributes & k_attr_encrypt) == 0 || (attributes & k_attr_continue) != 0) return Error::out_of_range;
  // rpHash = SHA-256(responseCode || commandCode || parameters as sent, still encrypted).
  uint8_t rp_hash[32];
  Sha256 h;
  uint8_t codes[8];
  put_u32(codes, 0);
  put_u32(codes + 4, k_cc_unseal);
  h.update(codes, sizeof codes);
  h.update(r.body + 4, parameter_size);
  h.finish(rp_hash);
  uint8_t expected[32];
  session_hmac(s, rp_hash, nonce_tpm.bytes, s.nonce_caller, attributes, expected);
  uint8_t diff = 0;
  for (int i = 0; i < 32; ++i) diff = uint8_t(diff | (expected[i] ^ hmac.bytes[i]));
  if (diff != 0) return Error::bad_digest;
  for (int i = 0; i < 32; ++i) s.nonce_tpm[i] = nonce_tpm.bytes[i];
  // Response parameter encryption: KDFa(sessionKey, "CFB", nonceTPM, nonceCaller, 256 + 128)
  // gives the AES-256 key and the IV; the TPM2B's size field stays in clear.
  uint8_t key_iv[48];
  kdfa_sha256(s.key, sizeof s.key, "CFB", s.nonce_tpm, 32, s.nonce_caller, 32, key_iv, sizeof key_iv);
  uint8_t* plain = in + k_header_size + 4 + 2;
  aes256_cfb_decrypt(key_iv, key_iv + 32, plain, out_data.size);
  wipe_bytes(key_iv, sizeof key_iv);
  data = {plain, out_data.size};
  return {};
}

void wipe(Session& s) {
  wipe_bytes(s.key, sizeof s.key);
  wipe_bytes(s.salt, sizeof s.salt);
}

}  // namespace sk::tpm
