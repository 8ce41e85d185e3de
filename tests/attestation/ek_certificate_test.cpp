// SPDX-License-Identifier: Apache-2.0
// Provisioning says when it trusts the EK on first use, and whether the TPM holds an EK
// certificate for it; with --ek-ca the certificate must be signed by a named CA and certify the
// EK, or nothing is provisioned (docs/attestation.md). swtpm_localca issues the certificates:
// swtpm 0.7 makes one for the RSA 2048 EK, none for Bulkhead's default ECC P-256 EK.
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

TEST_CASE("tpm provision --ek-ca: the EK certificate is checked against the named CA before anything is kept",
          "[attestation][swtpm]") {
  bh::harness::Work_dir dir("ek-ca");
  auto tpm = bh::harness::Swtpm::start_socket(dir, false, "", dir / "ca");
  // swtpm_localca's issuing CA signed the EK certificate: it passes, and provision.json says so.
  const std::string issuer = (dir / "ca" / "issuercert.pem").string();
  auto ok = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "ok").string(), "--ek", "rsa",
                      "--ek-ca", issuer});
  INFO(ok.output);
  CHECK(ok.status == 0);
  const std::string said = "checked: the EK certificate (NV 0x01c00002) is signed by CN=swtpm-localca from " +
                           issuer + ", valid until 9999-12-31 23:59:59 UTC, and certifies this EK";
  CHECK(ok.output.find("tpm provision: " + said + "\n") != std::string::npos);
  CHECK(nlohmann::json::parse(slurp(dir / "ok" / "provision.json"))["ek_certificate"].get<std::string>() == said);

  // Only the root named (the issuing CA is not): refused, exit 1, nothing written, no AK kept.
  auto root = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "root").string(), "--ek",
                        "rsa", "--ek-ca", (dir / "ca" / "swtpm-localca-rootca-cert.pem").string(), "--force"});
  CHECK(root.status == 1);
  CHECK(root.output == "bulkhead: EK certificate (NV 0x01c00002) refused: the EK certificate's issuer "
                       "CN=swtpm-localca is none of the named CA certificates\n");
  CHECK(!fs::exists(dir / "root" / "ak.pub"));
  // Another TPM maker's CA with the same name: its key does not verify the signature.
  bh::harness::Work_dir other("ek-ca-other");
  auto other_tpm = bh::harness::Swtpm::start_socket(other, false, "", other / "ca");
  auto impostor = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "impostor").string(),
                            "--ek", "rsa", "--ek-ca", (other / "ca" / "issuercert.pem").string(), "--force"});
  CHECK(impostor.status == 1);
  CHECK(impostor.output == "bulkhead: EK certificate (NV 0x01c00002) refused: the EK certificate's signature does "
                           "not verify with the key of the named CA CN=swtpm-localca\n");
  // No certificate for the ECC EK: a CA named is a certificate required.
  auto ecc = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "ecc").string(), "--ek-ca",
                       issuer, "--force"});
  CHECK(ecc.status == 1);
  CHECK(ecc.output == "bulkhead: --ek-ca " + issuer +
                          ": the TPM holds no EK certificate for its ECC EK (NV 0x01c0000a)\n");
  // A CA file that is not there or holds no certificate: exit 2.
  auto missing = bulkhead({"tpm", "provision", "--tcti", tpm->tcti(), "--out", (dir / "m").string(), "--ek",
                           "rsa", "--ek-ca", (dir / "none.pem").string()});
  CHECK(missing.status == 2);
  CHECK(missing.output == "bulkhead: --ek-ca: '" + (dir / "none.pem").string() + "' does not exist\n");
}
