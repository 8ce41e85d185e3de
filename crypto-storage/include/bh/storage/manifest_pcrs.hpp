// SPDX-License-Identifier: Apache-2.0
// The PCR values a partition's disk is sealed to, read from the build's reference manifest
// (predicted offline by `bulkhead manifest build`, never read from a live TPM).
#pragma once

#include <string>

#include "bh/storage/policy_digest.hpp"

namespace bh::storage {

struct Manifest_pcrs {
  Pcr_values values;       // SHA-256 bank, the PCRs that describe the partition's configuration
  Digest manifest_sha256;  // of the manifest file as given, recorded with the seal
};

// Throws Storage_error naming the manifest file and the field at fault.
Manifest_pcrs load_manifest_pcrs(const std::string& manifest_path, const std::string& partition);

}  // namespace bh::storage
