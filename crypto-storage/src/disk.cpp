// SPDX-License-Identifier: Apache-2.0
// Disk creation, recovery, reading the current seal (both copies) and describing a disk.
#include "bh/storage/disk.hpp"

#include <botan/base64.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sk/size_text.hpp"

namespace bh::storage {

namespace {

// 40 characters from a 32-letter alphabet without look-alikes: 200 bits, in groups of five.
std::string generate_recovery_key() {
  static const char* k_alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  Secret random = random_secret(40);
  std::string key;
  for (size_t i = 0; i < random.size(); ++i) {
    if (i != 0 && i % 5 == 0) key += '-';
    key += k_alphabet[random[i] & 31];
  }
  return key;
}

// The volume key from the passphrase's text or, if that opens no keyslot, from the older reading
// of the same file; *opened_with points at the one that opened it.
Secret open_keyslot(Luks_disk& disk, const Passphrase& passphrase, const Secret** opened_with) {
  try {
    Secret key = disk.volume_key_from_passphrase(passphrase.text);
    *opened_with = &passphrase.text;
    return key;
  } catch (const Wrong_passphrase&) {
    if (!passphrase.without_final_newline) throw;
  }
  Secret key = disk.volume_key_from_passphrase(*passphrase.without_final_newline);  // or Wrong_passphrase
  *opened_with = &*passphrase.without_final_newline;
  if (passphrase.on_older_reading) passphrase.on_older_reading(passphrase);
  return key;
}

// The PCR values a seal recorded in its token, if they are well formed and give the blob's
// PolicyPCR digest (anything else is ignored: they only explain a failed unseal).
Pcr_values sealed_pcrs_of(const nlohmann::json& token, const sk::storage::Sealed_key& k) {
  Pcr_values values;
  try {
    for (const auto& [index, value] : token.at("pcr_values").items()) {
      const std::string text = value.get<std::string>();
      const unsigned long pcr = std::stoul(index);
      if (pcr > 23 || text.size() != 64) return {};
      Digest d{};
      for (size_t i = 0; i < 32; ++i) d[i] = uint8_t(std::stoul(text.substr(2 * i, 2), nullptr, 16));
      values[uint32_t(pcr)] = d;
    }
  } catch (const std::exception&) {
    return {};
  }
  const Digest digest = policy_pcr_digest(values);
  if (values.empty() || pcr_mask(values) != k.pcr_mask ||
      !std::equal(digest.begin(), digest.end(), k.pcr_policy)) {
    return {};
  }
  return values;
}

}  // namespace

uint64_t parse_size(const std::string& text) {
  uint64_t bytes = 0;
  const auto problem = sk::size_text::parse(text.data(), text.size(), bytes);
  if (problem != sk::size_text::Problem::none) {
    throw Storage_error("--size: '" + text + "' is not a size: " + sk::size_text::phrase(problem));
  }
  return bytes;
}

void write_secret_file(const std::string& path, const Secret& secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw Storage_error(path + ": cannot create (exists already?): " + std::strerror(errno));
  bool ok = ::write(fd, secret.data(), secret.size()) == ssize_t(secret.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw Storage_error(path + ": write failed");
}

std::optional<std::string> create_disk(const Create_request& request, const Progress& progress) {
  std::optional<std::string> generated;
  // Before the passphrase is asked for: a refusal after typing it twice helps nobody.
  if (std::filesystem::exists(request.format.path)) {
    throw Storage_error(request.format.path + ": already exists; refusing to overwrite a disk");
  }
  Secret passphrase;
  if (request.recovery_passphrase) {
    passphrase = (*request.recovery_passphrase)().text;
  } else {
    generated = generate_recovery_key();
    passphrase.assign(generated->begin(), generated->end());
  }
  Secret volume_key = random_secret(k_volume_key_size);
  Luks_disk::create(request.format, volume_key, passphrase, progress);
  return generated;
}

Secret recover_volume_key(Luks_disk& disk, const Passphrase& passphrase) {
  const Secret* opened_with = nullptr;
  Secret key = open_keyslot(disk, passphrase, &opened_with);
  if (!disk.verify_volume_key(key))
    throw Storage_error(disk.path() + ": recovered key fails the LUKS2 digest");
  return key;
}

std::optional<Current_seal> read_seal(Luks_disk& disk) {
  const std::string& path = disk.path();
  auto token_text = disk.token_json();
  auto area = read_sealed_area(path);
  bool area_empty = std::all_of(area.begin(), area.end(), [](uint8_t b) { return b == 0; });
  if (!token_text) {
    if (area_empty) return std::nullopt;
    throw Storage_error(path + ": sealed-key area is set but the " + std::string(k_token_type) +
                        " token is missing (interrupted seal?); `disk seal --force` with the recovery passphrase replaces it");
  }
  nlohmann::json token;
  std::vector<uint8_t> blob;
  try {
    token = nlohmann::json::parse(*token_text);
    auto decoded = Botan::base64_decode(token.at("blob").get<std::string>());
    blob.assign(decoded.begin(), decoded.end());
  } catch (const std::exception&) {
    throw Storage_error(path + ": " + std::string(k_token_type) +
                        " token: field \"blob\" missing or not base64");
  }
  if (blob.size() > area.size() || !std::equal(blob.begin(), blob.end(), area.begin()) ||
      !std::all_of(area.begin() + long(blob.size()), area.end(), [](uint8_t b) { return b == 0; })) {
    throw Storage_error(path +
                        ": sealed-key area differs from the LUKS2 token's copy (damaged or interrupted "
                        "seal); `disk seal --force` with the recovery passphrase replaces it");
  }
  Current_seal seal;
  seal.blob = blob;
  sk::Status status = sk::storage::read_sealed_key(blob.data(), blob.size(), seal.key);
  if (!status) throw Storage_error(path + ": sealed-key blob refused: " + sk::error_name(status.error()));
  const Disk_info& info = disk.info();
  std::string uuid(reinterpret_cast<const char*>(seal.key.disk_uuid),
                   strnlen(reinterpret_cast<const char*>(seal.key.disk_uuid), sk::storage::k_uuid_size));
  if (uuid != info.uuid)
    throw Storage_error(path + ": sealed-key blob belongs to disk " + uuid + ", not " + info.uuid);
  if (seal.key.data_offset != info.data_offset || seal.key.sector_size != info.sector_size ||
      seal.key.data_size > info.data_size) {
    throw Storage_error(path + ": sealed-key blob's data segment disagrees with the LUKS2 header");
  }
  seal.manifest_sha256 = token.value("manifest_sha256", "");
  seal.sealed_pcrs = sealed_pcrs_of(token, seal.key);
  return seal;
}

nlohmann::json describe_disk_json(const std::string& path) {
  Luks_disk disk(path);
  const Disk_info& info = disk.info();
  nlohmann::json j = {{"path", path},
                      {"uuid", info.uuid},
                      {"created_for", info.label},
                      {"cipher", info.cipher},
                      {"data", {{"offset", info.data_offset}, {"size", info.data_size}, {"sector_size", info.sector_size}}},
                      {"keyslots", disk.active_keyslots()},
                      {"seal", nullptr}};
  auto seal = read_seal(disk);
  if (!seal) return j;
  const auto& k = seal->key;
  std::vector<int> pcrs;
  for (int i = 0; i < 24; ++i) {
    if (k.pcr_mask & (1u << i)) pcrs.push_back(i);
  }
  nlohmann::json s = {{"partition", std::string(k.partition)},
                      {"mode", k.mode == sk::storage::Seal_mode::pcr ? "pcr" : "authorize"},
                      {"pcrs", pcrs},
                      {"pcr_policy", hex(k.pcr_policy, 32)},
                      {"auth_policy", hex(k.auth_policy, 32)},
                      {"storage_primary", hex(k.parent_name.data, k.parent_name.size)}};
  if (k.mode == sk::storage::Seal_mode::authorize) {
    s["administrator_key"] = hex(k.admin_key_name.data, k.admin_key_name.size);
  }
  if (!seal->manifest_sha256.empty()) s["manifest_sha256"] = seal->manifest_sha256;
  j["seal"] = s;
  return j;
}

std::string remove_seal(const std::string& path, const Passphrase_source& passphrase) {
  Luks_disk disk(path);
  std::optional<Current_seal> seal;
  std::string what = "a seal that could not be read";
  try {
    seal = read_seal(disk);
    if (!seal) throw Storage_error(path + ": not sealed: nothing to remove");
    what = std::string("the ") + (seal->key.mode == sk::storage::Seal_mode::pcr ? "PolicyPCR" : "PolicyAuthorize") +
           " seal for partition \"" + seal->key.partition + "\"";
  } catch (const Storage_error& e) {
    if (std::string(e.what()).find("not sealed") != std::string::npos) throw;
  }
  (void)recover_volume_key(disk, passphrase());  // throws if the passphrase does not open it
  // Token first, then the area: an interruption leaves an area without a token, which every
  // tool reports (and `disk seal --force` or a second `remove-seal` clears).
  disk.remove_token();
  write_sealed_area(path, {});
  return what;
}

void change_recovery_passphrase(const std::string& path, const Passphrase_source& old_source,
                                const Passphrase_source& new_source) {
  Luks_disk disk(path);
  const Passphrase old_passphrase = old_source();
  const Secret* opened_with = nullptr;
  // A wrong one is refused before the new one is asked for.
  (void)open_keyslot(disk, old_passphrase, &opened_with);
  const Passphrase new_passphrase = new_source();
  if (*opened_with == new_passphrase.text) {
    throw Storage_error(new_passphrase.origin + ": the new passphrase is the old one");
  }
  disk.change_passphrase(*opened_with, new_passphrase.text);
  Luks_disk again(path);
  if (!again.verify_volume_key(again.volume_key_from_passphrase(new_passphrase.text))) {
    throw Storage_error(path + ": the new passphrase opens a key that fails the LUKS2 digest");
  }
}

std::string describe_disk(const std::string& path) {
  const nlohmann::json j = describe_disk_json(path);
  std::ostringstream out;
  out << "disk " << path << ": LUKS2 " << j["cipher"].get<std::string>() << ", uuid " << j["uuid"].get<std::string>()
      << "\n";
  const std::string label = j["created_for"].get<std::string>();
  out << "  created for partition " << (label.empty() ? "(none recorded)" : label) << "\n";
  out << "  data: offset " << j["data"]["offset"].get<uint64_t>() << ", " << j["data"]["size"].get<uint64_t>()
      << " bytes, sector " << j["data"]["sector_size"].get<uint32_t>() << ", XTS tweak = byte offset / 512\n";
  out << "  recovery keyslots:";
  if (j["keyslots"].empty()) out << " none (only the TPM can open it)";
  for (const auto& slot : j["keyslots"]) out << " " << slot.get<int>();
  out << "\n";
  if (j["seal"].is_null()) {
    out << "  seal: none (open with the recovery passphrase; run `bulkhead disk seal`)\n";
    return out.str();
  }
  const auto& s = j["seal"];
  out << "  seal: partition " << s["partition"].get<std::string>() << ", mode " << s["mode"].get<std::string>()
      << ", sha256 PCRs";
  for (const auto& p : s["pcrs"]) out << " " << p.get<int>();
  out << "\n  PolicyPCR digest " << s["pcr_policy"].get<std::string>() << "\n  authPolicy       "
      << s["auth_policy"].get<std::string>() << "\n  storage primary  " << s["storage_primary"].get<std::string>()
      << "\n";
  if (s.contains("administrator_key")) out << "  administrator key " << s["administrator_key"].get<std::string>() << "\n";
  if (s.contains("manifest_sha256")) out << "  manifest sha256  " << s["manifest_sha256"].get<std::string>() << "\n";
  return out.str();
}

}  // namespace bh::storage
