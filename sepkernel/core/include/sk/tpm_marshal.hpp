// SPDX-License-Identifier: Apache-2.0
// Freestanding TPM 2.0 command marshalling for the few commands the kernel sends over TIS
// (PCR_Extend, Quote, StartAuthSession, PolicyPCR, Unseal, FlushContext), and response parsing
// that checks the header (tag, size field == bytes received, response code) and every length
// inside before it hands out a field. Big-endian, as the TPM wire format is.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::tpm {

inline constexpr uint16_t k_st_no_sessions = 0x8001;
inline constexpr uint16_t k_st_sessions = 0x8002;
inline constexpr uint32_t k_cc_pcr_extend = 0x00000182;
inline constexpr uint32_t k_cc_quote = 0x00000158;
inline constexpr uint32_t k_cc_start_auth_session = 0x00000176;
inline constexpr uint32_t k_cc_policy_pcr = 0x0000017F;
inline constexpr uint32_t k_cc_unseal = 0x0000015E;
inline constexpr uint32_t k_cc_flush_context = 0x00000165;
inline constexpr uint32_t k_cc_startup = 0x00000144;
inline constexpr uint32_t k_cc_pcr_read = 0x0000017E;
inline constexpr uint32_t k_cc_create_primary = 0x00000131;
inline constexpr uint32_t k_cc_load = 0x00000157;
inline constexpr uint32_t k_rh_owner = 0x40000001;
inline constexpr uint32_t k_cc_load_external = 0x00000167;
inline constexpr uint32_t k_cc_verify_signature = 0x00000177;
inline constexpr uint32_t k_cc_policy_authorize = 0x0000016A;
inline constexpr uint32_t k_cc_policy_nv = 0x00000149;
inline constexpr uint16_t k_eo_eq = 0x0000;  // TPM_EO_EQ
inline constexpr uint32_t k_rc_initialize = 0x00000100;  // TPM2_Startup has not been run
inline constexpr uint32_t k_rs_pw = 0x40000009;   // password authorisation pseudo-session
inline constexpr uint32_t k_rh_null = 0x40000007;
inline constexpr uint16_t k_alg_null = 0x0010;
inline constexpr uint16_t k_alg_sha256 = 0x000B;
inline constexpr size_t k_header_size = 10;

struct Bank_digest {
  uint16_t alg;          // 0x0004 sha1, 0x000B sha256, 0x000C sha384, 0x000D sha512
  const uint8_t* bytes;  // digest size of alg
};

// Each builder writes one complete command into out and returns its size; no_space if capacity is
// too small, bad_argument for a PCR above 23, an unknown algorithm or an over-long buffer.
// pcr_mask: bit i selects PCR i (0..23).
Result<size_t> build_pcr_extend(uint8_t* out, size_t capacity, uint32_t pcr, const Bank_digest* digests,
                                uint32_t count);
// A quote of the same PCRs in each of banks (1 to 4 of them). The TPM answers with an empty
// selection for a bank it has not allocated, so a quote that asks for every bank Bulkhead knows
// (k_quote_banks) tells the verifier, under the AK's signature, which of them are allocated.
Result<size_t> build_quote(uint8_t* out, size_t capacity, uint32_t ak_handle, const uint8_t* nonce,
                           uint16_t nonce_size, const uint16_t* banks, uint32_t bank_count, uint32_t pcr_mask);
inline constexpr uint16_t k_quote_banks[] = {0x0004, 0x000B, 0x000C, 0x000D};  // sha1, sha256, sha384, sha512
// An unsalted, unbound policy session with SHA-256 and no parameter encryption (tests; the
// kernel's unseal uses the salted, encrypted session of sk/tpm_session.hpp). nonce_caller:
// 16 to 32 bytes.
Result<size_t> build_start_policy_session(uint8_t* out, size_t capacity, const uint8_t* nonce_caller,
                                          uint16_t nonce_size);
// PolicyPCR with an empty pcrDigest: the TPM binds the session to the PCRs' current values.
Result<size_t> build_policy_pcr(uint8_t* out, size_t capacity, uint32_t session, uint16_t bank, uint32_t pcr_mask);
// Unseal authorised by the policy session, which the TPM flushes afterwards (continueSession
// clear), so nothing leaks whether the unseal succeeds or not.
Result<size_t> build_unseal(uint8_t* out, size_t capacity, uint32_t item, uint32_t session);
Result<size_t> build_flush_context(uint8_t* out, size_t capacity, uint32_t handle);
// CreatePrimary in the owner hierarchy with the storage-primary template crypto-storage seals
// under (ECC P-256, AES-128-CFB, restricted decrypt, fixedTPM/fixedParent, userWithAuth, noDA,
// empty unique): every reader derives the same key, and its name identifies the TPM.
Result<size_t> build_create_primary_storage(uint8_t* out, size_t capacity);
// Load of a sealed object under parent: private_blob and public_blob are marshalled TPM2B_PRIVATE
// and TPM2B_PUBLIC (size fields included), as crypto-storage stores them.
Result<size_t> build_load(uint8_t* out, size_t capacity, uint32_t parent, const uint8_t* private_blob,
                          size_t private_size, const uint8_t* public_blob, size_t public_size);
// LoadExternal of a public key only (no sensitive part) into hierarchy; public_blob is a marshalled
// TPM2B_PUBLIC (size field included).
Result<size_t> build_load_external(uint8_t* out, size_t capacity, const uint8_t* public_blob, size_t public_size,
                                   uint32_t hierarchy);
// VerifySignature of an ECDSA P-256 / SHA-256 signature (r, s: 32 bytes each) over digest.
Result<size_t> build_verify_signature_ecdsa(uint8_t* out, size_t capacity, uint32_t key, const uint8_t digest[32],
                                            const uint8_t r[32], const uint8_t s[32]);
// PolicyAuthorize: approved (32 bytes), policyRef (32 bytes: the disk's identity), the signing
// key's name, and the TPMT_TK_VERIFIED ticket bytes VerifySignature returned.
Result<size_t> build_policy_authorize(uint8_t* out, size_t capacity, uint32_t session, const uint8_t approved[32],
                                      const uint8_t policy_ref[32], const uint8_t* key_name, size_t key_name_size, const uint8_t* ticket,
                                      size_t ticket_size);
// PolicyNV(authHandle = nvIndex, nvIndex, session, operandB = value as 8 big-endian bytes,
// offset 0, TPM_EO_EQ) with the index's own empty password: the session's policy holds only
// while the NV counter equals value (the approval epoch, docs/storage.md).
Result<size_t> build_policy_nv_equals(uint8_t* out, size_t capacity, uint32_t nv_index, uint32_t session,
                                      uint64_t value);
// Startup(CLEAR), for a TPM the firmware left unstarted.
Result<size_t> build_startup_clear(uint8_t* out, size_t capacity);
// PCR_Read of exactly one PCR of one bank.
Result<size_t> build_pcr_read(uint8_t* out, size_t capacity, uint16_t bank, uint32_t pcr);

// A checked response. code is the TPM's response code; 0 means success.
struct Response {
  uint16_t tag;
  uint32_t code;
  const uint8_t* body;  // after the 10-byte header
  size_t body_size;
};

// Checks size >= 10, the tag, and that the size field equals size. A non-zero code is reported
// in r.code with Status ok (the header is well formed); the parsers below return denied for it.
Status parse_response(const uint8_t* in, size_t size, Response& r);

// StartAuthSession: the session handle.
Result<uint32_t> parse_start_auth_session(const uint8_t* in, size_t size);
// Responses without output parameters (PCR_Extend, PolicyPCR, FlushContext): header and code.
Status parse_empty(const uint8_t* in, size_t size);

struct Span {
  const uint8_t* bytes;
  size_t size;
};
// Quote: the TPM2B_ATTEST contents (the signed bytes) and the TPMT_SIGNATURE bytes (marshalled).
Status parse_quote(const uint8_t* in, size_t size, Span& attest, Span& signature);
// PCR_Read of one PCR: checks that the TPM returned exactly that bank and PCR and one digest of
// the bank's size; digest points into in.
Status parse_pcr_read(const uint8_t* in, size_t size, uint16_t bank, uint32_t pcr, Span& digest);
// CreatePrimary / Load: the new object's handle and its name (TPM2B_NAME contents).
Status parse_object_created(const uint8_t* in, size_t size, uint32_t& handle, Span& name);
// LoadExternal: the handle and the key's name.
Status parse_load_external(const uint8_t* in, size_t size, uint32_t& handle, Span& name);
// VerifySignature: the whole TPMT_TK_VERIFIED (tag 0x8022 checked), as PolicyAuthorize wants it.
Status parse_verify_signature(const uint8_t* in, size_t size, Span& ticket);
// Unseal: the sealed data.
Status parse_unseal(const uint8_t* in, size_t size, Span& data);

}  // namespace sk::tpm
