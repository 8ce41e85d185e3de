// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the disk-side parsers the kernel runs on attacker-controlled bytes:
// the sealed-key blob, the signed-policy blob and the LUKS2 binding check. A blob the reader
// accepts must re-encode to exactly the same bytes (no field is silently dropped or widened).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sk/sealed_key.hpp"
#include "sk/sha256.hpp"

namespace {
int check(const uint8_t* data, size_t size);
}

// Each input is parsed as given and, so that the field checks behind the digest are reached,
// once more with its total-size field and digest made consistent.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  static uint8_t fixed[sk::storage::k_sealed_max_size];
  if (size >= sk::storage::k_blob_header_size && size <= sizeof fixed) {
    memcpy(fixed, data, size);
    for (int i = 0; i < 4; ++i) fixed[16 + i] = uint8_t(size >> (8 * i));
    sk::Sha256::digest(fixed + sk::storage::k_blob_header_size, size - sk::storage::k_blob_header_size,
                       fixed + 24);
    check(fixed, size);
  }
  return 0;
}

namespace {
int check(const uint8_t* data, size_t size) {
  static sk::storage::Sealed_key key;
  static uint8_t again[sk::storage::k_sealed_max_size];
  if (sk::storage::read_sealed_key(data, size, key).ok()) {
    auto written = sk::storage::write_sealed_key(key, again, sizeof again);
    if (!written.ok() || written.value() > size || memcmp(again, data, written.value()) != 0)
      __builtin_trap();
    (void)sk::storage::check_disk_binding(data, size, key);
  }
  static sk::storage::Signed_policy policy;
  if (sk::storage::read_signed_policy(data, size, policy).ok()) {
    auto written = sk::storage::write_signed_policy(policy, again, sizeof again);
    if (!written.ok() || written.value() != size || memcmp(again, data, size) != 0) __builtin_trap();
  }
  return 0;
}
}  // namespace
