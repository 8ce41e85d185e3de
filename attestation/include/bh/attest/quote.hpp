// SPDX-License-Identifier: Apache-2.0
// Reading a TPM quote without a TPM: the TPMS_ATTEST structure (magic, type, nonce, PCR
// selection and digest), the TPMT_SIGNATURE, the AK's public key, and the signature check
// over the raw attest bytes with Botan.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bh/attest/common.hpp"

namespace Botan {
class Public_Key;
}

namespace bh::attest {

inline constexpr uint32_t k_tpm_generated = 0xff544347;  // TPM_GENERATED_VALUE
inline constexpr uint16_t k_st_attest_quote = 0x8018;   // TPM_ST_ATTEST_QUOTE

struct Pcr_selection {
  uint16_t bank = 0;
  std::vector<uint32_t> pcrs;  // ascending
};

struct Parsed_quote {
  uint32_t magic = 0;
  uint16_t type = 0;
  Bytes signer;      // qualifiedSigner
  Bytes extra_data;  // the nonce
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
  uint64_t firmware_version = 0;
  std::vector<Pcr_selection> selections;
  Bytes pcr_digest;
};

// Unmarshals TPMS_ATTEST (libtss2-mu) and checks that nothing trails it. Does not check magic or
// type (the verifier names those). Throws Input_error("quote: ...") if the bytes are not one
// well-formed TPMS_ATTEST with a quote body.
Parsed_quote parse_quote(const Bytes& attest);

struct Parsed_signature {
  uint16_t sig_alg = 0;   // TPM2_ALG_ECDSA or TPM2_ALG_RSASSA
  uint16_t hash_alg = 0;  // TPM2_ALG_SHA256, ...
  Bytes r, s;             // ECDSA
  Bytes rsa;              // RSASSA
};
// Unmarshals a TPMT_SIGNATURE; throws Input_error("signature: ...") on malformed bytes or an
// algorithm other than ECDSA or RSASSA.
Parsed_signature parse_signature(const Bytes& signature);

// The AK's public key, from a PEM SubjectPublicKeyInfo or a marshalled TPM2B_PUBLIC (ECC P-256 or
// RSA; an RSA exponent of 0 means 65537). Throws Input_error naming `where`.
std::unique_ptr<Botan::Public_Key> load_ak_public(const Bytes& file, const std::string& where);
// The AK as the verifier holds it: the TPM's own description of the key (TPM2B_PUBLIC, as
// `bulkhead tpm provision` writes ak.pub), which says what the key may sign, and its qualified
// name under the EK, which the TPM writes as qualifiedSigner into every quote the key signs.
struct Attestation_key {
  std::shared_ptr<const Botan::Public_Key> key;
  uint32_t attributes = 0;  // TPMA_OBJECT
  Bytes name;               // nameAlg || H(TPMT_PUBLIC)
  Bytes qualified_name;     // QN(AK) = nameAlg || H(QN(EK) || name); QN(EK) = nameAlg || H(TPM_RH_ENDORSEMENT || name(EK))
};
// TPMA_OBJECT bits an AK must have: fixedTPM, fixedParent, restricted, sign (and never decrypt).
inline constexpr uint32_t k_ak_required_attributes = 0x00000002 | 0x00000010 | 0x00010000 | 0x00040000;
inline constexpr uint32_t k_tpma_decrypt = 0x00020000;
// Reads the AK's and the EK's TPM2B_PUBLIC (the EK is a primary in the endorsement hierarchy and
// the AK's parent). Throws Input_error naming the file: a PEM key (it carries no attributes), bytes
// that are not one TPM2B_PUBLIC, a key type other than ECC P-256 or RSA. The attributes are not
// judged here: the verifier names what is missing.
Attestation_key load_attestation_key(const Bytes& ak_file, const std::string& ak_where, const Bytes& ek_file,
                                     const std::string& ek_where);
// The TPM name of a marshalled TPM2B_PUBLIC: nameAlg || H_nameAlg(TPMT_PUBLIC).
Bytes object_name(const Bytes& tpm2b_public, const std::string& where);

// TPM2B_PUBLIC bytes to a Botan key (used by provisioning to write the PEM).
std::unique_ptr<Botan::Public_Key> key_from_tpm2b_public(const Bytes& tpm2b_public, const std::string& where);
std::string public_key_pem(const Botan::Public_Key& key);

// True if signature verifies over attest with key. ECDSA r and s are left-padded to the curve
// size; the hash must be the signature's hash algorithm.
bool verify_quote_signature(const Botan::Public_Key& key, const Bytes& attest, const Parsed_signature& sig);

}  // namespace bh::attest
