// SPDX-License-Identifier: Apache-2.0
// TPM 2.0 policy digests computed offline (no TPM): PolicyPCR from the PCR values a reference
// manifest predicts, PolicyAuthorize from an administrator's key, and the administrator's
// signature that approves a PolicyPCR digest (TPM 2.0 Part 3, 23.7 and 23.16).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bh/storage/secret.hpp"

namespace Botan {
class ECDSA_PrivateKey;
class ECDSA_PublicKey;
}  // namespace Botan

namespace bh::storage {

using Digest = std::array<uint8_t, 32>;

// Expected SHA-256 PCR values, by PCR index (0..23). The selection is the set of keys.
using Pcr_values = std::map<uint32_t, Digest>;

// Bit i set for each PCR i in values.
uint32_t pcr_mask(const Pcr_values& values);

// TPML_PCR_SELECTION with one SHA-256 bank (big-endian, as the TPM hashes it).
std::vector<uint8_t> marshal_pcr_selection(uint32_t mask);

// H(old || TPM_CC_PolicyPCR || TPML_PCR_SELECTION || H(values in ascending PCR order)).
// With old = 0^32 this is the authPolicy of an object sealed to exactly these values.
Digest policy_pcr_digest(const Pcr_values& values, const Digest& old = Digest{});

// The name of the approval-epoch NV counter (sk::storage::k_approval_epoch_index) as `disk epoch
// init` defines it: NT_COUNTER, OWNERWRITE | AUTHREAD | NO_DA, written, 8 bytes, empty authPolicy.
std::vector<uint8_t> epoch_counter_name();
// H(old || TPM_CC_PolicyNV || H(operandB || offset || TPM_EO_EQ) || name of the epoch counter):
// the policy extended by "the epoch counter equals value" (operandB: 8 big-endian bytes).
Digest policy_nv_equals_digest(const Digest& old, uint64_t value);

// PolicyAuthorize(keyName, policyRef) from a fresh session:
// H(H(0^32 || TPM_CC_PolicyAuthorize || keyName) || policyRef). Bulkhead's policyRef is the
// disk's identity (sk::storage::disk_identity), so an approval opens only the disk it names.
Digest policy_authorize_digest(const std::vector<uint8_t>& key_name, const Digest& policy_ref);

// aHash = H(approvedPolicy || policyRef): the digest the administrator signs and the TPM's
// VerifySignature checks.
Digest approval_digest(const Digest& approved_policy, const Digest& policy_ref);

// The administrator's signing key as the TPM sees it after LoadExternal.
struct Admin_public {
  std::vector<uint8_t> tpm2b_public;  // marshalled TPM2B_PUBLIC (ECC P-256, ECDSA-SHA256)
  std::vector<uint8_t> name;          // TPM name: 0x000B || SHA-256(TPMT_PUBLIC)
};
Admin_public admin_public_from_key(const Botan::ECDSA_PublicKey& key);

// PEM files of the administrator's ECDSA P-256 key (PKCS#8 private, X.509 SubjectPublicKeyInfo
// public). Throws Storage_error naming the file if it is missing or not a P-256 ECDSA key.
Admin_public load_admin_public(const std::string& pem_path);
// The passphrase of an encrypted private key, asked for only if the key file is encrypted.
using Key_passphrase = std::function<Secret()>;

// Signs aHash = H(approved_policy || policy_ref) with the administrator's key. An encrypted key
// (PKCS#8 "ENCRYPTED PRIVATE KEY") is decrypted with key_passphrase(); without one that is an
// Input_error naming the file, a passphrase that does not decrypt it a Storage_error.
std::vector<uint8_t> sign_approval(const std::string& private_pem_path, const Digest& approved_policy,
                                   const Digest& policy_ref, Admin_public* public_out,
                                   const Key_passphrase& key_passphrase = {});
// Signs message (ECDSA P-256, SHA-256, r || s) with the administrator's key: the same key, file
// and passphrase handling as sign_approval, for other things the administrator vouches for (the
// firmware record of attestation).
std::vector<uint8_t> sign_with_admin_key(const std::string& private_pem_path, const std::vector<uint8_t>& message,
                                         const Key_passphrase& key_passphrase = {});
// Writes a fresh key pair (for `bulkhead disk admin-key`): private PEM mode 0600, encrypted with
// the passphrase if one is given (PKCS#8 PBES2: Botan's default, PBKDF2-SHA-256 tuned to 300 ms
// and AES-256).
void generate_admin_key(const std::string& private_pem_path, const std::string& public_pem_path,
                        const Secret* passphrase = nullptr);

std::string hex(const uint8_t* data, size_t size);
template <typename Bytes>
std::string hex(const Bytes& b) {
  return hex(b.data(), b.size());
}

}  // namespace bh::storage
