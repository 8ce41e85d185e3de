// SPDX-License-Identifier: Apache-2.0
// Fuzzes the kernel's TPM response parsers (sk/tpm_marshal.hpp): a TPM, or whatever sits on the
// bus, may answer anything. Every span handed out must lie inside the response.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sk/tpm_marshal.hpp"
#include "sk/tpm_session.hpp"

namespace {
void inside(const sk::tpm::Span& s, const uint8_t* data, size_t size) {
  if (s.bytes < data || s.bytes + s.size > data + size) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sk::tpm::Span a{}, b{};
  if (sk::tpm::parse_quote(data, size, a, b).ok()) {
    inside(a, data, size);
    inside(b, data, size);
  }
  if (sk::tpm::parse_unseal(data, size, a).ok()) inside(a, data, size);
  (void)sk::tpm::parse_start_auth_session(data, size);
  (void)sk::tpm::parse_empty(data, size);
  uint32_t handle = 0;
  if (sk::tpm::parse_object_created(data, size, handle, a).ok()) inside(a, data, size);
  if (sk::tpm::parse_pcr_read(data, size, sk::tpm::k_alg_sha256, size % 24, a).ok()) inside(a, data, size);
  if (sk::tpm::parse_load_external(data, size, handle, a).ok()) inside(a, data, size);
  if (sk::tpm::parse_verify_signature(data, size, a).ok()) inside(a, data, size);
  // The salted session's parsers (sk/tpm_session.hpp); Unseal decrypts in place, so on a copy.
  sk::tpm::Ecc_primary primary{};
  (void)sk::tpm::parse_create_primary_ecc(data, size, primary);
  sk::tpm::Session session{};
  (void)sk::tpm::parse_start_salted_session(data, size, session);
  std::vector<uint8_t> copy(data, data + size);
  if (sk::tpm::parse_unseal_salted(copy.data(), copy.size(), session, a).ok()) inside(a, copy.data(), copy.size());
  return 0;
}
