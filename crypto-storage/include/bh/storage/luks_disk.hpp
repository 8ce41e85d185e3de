// SPDX-License-Identifier: Apache-2.0
// A Bulkhead disk: a LUKS2 container (libcryptsetup) with bulkhead's fixed layout, its
// recovery keyslot, and the sealed-key blob kept both in a LUKS2 token and in the gap before
// the data segment (see sk/sealed_key.hpp and docs/storage.md).
#pragma once

#include "sk/sealed_key.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bh/storage/secret.hpp"

struct crypt_device;

namespace bh::storage {

// Every user-facing failure of the storage library: one line naming the file or field at fault.
class Storage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A passphrase that opens no keyslot ("wrong recovery passphrase").
class Wrong_passphrase : public Storage_error {
 public:
  using Storage_error::Storage_error;
};

inline constexpr size_t k_volume_key_size = 64;  // AES-256-XTS: data key || tweak key
inline constexpr const char* k_token_type = "bulkhead-tpm2";

enum class Pbkdf { argon2id, pbkdf2 };

struct Format_options {
  std::string path;        // the disk image to create; must not exist
  uint64_t data_size = 0;  // bytes of the data segment (rounded up to whole sectors)
  uint32_t sector_size = 4096;
  Pbkdf pbkdf = Pbkdf::argon2id;
  uint32_t pbkdf2_iterations = 0;  // PBKDF2 only: 0 = benchmarked by libcryptsetup
  std::string label;               // LUKS2 label (the partition name)
};

// Called with (bytes done, bytes total) while the data area is written.
using Progress = std::function<void(uint64_t, uint64_t)>;

struct Disk_info {
  std::string uuid;
  uint64_t data_offset = 0;  // bytes
  uint64_t data_size = 0;    // bytes
  uint32_t sector_size = 0;
  std::string cipher;         // "aes-xts-plain64"
  std::string label;          // LUKS2 label: the partition `disk create` made it for
  uint64_t keyslots_end = 0;  // first byte after the LUKS2 keyslot area
};

class Luks_disk {
 public:
  // Creates the container at a temporary name beside options.path, writes the whole data area
  // as ciphertext of zeros, enrols the recovery passphrase in keyslot 0, then renames it into
  // place: an interrupted create never leaves a half-made disk under the final name.
  static void create(const Format_options& options, const Secret& volume_key,
                     const Secret& recovery_passphrase, const Progress& progress);

  // Loads the LUKS2 header of an existing disk without changing it. Refuses (Storage_error)
  // a file that is not a LUKS2 container with bulkhead's layout.
  explicit Luks_disk(const std::string& path);
  ~Luks_disk();
  Luks_disk(const Luks_disk&) = delete;
  Luks_disk& operator=(const Luks_disk&) = delete;

  const Disk_info& info() const { return info_; }
  const std::string& path() const { return path_; }

  // The volume key from the recovery passphrase. Throws Wrong_passphrase ("wrong recovery
  // passphrase") on a passphrase that opens no keyslot.
  Secret volume_key_from_passphrase(const Secret& passphrase);
  // True if key is this container's volume key (checked against the LUKS2 digest).
  bool verify_volume_key(const Secret& key);
  // The LUKS2 digest of the volume key (the "digests" entry of segment 0), read from the primary
  // header's JSON. Throws Storage_error unless it is PBKDF2-SHA-256 with a 32-byte salt and digest
  // and at most sk::storage::k_max_luks_digest_iterations iterations.
  sk::storage::Luks_digest volume_key_digest();

  // The bulkhead-tpm2 token's JSON text, if the disk has one.
  std::optional<std::string> token_json();
  // Removes the bulkhead-tpm2 token (nothing if there is none).
  void remove_token();
  // Replaces the passphrase of the keyslot `old_passphrase` opens; the other keyslots stay.
  // Throws Wrong_passphrase if it opens none.
  void change_passphrase(const Secret& old_passphrase, const Secret& new_passphrase);
  // The LUKS2 keyslots in use (the recovery passphrase's is 0 after `disk create`).
  std::vector<int> active_keyslots();
  // Replaces (or adds) the bulkhead-tpm2 token.
  void set_token_json(const std::string& json);

 private:
  std::string path_;
  crypt_device* cd_ = nullptr;
  Disk_info info_;
  std::string log_;  // libcryptsetup's last error message, for one-line reports
  static void log_callback(int level, const char* message, void* sink);
};

// Verifies magic, version, offset and SHA-256 checksum of both LUKS2 header copies and that
// they agree. Throws Storage_error naming the copy at fault; reads only.
void check_luks2_headers(const std::string& path);

// Reads and writes the sealed-key area (k_sealed_area_offset .. + k_sealed_area_size).
std::vector<uint8_t> read_sealed_area(const std::string& path);
void write_sealed_area(const std::string& path, const std::vector<uint8_t>& blob);

}  // namespace bh::storage
