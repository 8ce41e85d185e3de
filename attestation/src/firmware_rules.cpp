// SPDX-License-Identifier: Apache-2.0
// The verifier's rules for firmware events in PCRs 0-7 (see verify_detail.hpp).
#include <cstring>

#include "verify_detail.hpp"

namespace bh::attest {

namespace {

constexpr uint32_t k_ev_separator = 0x00000004;
constexpr uint32_t k_ev_boot_services_application = 0x80000003;

std::string at_text(const Log_event& e) {
  return "event #" + std::to_string(e.index) + " (PCR " + std::to_string(e.pcr) + ")";
}

void check_separator(const Log_event& e, const std::vector<uint16_t>& banks, Checker& c) {
  const Bytes data(e.data.begin(), e.data.end());
  const std::string found = to_hex(data);
  uint32_t value = 0;
  if (data.size() == 4) std::memcpy(&value, data.data(), 4);
  if (data.size() != 4 || (value != 0 && value != 1 && value != 0xFFFFFFFF)) {
    c.add("firmware", int(e.pcr), int(e.index), "00000000", found,
          at_text(e) + ": malformed EV_SEPARATOR: data " + (found.empty() ? "empty" : found) +
              " (a separator is 4 bytes: 00000000, or ffffffff from a BIOS)");
    return;
  }
  if (value == 1) {
    c.add("firmware", int(e.pcr), int(e.index), "00000000", found,
          at_text(e) + ": EV_SEPARATOR 01000000: the firmware reports an error in its measurements");
  }
  for (uint16_t bank : banks) {
    const Bytes want = hash(bank, data);
    const auto got = e.digests.find(bank);
    if (got == e.digests.end() || got->second != want) {
      c.add("firmware", int(e.pcr), int(e.index), to_hex(want),
            got == e.digests.end() ? "" : to_hex(got->second),
            at_text(e) + ": EV_SEPARATOR " + bank_name(bank) + " digest is not the hash of its data " +
                found + " (expected " + to_hex(want) + ")");
    }
  }
}

}  // namespace

void check_firmware_events(const std::vector<Log_event>& log, const std::vector<uint16_t>& banks,
                           const Manifest& m, Checker& c) {
  int separators[k_firmware_pcr_count] = {};
  int applications = 0;
  for (const Log_event& e : log) {
    if (e.pcr >= k_firmware_pcr_count) continue;
    if (e.type == k_ev_separator) {
      ++separators[e.pcr];
      check_separator(e, banks, c);
      continue;
    }
    if (e.type != k_ev_boot_services_application || e.pcr != 4) continue;
    const auto sha256_it = e.digests.find(k_sha256);
    const Bytes sha256 = sha256_it == e.digests.end() ? Bytes() : sha256_it->second;
    if (m.boot_stage.file.empty()) {
      c.add("boot_application", 4, int(e.index), "none", to_hex(sha256),
            at_text(e) + ": boot application " + to_hex(sha256) +
                " started, but the manifest names no boot stage (manifest build --boot-stage)");
      continue;
    }
    if (++applications > 1) {
      c.add("boot_application", 4, int(e.index), "one boot application", to_hex(sha256),
            at_text(e) + ": a second boot application " + to_hex(sha256) + " (only the boot stage " +
                m.boot_stage.file + " may run)");
      continue;
    }
    for (uint16_t bank : banks) {
      const auto want = m.boot_stage.digests.find(bank);
      if (want == m.boot_stage.digests.end()) continue;
      if (e.digests.at(bank) != want->second) {
        c.add("boot_application", 4, int(e.index), to_hex(want->second), to_hex(e.digests.at(bank)),
              at_text(e) + ": boot application " + bank_name(bank) + " digest " + to_hex(e.digests.at(bank)) +
                  " is not the boot stage " + m.boot_stage.file + " (" + to_hex(want->second) + ")");
      }
    }
  }
  for (uint32_t pcr = 0; pcr < k_firmware_pcr_count; ++pcr) {
    if (separators[pcr] == 1) continue;
    c.add("firmware", int(pcr), -1, "one EV_SEPARATOR", std::to_string(separators[pcr]),
          "PCR " + std::to_string(pcr) + ": " +
              (separators[pcr] == 0
                   ? std::string("no EV_SEPARATOR (the end of the firmware's measurements is "
                                 "not in the log)")
                   : std::to_string(separators[pcr]) + " EV_SEPARATOR events (one is expected)"));
  }
  if (!m.boot_stage.file.empty() && applications == 0) {
    c.add("boot_application", 4, -1, m.boot_stage.file, "none",
          "PCR 4: no EV_EFI_BOOT_SERVICES_APPLICATION: the boot stage " + m.boot_stage.file +
              " was not measured by the firmware");
  }
}

}  // namespace bh::attest
