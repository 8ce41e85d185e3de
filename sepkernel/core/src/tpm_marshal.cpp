// SPDX-License-Identifier: Apache-2.0
// TPM 2.0 command builders and response parsers (see tpm_marshal.hpp).
#include "sk/tpm_marshal.hpp"

namespace sk::tpm {

namespace {

uint16_t digest_size(uint16_t alg) {
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
  void pcr_selection(uint16_t bank, uint32_t mask) {
    u32(1);
    u16(bank);
    u8(3);
    u8(uint8_t(mask));
    u8(uint8_t(mask >> 8));
    u8(uint8_t(mask >> 16));
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
Status parameters(const Response& r, In& params) {
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

}  // namespace

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
                           uint16_t nonce_size, uint16_t bank, uint32_t pcr_mask) {
  if (nonce_size > 64 || digest_size(bank) == 0 || pcr_mask >= k_pcr_mask_limit) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_quote);
  o.u32(ak_handle);
  o.auth_area(k_rs_pw, 0);
  o.tpm2b(nonce, nonce_size);
  o.u16(k_alg_null);  // inScheme: the key's own scheme
  o.pcr_selection(bank, pcr_mask);
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

Result<size_t> build_create_primary_storage(uint8_t* out, size_t capacity) {
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_create_primary);
  o.u32(k_rh_owner);
  o.auth_area(k_rs_pw, 0);
  o.u16(4);  // TPM2B_SENSITIVE_CREATE: empty userAuth, empty data
  o.u16(0);
  o.u16(0);
  o.u16(26);              // TPM2B_PUBLIC
  o.u16(0x0023);          // TPM_ALG_ECC
  o.u16(k_alg_sha256);    // nameAlg
  o.u32(0x00030472);      // fixedTPM fixedParent sensitiveDataOrigin userWithAuth noDA restricted decrypt
  o.u16(0);               // authPolicy: empty
  o.u16(0x0006);          // symmetric: AES
  o.u16(128);             //   128 bits
  o.u16(0x0043);          //   CFB
  o.u16(k_alg_null);      // scheme
  o.u16(0x0003);          // curve: NIST P-256
  o.u16(k_alg_null);      // kdf
  o.u16(0);               // unique.x: empty
  o.u16(0);               // unique.y: empty
  o.u16(0);               // outsideInfo
  o.u32(0);               // creationPCR: no selection
  return o.finish();
}

Result<size_t> build_load(uint8_t* out, size_t capacity, uint32_t parent, const uint8_t* private_blob,
                          size_t private_size, const uint8_t* public_blob, size_t public_size) {
  if (private_size < 2 || public_size < 2) return Error::bad_argument;
  // Each blob must be exactly one TPM2B: its size field plus that many bytes.
  if (size_t(private_blob[0] << 8 | private_blob[1]) + 2 != private_size) return Error::bad_size;
  if (size_t(public_blob[0] << 8 | public_blob[1]) + 2 != public_size) return Error::bad_size;
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_load);
  o.u32(parent);
  o.auth_area(k_rs_pw, 0);
  o.bytes(private_blob, private_size);
  o.bytes(public_blob, public_size);
  return o.finish();
}

Status parse_object_created(const uint8_t* in, size_t size, uint32_t& handle, Span& name) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  In head(r.body, r.body_size);
  if (!head.u32(handle)) return Error::truncated;
  Response rest{r.tag, r.code, r.body + 4, r.body_size - 4};
  In params(nullptr, 0);
  if (auto s = parameters(rest, params); !s) return s;
  Span skip{};
  if (params.left() > 0 && rest.body_size > 0) {
    // CreatePrimary: outPublic, creationData, creationHash, creationTicket (tag, hierarchy,
    // digest), then name. Load: name only. Tell them apart by what is left.
    In probe = params;
    Span only{};
    if (probe.tpm2b(only) && probe.left() == 0) {
      name = only;
      return name.size >= 2 ? Status{} : Status{Error::bad_size};
    }
    uint16_t tag = 0;
    uint32_t hierarchy = 0;
    if (!params.tpm2b(skip) || !params.tpm2b(skip) || !params.tpm2b(skip) || !params.u16(tag) ||
        !params.u32(hierarchy) || !params.tpm2b(skip) || !params.tpm2b(name)) {
      return Error::truncated;
    }
    if (params.left() != 0) return Error::bad_size;
    return name.size >= 2 ? Status{} : Status{Error::bad_size};
  }
  return Error::truncated;
}

Result<size_t> build_load_external(uint8_t* out, size_t capacity, const uint8_t* public_blob, size_t public_size,
                                   uint32_t hierarchy) {
  if (public_size < 2 || size_t(public_blob[0] << 8 | public_blob[1]) + 2 != public_size) return Error::bad_size;
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_load_external);
  o.u16(0);  // inPrivate: none (a public key only)
  o.bytes(public_blob, public_size);
  o.u32(hierarchy);
  return o.finish();
}

Result<size_t> build_verify_signature_ecdsa(uint8_t* out, size_t capacity, uint32_t key, const uint8_t digest[32],
                                            const uint8_t r[32], const uint8_t s[32]) {
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_verify_signature);
  o.u32(key);
  o.tpm2b(digest, 32);
  o.u16(0x0018);  // TPM_ALG_ECDSA
  o.u16(k_alg_sha256);
  o.tpm2b(r, 32);
  o.tpm2b(s, 32);
  return o.finish();
}

Result<size_t> build_policy_authorize(uint8_t* out, size_t capacity, uint32_t session, const uint8_t approved[32],
                                      const uint8_t* key_name, size_t key_name_size, const uint8_t* ticket,
                                      size_t ticket_size) {
  if (key_name_size < 2 || key_name_size > 66 || ticket_size < 8) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_policy_authorize);
  o.u32(session);
  o.tpm2b(approved, 32);
  o.u16(0);  // policyRef: empty
  o.tpm2b(key_name, uint16_t(key_name_size));
  o.bytes(ticket, ticket_size);
  return o.finish();
}

Status parse_load_external(const uint8_t* in, size_t size, uint32_t& handle, Span& name) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  if (r.tag != k_st_no_sessions) return Error::bad_magic;
  In body(r.body, r.body_size);
  if (!body.u32(handle) || !body.tpm2b(name)) return Error::truncated;
  if (name.size < 2) return Error::bad_size;
  return body.left() == 0 ? Status{} : Status{Error::bad_size};
}

Status parse_verify_signature(const uint8_t* in, size_t size, Span& ticket) {
  Response r{};
  if (auto s = parse_response(in, size, r); !s) return s;
  if (r.code != 0) return Error::denied;
  if (r.tag != k_st_no_sessions) return Error::bad_magic;
  In body(r.body, r.body_size);
  uint16_t tag = 0;
  uint32_t hierarchy = 0;
  Span digest{};
  if (!body.u16(tag) || !body.u32(hierarchy) || !body.tpm2b(digest)) return Error::truncated;
  if (tag != 0x8022) return Error::out_of_range;  // TPM_ST_VERIFIED
  if (body.left() != 0) return Error::bad_size;
  ticket = {r.body, r.body_size};
  return {};
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
