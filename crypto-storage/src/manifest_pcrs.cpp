// SPDX-License-Identifier: Apache-2.0
// Reads a partition's disk PCRs from a reference manifest (JSON, see docs/storage.md).
#include "bh/storage/manifest_pcrs.hpp"

#include <botan/hash.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "bh/storage/luks_disk.hpp"

namespace bh::storage {

namespace {

Digest parse_digest(const std::string& text, const std::string& where) {
  if (text.size() != 64) throw Storage_error(where + ": expected 64 hex digits (SHA-256)");
  Digest d{};
  for (size_t i = 0; i < 32; ++i) {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      throw Storage_error(where + ": not a hex digest");
    };
    d[i] = uint8_t(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
  }
  return d;
}

}  // namespace

Manifest_pcrs load_manifest_pcrs(const std::string& manifest_path, const std::string& partition) {
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in) throw Storage_error(manifest_path + ": cannot read manifest");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Manifest_pcrs out;
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(text);
  h->final(out.manifest_sha256.data());

  nlohmann::json m;
  try {
    m = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Storage_error(manifest_path + ": not valid JSON");
  }
  const std::string where = manifest_path + ": ";
  if (!m.is_object() || !m.contains("pcrs") || !m["pcrs"].is_object()) {
    throw Storage_error(where + "field \"pcrs\" missing or not an object");
  }
  const auto& bank = m["pcrs"].contains("sha256") ? m["pcrs"]["sha256"] : nlohmann::json();
  if (!bank.is_object()) throw Storage_error(where + "field \"pcrs.sha256\" missing or not an object");
  if (!m.contains("partitions") || !m["partitions"].is_object() || !m["partitions"].contains(partition)) {
    throw Storage_error(where + "no entry \"partitions." + partition + "\"");
  }
  const auto& entry = m["partitions"][partition];
  if (!entry.is_object() || !entry.contains("disk_pcrs") || !entry["disk_pcrs"].is_array() ||
      entry["disk_pcrs"].empty()) {
    throw Storage_error(where + "field \"partitions." + partition + ".disk_pcrs\" missing or empty");
  }
  for (const auto& index : entry["disk_pcrs"]) {
    if (!index.is_number_unsigned() || index.get<uint32_t>() > 23) {
      throw Storage_error(where + "partitions." + partition + ".disk_pcrs: " + index.dump() +
                          " is not a PCR 0..23");
    }
    auto pcr = index.get<uint32_t>();
    std::string key = std::to_string(pcr);
    if (!bank.contains(key) || !bank[key].is_string()) {
      throw Storage_error(where + "field \"pcrs.sha256." + key + "\" missing (PCR " + key + " of partition " +
                          partition + ")");
    }
    out.values[pcr] = parse_digest(bank[key].get<std::string>(), where + "pcrs.sha256." + key);
  }
  return out;
}

}  // namespace bh::storage
