// SPDX-License-Identifier: Apache-2.0
// The firmware record: PCRs 0-7 of a boot the administrator trusts (trust on first use), in every
// bank, signed with the administrator's key (`bulkhead disk admin-key`), so that a record edited,
// cut or replaced where it is kept is refused before any manifest or disk seal believes it.
// JSON: {"format": "bulkhead-firmware-record", "version": 1, "pcrs": {"sha256": {"0": hex, ...}},
// "signature": {"algorithm": "ecdsa-p256-sha256", "value": base64}} (docs/attestation.md).
#pragma once

#include <stdexcept>
#include <string>

#include "bh/attest/common.hpp"

namespace bh::attest {

// A record that was read and is refused (not signed by the administrator, partial): tools exit 1.
class Record_refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The bytes the administrator signs: "bulkhead-firmware-record v1\n", then one line
// "<bank> <pcr> <hex>\n" per value, banks and PCRs in ascending order.
Bytes firmware_record_message(const Pcr_bank_values& pcrs);

std::string firmware_record_to_json(const Pcr_bank_values& pcrs, const Bytes& signature);

// Reads a record and returns its PCR values if it is complete (PCRs 0-7 in each of its banks,
// sha256 among them, nothing else) and its signature verifies with the administrator's public key
// (PEM). Throws Input_error for what cannot be read (exit 2), Record_refused otherwise.
Pcr_bank_values read_firmware_record(const std::string& text, const std::string& where,
                                     const Bytes& admin_public_pem, const std::string& admin_where);

}  // namespace bh::attest
