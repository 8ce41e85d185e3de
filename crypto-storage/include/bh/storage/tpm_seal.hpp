// SPDX-License-Identifier: Apache-2.0
// The TPM operations of `bulkhead disk` (through bh_tpm's ESAPI handles): seal a volume key
// under the owner-hierarchy storage primary, and unseal it with a PolicyPCR session, directly
// (mode pcr) or through an administrator-approved policy (PolicyAuthorize).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bh/storage/luks_disk.hpp"
#include "bh/storage/policy_digest.hpp"
#include "bh/storage/secret.hpp"
#include "sk/sealed_key.hpp"

namespace bh::storage {

// The TPM's part of a sealed-key blob.
struct Sealed_object {
  std::vector<uint8_t> tpm2b_public;   // marshalled TPM2B_PUBLIC
  std::vector<uint8_t> tpm2b_private;  // marshalled TPM2B_PRIVATE
  std::vector<uint8_t> parent_name;    // name of the storage primary it was created under
};

// The TPM refused the PCR policy: its PCRs are not the sealed (or approved) ones. `current` holds
// the TPM's SHA-256 values of the PCRs the policy covers, read right after the refusal (empty if
// they could not be read), so the caller can say which PCRs differ.
class Pcr_policy_error : public Storage_error {
 public:
  Pcr_policy_error(const std::string& what, Pcr_values current_values)
      : Storage_error(what), current(std::move(current_values)) {}
  Pcr_values current;
};

// Creates a sealed data object holding volume_key whose authPolicy is auth_policy (no
// authValue: only the policy opens it), under the storage primary (ECC P-256, the TCG SRK
// template, owner hierarchy, recreated identically by every reader). Flushes every handle.
Sealed_object tpm_seal(const std::string& tcti, const Secret& volume_key, const Digest& auth_policy);

// Unseals with a policy session: PolicyPCR over k's selection (the TPM uses its current PCR
// values), then, in mode authorize, PolicyAuthorize with approval (LoadExternal of the
// administrator's key, VerifySignature, ticket). Throws Storage_error with one line naming the
// cause: "wrong TPM" (primary's name differs), "PCR policy not satisfied" (0x99d; thrown as
// Pcr_policy_error), "approval
// not signed by the disk's administrator key", ... Every session and object is flushed.
Secret tpm_unseal(const std::string& tcti, const sk::storage::Sealed_key& k,
                  const sk::storage::Signed_policy* approval);

// The approval epoch (docs/storage.md): an NV counter at sk::storage::k_approval_epoch_index that
// approvals signed with --epoch check (PolicyNV, equal). init defines it and counts it to 1
// (refused if it exists); revoke counts it up by one, so every approval signed for the old value
// stops opening its disk; read returns the value. Each throws Storage_error with one line.
uint64_t epoch_init(const std::string& tcti);
uint64_t epoch_revoke(const std::string& tcti);
uint64_t epoch_read(const std::string& tcti);

}  // namespace bh::storage
