// SPDX-License-Identifier: Apache-2.0
// Sealing, re-sealing and unsealing a disk's volume key, and signing approved PCR policies.
#include <botan/base64.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "bh/storage/disk.hpp"
#include "bh/storage/manifest_pcrs.hpp"
#include "sk/event_log.hpp"

namespace bh::storage {

namespace {

template <size_t N>
void set_bytes(sk::storage::Bytes<N>& out, const std::vector<uint8_t>& in, const char* what) {
  if (in.size() > N)
    throw Storage_error(std::string(what) + ": " + std::to_string(in.size()) + " bytes, too large");
  out.size = uint16_t(in.size());
  std::copy(in.begin(), in.end(), out.data);
}

std::vector<uint8_t> read_binary(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Storage_error(path + ": cannot read " + what);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

sk::storage::Signed_policy load_signed_policy(const std::string& path) {
  auto bytes = read_binary(path, "signed policy");
  sk::storage::Signed_policy p{};
  sk::Status status = sk::storage::read_signed_policy(bytes.data(), bytes.size(), p);
  if (!status) throw Storage_error(path + ": signed policy refused: " + sk::error_name(status.error()));
  return p;
}

nlohmann::json token_for(const sk::storage::Sealed_key& k, const std::vector<uint8_t>& blob,
                         const Manifest_pcrs& manifest) {
  nlohmann::json pcrs = nlohmann::json::array();
  for (uint32_t i = 0; i < 24; ++i) {
    if (k.pcr_mask & (1u << i)) pcrs.push_back(i);
  }
  // The values themselves, so that a failed unseal can say which PCR moved (the blob holds only
  // their PolicyPCR digest).
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [pcr, value] : manifest.values) values[std::to_string(pcr)] = hex(value);
  nlohmann::json token = {
      {"type", k_token_type},
      {"keyslots", nlohmann::json::array()},
      {"bulkhead_revision", sk::storage::k_sealed_revision},
      {"partition", k.partition},
      {"mode", k.mode == sk::storage::Seal_mode::pcr ? "pcr" : "authorize"},
      {"pcr_bank", "sha256"},
      {"pcrs", pcrs},
      {"pcr_values", values},
      {"pcr_policy", hex(k.pcr_policy, 32)},
      {"auth_policy", hex(k.auth_policy, 32)},
      {"manifest_sha256", hex(manifest.manifest_sha256)},
      {"sealed_area_offset", sk::storage::k_sealed_area_offset},
      {"blob", Botan::base64_encode(blob.data(), blob.size())},
  };
  if (k.mode == sk::storage::Seal_mode::authorize) {
    token["admin_key_name"] = hex(k.admin_key_name.data, k.admin_key_name.size);
  }
  return token;
}

// "PCR 9" or "PCRs 8, 9".
std::string pcr_list(const std::vector<uint32_t>& pcrs) {
  std::string text = pcrs.size() == 1 ? "PCR " : "PCRs ";
  for (size_t i = 0; i < pcrs.size(); ++i) text += (i ? ", " : "") + std::to_string(pcrs[i]);
  return text;
}

std::string short_hex(const Digest& d) {
  return hex(d.data(), 6) + "...";
}

// The one line a refused PCR policy becomes: which PCRs differ from the sealed (or approved)
// values, with both values, and what to do next. The expected values come from the token (kept
// only if they give the blob's PolicyPCR digest); an approval holds only a digest, so its values
// are known only when it approves the sealed ones.
std::string explain_pcr_failure(const Current_seal& seal, const sk::storage::Signed_policy* approval,
                                const Pcr_values& current) {
  const bool approved = approval != nullptr;
  const std::string kind = approved ? "approved" : "sealed";
  const uint32_t mask = approved ? approval->pcr_mask : seal.key.pcr_mask;
  std::vector<uint32_t> selection;
  for (uint32_t pcr = 0; pcr < 24; ++pcr) {
    if (mask & (1u << pcr)) selection.push_back(pcr);
  }
  Pcr_values expected = seal.sealed_pcrs;
  if (approved && !expected.empty()) {
    Digest digest = policy_pcr_digest(expected);
    if (approval->epoch_index != 0) digest = policy_nv_equals_digest(digest, approval->epoch);
    if (pcr_mask(expected) != mask || !std::equal(digest.begin(), digest.end(), approval->approved_policy)) {
      expected.clear();  // approved for other values than the sealed ones: not known here
    }
  }
  std::string what = "PCR policy not satisfied: ";
  if (current.size() != selection.size()) {
    what += "the TPM's " + pcr_list(selection) + " are not the " + kind +
            " ones (the TPM's values could not be read)";
  } else if (expected.empty()) {
    std::string now;
    for (uint32_t pcr : selection)
      now += (now.empty() ? "" : ", ") + std::to_string(pcr) + ": " + short_hex(current.at(pcr));
    what +=
        "the TPM's " + pcr_list(selection) + " are not the " + kind + " ones (which differ is not known: " +
        (approved ? "the signed policy holds only their digest" : "the seal did not record their values") +
        "; now " + now + ")";
  } else {
    std::vector<uint32_t> differing;
    std::string values;
    for (uint32_t pcr : selection) {
      if (current.at(pcr) == expected.at(pcr)) continue;
      differing.push_back(pcr);
      values += (values.empty() ? "" : "; ") + (selection.size() > 1 ? std::to_string(pcr) + ": " : "") +
                kind + " " + short_hex(expected.at(pcr)) + ", now " + short_hex(current.at(pcr));
    }
    if (differing.empty()) {
      what += "the TPM's " + pcr_list(selection) + " have the " + kind +
              " values, yet the TPM refused the policy";
    } else {
      what += pcr_list(differing) + (differing.size() == 1 ? " differs" : " differ") + " from the " + kind +
              " configuration (" + values + ")";
    }
  }
  what +=
      approved
          ? "; if this build is intended, have the administrator approve it (`bulkhead disk sign-policy "
            "--manifest NEW`), else open the disk with the recovery passphrase (`bulkhead disk recover`)"
          : "; if this build is intended, reseal the disk to its manifest (`bulkhead disk reseal --manifest "
            "NEW --passphrase-file F`), else open it with the recovery passphrase (`bulkhead disk recover`)";
  return what;
}

}  // namespace

sk::storage::Sealed_key seal_disk(const Seal_request& request, std::string* replaced) {
  Luks_disk disk(request.disk);
  const Disk_info& info = disk.info();
  std::string partition = request.partition;
  std::optional<Current_seal> current;
  std::string unreadable;  // a seal is there but cannot be read (damaged, or an older revision)
  try {
    current = read_seal(disk);
  } catch (const Storage_error& e) {
    if (request.reseal) throw;
    unreadable = e.what();
  }
  if (!unreadable.empty()) {
    if (!request.force) throw Storage_error(unreadable);
    if (replaced) *replaced = "a seal that could not be read";
  }
  if (request.reseal) {
    if (!current) throw Storage_error(request.disk + ": not sealed yet: use `disk seal`");
    if (partition.empty()) partition = current->key.partition;
  }
  if (partition.empty()) throw Storage_error("--partition: required");
  if (!info.label.empty() && info.label != partition) {
    throw Storage_error(request.disk + ": created for partition \"" + info.label + "\", not \"" + partition +
                        "\" (its LUKS2 label); create a disk for \"" + partition + "\" instead");
  }
  const auto mode_name = [](const sk::storage::Sealed_key& k) {
    return std::string(k.mode == sk::storage::Seal_mode::pcr ? "PolicyPCR" : "PolicyAuthorize");
  };
  if (current) {
    const std::string sealed_for = current->key.partition;
    if (sealed_for != partition) {
      throw Storage_error(request.disk + ": sealed for partition \"" + sealed_for + "\", not \"" + partition + "\"");
    }
    if (!request.reseal && !request.force) {
      throw Storage_error(request.disk + ": already sealed for partition \"" + sealed_for + "\" (" + mode_name(current->key) +
                          "); `disk reseal` seals it again, `disk seal --force` replaces the seal");
    }
    if (replaced) *replaced = "the " + mode_name(current->key) + " seal for partition \"" + sealed_for + "\"";
  }
  if (partition.size() >= sk::storage::k_partition_name_size) {
    throw Storage_error("--partition: name must be 1.." +
                        std::to_string(sk::storage::k_partition_name_size - 1) + " characters");
  }
  Manifest_pcrs manifest = load_manifest_pcrs(request.manifest, partition);
  if (!manifest.values.count(sk::event_log::k_pcr_kernel) && !request.unmeasured_kernel) {
    // Without PCR 4 anything that replays the manifest's public extends (another kernel, another
    // operating system on this machine) satisfies the policy.
    std::vector<uint32_t> pcrs;
    for (const auto& [pcr, value] : manifest.values) pcrs.push_back(pcr);
    throw Storage_error(
        request.manifest + ": partitions." + partition + ".disk_pcrs (" + pcr_list(pcrs) +
        ") leave out PCR 4: the kernel is unmeasured and any kernel replaying the manifest opens "
        "the disk; build the manifest with --boot-stage and --kernel, or pass "
        "--unmeasured-kernel (multiboot path)");
  }

  sk::storage::Sealed_key k{};
  k.mode = request.authorize_key ? sk::storage::Seal_mode::authorize : sk::storage::Seal_mode::pcr;
  k.cipher = sk::storage::Cipher::aes_xts_plain64;
  k.sector_size = info.sector_size;
  k.data_offset = info.data_offset;
  k.data_size = info.data_size;
  if (info.uuid.size() >= sk::storage::k_uuid_size)
    throw Storage_error(request.disk + ": LUKS2 UUID too long");
  std::memcpy(k.disk_uuid, info.uuid.data(), info.uuid.size());
  std::memcpy(k.partition, partition.c_str(), partition.size());
  k.luks_digest = disk.volume_key_digest();
  Digest identity{};
  sk::storage::disk_identity(k.partition, k.disk_uuid, k.luks_digest, identity.data());
  k.pcr_hash_alg = sk::storage::k_tpm_alg_sha256;
  k.pcr_mask = pcr_mask(manifest.values);
  Digest pcr_policy = policy_pcr_digest(manifest.values);
  Digest auth_policy = pcr_policy;
  if (request.authorize_key) {
    Admin_public admin = load_admin_public(*request.authorize_key);
    auth_policy = policy_authorize_digest(admin.name, identity);
    set_bytes(k.admin_key_name, admin.name, "administrator key name");
    set_bytes(k.admin_public, admin.tpm2b_public, "administrator public key");
  } else if (current && current->key.mode == sk::storage::Seal_mode::authorize) {
    // Re-seal keeps PolicyAuthorize with the same administrator key.
    k.mode = sk::storage::Seal_mode::authorize;
    k.admin_key_name = current->key.admin_key_name;
    k.admin_public = current->key.admin_public;
    auth_policy = policy_authorize_digest(
        std::vector<uint8_t>(k.admin_key_name.data, k.admin_key_name.data + k.admin_key_name.size), identity);
  }
  std::copy(pcr_policy.begin(), pcr_policy.end(), k.pcr_policy);
  std::copy(auth_policy.begin(), auth_policy.end(), k.auth_policy);

  // The volume key: from the recovery passphrase, or (re-seal on the running configuration)
  // from the disk's current seal through the TPM.
  if (!request.passphrase && !request.reseal) {
    throw Storage_error(request.disk +
                        ": --passphrase-file is required (the recovery passphrase reads the volume key)");
  }
  Secret volume_key = request.passphrase ? recover_volume_key(disk, (*request.passphrase)())
                                         : unseal_disk(request.disk, request.tcti, request.signed_policy);

  // The TPM seals the key with the disk's identity: no one can pair it with another partition.
  Secret secret = volume_key;
  secret.insert(secret.end(), identity.begin(), identity.end());
  Sealed_object object;
  try {
    object = tpm_seal(request.tcti, secret, auth_policy);
  } catch (const Storage_error& e) {
    throw Storage_error(request.disk + ": " + e.what());
  }
  set_bytes(k.parent_name, object.parent_name, "storage primary name");
  set_bytes(k.sealed_public, object.tpm2b_public, "sealed object public area");
  set_bytes(k.sealed_private, object.tpm2b_private, "sealed object private area");

  std::vector<uint8_t> blob(sk::storage::k_sealed_max_size);
  auto size = sk::storage::write_sealed_key(k, blob.data(), blob.size());
  if (!size)
    throw Storage_error(request.disk + ": cannot encode sealed-key blob: " + sk::error_name(size.error()));
  blob.resize(size.value());
  // The token (atomic through LUKS2's two header copies) first, then the kernel's copy; a
  // reader refuses a disk whose copies differ, so an interrupted seal is detected, not used.
  disk.set_token_json(token_for(k, blob, manifest).dump());
  write_sealed_area(request.disk, blob);
  return k;
}

Secret unseal_disk(const std::string& path, const std::string& tcti,
                   const std::optional<std::string>& signed_policy_file) {
  Luks_disk disk(path);
  auto seal = read_seal(disk);
  if (!seal) throw Storage_error(path + ": disk is not sealed (no " + std::string(k_token_type) + " token)");
  std::optional<sk::storage::Signed_policy> approval;
  if (seal->key.mode == sk::storage::Seal_mode::authorize) {
    if (!signed_policy_file)
      throw Storage_error(path + ": sealed with PolicyAuthorize: --signed-policy is required");
    approval = load_signed_policy(*signed_policy_file);
    const auto& name = seal->key.admin_key_name;
    if (approval->key_name.size != name.size ||
        std::memcmp(approval->key_name.data, name.data, name.size) != 0) {
      throw Storage_error(*signed_policy_file + ": signed by key " +
                          hex(approval->key_name.data, approval->key_name.size) +
                          ", not by the disk's administrator key " + hex(name.data, name.size));
    }
  }
  Secret key;
  try {
    key = tpm_unseal(tcti, seal->key, approval ? &*approval : nullptr);
  } catch (const Pcr_policy_error& e) {
    throw Storage_error(path + ": " + explain_pcr_failure(*seal, approval ? &*approval : nullptr, e.current));
  } catch (const Storage_error& e) {
    throw Storage_error(path + ": " + e.what());
  }
  Digest identity{};
  sk::storage::disk_identity(seal->key.partition, seal->key.disk_uuid, disk.volume_key_digest(), identity.data());
  if (key.size() != sk::storage::k_sealed_secret_size ||
      !std::equal(identity.begin(), identity.end(), key.begin() + sk::storage::k_volume_key_size)) {
    throw Storage_error(path + ": the TPM released a key sealed for another partition or disk (identity differs)");
  }
  key.resize(sk::storage::k_volume_key_size);
  if (!disk.verify_volume_key(key)) {
    throw Storage_error(path +
                        ": the TPM released a key that does not open this disk (blob from another disk?)");
  }
  return key;
}

sk::storage::Signed_policy sign_policy(const std::string& private_key_pem, const std::string& manifest_path,
                                       const std::string& disk_path, const std::string& output,
                                       std::optional<uint64_t> epoch, const Key_passphrase& key_passphrase) {
  // The approval names the one disk it is for (policyRef = its identity, from its seal).
  Luks_disk disk(disk_path);
  auto seal = read_seal(disk);
  if (!seal) throw Storage_error(disk_path + ": disk is not sealed: nothing to approve");
  if (seal->key.mode != sk::storage::Seal_mode::authorize) {
    throw Storage_error(disk_path + ": sealed to PCRs, not with PolicyAuthorize: re-seal it instead");
  }
  const std::string partition = seal->key.partition;
  Manifest_pcrs manifest = load_manifest_pcrs(manifest_path, partition);
  Digest approved = policy_pcr_digest(manifest.values);
  if (epoch) approved = policy_nv_equals_digest(approved, *epoch);  // PolicyPCR, then PolicyNV
  Digest identity{};
  sk::storage::disk_identity(seal->key.partition, seal->key.disk_uuid, disk.volume_key_digest(), identity.data());
  Admin_public admin;
  auto signature = sign_approval(private_key_pem, approved, identity, &admin, key_passphrase);
  if (signature.size() != 64) throw Storage_error(private_key_pem + ": unexpected signature size");
  sk::storage::Signed_policy p{};
  std::copy(identity.begin(), identity.end(), p.policy_ref);
  if (epoch) {
    p.epoch_index = sk::storage::k_approval_epoch_index;
    p.epoch = *epoch;
  }
  p.pcr_hash_alg = sk::storage::k_tpm_alg_sha256;
  p.pcr_mask = pcr_mask(manifest.values);
  std::copy(approved.begin(), approved.end(), p.approved_policy);
  std::copy(manifest.manifest_sha256.begin(), manifest.manifest_sha256.end(), p.manifest_sha256);
  set_bytes(p.key_name, admin.name, "administrator key name");
  p.signature_alg = sk::storage::k_tpm_alg_ecdsa;
  p.signature_hash = sk::storage::k_tpm_alg_sha256;
  std::copy(signature.begin(), signature.begin() + 32, p.signature_r);
  std::copy(signature.begin() + 32, signature.end(), p.signature_s);
  std::vector<uint8_t> blob(1024);
  auto size = sk::storage::write_signed_policy(p, blob.data(), blob.size());
  if (!size) throw Storage_error(output + ": cannot encode signed policy: " + sk::error_name(size.error()));
  blob.resize(size.value());
  std::string temporary = output + ".writing";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(blob.data()), std::streamsize(blob.size()));
    if (!out) throw Storage_error(output + ": cannot write");
  }
  std::filesystem::rename(temporary, output);
  return p;
}

}  // namespace bh::storage
