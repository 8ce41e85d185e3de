// SPDX-License-Identifier: Apache-2.0
// Evidence: what an attestation agent returns (quote, signature, event log, PCR values read),
// as JSON (docs/attestation.md, "Evidence format"), and the verifier that checks it against the
// reference manifest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bh/attest/common.hpp"
#include "bh/attest/manifest.hpp"

namespace bh::attest {

struct Attestation_key;

struct Evidence {
  Bytes nonce;           // the nonce the agent was given (informational; the verifier uses its own)
  Bytes attest;          // raw TPMS_ATTEST bytes (TPM2B_ATTEST contents)
  Bytes signature;       // marshalled TPMT_SIGNATURE
  Bytes event_log;       // TCG crypto-agile event log
  Pcr_bank_values pcrs;  // PCR values the agent read (unsigned; cross-checked only)
};

std::string evidence_to_json(const Evidence& e);
// Throws Input_error naming `where` and the field.
Evidence evidence_from_json(const std::string& text, const std::string& where);

// One failed check. check: ak, signature, quote, signer, pcr_bank, firmware, boot_application, firmware_record, nonce, pcr_selection, pcr_digest, event_log, event,
// pcr, evidence_pcr. pcr / event are -1 when they do not apply; event is the log's index.
struct Mismatch {
  std::string check;
  int pcr = -1;
  int event = -1;
  std::string expected;
  std::string found;
  std::string message;  // the one line printed for it
};

struct Verdict {
  std::vector<Mismatch> mismatches;
  std::vector<std::string> warnings;
  size_t log_events = 0;
  size_t bulkhead_events = 0;
  bool ok() const { return mismatches.empty(); }
  Pcr_bank_values replayed;  // the log's replay (for --record-firmware)
  std::string verdict_line() const;
  std::string to_json() const;
};

// Checks, in order, and collects every mismatch: the AK is a restricted signing key that never
// leaves its TPM (fixedTPM, fixedParent, restricted, sign; not decrypt), so anything it signed
// that starts with TPM_GENERATED was made by the TPM; the AK signature over the raw attest bytes;
// magic and type; qualifiedSigner == the AK's qualified name; nonce == extraData; the PCR selection == manifest.quote_pcrs (sha256); the event
// log (every size, count and algorithm); the PCR digest == H(replayed PCR values of the selection);
// the firmware's events (verify_detail.hpp); the firmware record: the manifest must have PCRs
// 0-7 in every bank the log has, unless recording is asked for;
// every Bulkhead event (PCR >= 8) strictly against the manifest (PCR, type, digest per bank,
// description) and none extra or missing; every replayed PCR value the manifest gives.
struct Verify_options {
  // Trust on first use, asked for explicitly (--record-firmware): a manifest without a firmware
  // record is then a warning, not a mismatch, and the caller records this boot's PCRs 0-7.
  bool recording_firmware = false;
};
Verdict verify(const Evidence& evidence, const Manifest& manifest, const Attestation_key& ak, const Bytes& nonce,
               const Verify_options& options = {});

}  // namespace bh::attest
