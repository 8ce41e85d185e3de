// SPDX-License-Identifier: Apache-2.0
// The endorsement key, the attestation key, credential activation and quotes, on bh_tpm handles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bh/tpm/tpm.hpp"

namespace bh::tpm {

// Persistent handles Bulkhead uses (TCG "Registry of Reserved TPM 2.0 Handles": 0x81010001 is the
// RSA 2048 EK, 0x81010002 the ECC P-256 EK; the AK's handle is Bulkhead's choice, documented in
// docs/attestation.md).
inline constexpr TPM2_HANDLE k_ek_rsa_handle = 0x81010001;
inline constexpr TPM2_HANDLE k_ek_ecc_handle = 0x81010002;
inline constexpr TPM2_HANDLE k_ak_handle = 0x81010020;

enum class Ek_type { rsa2048, ecc_p256 };

// A loaded key and what the verifier needs of it.
struct Key {
  Handle handle;
  std::vector<uint8_t> tpm2b_public;  // marshalled TPM2B_PUBLIC
  std::vector<uint8_t> name;          // TPM2B_NAME contents (nameAlg || digest)
};

// Creates the EK from the standard template (TCG EK Credential Profile, templates L-1 / L-2:
// restricted decryption key, adminWithPolicy with PolicySecret(TPM_RH_ENDORSEMENT), empty
// unique). Deterministic: the same TPM gives the same EK every time.
Key create_ek(Context& c, Ek_type type);

// Creates and loads the AK under the EK: ECC P-256, restricted signing, ECDSA-SHA256,
// fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth, empty authValue.
Key create_ak(Context& c, const Key& ek);

// Makes a loaded key persistent at handle (refuses with Tpm_error if the handle is taken unless
// replace, which evicts the old object first). Returns the persistent handle (closed, not flushed).
Handle persist(Context& c, const Key& key, TPM2_HANDLE handle, bool replace);

// Opens a persistent object; throws Tpm_error naming the handle if it is absent.
Key open_persistent(Context& c, TPM2_HANDLE handle);

// True if the handle holds a persistent object (or, for an NV index handle, the index is defined).
bool persistent_exists(Context& c, TPM2_HANDLE handle);

// NV indices of EK certificates (TCG EK Credential Profile 2.0, 2.2.1.5): RSA 2048 (template
// L-1) and ECC NIST P-256 (template L-2).
inline constexpr TPM2_HANDLE k_ek_cert_rsa_index = 0x01c00002;
inline constexpr TPM2_HANDLE k_ek_cert_ecc_index = 0x01c0000a;

// The whole contents of an NV index, read with the index's own (empty) authorisation if it allows
// that, else the owner's; empty if the index is not defined.
std::vector<uint8_t> nv_read_all(Context& c, TPM2_HANDLE index);

// Credential activation: the TPM encrypts credential to the EK's public key bound to ak_name
// (MakeCredential, a public-key operation), then decrypts it with ActivateCredential, which only
// succeeds if the EK's private key and a loaded object named ak_name are in this TPM. Returns the
// recovered credential.
std::vector<uint8_t> activate_credential(Context& c, const Key& ek, const Key& ak,
                                         const std::vector<uint8_t>& credential);

// The storage primary (owner hierarchy, ECC P-256 with the TCG SRK template, empty unique), as
// crypto-storage and the kernel recreate it.
Key create_storage_primary(Context& c);

// Creates and loads a sealed data object under parent: KEYEDHASH, fixedTPM | fixedParent, no
// userWithAuth (only auth_policy opens it), data as sensitive data.
Key create_sealed(Context& c, const Key& parent, const std::vector<uint8_t>& data,
                  const std::vector<uint8_t>& auth_policy);

// A quote: raw TPMS_ATTEST bytes (the contents of TPM2B_ATTEST, what is signed) and the
// marshalled TPMT_SIGNATURE.
struct Quote {
  std::vector<uint8_t> attest;
  std::vector<uint8_t> signature;
};
// A quote of the same PCRs in each of banks; the TPM empties the selection of a bank it has not
// allocated (and signs that), so asking for every bank shows which are allocated.
Quote quote(Context& c, const Key& ak, const std::vector<uint8_t>& nonce, const std::vector<TPM2_ALG_ID>& banks,
            const std::vector<uint32_t>& pcrs);
// The banks Bulkhead quotes: sha1, sha256, sha384, sha512 (as the kernel's quote hypercall).
inline const std::vector<TPM2_ALG_ID> k_quote_banks = {TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384,
                                                       TPM2_ALG_SHA512};

}  // namespace bh::tpm
