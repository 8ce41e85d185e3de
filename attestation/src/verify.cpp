// SPDX-License-Identifier: Apache-2.0
// The verifier: quote signature, nonce, PCR selection and digest, event log replay per PCR and
// bank, and every Bulkhead event strictly against the reference manifest (see evidence.hpp).
#include <botan/pk_keys.h>
#include <tss2/tss2_tpm2_types.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "bh/attest/evidence.hpp"
#include "bh/attest/quote.hpp"
#include "sk/event_log.hpp"
#include "verify_detail.hpp"

namespace bh::attest {

namespace {

namespace el = sk::event_log;

std::string list_text(uint16_t bank, const std::vector<uint32_t>& pcrs) {
  std::string out = std::string(bank_name(bank)) + ":";
  for (size_t i = 0; i < pcrs.size(); ++i) out += (i ? "," : "") + std::to_string(pcrs[i]);
  return out;
}

std::string printable(const std::string& data) {
  for (unsigned char ch : data) {
    if (ch < 0x20 || ch > 0x7e) return "hex:" + to_hex(Bytes(data.begin(), data.end()));
  }
  return data;
}

// Reads the whole log; on a malformed event records the mismatch and returns what was read.
std::vector<Log_event> read_log(const Bytes& log, std::vector<uint16_t>& banks, Checker& c) {
  std::vector<Log_event> out;
  el::Reader r;
  auto status = r.open(log.data(), log.size());
  if (!status) {
    c.add("event_log", -1, -1, "a TCG crypto-agile log header", sk::error_name(status.error()),
          std::string("event log: header rejected: ") + sk::error_name(status.error()));
    return out;
  }
  for (uint32_t i = 0; i < r.bank_count(); ++i) banks.push_back(r.bank(i));
  el::Event e{};
  for (size_t index = 0;; ++index) {
    const size_t at = r.offset();
    status = r.next(e);
    if (status.error() == sk::Error::not_found) break;
    if (!status) {
      c.add("event_log", -1, int(index), "a well-formed event", sk::error_name(status.error()),
            "event log: event #" + std::to_string(index) + " (byte " + std::to_string(at) +
                ") rejected: " + sk::error_name(status.error()) + "; the log ends there for the verifier");
      break;
    }
    Log_event le{index, e.pcr, e.type, {}, std::string(reinterpret_cast<const char*>(e.data), e.data_size)};
    for (uint32_t b = 0; b < e.digest_count; ++b) {
      le.digests[e.digests[b].alg].assign(e.digests[b].bytes, e.digests[b].bytes + bank_size(e.digests[b].alg));
    }
    out.push_back(std::move(le));
  }
  return out;
}

// Replays per bank. PCRs 0-15 and 23 start at zero; a StartupLocality EV_NO_ACTION event (PFP
// 9.4.5.3) sets PCR 0's starting value to the locality; other EV_NO_ACTION events extend nothing.
Pcr_bank_values replay_log(const std::vector<Log_event>& events, const std::vector<uint16_t>& banks) {
  Pcr_bank_values out;
  for (uint16_t bank : banks) {
    for (uint32_t pcr = 0; pcr < 16; ++pcr) out[bank][pcr].assign(bank_size(bank), 0);
  }
  static const char k_locality[] = "StartupLocality";  // 16 bytes with the NUL
  for (const auto& e : events) {
    if (e.type == el::k_ev_no_action) {
      if (e.pcr == 0 && e.data.size() == 17 && std::memcmp(e.data.data(), k_locality, 16) == 0) {
        for (uint16_t bank : banks) out[bank][0].back() = uint8_t(e.data[16]);
      }
      continue;
    }
    for (uint16_t bank : banks) {
      auto& value = out[bank][e.pcr];
      if (value.empty()) value.assign(bank_size(bank), 0);
      value = extend(bank, value, e.digests.at(bank).data());
    }
  }
  return out;
}

// The AK must be a key the TPM keeps to itself and uses only for what it attests: a restricted
// signing key signs a digest only if the TPM made the message (or checked it does not start with
// TPM_GENERATED), so a quote it signed is a quote; an unrestricted key signs anything, a forged
// TPMS_ATTEST included.
void check_ak(const Attestation_key& ak, Checker& c) {
  struct Bit {
    uint32_t mask;
    const char* name;
    const char* why;
  };
  static const Bit k_bits[] = {
      {0x00010000, "restricted", "an unrestricted key signs any digest, a forged quote included"},
      {0x00040000, "sign", "it is not a signing key"},
      {0x00000002, "fixedTPM", "the key may leave its TPM"},
      {0x00000010, "fixedParent", "the key may be moved under another parent"},
  };
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", ak.attributes);
  for (const Bit& b : k_bits) {
    if ((ak.attributes & b.mask) == 0) {
      c.add("ak", -1, -1, b.name, hex,
            std::string("AK: attributes 0x") + hex + " lack " + b.name + " (" + b.why + "); refused as an AK");
    }
  }
  if (ak.attributes & k_tpma_decrypt) {
    c.add("ak", -1, -1, "not decrypt", hex,
          std::string("AK: attributes 0x") + hex + " include decrypt (an AK only signs); refused as an AK");
  }
}

// Every bank Bulkhead knows must be asked for; the TPM empties the selection of a bank it has not
// allocated (signed), so the quote says which banks exist. Each allocated bank is quoted over the
// manifest's PCRs and is in the log, and the log has no bank the quote does not cover: an
// allocated bank left out of the quote (or out of the log) is a bank nobody checks, whose PCRs an
// attacker who rewrites the log could set at will.
void check_selection(const Parsed_quote& q, const Manifest& m, const std::vector<uint16_t>& log_banks, Checker& c) {
  const std::string pcrs = list_text(k_quote_bank, m.quote_pcrs).substr(std::string(bank_name(k_quote_bank)).size() + 1);
  std::vector<uint16_t> asked, quoted;
  for (const auto& s : q.selections) {
    if (std::find(asked.begin(), asked.end(), s.bank) != asked.end() || bank_size(s.bank) == 0) {
      c.add("pcr_selection", -1, -1, "each bank once", list_text(s.bank, s.pcrs),
            "PCR selection: bank " + list_text(s.bank, s.pcrs) + " is unknown or asked for twice");
      continue;
    }
    asked.push_back(s.bank);
    if (s.pcrs.empty()) continue;  // not allocated
    quoted.push_back(s.bank);
    if (s.pcrs != m.quote_pcrs) {
      c.add("pcr_selection", -1, -1, list_text(s.bank, m.quote_pcrs), list_text(s.bank, s.pcrs),
            "PCR selection: expected " + list_text(s.bank, m.quote_pcrs) + " (or none: bank not allocated) found " +
                list_text(s.bank, s.pcrs));
    }
  }
  std::string left_out;
  for (uint16_t bank : {k_sha1, k_sha256, k_sha384, k_sha512}) {
    if (std::find(asked.begin(), asked.end(), bank) == asked.end()) {
      left_out += (left_out.empty() ? "" : ", ") + std::string(bank_name(bank));
    }
  }
  if (!left_out.empty()) {
    c.add("pcr_selection", -1, -1, "sha1, sha256, sha384, sha512", left_out + " left out",
          "PCR selection: the quote leaves out " + left_out +
              " (a quote must ask for every bank, so that the TPM's answer shows which are allocated; an allocated "
              "bank left out is attested by nothing)");
  }
  for (uint16_t bank : quoted) {
    if (std::find(log_banks.begin(), log_banks.end(), bank) == log_banks.end()) {
      c.add("pcr_bank", -1, -1, bank_name(bank), "not in the log",
            std::string("PCR bank ") + bank_name(bank) + ": allocated and quoted, but the event log has no " +
                bank_name(bank) + " digests (nothing to replay its PCRs " + pcrs + " from)");
    }
  }
  for (uint16_t bank : log_banks) {
    if (std::find(quoted.begin(), quoted.end(), bank) == quoted.end()) {
      c.add("pcr_bank", -1, -1, bank_name(bank), "not quoted",
            std::string("PCR bank ") + bank_name(bank) + ": in the event log but not quoted (" +
                (std::find(asked.begin(), asked.end(), bank) == asked.end() ? "left out of the quote"
                                                                             : "the TPM has not allocated it") +
                "): its digests are attested by nothing");
    }
  }
}

void check_quote(const Evidence& ev, const Manifest& m, const Attestation_key& ak, const Bytes& nonce,
                 const std::vector<uint16_t>& log_banks, const Pcr_bank_values& replayed, Checker& c) {
  Parsed_signature sig;
  try {
    sig = parse_signature(ev.signature);
  } catch (const Input_error& e) {
    c.add("signature", -1, -1, "a TPMT_SIGNATURE", "malformed", std::string("quote ") + e.what());
    return;
  }
  if (!verify_quote_signature(*ak.key, ev.attest, sig)) {
    c.add("signature", -1, -1, "signed by the AK", "not signed by the AK",
          "quote signature: does not verify with the AK (another TPM's key, or the quote was altered)");
  }
  Parsed_quote q;
  try {
    q = parse_quote(ev.attest);
  } catch (const Input_error& e) {
    c.add("quote", -1, -1, "a TPMS_ATTEST quote", "malformed", e.what());
    return;
  }
  char hex[16];
  if (q.magic != k_tpm_generated) {
    std::snprintf(hex, sizeof hex, "%08x", q.magic);
    c.add("quote", -1, -1, "ff544347", hex, std::string("quote magic: expected ff544347 (TPM_GENERATED) found ") + hex);
  }
  if (q.type != k_st_attest_quote) {
    std::snprintf(hex, sizeof hex, "%04x", q.type);
    c.add("quote", -1, -1, "8018", hex, std::string("quote type: expected 8018 (TPM_ST_ATTEST_QUOTE) found ") + hex);
    return;
  }
  if (q.signer != ak.qualified_name) {
    c.add("signer", -1, -1, to_hex(ak.qualified_name), to_hex(q.signer),
          "quote signer: the quote names " + to_hex(q.signer) + ", not the AK (qualified name " +
              to_hex(ak.qualified_name) + " under the EK)");
  }
  if (q.extra_data != nonce) {
    c.add("nonce", -1, -1, to_hex(nonce), to_hex(q.extra_data),
          "nonce: expected " + to_hex(nonce) + " found " + to_hex(q.extra_data) + " (replayed or stale quote)");
  }
  check_selection(q, m, log_banks, c);
  // The PCR digest: the replayed values of every selected PCR, bank by bank in the quote's order.
  Bytes concat;
  for (const auto& sel : q.selections) {
    const auto bank_it = replayed.find(sel.bank);
    for (uint32_t pcr : sel.pcrs) {
      const Bytes* value = nullptr;
      if (bank_it != replayed.end() && bank_it->second.count(pcr)) value = &bank_it->second.at(pcr);
      Bytes zero(bank_size(sel.bank), 0);
      concat.insert(concat.end(), value ? value->begin() : zero.begin(), value ? value->end() : zero.end());
    }
  }
  const Bytes expected = hash(sig.hash_alg, concat);
  if (expected != q.pcr_digest) {
    c.add("pcr_digest", -1, -1, to_hex(expected), to_hex(q.pcr_digest),
          "PCR digest: the quote's " + to_hex(q.pcr_digest) + " is not the event log's replay " + to_hex(expected) +
              " (log edited, truncated or from another boot)");
  }
}

void compare_events(const std::vector<Log_event>& log, const std::vector<uint16_t>& banks, const Manifest& m,
                    Verdict& v, Checker& c) {
  std::vector<const Log_event*> ours;
  for (const auto& e : log) {
    if (e.pcr >= k_firmware_pcr_count) ours.push_back(&e);
  }
  v.bulkhead_events = ours.size();
  const size_t n = std::max(ours.size(), m.events.size());
  for (size_t j = 0; j < n; ++j) {
    if (j >= ours.size()) {
      const auto& x = m.events[j];
      c.add("event", int(x.pcr), -1, x.description, "nothing",
            "event missing: PCR " + std::to_string(x.pcr) + " " + event_type_name(x.type) + " \"" + x.description +
                "\" (manifest event " + std::to_string(j) + ") is not in the log");
      continue;
    }
    const Log_event& e = *ours[j];
    const std::string at = "event #" + std::to_string(e.index) + " (PCR " + std::to_string(e.pcr) + ")";
    if (j >= m.events.size()) {
      c.add("event", int(e.pcr), int(e.index), "nothing", printable(e.data),
            at + ": unexpected " + event_type_name(e.type) + " \"" + printable(e.data) + "\" not in the manifest");
      continue;
    }
    const Manifest_event& x = m.events[j];
    if (e.pcr != x.pcr) {
      c.add("event", int(e.pcr), int(e.index), std::to_string(x.pcr), std::to_string(e.pcr),
            at + ": PCR expected " + std::to_string(x.pcr) + " found " + std::to_string(e.pcr));
    }
    if (e.type != x.type) {
      c.add("event", int(e.pcr), int(e.index), event_type_name(x.type), event_type_name(e.type),
            at + ": type expected " + event_type_name(x.type) + " found " + event_type_name(e.type));
    }
    if (e.data != x.description) {
      c.add("event", int(e.pcr), int(e.index), x.description, printable(e.data),
            at + ": description expected \"" + x.description + "\" found \"" + printable(e.data) + "\"");
    }
    for (uint16_t bank : banks) {
      auto want = x.digests.find(bank);
      if (want == x.digests.end()) continue;
      if (e.digests.at(bank) != want->second) {
        c.add("event", int(e.pcr), int(e.index), to_hex(want->second), to_hex(e.digests.at(bank)),
              at + ": " + bank_name(bank) + " digest expected " + to_hex(want->second) + " found " +
                  to_hex(e.digests.at(bank)) + " (\"" + x.description + "\")");
      }
    }
  }
}

void compare_pcrs(const Pcr_bank_values& replayed, const std::vector<uint16_t>& banks, const Manifest& m,
                  const Evidence& ev, Checker& c) {
  for (uint16_t bank : banks) {
    auto want = m.pcrs.find(bank);
    if (want == m.pcrs.end()) continue;
    for (const auto& [pcr, value] : want->second) {
      const auto& found = replayed.at(bank).count(pcr) ? replayed.at(bank).at(pcr) : Bytes(bank_size(bank), 0);
      if (found != value) {
        c.add("pcr", int(pcr), -1, to_hex(value), to_hex(found),
              "PCR " + std::to_string(pcr) + " (" + bank_name(bank) + "): expected " + to_hex(value) +
                  " found (replayed from the log) " + to_hex(found));
      }
    }
  }
  for (const auto& [bank, values] : ev.pcrs) {
    if (!replayed.count(bank)) continue;
    for (const auto& [pcr, value] : values) {
      if (!replayed.at(bank).count(pcr) || replayed.at(bank).at(pcr) == value) continue;
      c.add("evidence_pcr", int(pcr), -1, to_hex(replayed.at(bank).at(pcr)), to_hex(value),
            "evidence PCR " + std::to_string(pcr) + " (" + bank_name(bank) + ", read by the agent): replay gives " +
                to_hex(replayed.at(bank).at(pcr)) + " found " + to_hex(value));
    }
  }
}

}  // namespace

Verdict verify(const Evidence& evidence, const Manifest& manifest, const Attestation_key& ak, const Bytes& nonce,
               const Verify_options& options) {
  Verdict v;
  Checker c(v);
  check_ak(ak, c);
  std::vector<uint16_t> banks;
  const auto log = read_log(evidence.event_log, banks, c);
  v.log_events = log.size();
  if (!banks.empty() && std::find(banks.begin(), banks.end(), k_quote_bank) == banks.end()) {
    c.add("event_log", -1, -1, "sha256 bank", "absent", "event log: no sha256 bank (the quote's bank)");
  }
  v.replayed = replay_log(log, banks);
  check_quote(evidence, manifest, ak, nonce, banks, v.replayed, c);
  check_firmware_events(log, banks, manifest, c);
  compare_events(log, banks, manifest, v, c);
  if (!banks.empty()) compare_pcrs(v.replayed, banks, manifest, evidence, c);
  if (!manifest.firmware_recorded && options.recording_firmware) {
    v.warnings.push_back(
        "firmware PCRs 0-7 are not recorded in the manifest: trust on first use: this boot's are recorded, not "
        "compared");
  } else if (!manifest.firmware_recorded) {
    c.add("firmware_record", -1, -1, "a firmware record", "none",
          "firmware PCRs 0-7: the manifest has no firmware record, so nothing holds them (record a boot you trust "
          "with --record-firmware, then manifest build --firmware-pcrs)");
  } else {
    for (uint16_t bank : banks) {
      const auto values = manifest.pcrs.find(bank);
      for (uint32_t pcr = 0; pcr < k_firmware_pcr_count; ++pcr) {
        if (values != manifest.pcrs.end() && values->second.count(pcr)) continue;
        c.add("firmware_record", int(pcr), -1, "a recorded value", "none",
              "firmware record: PCR " + std::to_string(pcr) + " (" + bank_name(bank) +
                  ") is not in the manifest: the record is partial");
      }
    }
  }
  return v;
}

std::string Verdict::verdict_line() const {
  if (ok()) {
    return "attestation: PASS: quote signed by the AK, nonce fresh, " + std::to_string(bulkhead_events) +
           " Bulkhead events and every PCR match the manifest (" + std::to_string(log_events) + " log events)";
  }
  return "attestation: FAIL: " + std::to_string(mismatches.size()) + " mismatch" +
         (mismatches.size() == 1 ? "" : "es") + " (first: " + mismatches.front().message + ")";
}

std::string Verdict::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : mismatches) {
    nlohmann::json j = {{"check", m.check}, {"expected", m.expected}, {"found", m.found}, {"message", m.message}};
    if (m.pcr >= 0) j["pcr"] = m.pcr;
    if (m.event >= 0) j["event"] = m.event;
    list.push_back(j);
  }
  return nlohmann::json{{"verdict", ok() ? "pass" : "fail"},
                        {"summary", verdict_line()},
                        {"log_events", log_events},
                        {"bulkhead_events", bulkhead_events},
                        {"mismatches", list},
                        {"warnings", warnings}}
             .dump(2);
}

}  // namespace bh::attest
