// SPDX-License-Identifier: Apache-2.0
// Shared setup of the attestation tests: a fresh swtpm, the real `bulkhead` binary, the default
// policy compiled with the fixture images, and the boot stage simulated from the host (PCR
// extends through ESAPI plus the core event-log writer, exactly as a manifest lists them).
#pragma once

#include <botan/auto_rng.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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
  at::Manifest manifest;
  explicit Rig(const std::string& pcr_banks = "") : tpm(dir, "keys", pcr_banks) {
    auto r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(), "-o", manifest_path});
    INFO(r.output);
    REQUIRE(r.status == 0);
    manifest = at::manifest_from_json(slurp(manifest_path), manifest_path);
  }
  // Boots `events`, quotes with nonce, writes evidence; returns its path.
  std::string boot_and_quote(const std::vector<at::Manifest_event>& events, const std::string& nonce) {
    Bytes log = simulate_boot(tpm.tpm->tcti(), events);
    const std::string log_path = (dir / "eventlog.bin").string();
    at::write_file(log_path, log);
    const std::string evidence = (dir / "evidence.json").string();
    auto r = bulkhead({"attest", "quote", "--tcti", tpm.tpm->tcti(), "--nonce", nonce, "--log", log_path, "-o", evidence});
    INFO(r.output);
    REQUIRE(r.status == 0);
    return evidence;
  }
  // Verifies with the keys `bulkhead tpm provision` wrote in keys (default: this rig's TPM's).
  bh::harness::Command_result verify(const std::string& evidence, const std::string& nonce, fs::path keys = {}) {
    if (keys.empty()) keys = tpm.keys;
    return bulkhead({"attest", "verify", "--evidence", evidence, "--manifest", manifest_path, "--ak",
                     (keys / "ak.pub").string(), "--ek", (keys / "ek.pub").string(), "--nonce", nonce});
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
