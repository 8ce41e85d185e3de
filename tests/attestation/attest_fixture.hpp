// SPDX-License-Identifier: Apache-2.0
// Shared setup of the attestation tests: a fresh swtpm, the real `bulkhead` binary, the default
// policy compiled with the fixture images, and the boot stage simulated from the host (PCR
// extends through ESAPI plus the core event-log writer, exactly as a manifest lists them).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bh/attest/common.hpp"
#include "bh/attest/manifest.hpp"
#include "bh/harness.hpp"
#include "bh/tpm/tpm.hpp"
#include "sk/event_log.hpp"

namespace bh::attest_test {

namespace fs = std::filesystem;
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

// What the boot stage does for each manifest event: extend the PCR in every allocated bank and
// append the event to a crypto-agile log with the core writer. Returns the log.
inline Bytes simulate_boot(const std::string& tcti, const std::vector<bh::attest::Manifest_event>& events) {
  bh::tpm::Context c(tcti);
  const std::vector<TPM2_ALG_ID> banks = bh::tpm::allocated_banks(c);
  REQUIRE(!banks.empty());
  Bytes log(1 << 16);
  sk::event_log::Writer w(log.data(), log.size());
  std::vector<uint16_t> algs(banks.begin(), banks.end());
  REQUIRE(w.begin(algs.data(), uint32_t(algs.size())).ok());
  for (const auto& e : events) {
    std::vector<Bytes> digests;
    std::vector<sk::event_log::Digest> refs;
    for (TPM2_ALG_ID b : banks) digests.push_back(e.digests.at(b));
    for (size_t i = 0; i < banks.size(); ++i) refs.push_back({banks[i], digests[i].data()});
    bh::tpm::pcr_extend(c, e.pcr, banks, digests);
    REQUIRE(w.append(e.pcr, e.type, refs.data(), uint32_t(refs.size()), e.description.data(),
                     uint32_t(e.description.size()))
                .ok());
  }
  log.resize(w.size());
  return log;
}

// A fresh swtpm (state in dir: one per Work_dir) with a provisioned AK (public parts in dir/name).
struct Provisioned_tpm {
  std::unique_ptr<bh::harness::Swtpm> tpm;
  fs::path keys;
  Provisioned_tpm(const bh::harness::Work_dir& dir, const std::string& name) {
    tpm = bh::harness::Swtpm::start_socket(dir);
    keys = dir / name;
    auto r = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", keys.string()});
    INFO(r.output);
    REQUIRE(r.status == 0);
  }
};

}  // namespace bh::attest_test
