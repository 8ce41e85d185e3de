// SPDX-License-Identifier: Apache-2.0
// Provisioning says when it trusts the EK on first use, and whether the TPM holds an EK
// certificate for it (not checked yet: docs/attestation.md). swtpm_localca issues the
// certificates: swtpm 0.7 makes one for the RSA 2048 EK, none for Bulkhead's default ECC P-256 EK.
#include "attest_fixture.hpp"

using namespace bh::attest_test;

TEST_CASE("tpm provision: trust on first use of the EK is said, with the EK certificate the TPM holds",
          "[attestation][swtpm]") {
  bh::harness::Work_dir dir("ek-cert");
  auto tpm = bh::harness::Swtpm::start_socket(dir, false, "", dir / "ca");
  auto rsa =
      bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "rsa").string(), "--ek", "rsa"});
  INFO(rsa.output);
  CHECK(rsa.status == 0);
  CHECK(rsa.output.find("tpm provision: trust on first use: the EK certificate (NV 0x01c00002, ") !=
        std::string::npos);
  CHECK(rsa.output.find(" bytes) is not checked\n") != std::string::npos);
  CHECK(
      nlohmann::json::parse(slurp(dir / "rsa" / "provision.json"))["ek_certificate"].get<std::string>().rfind(
          "trust on first use", 0) == 0);
  auto ecc =
      bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "ecc").string(), "--force"});
  INFO(ecc.output);
  CHECK(ecc.status == 0);
  CHECK(ecc.output.find(
            "tpm provision: trust on first use: no EK certificate in the TPM (NV 0x01c0000a); this EK is "
            "trusted as it is\n") != std::string::npos);
}
