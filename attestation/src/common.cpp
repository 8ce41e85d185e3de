// SPDX-License-Identifier: Apache-2.0
// Hex, base64, hashing per bank, event type names and file I/O for the attestation library.
#include "bh/attest/common.hpp"

#include <botan/base64.h>
#include <botan/hash.h>
#include <botan/hex.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "sk/event_log.hpp"

namespace bh::attest {

std::string to_hex(const Bytes& b) { return Botan::hex_encode(b, false); }

Bytes from_hex(const std::string& text, const std::string& where) {
  if (text.size() % 2 != 0) throw Input_error(where + ": odd number of hex digits");
  for (char ch : text) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) throw Input_error(where + ": not hexadecimal");
  }
  auto v = Botan::hex_decode(text);
  return {v.begin(), v.end()};
}

std::string to_base64(const Bytes& b) { return Botan::base64_encode(b); }

Bytes from_base64(const std::string& text, const std::string& where) {
  try {
    auto v = Botan::base64_decode(text, false);
    return {v.begin(), v.end()};
  } catch (const std::exception&) {
    throw Input_error(where + ": not base64");
  }
}

const char* bank_name(uint16_t alg) {
  switch (alg) {
    case k_sha1: return "sha1";
    case k_sha256: return "sha256";
    case k_sha384: return "sha384";
    case k_sha512: return "sha512";
  }
  return "unknown";
}

uint16_t bank_from_name(const std::string& name) {
  for (uint16_t a : {k_sha1, k_sha256, k_sha384, k_sha512}) {
    if (name == bank_name(a)) return a;
  }
  return 0;
}

size_t bank_size(uint16_t alg) { return sk::event_log::digest_size(alg); }

namespace {
const char* botan_hash(uint16_t alg) {
  switch (alg) {
    case k_sha1: return "SHA-1";
    case k_sha256: return "SHA-256";
    case k_sha384: return "SHA-384";
    case k_sha512: return "SHA-512";
  }
  throw Input_error("unknown hash algorithm");
}
}  // namespace

Bytes hash(uint16_t alg, const uint8_t* data, size_t size) {
  auto h = Botan::HashFunction::create_or_throw(botan_hash(alg));
  h->update(data, size);
  auto out = h->final();
  return {out.begin(), out.end()};
}

Bytes hash(uint16_t alg, const Bytes& data) { return hash(alg, data.data(), data.size()); }

Bytes extend(uint16_t alg, const Bytes& old, const uint8_t* digest) {
  Bytes buf = old;
  buf.insert(buf.end(), digest, digest + bank_size(alg));
  return hash(alg, buf);
}

namespace {
struct Type_name {
  uint32_t type;
  const char* name;
};
// TCG PC Client PFP 10.4.1: the types Bulkhead writes and the ones OVMF puts in PCRs 0-7.
constexpr Type_name k_types[] = {
    {0x00000001, "EV_POST_CODE"}, {0x00000003, "EV_NO_ACTION"}, {0x00000004, "EV_SEPARATOR"},
    {0x00000005, "EV_ACTION"}, {0x00000006, "EV_EVENT_TAG"}, {0x00000007, "EV_S_CRTM_CONTENTS"},
    {0x00000008, "EV_S_CRTM_VERSION"}, {0x00000009, "EV_CPU_MICROCODE"}, {0x0000000A, "EV_PLATFORM_CONFIG_FLAGS"},
    {0x0000000B, "EV_TABLE_OF_DEVICES"}, {0x0000000C, "EV_COMPACT_HASH"}, {0x0000000D, "EV_IPL"},
    {0x0000000E, "EV_IPL_PARTITION_DATA"}, {0x0000000F, "EV_NONHOST_CODE"}, {0x00000010, "EV_NONHOST_CONFIG"},
    {0x00000011, "EV_NONHOST_INFO"}, {0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS"},
    {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"}, {0x80000002, "EV_EFI_VARIABLE_BOOT"},
    {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"}, {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
    {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"}, {0x80000006, "EV_EFI_GPT_EVENT"},
    {0x80000007, "EV_EFI_ACTION"}, {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
    {0x80000009, "EV_EFI_HANDOFF_TABLES"}, {0x800000E0, "EV_EFI_VARIABLE_AUTHORITY"},
};
}  // namespace

std::string event_type_name(uint32_t type) {
  for (const auto& t : k_types) {
    if (t.type == type) return t.name;
  }
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", type);
  return text;
}

uint32_t event_type_from_name(const std::string& name, const std::string& where) {
  for (const auto& t : k_types) {
    if (name == t.name) return t.type;
  }
  if (name.size() == 10 && name.rfind("0x", 0) == 0) {
    Bytes b = from_hex(name.substr(2), where);
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
  }
  throw Input_error(where + ": unknown event type \"" + name + "\"");
}

Bytes read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Input_error(path + ": cannot read " + what);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  if (!out) throw Input_error(path + ": cannot write");
}

void write_text(const std::string& path, const std::string& text) { write_file(path, Bytes(text.begin(), text.end())); }

}  // namespace bh::attest
