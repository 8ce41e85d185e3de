// SPDX-License-Identifier: Apache-2.0
// Unsealing each partition's disk key at boot (see disk_keys.hpp, docs/storage.md).
#include "kernel/disk_keys.hpp"

#include "drivers/ata.hpp"
#include "drivers/tpm_tis.hpp"
#include "kernel/init.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/random.hpp"
#include "sk/sealed_key.hpp"
#include "sk/sha256.hpp"
#include "sk/tpm_marshal.hpp"
#include "sk/tpm_session.hpp"

namespace sk::kernel::disk_keys {
namespace {

namespace st = storage;

constexpr uint32_t k_header_bytes = 16384;
constexpr uint32_t k_key_bytes = 64;  // AES-256-XTS: two 256-bit keys

struct Key {
  bool present;
  uint8_t bytes[k_key_bytes];
};

Key g_keys[policy::k_max_partitions];
Disk g_disks[policy::k_max_partitions];
uint8_t g_header[k_header_bytes];
uint8_t g_area[st::k_sealed_area_size];
st::Sealed_key g_sealed;
st::Signed_policy g_signed;
Module_finder g_find_module;
uint8_t g_command[4096];
uint8_t g_response[4096];

// One TPM command; the response stays in g_response. Returns its length, 0 on transport failure.
SK_INIT size_t call(Result<size_t> built) {
  if (!built) return 0;
  Result<size_t> n = drivers::tis::transact_retrying(g_command, built.value(), g_response, sizeof g_response);
  return n ? n.value() : 0;
}

SK_INIT void flush(uint32_t handle) {
  size_t n = call(tpm::build_flush_context(g_command, sizeof g_command, handle));
  (void)n;  // best effort: a handle the TPM already dropped is no error here
}

bool same_bytes(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size) {
  if (a_size != b_size) return false;
  for (size_t i = 0; i < a_size; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Authorize mode, after PolicyPCR: the administrator's signature over the approved PolicyPCR
// digest, checked by the TPM (LoadExternal, VerifySignature), then PolicyAuthorize. Returns null
// on success, else the reason.
SK_INIT const char* authorize(uint32_t session, const uint8_t identity[32]) {
  size_t n = call(tpm::build_load_external(g_command, sizeof g_command, g_sealed.admin_public.data,
                                           g_sealed.admin_public.size, tpm::k_rh_owner));
  uint32_t key = 0;
  tpm::Span name{};
  if (!n || !tpm::parse_load_external(g_response, n, key, name)) return "TPM refused the administrator's key";
  const char* why = nullptr;
  uint8_t name_copy[st::k_max_name];
  const size_t name_size = name.size;
  for (size_t i = 0; i < name_size && i < sizeof name_copy; ++i) name_copy[i] = name.bytes[i];
  if (!same_bytes(name_copy, name_size, g_sealed.admin_key_name.data, g_sealed.admin_key_name.size) ||
      !same_bytes(name_copy, name_size, g_signed.key_name.data, g_signed.key_name.size)) {
    why = "signed policy is not from the disk's administrator";
  } else {
    // aHash = H(approvedPolicy || policyRef), policyRef = this disk's identity as the kernel
    // computes it: an approval signed for another partition or disk does not verify.
    uint8_t digest[32];
    Sha256 a_hash;
    a_hash.update(g_signed.approved_policy, sizeof g_signed.approved_policy);
    a_hash.update(identity, 32);
    a_hash.finish(digest);
    n = call(tpm::build_verify_signature_ecdsa(g_command, sizeof g_command, key, digest, g_signed.signature_r,
                                               g_signed.signature_s));
    tpm::Span ticket{};
    if (!n || !tpm::parse_verify_signature(g_response, n, ticket)) {
      why = "administrator's signature does not verify";
    } else {
      uint8_t ticket_copy[128];
      const size_t ticket_size = ticket.size <= sizeof ticket_copy ? ticket.size : 0;
      for (size_t i = 0; i < ticket_size; ++i) ticket_copy[i] = ticket.bytes[i];
      n = call(tpm::build_policy_authorize(g_command, sizeof g_command, session, g_signed.approved_policy, identity,
                                           name_copy, name_size, ticket_copy, ticket_size));
      if (!n || !tpm::parse_empty(g_response, n)) why = "measured boot differs from the approved one";
    }
  }
  flush(key);
  return why;
}

// The whole sequence for one partition; returns null on success, else the reason it is locked.
SK_INIT const char* unlock(uint16_t part, uint32_t disk, Key& key) {
  const policy::Partition& p = policy().partitions[part];
  uint64_t sectors = 0;
  if (!drivers::ata::identify(disk, sectors)) return "disk not attached";
  if (sectors * drivers::ata::k_sector < st::k_data_offset) return "disk too small";
  for (uint32_t s = 0; s < k_header_bytes / drivers::ata::k_sector; s += 32) {
    if (!drivers::ata::read(disk, s, 32, g_header + s * drivers::ata::k_sector)) return "disk read error";
  }
  const uint64_t area_lba = st::k_sealed_area_offset / drivers::ata::k_sector;
  if (!drivers::ata::read(disk, area_lba, 128, g_area)) return "disk read error";
  if (!st::read_sealed_key(g_area, sizeof g_area, g_sealed)) return "sealed key missing or damaged";
  if (!st::check_disk_binding(g_header, sizeof g_header, g_sealed)) return "sealed key belongs to another disk";
  for (uint32_t i = 0; i < policy::k_name_len; ++i) {
    if (g_sealed.partition[i] != p.name.text[i]) return "disk sealed for another partition";
    if (p.name.text[i] == '\0') break;
  }
  // The identity this partition's disk must have (the TPM sealed it with the key): its name from
  // the policy, the UUID of the disk actually attached, the LUKS2 digest the blob recorded.
  uint8_t identity[st::k_digest_size];
  char own_name[st::k_partition_name_size] = {};
  for (uint32_t i = 0; i + 1 < st::k_partition_name_size && i < policy::k_name_len && p.name.text[i]; ++i) {
    own_name[i] = p.name.text[i];
  }
  st::disk_identity(own_name, g_header + 168, g_sealed.luks_digest, identity);
  // Authorize mode: the boot image carries the administrator's signed PCR policy as a module
  // named "<disk>.sig" (bulkhead disk sign-policy).
  const bool authorize_mode = g_sealed.mode == st::Seal_mode::authorize;
  if (authorize_mode) {
    char module[policy::k_path_len + 8];
    uint32_t k = 0;
    for (; p.disk.text[k] && k < policy::k_path_len; ++k) module[k] = p.disk.text[k];
    for (const char* s = ".sig"; *s; ++s) module[k++] = *s;
    module[k] = '\0';
    uint64_t size = 0;
    const uint8_t* blob = g_find_module ? g_find_module(module, &size) : nullptr;
    if (!blob) return "no signed policy for this disk";
    if (!st::read_signed_policy(blob, size, g_signed)) return "signed policy damaged";
  }
  if (!drivers::tis::present()) return "no TPM";

  // The storage primary is also the session's salt key. Its Name is pinned by the sealed blob
  // (parent_name) and computed here from the public area the TPM returned, so the salt is
  // encrypted only to the key the disk was sealed under (docs/storage.md, "The kernel's unseal
  // session").
  size_t n = call(tpm::build_create_primary_storage(g_command, sizeof g_command));
  tpm::Ecc_primary primary{};
  uint32_t object = 0;
  tpm::Span name{};
  if (!n || !tpm::parse_create_primary_ecc(g_response, n, primary)) return "TPM refused the storage primary";
  if (!same_bytes(primary.name, sizeof primary.name, g_sealed.parent_name.data, g_sealed.parent_name.size)) {
    flush(primary.handle);
    return "wrong TPM (storage primary differs)";
  }
  uint8_t item_name[tpm::k_name_size];
  if (!tpm::object_name(g_sealed.sealed_public.data, g_sealed.sealed_public.size, item_name)) {
    flush(primary.handle);
    return "sealed key damaged (public area)";
  }
  n = call(tpm::build_load(g_command, sizeof g_command, primary.handle, g_sealed.sealed_private.data,
                           g_sealed.sealed_private.size, g_sealed.sealed_public.data, g_sealed.sealed_public.size));
  if (!n || !tpm::parse_object_created(g_response, n, object, name)) {
    flush(primary.handle);
    return "TPM refused the sealed key";
  }
  // Secrets for the session: the ECDH key's seed and two caller nonces, from the CPU (never
  // from the TPM, whose GetRandom answer crosses the bus in clear).
  uint8_t fresh[3 * 32];
  tpm::Session session{};
  const char* why = nullptr;
  if (!random::fill(fresh, sizeof fresh)) {
    why = "no CPU random source (RDRAND) for a salted TPM session";
  } else if (!((n = call(tpm::build_start_salted_policy_session(g_command, sizeof g_command, primary, fresh,
                                                                fresh + 32, session))) &&
               tpm::parse_start_salted_session(g_response, n, session))) {
    why = "TPM refused a salted policy session";
  } else {
    // The PCR selection: the blob's, or in authorize mode the one the administrator approved.
    const uint16_t bank = authorize_mode ? g_signed.pcr_hash_alg : g_sealed.pcr_hash_alg;
    const uint32_t mask = authorize_mode ? g_signed.pcr_mask : g_sealed.pcr_mask;
    n = call(tpm::build_policy_pcr(g_command, sizeof g_command, session.handle, bank, mask));
    if (!n || !tpm::parse_empty(g_response, n)) {
      why = "TPM refused PolicyPCR";
      flush(session.handle);
    } else if (authorize_mode && g_signed.epoch_index != 0 &&
               !((n = call(tpm::build_policy_nv_equals(g_command, sizeof g_command, g_signed.epoch_index,
                                                       session.handle, g_signed.epoch))) &&
                 tpm::parse_empty(g_response, n))) {
      why = "approval revoked (epoch counter moved on)";  // or the counter is missing
      flush(session.handle);
    } else if (authorize_mode && (why = authorize(session.handle, identity)) != nullptr) {
      flush(session.handle);
    } else {
      n = call(tpm::build_unseal_salted(g_command, sizeof g_command, object, item_name, session, fresh + 64));
      tpm::Span data{};
      const Status unsealed = n ? tpm::parse_unseal_salted(g_response, n, session, data) : Status(Error::denied);
      if (!unsealed) {
        // denied: the TPM refused (PCR policy failed); otherwise the response was altered or
        // damaged on the way (its HMAC did not verify): nothing from it is used.
        why = unsealed.error() == Error::denied       ? "measured boot differs from the sealed one"
              : unsealed.error() == Error::bad_digest ? "TPM response failed its session HMAC"
                                                      : "TPM response malformed";
        flush(session.handle);  // a failed Unseal leaves the session
      } else if (data.size != st::k_sealed_secret_size) {
        why = "sealed key has the wrong size";
      } else if (!same_bytes(data.bytes + st::k_volume_key_size, st::k_digest_size, identity, sizeof identity)) {
        why = "disk identity differs (sealed in the TPM)";
      } else if (!st::luks_digest_matches(g_sealed.luks_digest, data.bytes)) {
        why = "unsealed key does not open this disk (LUKS2 digest)";
      } else {
        for (uint32_t i = 0; i < k_key_bytes; ++i) key.bytes[i] = data.bytes[i];
        key.present = true;
      }
    }
  }
  tpm::wipe(session);
  for (auto& b : fresh) b = 0;
  flush(object);
  flush(primary.handle);
  for (auto& b : g_response) b = 0;  // the key passed through here
  return why;
}

}  // namespace

SK_INIT void unlock_all(Module_finder find) {
  g_find_module = find;
  const policy::Policy& pol = policy();
  uint32_t disk = 0;
  for (uint16_t i = 0; i < pol.partition_count; ++i) {
    const policy::Partition& p = pol.partitions[i];
    if (p.disk.text[0] == '\0') continue;
    // The master of channel n: no two partitions' transfers share a channel (SK-LIM-1 allows
    // two disks; this check only guards a policy the validator did not see).
    const uint32_t this_disk = 2 * disk++;
    if (this_disk >= drivers::ata::k_max_disks) {
      lock_partition(i, "more disks than IDE channels");
      continue;
    }
    const char* why = unlock(i, this_disk, g_keys[i]);
    if (why) {
      audit(i, audit::Event::disk_locked, "disk %s (ide %u): %s", p.disk.text, this_disk, why);
      lock_partition(i, why);
    } else if (!g_disks[i].xts.set_key(g_keys[i].bytes)) {
      audit(i, audit::Event::disk_locked, "disk %s (ide %u): key rejected by the cipher", p.disk.text, this_disk);
      lock_partition(i, "key rejected by the cipher");
      g_keys[i].present = false;
    } else {
      g_disks[i].ata = this_disk;
      g_disks[i].use_aesni = bool(g_disks[i].aesni.set_key(g_keys[i].bytes));
      g_disks[i].data_offset = g_sealed.data_offset;
      g_disks[i].data_size = g_sealed.data_size;
      for (auto& b : g_keys[i].bytes) b = 0;  // the cipher holds the schedule; no raw key stays
      audit(i, audit::Event::disk_unlocked, "disk %s (ide %u): key unsealed, PCR mask 0x%x, data at %lu, %s", p.disk.text,
            this_disk, g_sealed.pcr_mask, g_sealed.data_offset, g_disks[i].use_aesni ? "AES-NI" : "portable AES");
    }
  }
}

const Disk* disk(uint16_t part) {
  return part < policy::k_max_partitions && g_keys[part].present ? &g_disks[part] : nullptr;
}

}  // namespace sk::kernel::disk_keys
