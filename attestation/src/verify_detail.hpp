// SPDX-License-Identifier: Apache-2.0
// What the verifier's parts share inside bh_attest: an event as read from the log, the collector
// of mismatches, and the firmware rules (firmware_rules.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bh/attest/evidence.hpp"

namespace bh::attest {

struct Log_event {
  size_t index;
  uint32_t pcr;
  uint32_t type;
  std::map<uint16_t, Bytes> digests;
  std::string data;
};

class Checker {
 public:
  explicit Checker(Verdict& v) : v_(v) {}
  void add(const std::string& check, int pcr, int event, const std::string& expected,
           const std::string& found, const std::string& message) {
    v_.mismatches.push_back({check, pcr, event, expected, found, message});
  }

 private:
  Verdict& v_;
};

// Rules for the firmware's events (PCRs 0-7), beyond their final values: every EV_SEPARATOR well
// formed (TCG PC Client PFP: 4 bytes, 00000000, or ffffffff as a BIOS writes it; 00000001 signals
// a firmware error), its digest in every bank the hash of its data, exactly one per PCR 0-7; the
// only boot application in PCR 4 (EV_EFI_BOOT_SERVICES_APPLICATION) is the manifest's boot stage.
void check_firmware_events(const std::vector<Log_event>& log, const std::vector<uint16_t>& banks,
                           const Manifest& m, Checker& c);

}  // namespace bh::attest
