// SPDX-License-Identifier: Apache-2.0
// The kernel's salted, encrypted policy session for TPM2_Unseal (TPM 2.0 Part 1 "Sessions",
// "Session Key Creation", "HMAC Computation", "Parameter Encryption"; Part 3 StartAuthSession,
// Unseal): the salt goes to the TPM encrypted to the storage primary's P-256 key (ECDH, KDFe
// label "SECRET"), the session key is KDFa(salt, "ATH", nonceTPM, nonceCaller), the Unseal
// command carries an HMAC, the TPM encrypts the sealed data with AES-256-CFB, and the response
// HMAC is checked before the data is decrypted. A passive observer of the TPM bus sees neither
// the salt nor the unsealed key; a response altered on the bus is refused.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"
#include "sk/tpm_marshal.hpp"

namespace sk::tpm {

inline constexpr size_t k_name_size = 34;  // nameAlg (SHA-256) || digest

// The storage primary as CreatePrimary returned it: its P-256 public key and its Name, computed
// here from the public area (nameAlg || SHA-256(TPMT_PUBLIC)), never taken from the TPM's word.
struct Ecc_primary {
  uint32_t handle;
  uint8_t x[32];
  uint8_t y[32];
  uint8_t name[k_name_size];
};

// CreatePrimary of the storage primary (build_create_primary_storage): checks the public area is
// an ECC P-256 key with SHA-256 name algorithm, computes its Name and requires that the Name the
// TPM returned equals it. out_of_range for another key type or curve, bad_digest for a Name
// that does not match the public area.
Status parse_create_primary_ecc(const uint8_t* in, size_t size, Ecc_primary& primary);

// Name of an object from its marshalled TPM2B_PUBLIC (size field included), SHA-256 name
// algorithm only.
Status object_name(const uint8_t* public_blob, size_t public_size, uint8_t name[k_name_size]);

struct Session {
  uint32_t handle;
  uint8_t key[32];           // sessionKey: secret
  uint8_t salt[32];          // secret; wiped once the session key is derived
  uint8_t nonce_caller[32];  // the caller's nonce of the last command
  uint8_t nonce_tpm[32];     // the TPM's nonce of the last response
};

// StartAuthSession(tpmKey = primary, bind = none, POLICY, AES-256-CFB, SHA-256) with a salt
// encrypted to primary's key: ephemeral_seed (32 random bytes) makes the ECDH key, nonce_caller
// (32 random bytes) is the caller's nonce. Fills s.salt and s.nonce_caller. bad_argument if
// primary's point is not on the curve.
Result<size_t> build_start_salted_policy_session(uint8_t* out, size_t capacity, const Ecc_primary& primary,
                                                 const uint8_t ephemeral_seed[32], const uint8_t nonce_caller[32],
                                                 Session& s);
// Its response: the session handle and nonceTPM; derives s.key and wipes s.salt.
Status parse_start_salted_session(const uint8_t* in, size_t size, Session& s);

// Unseal of item (whose Name is item_name, computed with object_name) authorised by s with a
// command HMAC, continueSession clear (the TPM flushes s) and encrypt set (the TPM encrypts
// outData). next_nonce_caller: 32 fresh random bytes.
Result<size_t> build_unseal_salted(uint8_t* out, size_t capacity, uint32_t item, const uint8_t item_name[k_name_size],
                                   Session& s, const uint8_t next_nonce_caller[32]);
// Its response: checks the header, exactly one session area with the encrypt attribute, and the
// response HMAC (bad_digest if it does not verify: an altered response), then decrypts outData
// in place; data points into in. denied for a TPM error code (the policy failed).
Status parse_unseal_salted(uint8_t* in, size_t size, Session& s, Span& data);

// Overwrites the session's secrets.
void wipe(Session& s);

}  // namespace sk::tpm
