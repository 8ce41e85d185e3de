// SPDX-License-Identifier: Apache-2.0
// The evidence JSON format (see evidence.hpp).
#include <nlohmann/json.hpp>

#include "bh/attest/evidence.hpp"

namespace bh::attest {

using nlohmann::json;

std::string evidence_to_json(const Evidence& e) {
  json j = {{"format", "bulkhead-evidence"},
            {"version", 1},
            {"nonce", to_hex(e.nonce)},
            {"quote", {{"attest", to_base64(e.attest)}, {"signature", to_base64(e.signature)}}},
            {"event_log", to_base64(e.event_log)},
            {"pcrs", json::parse(pcrs_to_json(e.pcrs))}};
  return j.dump(2) + "\n";
}

Evidence evidence_from_json(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    throw Input_error(where + ": not valid JSON");
  }
  auto str = [&](const json& obj, const char* name, const std::string& path) -> std::string {
    if (!obj.is_object() || !obj.contains(name) || !obj[name].is_string()) {
      throw Input_error(where + ": field \"" + path + "\" missing or not a string");
    }
    return obj[name].get<std::string>();
  };
  if (str(j, "format", "format") != "bulkhead-evidence") throw Input_error(where + ": format: not evidence");
  if (!j.contains("version") || j["version"] != 1) throw Input_error(where + ": version: only version 1 is known");
  Evidence e;
  e.nonce = from_hex(str(j, "nonce", "nonce"), where + ": nonce");
  if (!j.contains("quote")) throw Input_error(where + ": field \"quote\" missing");
  e.attest = from_base64(str(j["quote"], "attest", "quote.attest"), where + ": quote.attest");
  e.signature = from_base64(str(j["quote"], "signature", "quote.signature"), where + ": quote.signature");
  e.event_log = from_base64(str(j, "event_log", "event_log"), where + ": event_log");
  if (j.contains("pcrs")) {
    // Same shape as the recorded firmware file, all PCRs 0-23.
    const json& pcrs = j["pcrs"];
    if (!pcrs.is_object()) throw Input_error(where + ": pcrs: not an object of banks");
    for (const auto& [bank_text, values] : pcrs.items()) {
      uint16_t bank = bank_from_name(bank_text);
      if (bank == 0 || !values.is_object()) throw Input_error(where + ": pcrs." + bank_text + ": unknown bank");
      for (const auto& [pcr_text, value] : values.items()) {
        const std::string f = where + ": pcrs." + bank_text + "." + pcr_text;
        if (pcr_text.empty() || pcr_text.size() > 2 || pcr_text.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(pcr_text) > 23) {
          throw Input_error(f + ": not a PCR 0..23");
        }
        if (!value.is_string()) throw Input_error(f + ": not a hex string");
        Bytes b = from_hex(value.get<std::string>(), f);
        if (b.size() != bank_size(bank)) throw Input_error(f + ": wrong digest size");
        e.pcrs[bank][uint32_t(std::stoul(pcr_text))] = b;
      }
    }
  }
  return e;
}

}  // namespace bh::attest
