// SPDX-License-Identifier: Apache-2.0
// The offline PolicyPCR digest equals what a real TPM's trial session computes over the PCR
// values reached by extending the manifest's events into swtpm (checked with tpm2-tools, an
// implementation independent of ours), and differs once the PCRs differ.
#include <botan/hash.h>
#include <botan/hex.h>

#include <catch2/catch.hpp>

#include "bh/storage/policy_digest.hpp"
#include "swtpm_fixture.hpp"

using namespace bh::storage;
using namespace bh::storage::test;

namespace {


// PCR_new = SHA-256(PCR_old || event digest), from the reset value zero.
Digest replay(const std::vector<Digest>& events) {
  Digest pcr{};
  for (const auto& e : events) {
    auto h = Botan::HashFunction::create_or_throw("SHA-256");
    h->update(pcr.data(), pcr.size());
    h->update(e.data(), e.size());
    h->final(pcr.data());
  }
  return pcr;
}

std::string tools(const Swtpm& tpm) {
  return "TSS2_LOG=all+none TPM2TOOLS_TCTI='" + tpm.tcti() + "' ";
}

}  // namespace

TEST_CASE("offline PolicyPCR equals the TPM's trial session over extended PCRs", "[storage][tpm]") {
  Scratch_dir dir;
  Swtpm tpm(dir);
  std::map<uint32_t, std::vector<Digest>> events{
      {8, {sha256("policy image A")}},
      {9, {sha256("partition image A"), sha256("partition config A")}},
  };
  Pcr_values expected;
  for (const auto& [pcr, list] : events) {
    expected[pcr] = replay(list);
    for (const auto& e : list) {
      auto r = run(tools(tpm) + "tpm2_pcrextend " + std::to_string(pcr) + ":sha256=" + hex(e));
      REQUIRE(r.status == 0);
    }
  }
  auto trial =
      run(tools(tpm) + "tpm2_createpolicy --policy-pcr -l sha256:8,9 -L '" + dir.file("policy.bin") + "'");
  REQUIRE(trial.status == 0);
  auto bytes = read_file(dir.file("policy.bin"));
  REQUIRE(bytes.size() == 32);
  CHECK(hex(bytes) == hex(policy_pcr_digest(expected)));

  // One more event in PCR 9 (a changed partition image): the TPM's digest moves away from the
  // one the manifest predicts.
  REQUIRE(run(tools(tpm) + "tpm2_pcrextend 9:sha256=" + hex(sha256("partition image B"))).status == 0);
  REQUIRE(
      run(tools(tpm) + "tpm2_createpolicy --policy-pcr -l sha256:8,9 -L '" + dir.file("policy2.bin") + "'")
          .status == 0);
  CHECK(hex(read_file(dir.file("policy2.bin"))) != hex(policy_pcr_digest(expected)));
}
