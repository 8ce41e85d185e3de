// SPDX-License-Identifier: Apache-2.0
// The signed firmware record (see firmware_record.hpp).
#include "bh/attest/firmware_record.hpp"

#include <botan/data_src.h>
#include <botan/pubkey.h>
#include <botan/x509_key.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "bh/attest/manifest.hpp"

namespace bh::attest {

using nlohmann::json;

Bytes firmware_record_message(const Pcr_bank_values& pcrs) {
  std::string text = "bulkhead-firmware-record v1\n";
  for (const auto& [bank, values] : pcrs) {
    for (const auto& [pcr, value] : values) {
      text += std::string(bank_name(bank)) + " " + std::to_string(pcr) + " " + to_hex(value) + "\n";
    }
  }
  return Bytes(text.begin(), text.end());
}

std::string firmware_record_to_json(const Pcr_bank_values& pcrs, const Bytes& signature) {
  json j = {{"format", "bulkhead-firmware-record"},
            {"version", 1},
            {"pcrs", json::parse(pcrs_to_json(pcrs))},
            {"signature", {{"algorithm", "ecdsa-p256-sha256"}, {"value", to_base64(signature)}}}};
  return j.dump(2) + "\n";
}

Pcr_bank_values read_firmware_record(const std::string& text, const std::string& where,
                                     const Bytes& admin_public_pem, const std::string& admin_where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    throw Input_error(where + ": not valid JSON (a cut record?)");
  }
  if (!j.is_object() || j.value("format", "") != "bulkhead-firmware-record") {
    throw Record_refused(where +
                         ": not a signed firmware record (record firmware PCRs with attest verify "
                         "--record-firmware and the administrator's key)");
  }
  if (!j.contains("version") || j["version"] != 1)
    throw Input_error(where + ": version: only version 1 is known");
  if (!j.contains("pcrs") || !j.contains("signature") || !j["signature"].is_object() ||
      !j["signature"].contains("value") || !j["signature"]["value"].is_string()) {
    throw Record_refused(where + ": no pcrs or no signature: not a signed firmware record");
  }
  if (j["signature"].value("algorithm", "") != "ecdsa-p256-sha256") {
    throw Record_refused(where + ": signature.algorithm: only ecdsa-p256-sha256 is known");
  }
  const Pcr_bank_values pcrs = firmware_pcrs_from_json(j["pcrs"].dump(), where + ": pcrs");
  if (!pcrs.count(k_sha256)) throw Record_refused(where + ": no sha256 values: the record is partial");
  for (const auto& [bank, values] : pcrs) {
    for (uint32_t pcr = 0; pcr < k_firmware_pcr_count; ++pcr) {
      if (!values.count(pcr)) {
        throw Record_refused(where + ": PCR " + std::to_string(pcr) + " (" + bank_name(bank) +
                             ") missing: the record is partial");
      }
    }
  }
  for (const auto& [bank, values] : j["pcrs"].items()) {
    if (values.is_object() && values.size() != k_firmware_pcr_count) {
      throw Record_refused(where + ": pcrs." + bank + ": only PCRs 0-7 belong in a firmware record");
    }
  }
  std::unique_ptr<Botan::Public_Key> key;
  try {
    Botan::DataSource_Memory source(admin_public_pem.data(), admin_public_pem.size());
    key.reset(Botan::X509::load_key(source));
  } catch (const std::exception&) {
    throw Input_error(admin_where + ": not a readable PEM public key");
  }
  if (key->algo_name() != "ECDSA") throw Input_error(admin_where + ": not an ECDSA key");
  const Bytes signature =
      from_base64(j["signature"]["value"].get<std::string>(), where + ": signature.value");
  bool ok = false;
  try {
    Botan::PK_Verifier v(*key, "EMSA1(SHA-256)", Botan::IEEE_1363);
    ok = v.verify_message(firmware_record_message(pcrs), signature);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    throw Record_refused(where + ": signature does not verify with the administrator key " + admin_where +
                         " (the record was edited, or signed by another key)");
  }
  return pcrs;
}

}  // namespace bh::attest
