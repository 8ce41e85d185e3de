// SPDX-License-Identifier: Apache-2.0
// TPM 2.0 marshalling for objects and authorisation: the storage primary, Load, LoadExternal,
// VerifySignature and PolicyAuthorize (the kernel's disk-key unseal; see tpm_marshal.hpp).
#include "sk/tpm_marshal.hpp"

#include "tpm_marshal_detail.hpp"

namespace sk::tpm {

using namespace detail;

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
                                      const uint8_t policy_ref[32], const uint8_t* key_name, size_t key_name_size, const uint8_t* ticket,
                                      size_t ticket_size) {
  if (key_name_size < 2 || key_name_size > 66 || ticket_size < 8) return Error::bad_argument;
  Out o(out, capacity);
  o.header(k_st_no_sessions, k_cc_policy_authorize);
  o.u32(session);
  o.tpm2b(approved, 32);
  o.tpm2b(policy_ref, 32);
  o.tpm2b(key_name, uint16_t(key_name_size));
  o.bytes(ticket, ticket_size);
  return o.finish();
}

Result<size_t> build_policy_nv_equals(uint8_t* out, size_t capacity, uint32_t nv_index, uint32_t session,
                                      uint64_t value) {
  if ((nv_index >> 24) != 0x01) return Error::bad_argument;  // TPM_HT_NV_INDEX
  Out o(out, capacity);
  o.header(k_st_sessions, k_cc_policy_nv);
  o.u32(nv_index);  // authHandle: the index itself (TPMA_NV_AUTHREAD, empty authValue)
  o.u32(nv_index);
  o.u32(session);
  o.auth_area(k_rs_pw, 0);
  o.u16(8);
  for (int shift = 56; shift >= 0; shift -= 8) o.u8(uint8_t(value >> shift));
  o.u16(0);  // offset
  o.u16(k_eo_eq);
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

}  // namespace sk::tpm
