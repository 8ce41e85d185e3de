// SPDX-License-Identifier: Apache-2.0
// Authenticode image digests of PE/COFF files (see authenticode.hpp).
#include "bh/attest/authenticode.hpp"

#include <botan/hash.h>

#include <algorithm>

namespace bh::attest {

namespace {

uint32_t le(const Bytes& b, size_t at, size_t size, const std::string& where) {
  if (at + size > b.size()) throw Input_error(where + ": not a PE image (truncated headers)");
  uint32_t v = 0;
  for (size_t i = 0; i < size; ++i) v |= uint32_t(b[at + i]) << (8 * i);
  return v;
}

const char* botan_name(uint16_t bank) {
  switch (bank) {
    case k_sha1:
      return "SHA-1";
    case k_sha256:
      return "SHA-256";
    case k_sha384:
      return "SHA-384";
    case k_sha512:
      return "SHA-512";
  }
  return nullptr;
}

}  // namespace

std::map<uint16_t, Bytes> authenticode_digests(const Bytes& image, const std::vector<uint16_t>& banks,
                                               const std::string& where) {
  if (le(image, 0, 2, where) != 0x5A4D) throw Input_error(where + ": not a PE image (no MZ header)");
  const size_t pe = le(image, 0x3C, 4, where);
  if (le(image, pe, 4, where) != 0x00004550) throw Input_error(where + ": not a PE image (no PE signature)");
  const size_t sections = le(image, pe + 6, 2, where);
  const size_t optional_size = le(image, pe + 20, 2, where);
  const size_t optional = pe + 24;
  const uint32_t magic = le(image, optional, 2, where);
  if (magic != 0x10B && magic != 0x20B) throw Input_error(where + ": not a PE32 or PE32+ image");
  const bool pe32plus = magic == 0x20B;
  const size_t checksum = optional + 64;
  const size_t header_size = le(image, optional + 60, 4, where);
  const size_t rva_count = le(image, optional + (pe32plus ? 108 : 92), 4, where);
  const size_t cert_entry = optional + (pe32plus ? 112 : 96) + 4 * 8;  // IMAGE_DIRECTORY_ENTRY_SECURITY
  const bool has_cert_entry = rva_count > 4;
  const size_t cert_size = has_cert_entry ? le(image, cert_entry + 4, 4, where) : 0;
  if (header_size > image.size() || checksum + 4 > header_size ||
      (has_cert_entry && cert_entry + 8 > header_size)) {
    throw Input_error(where + ": PE headers do not fit in the file");
  }
  // The ranges hashed, in order.
  std::vector<std::pair<size_t, size_t>> ranges = {{0, checksum}};
  if (has_cert_entry) {
    ranges.push_back({checksum + 4, cert_entry - (checksum + 4)});
    ranges.push_back({cert_entry + 8, header_size - (cert_entry + 8)});
  } else {
    ranges.push_back({checksum + 4, header_size - (checksum + 4)});
  }
  struct Section {
    size_t offset, size;
  };
  std::vector<Section> raw;
  const size_t table = optional + optional_size;
  for (size_t i = 0; i < sections; ++i) {
    const size_t entry = table + 40 * i;
    const size_t size = le(image, entry + 16, 4, where), offset = le(image, entry + 20, 4, where);
    if (size == 0) continue;
    if (offset > image.size() || size > image.size() - offset) {
      throw Input_error(where + ": PE section " + std::to_string(i) + " lies outside the file");
    }
    raw.push_back({offset, size});
  }
  std::stable_sort(raw.begin(), raw.end(),
                   [](const Section& a, const Section& b) { return a.offset < b.offset; });
  size_t hashed = header_size;
  for (const Section& s : raw) {
    ranges.push_back({s.offset, s.size});
    hashed += s.size;
  }
  if (image.size() > cert_size + hashed) ranges.push_back({hashed, image.size() - cert_size - hashed});
  std::map<uint16_t, Bytes> out;
  for (uint16_t bank : banks) {
    const char* name = botan_name(bank);
    if (name == nullptr) throw Input_error(where + ": unknown bank for the image digest");
    auto h = Botan::HashFunction::create_or_throw(name);
    for (const auto& [at, size] : ranges) {
      if (at + size > image.size()) throw Input_error(where + ": PE image truncated");
      h->update(image.data() + at, size);
    }
    auto d = h->final();
    out[bank] = Bytes(d.begin(), d.end());
  }
  return out;
}

}  // namespace bh::attest
