// SPDX-License-Identifier: Apache-2.0
// The sealed-key blob and the signed-policy blob: the binary formats between `bulkhead disk`
// and the kernel that unseals a partition's volume key at boot. Every reader checks magic,
// revision, header size, total size and SHA-256 before trusting any other field.
//
// Both blobs share the policy image's header (all integers little-endian):
//   offset 0   u8[8]  magic ("BKSEALED" or "BKSIGPOL")
//   offset 8   u32    revision
//   offset 12  u32    header size (k_blob_header_size)
//   offset 16  u32    total size in bytes (header + content)
//   offset 20  u32    reserved, zero
//   offset 24  u8[32] SHA-256 over the content bytes
//   offset 56  content (field by field, see sealed_key.cpp and docs/storage.md)
//
// Where the blob lives: at the fixed byte offset k_sealed_area_offset of the disk, a gap that
// `bulkhead disk create` leaves between the LUKS2 keyslot area and the data segment, so the
// kernel finds it without parsing LUKS2's JSON. The host tools keep a second copy in the LUKS2
// token "bulkhead-tpm2" and refuse a disk whose two copies differ.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::storage {

inline constexpr uint8_t k_sealed_magic[8] = {'B', 'K', 'S', 'E', 'A', 'L', 'E', 'D'};
inline constexpr uint8_t k_signed_policy_magic[8] = {'B', 'K', 'S', 'I', 'G', 'P', 'O', 'L'};
// Revision 2: the sealed secret carries the disk's identity, the blob the LUKS2 digest, the
// signed policy its policyRef (issue 12, class 5). Revision 1 blobs are refused: re-seal.
inline constexpr uint32_t k_sealed_revision = 2;
inline constexpr uint32_t k_signed_policy_revision = 2;
inline constexpr uint32_t k_blob_header_size = 56;

// The disk layout bulkhead fixes inside a LUKS2 container (docs/storage.md).
inline constexpr uint64_t k_sealed_area_offset = 16 * 1024 * 1024 - 64 * 1024;  // 16 MiB - 64 KiB
inline constexpr uint64_t k_sealed_area_size = 64 * 1024;
inline constexpr uint64_t k_data_offset = 16 * 1024 * 1024;

inline constexpr size_t k_max_tpm2b = 1024;  // a marshalled TPM2B_PUBLIC / TPM2B_PRIVATE
inline constexpr size_t k_max_name = 66;     // TPM2B_NAME contents: hash alg + digest (SHA-512)
inline constexpr size_t k_digest_size = 32;  // SHA-256: the only PCR bank and name alg we seal to
inline constexpr size_t k_uuid_size = 40;    // as in the LUKS2 binary header: ASCII, NUL padded
inline constexpr size_t k_partition_name_size = 32;
inline constexpr size_t k_sealed_max_size = 4096;
inline constexpr size_t k_volume_key_size = 64;  // AES-256-XTS: two 256-bit keys
// What the TPM seals: the volume key, then the disk's identity (disk_identity below). The TPM
// keeps both under one integrity check, so no one without the key can pair it with another
// partition or disk.
inline constexpr size_t k_sealed_secret_size = k_volume_key_size + k_digest_size;
// The kernel checks an unsealed key against the LUKS2 digest; digests with more iterations than
// this are refused (bulkhead disks use 1000, cryptsetup's minimum).
inline constexpr uint32_t k_max_luks_digest_iterations = 4000000;
// The NV counter `bulkhead disk epoch` keeps: approvals signed with --epoch check it (PolicyNV).
inline constexpr uint32_t k_approval_epoch_index = 0x01B01000;

inline constexpr uint16_t k_tpm_alg_sha256 = 0x000B;  // TPM_ALG_SHA256
inline constexpr uint16_t k_tpm_alg_ecdsa = 0x0018;   // TPM_ALG_ECDSA

// How the sealed object's authPolicy is satisfied.
enum class Seal_mode : uint32_t {
  pcr = 1,        // authPolicy = PolicyPCR(pcr_mask, expected values)
  authorize = 2,  // authPolicy = PolicyAuthorize(admin key); a signed PolicyPCR digest opens it
};

// The data segment's cipher. Only one today: AES-256-XTS with a 64-byte key whose tweak is the
// byte offset inside the data segment divided by 512 ("plain64" as LUKS2 uses it, also for
// 4096-byte sectors: verified against cryptsetup, see tests/storage/luks_xts_test.cpp).
enum class Cipher : uint32_t { aes_xts_plain64 = 1 };

// A length-prefixed byte string (a marshalled TPM2B or a TPM name).
template <size_t N>
struct Bytes {
  uint16_t size;
  uint8_t data[N];
};

// The LUKS2 volume-key digest (its "digests" entry): PBKDF2-HMAC-SHA-256 of the volume key.
struct Luks_digest {
  uint32_t iterations;
  uint8_t salt[k_digest_size];
  uint8_t digest[k_digest_size];
};

struct Sealed_key {
  Seal_mode mode;
  Cipher cipher;
  uint32_t sector_size;                   // 512 or 4096
  uint64_t data_offset;                   // bytes from the start of the disk to the data segment
  uint64_t data_size;                     // bytes of the data segment
  uint8_t disk_uuid[k_uuid_size];         // must equal the LUKS2 header's uuid field (offset 168)
  char partition[k_partition_name_size];  // NUL-terminated partition name from the policy
  Luks_digest luks_digest;                // copied from the LUKS2 header at seal time
  uint16_t pcr_hash_alg;                  // PCR bank: k_tpm_alg_sha256
  uint32_t pcr_mask;                      // bit i set: PCR i is in the selection (PCRs 0..23)
  uint8_t pcr_policy[k_digest_size];      // PolicyPCR digest of the manifest sealed to / approved
  uint8_t auth_policy[k_digest_size];     // the sealed object's authPolicy
  Bytes<k_max_name> parent_name;          // name of the storage primary (wrong-TPM check)
  Bytes<k_max_name> admin_key_name;       // mode authorize: name of the administrator's key
  Bytes<k_max_tpm2b> admin_public;        // mode authorize: marshalled TPM2B_PUBLIC for LoadExternal
  Bytes<k_max_tpm2b> sealed_public;       // marshalled TPM2B_PUBLIC of the sealed data object
  Bytes<k_max_tpm2b> sealed_private;      // marshalled TPM2B_PRIVATE of the sealed data object
};

// An administrator's approval of one PolicyPCR digest (update-survivable sealing).
struct Signed_policy {
  uint8_t policy_ref[k_digest_size];       // the identity of the one disk it approves (disk_identity)
  uint32_t epoch_index;                    // 0, or the NV counter the approval checks (revocable)
  uint64_t epoch;                          // the counter value it is valid for (PolicyNV, EQ)
  uint16_t pcr_hash_alg;
  uint32_t pcr_mask;
  uint8_t approved_policy[k_digest_size];  // PolicyPCR digest the administrator approves
  uint8_t manifest_sha256[k_digest_size];  // the reference manifest it was computed from
  Bytes<k_max_name> key_name;              // name of the signing key (must match the disk's)
  uint16_t signature_alg;                  // k_tpm_alg_ecdsa
  uint16_t signature_hash;                 // k_tpm_alg_sha256
  uint8_t signature_r[32];                 // ECDSA P-256 over SHA-256(approved_policy || policy_ref)
  uint8_t signature_s[32];
};

// The identity a disk's key is sealed with, and the policyRef of its PolicyAuthorize approvals:
// SHA-256("bulkhead disk identity 2" NUL || partition (k_partition_name_size bytes, NUL padded)
// || LUKS2 UUID (k_uuid_size bytes) || the LUKS2 digest's iterations (u32 LE), salt and digest).
// partition must be NUL-terminated within k_partition_name_size bytes.
void disk_identity(const char* partition, const uint8_t uuid[k_uuid_size], const Luks_digest& digest,
                   uint8_t out[k_digest_size]);
// True if PBKDF2-HMAC-SHA-256(volume_key, salt, iterations) equals the digest (and iterations is
// within 1 .. k_max_luks_digest_iterations).
bool luks_digest_matches(const Luks_digest& digest, const uint8_t volume_key[k_volume_key_size]);

// Serialises k into out (capacity bytes). Returns the blob size.
// Errors: out_of_range (a field outside the format's limits), no_space.
Result<size_t> write_sealed_key(const Sealed_key& k, uint8_t* out, size_t capacity);

// Checks the header (magic, revision, header size, total size <= size, digest) and decodes.
// Bytes after the declared total size are ignored (the blob sits in a larger zero-filled area).
// Errors: bad_magic, bad_revision, bad_size, bad_digest, truncated, out_of_range.
Status read_sealed_key(const uint8_t* blob, size_t size, Sealed_key& out);

Result<size_t> write_signed_policy(const Signed_policy& p, uint8_t* out, size_t capacity);
// As read_sealed_key, but the total size must equal size (a signed policy is its own file).
Status read_signed_policy(const uint8_t* blob, size_t size, Signed_policy& out);

// Binds a blob to its disk: header is the start of the disk (at least the LUKS2 primary header
// area, 16 KiB for bulkhead disks). Checks the LUKS2 magic, version 2, the header size, the
// SHA-256 header checksum, and that the header's UUID (offset 168) equals k.disk_uuid.
// Errors: truncated, bad_magic, bad_revision, bad_size, bad_digest, denied (UUID differs).
Status check_disk_binding(const uint8_t* header, size_t size, const Sealed_key& k);

// The XTS tweak (IV) of data sector `sector` (counted in sector_size units from the start of
// the data segment): LUKS2 counts it in 512-byte units whatever the sector size.
inline uint64_t xts_tweak_for_sector(uint64_t sector, uint32_t sector_size) {
  return sector * (sector_size / 512u);
}

}  // namespace sk::storage
