// SPDX-License-Identifier: Apache-2.0
// LUKS2 containers through libcryptsetup, with bulkhead's fixed layout and checks.
#include "bh/storage/luks_disk.hpp"

#include <botan/base64.h>
#include <botan/cipher_mode.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sk/sealed_key.hpp"

namespace bh::storage {

namespace {

constexpr uint64_t k_metadata_size = 16 * 1024;  // one LUKS2 header copy: 4 KiB binary + JSON

// libcryptsetup's messages go to the handle's log string, not to the terminal.
void quiet_default_log(int, const char*, void*) {}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, const uint8_t* data, size_t size, uint64_t offset, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, off_t(offset));
    if (n <= 0) throw Storage_error(path + ": write failed: " + std::strerror(errno));
    data += n;
    size -= size_t(n);
    offset += uint64_t(n);
  }
}

// Writes the data area as AES-256-XTS ciphertext of zeros (LUKS2 tweak convention), so a new
// disk reads as zeros through any LUKS2 implementation and reveals no unused sectors.
void encrypt_zero_data_area(int fd, const std::string& path, uint64_t data_offset, uint64_t data_size,
                            uint32_t sector_size, const Secret& volume_key, const Progress& progress) {
  auto xts = Botan::Cipher_Mode::create_or_throw("AES-256/XTS", Botan::ENCRYPTION);
  xts->set_key(volume_key);
  constexpr size_t k_chunk = 1024 * 1024;
  std::vector<uint8_t> chunk;
  uint8_t tweak[16] = {};
  for (uint64_t done = 0; done < data_size;) {
    size_t n = size_t(std::min<uint64_t>(k_chunk, data_size - done));
    chunk.assign(n, 0);
    for (size_t s = 0; s < n; s += sector_size) {
      uint64_t iv = sk::storage::xts_tweak_for_sector((done + s) / sector_size, sector_size);
      for (int i = 0; i < 8; ++i) tweak[i] = uint8_t(iv >> (8 * i));
      xts->start(tweak, sizeof tweak);
      xts->process(chunk.data() + s, sector_size);
    }
    write_all(fd, chunk.data(), n, data_offset + done, path);
    done += n;
    if (progress) progress(done, data_size);
  }
}

}  // namespace

void Luks_disk::log_callback(int level, const char* message, void* sink) {
  if (level != CRYPT_LOG_ERROR || message == nullptr) return;
  auto* log = static_cast<std::string*>(sink);
  *log = message;
  while (!log->empty() && (log->back() == '\n' || log->back() == '.')) log->pop_back();
}

void Luks_disk::create(const Format_options& options, const Secret& volume_key,
                       const Secret& recovery_passphrase, const Progress& progress) {
  namespace fs = std::filesystem;
  const std::string& path = options.path;
  crypt_set_log_callback(nullptr, quiet_default_log, nullptr);
  if (fs::exists(path)) throw Storage_error(path + ": already exists; refusing to overwrite a disk");
  if (volume_key.size() != k_volume_key_size) throw Storage_error("volume key: must be 64 bytes");
  if (options.sector_size != 512 && options.sector_size != 4096) {
    throw Storage_error("--sector-size: must be 512 or 4096");
  }
  if (options.data_size == 0) throw Storage_error("--size: must be more than zero");
  const uint64_t data_size =
      (options.data_size + options.sector_size - 1) / options.sector_size * options.sector_size;
  const std::string temporary = path + ".creating";
  crypt_device* cd = nullptr;
  std::string log;
  try {
    {
      Fd f;
      f.fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
      if (f.fd < 0) throw Storage_error(temporary + ": cannot create: " + std::strerror(errno));
      if (::ftruncate(f.fd, off_t(sk::storage::k_data_offset + data_size)) != 0) {
        throw Storage_error(temporary + ": cannot size: " + std::strerror(errno));
      }
    }
    if (crypt_init(&cd, temporary.c_str()) < 0)
      throw Storage_error(temporary + ": libcryptsetup cannot open it");
    crypt_set_log_callback(cd, &Luks_disk::log_callback, &log);
    auto fail = [&](const char* what) { throw Storage_error(path + ": " + what + ": " + log); };
    // Keyslots end where the sealed-key area begins; the data segment follows that area.
    if (crypt_set_metadata_size(cd, k_metadata_size,
                                sk::storage::k_sealed_area_offset - 2 * k_metadata_size) < 0) {
      fail("cannot set LUKS2 metadata size");
    }
    if (crypt_set_data_offset(cd, sk::storage::k_data_offset / 512) < 0) fail("cannot set data offset");
    crypt_pbkdf_type pbkdf{};
    if (options.pbkdf == Pbkdf::pbkdf2) {
      pbkdf.type = CRYPT_KDF_PBKDF2;
      pbkdf.hash = "sha256";
      pbkdf.iterations = options.pbkdf2_iterations ? options.pbkdf2_iterations : 600000;
    } else {
      // Argon2id with fixed costs: 4 passes over 256 MiB, 2 lanes (about 1 s here).
      pbkdf.type = CRYPT_KDF_ARGON2ID;
      pbkdf.hash = "sha256";
      pbkdf.iterations = 4;
      pbkdf.max_memory_kb = 262144;
      pbkdf.parallel_threads = 2;
    }
    // Fixed costs, not a benchmark: the same disk on every machine, and the volume-key digest gets
    // cryptsetup's minimum of 1000 PBKDF2 iterations, which the kernel checks at boot (a 512-bit
    // random key needs no stretching).
    pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
    if (crypt_set_pbkdf_type(cd, &pbkdf) < 0) fail("cannot set the PBKDF");
    crypt_params_luks2 params{};
    params.sector_size = options.sector_size;
    params.label = options.label.empty() ? nullptr : options.label.c_str();
    params.pbkdf = &pbkdf;
    if (crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", nullptr,
                     reinterpret_cast<const char*>(volume_key.data()), volume_key.size(), &params) < 0) {
      fail("LUKS2 format failed");
    }
    if (crypt_keyslot_add_by_volume_key(
            cd, 0, reinterpret_cast<const char*>(volume_key.data()), volume_key.size(),
            reinterpret_cast<const char*>(recovery_passphrase.data()), recovery_passphrase.size()) < 0) {
      fail("cannot enrol the recovery passphrase");
    }
    crypt_free(cd);
    cd = nullptr;
    Fd f;
    f.fd = ::open(temporary.c_str(), O_RDWR);
    if (f.fd < 0) throw Storage_error(temporary + ": cannot reopen: " + std::strerror(errno));
    encrypt_zero_data_area(f.fd, temporary, sk::storage::k_data_offset, data_size, options.sector_size,
                           volume_key, progress);
    if (::fsync(f.fd) != 0) throw Storage_error(temporary + ": fsync failed: " + std::strerror(errno));
    if (fs::exists(path)) throw Storage_error(path + ": appeared while creating; left " + temporary);
    fs::rename(temporary, path);
  } catch (...) {
    if (cd != nullptr) crypt_free(cd);
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

Luks_disk::Luks_disk(const std::string& path) : path_(path) {
  crypt_set_log_callback(nullptr, quiet_default_log, nullptr);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Storage_error(path + ": cannot open disk: " + std::strerror(errno));
  check_luks2_headers(path);  // before libcryptsetup, which would repair a damaged copy
  if (crypt_init(&cd_, path.c_str()) < 0) throw Storage_error(path + ": cannot open disk");
  crypt_set_log_callback(cd_, &Luks_disk::log_callback, &log_);
  if (crypt_load(cd_, CRYPT_LUKS2, nullptr) < 0) {
    std::string why = log_.empty() ? "no valid LUKS2 header" : log_;
    crypt_free(cd_);
    cd_ = nullptr;
    throw Storage_error(path + ": not a usable LUKS2 disk (" + why + ")");
  }
  auto refuse = [&](const std::string& what) {
    crypt_free(cd_);
    cd_ = nullptr;
    throw Storage_error(path + ": not a bulkhead disk: " + what);
  };
  info_.uuid = crypt_get_uuid(cd_) ? crypt_get_uuid(cd_) : "";
  info_.label = crypt_get_label(cd_) ? crypt_get_label(cd_) : "";
  info_.data_offset = crypt_get_data_offset(cd_) * 512;
  info_.sector_size = uint32_t(crypt_get_sector_size(cd_));
  info_.cipher = std::string(crypt_get_cipher(cd_) ? crypt_get_cipher(cd_) : "") + "-" +
                 (crypt_get_cipher_mode(cd_) ? crypt_get_cipher_mode(cd_) : "");
  uint64_t metadata = 0, keyslots = 0;
  if (crypt_get_metadata_size(cd_, &metadata, &keyslots) < 0) refuse("LUKS2 metadata size unreadable");
  info_.keyslots_end = 2 * metadata + keyslots;
  if (info_.cipher != "aes-xts-plain64") refuse("cipher is " + info_.cipher + " (expected aes-xts-plain64)");
  if (crypt_get_volume_key_size(cd_) != int(k_volume_key_size)) refuse("volume key is not 512 bits");
  if (info_.data_offset != sk::storage::k_data_offset) {
    refuse("data offset is " + std::to_string(info_.data_offset) + " (expected " +
           std::to_string(sk::storage::k_data_offset) + ")");
  }
  if (info_.keyslots_end > sk::storage::k_sealed_area_offset)
    refuse("LUKS2 keyslot area overlaps the sealed-key area");
  if (info_.sector_size != 512 && info_.sector_size != 4096)
    refuse("sector size is " + std::to_string(info_.sector_size));
  if (uint64_t(st.st_size) <= info_.data_offset) refuse("file ends before the data segment");
  info_.data_size = (uint64_t(st.st_size) - info_.data_offset) / info_.sector_size * info_.sector_size;
}

Luks_disk::~Luks_disk() {
  if (cd_ != nullptr) crypt_free(cd_);
}

Secret Luks_disk::volume_key_from_passphrase(const Secret& passphrase) {
  Secret key(k_volume_key_size);
  size_t size = key.size();
  int r = crypt_volume_key_get(cd_, CRYPT_ANY_SLOT, reinterpret_cast<char*>(key.data()), &size,
                               reinterpret_cast<const char*>(passphrase.data()), passphrase.size());
  if (r == -EPERM) throw Wrong_passphrase(path_ + ": wrong recovery passphrase (no keyslot opens with it)");
  if (r < 0 || size != k_volume_key_size) {
    throw Storage_error(path_ + ": cannot read the volume key: " + (log_.empty() ? std::strerror(-r) : log_));
  }
  return key;
}

bool Luks_disk::verify_volume_key(const Secret& key) {
  if (key.size() != k_volume_key_size) return false;
  return crypt_volume_key_verify(cd_, reinterpret_cast<const char*>(key.data()), key.size()) == 0;
}

sk::storage::Luks_digest Luks_disk::volume_key_digest() {
  // The primary header: its size (big-endian u64 at 8), then the JSON area from 4096 on.
  std::ifstream in(path_, std::ios::binary);
  std::vector<char> fixed(4096);
  if (!in.read(fixed.data(), std::streamsize(fixed.size()))) throw Storage_error(path_ + ": LUKS2 header unreadable");
  uint64_t header_size = 0;
  for (int i = 8; i < 16; ++i) header_size = (header_size << 8) | uint8_t(fixed[size_t(i)]);
  if (header_size <= 4096 || header_size > 4 * 1024 * 1024) throw Storage_error(path_ + ": LUKS2 header size invalid");
  std::string json(size_t(header_size - 4096), '\0');
  if (!in.read(json.data(), std::streamsize(json.size()))) throw Storage_error(path_ + ": LUKS2 JSON area unreadable");
  json.resize(std::strlen(json.c_str()));
  auto fail = [&](const std::string& what) -> sk::storage::Luks_digest {
    throw Storage_error(path_ + ": LUKS2 volume-key digest: " + what);
  };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.contains("digests") || !j["digests"].is_object()) return fail("no digests in the header");
  for (const auto& [id, d] : j["digests"].items()) {
    if (!d.is_object() || !d.contains("segments") || !d["segments"].is_array()) continue;
    bool covers_data = false;
    for (const auto& s : d["segments"]) covers_data = covers_data || (s.is_string() && s.get<std::string>() == "0");
    if (!covers_data) continue;
    if (d.value("type", "") != "pbkdf2" || d.value("hash", "") != "sha256") return fail("not PBKDF2-SHA-256");
    if (!d.contains("iterations") || !d["iterations"].is_number_unsigned()) return fail("no iteration count");
    const uint64_t iterations = d["iterations"].get<uint64_t>();
    if (iterations == 0 || iterations > sk::storage::k_max_luks_digest_iterations) {
      return fail(std::to_string(iterations) + " iterations (the kernel checks at most " +
                  std::to_string(sk::storage::k_max_luks_digest_iterations) + ")");
    }
    const Botan::secure_vector<uint8_t> salt = Botan::base64_decode(d.value("salt", ""));
    const Botan::secure_vector<uint8_t> digest = Botan::base64_decode(d.value("digest", ""));
    if (salt.size() != sk::storage::k_digest_size || digest.size() != sk::storage::k_digest_size) {
      return fail("salt or digest is not 32 bytes");
    }
    sk::storage::Luks_digest out{};
    out.iterations = uint32_t(iterations);
    std::copy(salt.begin(), salt.end(), out.salt);
    std::copy(digest.begin(), digest.end(), out.digest);
    return out;
  }
  return fail("none covers the data segment");
}

void Luks_disk::remove_token() {
  const int count = crypt_token_max(CRYPT_LUKS2);
  for (int i = 0; i < count; ++i) {
    const char* type = nullptr;
    crypt_token_info status = crypt_token_status(cd_, i, &type);
    if (status != CRYPT_TOKEN_INVALID && status != CRYPT_TOKEN_INACTIVE && type != nullptr &&
        std::strcmp(type, k_token_type) == 0) {
      if (crypt_token_json_set(cd_, i, nullptr) < 0) {
        throw Storage_error(path_ + ": cannot remove the " + std::string(k_token_type) + " token: " + log_);
      }
    }
  }
}

void Luks_disk::change_passphrase(const Secret& old_passphrase, const Secret& new_passphrase) {
  int r = crypt_keyslot_change_by_passphrase(cd_, CRYPT_ANY_SLOT, CRYPT_ANY_SLOT,
                                             reinterpret_cast<const char*>(old_passphrase.data()), old_passphrase.size(),
                                             reinterpret_cast<const char*>(new_passphrase.data()), new_passphrase.size());
  if (r == -EPERM) throw Wrong_passphrase(path_ + ": wrong recovery passphrase (no keyslot opens with it)");
  if (r < 0) throw Storage_error(path_ + ": cannot change the passphrase: " + (log_.empty() ? std::strerror(-r) : log_));
}

std::vector<int> Luks_disk::active_keyslots() {
  std::vector<int> slots;
  const int count = crypt_keyslot_max(CRYPT_LUKS2);
  for (int i = 0; i < count; ++i) {
    const crypt_keyslot_info s = crypt_keyslot_status(cd_, i);
    if (s == CRYPT_SLOT_ACTIVE || s == CRYPT_SLOT_ACTIVE_LAST) slots.push_back(i);
  }
  return slots;
}

std::optional<std::string> Luks_disk::token_json() {
  int count = crypt_token_max(CRYPT_LUKS2);
  for (int i = 0; i < count; ++i) {
    const char* type = nullptr;
    crypt_token_info status = crypt_token_status(cd_, i, &type);
    if (status == CRYPT_TOKEN_INVALID || status == CRYPT_TOKEN_INACTIVE || type == nullptr) continue;
    if (std::strcmp(type, k_token_type) != 0) continue;
    const char* json = nullptr;
    if (crypt_token_json_get(cd_, i, &json) < 0 || json == nullptr) {
      throw Storage_error(path_ + ": token " + std::to_string(i) + " unreadable");
    }
    return std::string(json);
  }
  return std::nullopt;
}

void Luks_disk::set_token_json(const std::string& json) {
  int id = CRYPT_ANY_TOKEN;
  int count = crypt_token_max(CRYPT_LUKS2);
  for (int i = 0; i < count; ++i) {
    const char* type = nullptr;
    crypt_token_info status = crypt_token_status(cd_, i, &type);
    if (status != CRYPT_TOKEN_INVALID && status != CRYPT_TOKEN_INACTIVE && type != nullptr &&
        std::strcmp(type, k_token_type) == 0) {
      id = i;
      break;
    }
  }
  if (crypt_token_json_set(cd_, id, json.c_str()) < 0) {
    throw Storage_error(path_ + ": cannot write the " + std::string(k_token_type) + " token: " + log_);
  }
}

std::vector<uint8_t> read_sealed_area(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY);
  if (f.fd < 0) throw Storage_error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> area(sk::storage::k_sealed_area_size);
  ssize_t n = ::pread(f.fd, area.data(), area.size(), off_t(sk::storage::k_sealed_area_offset));
  if (n != ssize_t(area.size())) throw Storage_error(path + ": sealed-key area truncated");
  return area;
}

void write_sealed_area(const std::string& path, const std::vector<uint8_t>& blob) {
  if (blob.size() > sk::storage::k_sealed_area_size)
    throw Storage_error(path + ": sealed-key blob too large");
  std::vector<uint8_t> area(sk::storage::k_sealed_area_size, 0);
  std::copy(blob.begin(), blob.end(), area.begin());
  Fd f;
  f.fd = ::open(path.c_str(), O_RDWR);
  if (f.fd < 0) throw Storage_error(path + ": cannot open for writing: " + std::strerror(errno));
  write_all(f.fd, area.data(), area.size(), sk::storage::k_sealed_area_offset, path);
  if (::fsync(f.fd) != 0) throw Storage_error(path + ": fsync failed: " + std::strerror(errno));
}

}  // namespace bh::storage
