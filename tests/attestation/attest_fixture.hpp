// SPDX-License-Identifier: Apache-2.0
// Shared setup of the attestation tests: a fresh swtpm, the real `bulkhead` binary, the default
// policy compiled with the fixture images, and the boot stage simulated from the host (PCR
// extends through ESAPI plus the core event-log writer, exactly as a manifest lists them).
#pragma once

#include <botan/auto_rng.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bh/attest/authenticode.hpp"
#include "bh/attest/common.hpp"
#include "bh/attest/evidence.hpp"
#include "bh/attest/manifest.hpp"
#include "bh/harness.hpp"
#include "bh/tpm/tpm.hpp"
#include "sk/event_log.hpp"

namespace bh::attest_test {

namespace fs = std::filesystem;
namespace at = bh::attest;
using bh::attest::Bytes;
using bh::harness::Millis;

inline bh::harness::Command_result bulkhead(std::vector<std::string> args) {
  args.insert(args.begin(), BULKHEAD_BIN);
  return bh::harness::run_command(args, Millis(60000));
}

inline std::string slurp(const fs::path& p) {
  Bytes b = bh::attest::read_file(p.string(), "test file");
  return {b.begin(), b.end()};
}

inline std::string image_dir() { return std::string(BH_SOURCE_DIR) + "/tests/policy/fixtures/images"; }

// Compiles the default two-domain policy into dir/policy.img; returns its path.
inline std::string compile_default_policy(const bh::harness::Work_dir& dir) {
  const std::string out = (dir / "policy.img").string();
  auto r = bulkhead({"policy", "compile", std::string(BH_SOURCE_DIR) + "/policies/default.toml", "--image-dir",
                     image_dir(), "-o", out});
  INFO(r.output);
  REQUIRE(r.status == 0);
  return out;
}

// A crypto-agile log of events in banks, written with the core writer (nothing extended).
inline Bytes write_log(const std::vector<uint16_t>& banks, const std::vector<bh::attest::Manifest_event>& events) {
  Bytes log(1 << 16);
  sk::event_log::Writer w(log.data(), log.size());
  REQUIRE(w.begin(banks.data(), uint32_t(banks.size())).ok());
  for (const auto& e : events) {
    std::vector<sk::event_log::Digest> refs;
    for (uint16_t b : banks) refs.push_back({b, e.digests.at(b).data()});
    REQUIRE(w.append(e.pcr, e.type, refs.data(), uint32_t(refs.size()), e.description.data(),
                     uint32_t(e.description.size()))
                .ok());
  }
  log.resize(w.size());
  return log;
}

// What the boot stage does for each manifest event: extend the PCR in every allocated bank and
// append the event to a crypto-agile log with the core writer. Returns the log.
inline Bytes simulate_boot(const std::string& tcti, const std::vector<bh::attest::Manifest_event>& events) {
  bh::tpm::Context c(tcti);
  const std::vector<TPM2_ALG_ID> banks = bh::tpm::allocated_banks(c);
  REQUIRE(!banks.empty());
  for (const auto& e : events) {
    std::vector<Bytes> digests;
    for (TPM2_ALG_ID b : banks) digests.push_back(e.digests.at(b));
    bh::tpm::pcr_extend(c, e.pcr, banks, digests);
  }
  return write_log(std::vector<uint16_t>(banks.begin(), banks.end()), events);
}

// A minimal PE32+ image (headers, one section holding text): what a boot stage looks like to the
// firmware, whose Authenticode digest goes into PCR 4.
inline Bytes fake_boot_stage(const std::string& text) {
  Bytes pe(0x400, 0);
  auto put = [&pe](size_t at, uint32_t v, size_t size) {
    for (size_t i = 0; i < size; ++i) pe[at + i] = uint8_t(v >> (8 * i));
  };
  put(0, 0x5A4D, 2);         // MZ
  put(0x3C, 0x40, 4);        // e_lfanew
  put(0x40, 0x00004550, 4);  // PE\0\0
  put(0x44, 0x8664, 2);      // x86-64
  put(0x46, 1, 2);           // one section
  put(0x54, 240, 2);         // SizeOfOptionalHeader (PE32+, 16 directories)
  put(0x56, 0x22, 2);
  const size_t opt = 0x58;
  put(opt, 0x20B, 2);          // PE32+
  put(opt + 60, 0x200, 4);     // SizeOfHeaders
  put(opt + 64, 0x1234, 4);    // CheckSum (not hashed)
  put(opt + 108, 16, 4);       // NumberOfRvaAndSizes
  const size_t section = opt + 240;
  std::memcpy(&pe[section], ".text", 5);
  put(section + 16, 0x200, 4);  // SizeOfRawData
  put(section + 20, 0x200, 4);  // PointerToRawData
  std::memcpy(&pe[0x200], text.data(), std::min<size_t>(text.size(), 0x200));
  return pe;
}

// What firmware logs before the boot stage runs, as OVMF does: an EV_SEPARATOR (data 00000000) in
// each of PCRs 0-7, then the boot application (Authenticode digest of boot_stage) in PCR 4.
inline std::vector<at::Manifest_event> firmware_events(const Bytes& boot_stage) {
  const std::vector<uint16_t> banks = {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512};
  std::vector<at::Manifest_event> out;
  for (uint32_t pcr = 0; pcr < 8; ++pcr) {
    at::Manifest_event e;
    e.pcr = pcr;
    e.type = 0x00000004;  // EV_SEPARATOR
    e.description = std::string(4, '\0');
    for (uint16_t b : banks) e.digests[b] = at::hash(b, Bytes(4, 0));
    out.push_back(e);
  }
  at::Manifest_event app;
  app.pcr = 4;
  app.type = 0x80000003;  // EV_EFI_BOOT_SERVICES_APPLICATION
  // UEFI_IMAGE_LOAD_EVENT: location, length, link-time address, device path length, then the
  // device path (here only its end node), as tpm2_eventlog reads it.
  Bytes load_event(32, 0);
  load_event[2] = 0x10;  // loaded at 0x100000
  load_event[9] = 0x04;  // 0x400 bytes
  load_event[24] = 4;    // device path: 4 bytes
  for (uint8_t b : {0x7F, 0xFF, 0x04, 0x00}) load_event.push_back(b);
  app.description = std::string(load_event.begin(), load_event.end());
  app.digests = at::authenticode_digests(boot_stage, banks, "boot stage");
  out.push_back(app);
  return out;
}
// Events firmware_events() puts before Bulkhead's own.
inline constexpr size_t k_firmware_events = 9;

// A fresh swtpm (state in dir: one per Work_dir) with a provisioned AK (public parts in dir/name).
struct Provisioned_tpm {
  std::unique_ptr<bh::harness::Swtpm> tpm;
  fs::path keys;
  // pcr_banks: the banks to allocate ("sha1,sha256"); empty: swtpm's default (sha256).
  Provisioned_tpm(const bh::harness::Work_dir& dir, const std::string& name, const std::string& pcr_banks = "") {
    tpm = bh::harness::Swtpm::start_socket(dir, false, pcr_banks);
    keys = dir / name;
    auto r = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", keys.string()});
    INFO(r.output);
    REQUIRE(r.status == 0);
  }
};

inline std::string fresh_nonce() {
  Botan::AutoSeeded_RNG rng;
  Bytes n(20);
  rng.randomize(n.data(), n.size());
  return at::to_hex(n);
}

// One attestation rig: a provisioned swtpm, the default policy and its manifest.
// pcr_banks: the TPM's allocated banks (default sha256 alone).
struct Rig {
  bh::harness::Work_dir dir{"attest"};
  Provisioned_tpm tpm;
  std::string policy = compile_default_policy(dir);
  std::string manifest_path = (dir / "manifest.json").string();
  std::string boot_stage = (dir / "BOOTX64.EFI").string();
  at::Manifest manifest;
  std::vector<at::Manifest_event> firmware;  // what the firmware logs before Bulkhead's events
  fs::path admin_key = dir / "admin.pem";             // the administrator's signing key
  fs::path admin_public = dir / "admin.pub.pem";
  explicit Rig(const std::string& pcr_banks = "") : tpm(dir, "keys", pcr_banks) {
    auto key = bulkhead({"disk", "admin-key", "-o", admin_key.string(), "--public", admin_public.string()});
    INFO(key.output);
    REQUIRE(key.status == 0);
    at::write_file(boot_stage, fake_boot_stage("bulkhead boot stage"));
    firmware = firmware_events(at::read_file(boot_stage, "boot stage"));
    auto r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(), "--boot-stage",
                       boot_stage, "-o", manifest_path});
    INFO(r.output);
    REQUIRE(r.status == 0);
    manifest = at::manifest_from_json(slurp(manifest_path), manifest_path);
  }
  // Boots the firmware's events and then `events`, quotes with nonce, writes evidence; returns its path.
  std::string boot_and_quote(const std::vector<at::Manifest_event>& events, const std::string& nonce) {
    std::vector<at::Manifest_event> all = firmware;
    all.insert(all.end(), events.begin(), events.end());
    return boot_and_quote_exactly(all, nonce);
  }
  // Boots exactly `events` (firmware's included), quotes with nonce, writes evidence.
  std::string boot_and_quote_exactly(const std::vector<at::Manifest_event>& events, const std::string& nonce) {
    Bytes log = simulate_boot(tpm.tpm->tcti(), events);
    const std::string log_path = (dir / "eventlog.bin").string();
    at::write_file(log_path, log);
    const std::string evidence = (dir / "evidence.json").string();
    auto r = bulkhead({"attest", "quote", "--tcti", tpm.tpm->tcti(), "--nonce", nonce, "--log", log_path, "-o", evidence});
    INFO(r.output);
    REQUIRE(r.status == 0);
    return evidence;
  }
  // Verifies with the keys `bulkhead tpm provision` wrote in keys (default: this rig's TPM's)
  // against the build's manifest, recording this boot's firmware PCRs (trust on first use, signed
  // with the administrator's key) in dir/firmware.json if it passes.
  bh::harness::Command_result verify(const std::string& evidence, const std::string& nonce, fs::path keys = {}) {
    return verify_with(manifest_path, evidence, nonce, keys,
                       {"--record-firmware", (dir / "firmware.json").string(), "--admin-key", admin_key.string()});
  }
  bh::harness::Command_result verify_with(const std::string& manifest, const std::string& evidence,
                                          const std::string& nonce, fs::path keys = {},
                                          const std::vector<std::string>& more = {}) {
    if (keys.empty()) keys = tpm.keys;
    std::vector<std::string> args = {"attest", "verify", "--evidence", evidence, "--manifest", manifest, "--ak",
                                     (keys / "ak.pub").string(), "--ek", (keys / "ek.pub").string(), "--nonce", nonce};
    args.insert(args.end(), more.begin(), more.end());
    return bulkhead(args);
  }
  // The build's manifest with the firmware record: manifest build --firmware-pcrs record
  // --admin-public; returns its path (REQUIREs success).
  std::string recorded_manifest(const std::string& record) {
    const std::string out = (dir / "manifest.recorded.json").string();
    auto r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(), "--boot-stage",
                       boot_stage, "--firmware-pcrs", record, "--admin-public", admin_public.string(), "-o", out});
    INFO(r.output);
    REQUIRE(r.status == 0);
    return out;
  }
  // Rewrites the evidence file with f applied to it.
  template <typename F>
  void tamper(const std::string& evidence, F&& f) {
    at::Evidence e = at::evidence_from_json(slurp(evidence), evidence);
    f(e);
    at::write_text(evidence, at::evidence_to_json(e));
  }
};

}  // namespace bh::attest_test
