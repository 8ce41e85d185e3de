// SPDX-License-Identifier: Apache-2.0
// TPM 2.0 command builders and response parsers (see tpm_marshal.hpp).
#include "sk/tpm_marshal.hpp"

#include "tpm_marshal_detail.hpp"

namespace sk::tpm {
using namespace detail;

Result<size_t> build_pcr_extend(uint8_t* out, size_t capacity, uint32_t pcr, const Bank_digest* digests,
                                uint32_t count) {
  if (pcr > 23 || count == 0 || count > 4) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_pcr_extend);
  o.u32(pcr);
  o.auth_area(k_rs_pw, 0);
  o.u32(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint16_t size = digest_size(digests[i].alg);
    if (size == 0) return Error::bad_argument;
    o.u16(digests[i].alg);
    o.bytes(digests[i].bytes, size);
  }
  return o.finish();
}

Result<size_t> build_quote(uint8_t* out, size_t capacity, uint32_t ak_handle, const uint8_t* nonce,
                           uint16_t nonce_size, const uint16_t* banks, uint32_t bank_count, uint32_t pcr_mask) {
  if (nonce_size > 64 || bank_count == 0 || bank_count > 4 || pcr_mask >= k_pcr_mask_limit) return Error::bad_argument;
  for (uint32_t i = 0; i < bank_count; ++i) {
    if (digest_size(banks[i]) == 0) return Error::bad_argument;
  }
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_quote);
  o.u32(ak_handle);
  o.auth_area(k_rs_pw, 0);
  o.tpm2b(nonce, nonce_size);
  o.u16(k_alg_null);  // inScheme: the key's own scheme
  o.pcr_selection(banks, bank_count, pcr_mask);
  return o.finish();
}

Result<size_t> build_start_policy_session(uint8_t* out, size_t capacity, const uint8_t* nonce_caller,
                                          uint16_t nonce_size) {
  if (nonce_size < 16 || nonce_size > 32) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_start_auth_session);
  o.u32(k_rh_null);  // tpmKey: unsalted
  o.u32(k_rh_null);  // bind: unbound
  o.tpm2b(nonce_caller, nonce_size);
  o.u16(0);           // encryptedSalt
  o.u8(0x01);         // TPM_SE_POLICY
  o.u16(k_alg_null);  // symmetric: none
  o.u16(k_alg_sha256);
  return o.finish();
}

Result<size_t> build_policy_pcr(uint8_t* out, size_t capacity, uint32_t session, uint16_t bank, uint32_t pcr_mask) {
  if (digest_size(bank) == 0 || pcr_mask >= k_pcr_mask_limit) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_policy_pcr);
  o.u32(session);
  o.u16(0);  // pcrDigest empty
  o.pcr_selection(bank, pcr_mask);
  return o.finish();
}

Result<size_t> build_unseal(uint8_t* out, size_t capacity, uint32_t item, uint32_t session) {
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_unseal);
  o.u32(item);
  o.auth_area(session, 0);  // continueSession clear: the TPM flushes the session
  return o.finish();
}

Result<size_t> build_flush_context(uint8_t* out, size_t capacity, uint32_t handle) {
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_flush_context);
  o.u32(handle);
  return o.finish();
}

Status parse_response(const uint8_t* in, size_t size, Response& r) {
  if (size < k_header_size) return Error::truncated;
  r.tag = uint16_t(in[0] << 8 | in[1]);
  const uint32_t declared = uint32_t(in[2]) << 24 | uint32_t(in[3]) << 16 | uint32_t(in[4]) << 8 | in[5];
  r.code = uint32_t(in[6]) << 24 | uint32_t(in[7]) << 16 | uint32_t(in[8]) << 8 | in[9];
  if (r.tag != k_st_no_sessions && r.tag != k_st_sessions) return Error::bad_magic;
  if (declared != size) return Error::bad_size;
  r.body = in + k_header_size;
  r.body_size = size - k_header_size;
  return {};
}

Result<uint32_t> parse_start_auth_session(const uint8_t* in, size_t size) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s.error();
  if (r.code != 0) return Error::denied;
  In body(r.body, r.body_size);
  uint32_t handle = 0;
  Span nonce_tpm{};
  if (!body.u32(handle) || !body.tpm2b(nonce_tpm)) return Error::truncated;
  if (body.left() != 0) return Error::bad_size;
  if ((handle >> 24) != 0x03) return Error::out_of_range;  // policy session handles are 0x03xxxxxx
  return handle;
}

Result<size_t> build_startup_clear(uint8_t* out, size_t capacity) {
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_startup);
  o.u16(0x0000);  // TPM_SU_CLEAR
  return o.finish();
}

Result<size_t> build_pcr_read(uint8_t* out, size_t capacity, uint16_t bank, uint32_t pcr) {
  if (pcr > 23 || digest_size(bank) == 0) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_pcr_read);
  o.pcr_selection(bank, 1u << pcr);
  return o.finish();
}

Status parse_pcr_read(const uint8_t* in, size_t size, uint16_t bank, uint32_t pcr, Span& digest) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  if (r.tag != k_st_no_sessions) return Error::bad_magic;
  In body(r.body, r.body_size);
  uint32_t update_counter = 0, selections = 0, digests = 0;
  uint16_t got_bank = 0;
  if (!body.u32(update_counter) || !body.u32(selections)) return Error::truncated;
  if (selections != 1) return Error::out_of_range;
  uint8_t select_size = 0;
  if (!body.u16(got_bank) || body.left() < 1) return Error::truncated;
  select_size = r.body[body.at()];
  if (!body.skip(1) || select_size != 3 || body.left() < 3) return Error::truncated;
  uint32_t mask = uint32_t(r.body[body.at()]) | uint32_t(r.body[body.at() + 1]) << 8 |
                  uint32_t(r.body[body.at() + 2]) << 16;
  if (!body.skip(3)) return Error::truncated;
  if (got_bank != bank || mask != (1u << pcr)) return Error::out_of_range;
  if (!body.u32(digests)) return Error::truncated;
  if (digests != 1) return Error::out_of_range;
  if (!body.tpm2b(digest)) return Error::truncated;
  if (digest.size != digest_size(bank)) return Error::bad_size;
  return body.left() == 0 ? Status{} : Status{Error::bad_size};
}

Status parse_empty(const uint8_t* in, size_t size) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  if (r.tag == k_st_no_sessions) return r.body_size == 0 ? Status{} : Status{Error::bad_size};
  In params(nullptr, 0);
  if (auto s = parameters(r, params); !s) return s;
  return params.left() == 0 ? Status{} : Status{Error::bad_size};
}

Status parse_quote(const uint8_t* in, size_t size, Span& attest, Span& signature) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  In params(nullptr, 0);
  if (auto s = parameters(r, params); !s) return s;
  if (!params.tpm2b(attest)) return Error::truncated;
  if (attest.size == 0) return Error::bad_size;
  // TPMT_SIGNATURE: sigAlg, hashAlg, then the algorithm's fields; only ECDSA and RSASSA here.
  const size_t start = params.at();
  uint16_t sig_alg = 0, hash_alg = 0;
  Span a{}, b{};
  if (!params.u16(sig_alg) || !params.u16(hash_alg)) return Error::truncated;
  if (sig_alg == 0x0018) {  // ECDSA: r, s
    if (!params.tpm2b(a) || !params.tpm2b(b)) return Error::truncated;
  } else if (sig_alg == 0x0014) {  // RSASSA: sig
    if (!params.tpm2b(a)) return Error::truncated;
  } else {
    return Error::out_of_range;
  }
  if (params.left() != 0) return Error::bad_size;
  signature = {r.body + 4 + start, params.at() - start};
  return {};
}

Status parse_unseal(const uint8_t* in, size_t size, Span& data) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  In params(nullptr, 0);
  if (auto s = parameters(r, params); !s) return s;
  if (!params.tpm2b(data)) return Error::truncated;
  return params.left() == 0 ? Status{} : Status{Error::bad_size};
}

}  // namespace sk::tpm
