// SPDX-License-Identifier: Apache-2.0
// The administrator's operations on a bulkhead disk, as the `bulkhead disk` subcommands run
// them. Each either completes or throws Storage_error (one line) having changed nothing on
// disk: every check and every TPM command runs before the first write.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bh/storage/luks_disk.hpp"
#include "bh/storage/policy_digest.hpp"
#include "bh/storage/passphrase.hpp"
#include "bh/storage/tpm_seal.hpp"
#include "sk/sealed_key.hpp"

namespace bh::storage {

struct Create_request {
  Format_options format;
  std::optional<Passphrase_source> recovery_passphrase;  // none: a recovery key is generated
};

// Creates the disk (refused before the passphrase is asked for if the file exists). Returns the
// generated recovery key if no passphrase was given (shown once).
std::optional<std::string> create_disk(const Create_request& request, const Progress& progress);

// The disk's current seal, read from both copies (LUKS2 token and sealed-key area), which must
// agree and must belong to this disk (UUID, layout). nullopt: the disk was never sealed.
struct Current_seal {
  sk::storage::Sealed_key key;
  std::vector<uint8_t> blob;
  std::string manifest_sha256;  // hex, from the token
  // The PCR values sealed to, as the token records them (diagnostics only: kept only if their
  // PolicyPCR digest is the blob's); empty for seals that did not record them.
  Pcr_values sealed_pcrs;
};
std::optional<Current_seal> read_seal(Luks_disk& disk);

// Opens the recovery keyslot and checks the key against the LUKS2 digest. If passphrase.text
// opens no keyslot, passphrase.without_final_newline is tried (a disk made by an older bulkhead,
// which dropped a file's final newline) and on success on_older_reading is called. Throws
// Wrong_passphrase if neither opens it.
Secret recover_volume_key(Luks_disk& disk, const Passphrase& passphrase);

struct Seal_request {
  std::string disk;
  std::string manifest;
  std::string partition;
  std::string tcti;
  std::optional<Passphrase_source> passphrase;  // none: unseal the current seal with the TPM
  std::optional<std::string> signed_policy;    // for unsealing a current authorize-mode seal
  std::optional<std::string> authorize_key;    // administrator's public PEM: PolicyAuthorize
  bool reseal = false;  // partition and mode (with its administrator key) default to the current seal's
  bool force = false;   // seal: replace an existing seal (reseal always replaces its own)
  // Accept a PCR set without PCR 4 (the boot stage and the kernel): the multiboot path, where
  // nothing measures the kernel. Without it such a set is refused (unmeasured_kernel_refusal).
  bool unmeasured_kernel = false;
};
// Seals (or re-seals) the volume key. Refuses a partition other than the one the disk was
// created for (its LUKS2 label) or already sealed for, and a `seal` of a sealed disk without
// force, and a manifest whose PCRs for the partition leave out PCR 4 unless unmeasured_kernel.
// Returns the blob written; `replaced` names the seal it replaced, if any.
sk::storage::Sealed_key seal_disk(const Seal_request& request, std::string* replaced = nullptr);

// Unseals through the TPM and checks the key against the LUKS2 digest. A PCR policy the TPM's
// PCRs do not satisfy is one line naming the PCRs that differ from the sealed (or approved)
// values, with their values, and what to do next (reseal, approve, or the recovery passphrase).
Secret unseal_disk(const std::string& disk, const std::string& tcti,
                   const std::optional<std::string>& signed_policy_file);

// Writes the administrator's approval of the manifest's PolicyPCR digest for the one disk given
// (its partition from its seal; policyRef = the disk's identity: the approval opens no other).
// epoch: make the approval revocable (valid while the TPM's epoch counter has this value).
// key_passphrase: for an encrypted administrator key (sign_approval).
sk::storage::Signed_policy sign_policy(const std::string& private_key_pem, const std::string& manifest,
                                       const std::string& disk, const std::string& output,
                                       std::optional<uint64_t> epoch = std::nullopt,
                                       const Key_passphrase& key_passphrase = {});

// A human-readable summary (LUKS2 layout, seal mode, PCRs, digests).
std::string describe_disk(const std::string& disk);
// The same as JSON: {"path", "uuid", "created_for", "cipher", "data": {offset, size, sector_size},
// "keyslots": [..], "seal": null or {"partition", "mode", "pcrs": [..], "pcr_policy",
// "auth_policy", "storage_primary", "administrator_key"?, "manifest_sha256"?}}.
nlohmann::json describe_disk_json(const std::string& disk);

// Removes the disk's seal (the token and the sealed-key area) after checking that the recovery
// passphrase opens the disk, so that removing it never leaves a disk nothing can open. Returns
// what was removed ("the PolicyPCR seal for partition \"x\"").
std::string remove_seal(const std::string& disk, const Passphrase_source& passphrase);
// Replaces the recovery passphrase (the keyslot the old one opens; the new one is asked for only
// after the old one opened it), then checks the new one opens the disk.
void change_recovery_passphrase(const std::string& disk, const Passphrase_source& old_passphrase,
                                const Passphrase_source& new_passphrase);

// Writes a secret to a new file with mode 0600 (refuses to overwrite).
void write_secret_file(const std::string& path, const Secret& secret);

// Parses sizes like "64M", "2G", "4096" (bytes; K/M/G/T are powers of 1024).
uint64_t parse_size(const std::string& text);

}  // namespace bh::storage
