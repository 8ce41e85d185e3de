// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the host attestation library: the error type for refused input, hex and
// base64, hashing per TPM bank, event type names, file I/O.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bh::attest {

using Bytes = std::vector<uint8_t>;

// Input that cannot be read or parsed (missing file, malformed JSON, bad field). what() is one
// line naming the file and field. Tools exit 2 on it; a failed verification is not an error.
class Input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string to_hex(const Bytes& b);
// Throws Input_error("<where>: ...") unless text is an even number of hex digits.
Bytes from_hex(const std::string& text, const std::string& where);
std::string to_base64(const Bytes& b);
Bytes from_base64(const std::string& text, const std::string& where);

// Bank names as in tpm2-tools and the manifest: sha1, sha256, sha384, sha512.
inline constexpr uint16_t k_sha1 = 0x0004, k_sha256 = 0x000B, k_sha384 = 0x000C, k_sha512 = 0x000D;
const char* bank_name(uint16_t alg);
uint16_t bank_from_name(const std::string& name);  // 0 if unknown
size_t bank_size(uint16_t alg);                     // 0 if unknown
Bytes hash(uint16_t alg, const Bytes& data);
Bytes hash(uint16_t alg, const uint8_t* data, size_t size);
// PCR extend: H(old || digest).
Bytes extend(uint16_t alg, const Bytes& old, const uint8_t* digest);

// Event types by their TCG names (EV_IPL, ...); unknown types print as 0x%08x and parse back.
std::string event_type_name(uint32_t type);
uint32_t event_type_from_name(const std::string& name, const std::string& where);

// PCR values per bank: bank alg -> PCR index -> value.
using Pcr_bank_values = std::map<uint16_t, std::map<uint32_t, Bytes>>;

Bytes read_file(const std::string& path, const std::string& what);
void write_file(const std::string& path, const Bytes& data);
void write_text(const std::string& path, const std::string& text);

}  // namespace bh::attest
