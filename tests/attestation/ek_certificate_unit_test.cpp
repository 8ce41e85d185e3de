// SPDX-License-Identifier: Apache-2.0
// The EK certificate check (bh/attest/ek_certificate.hpp) on certificates Botan issues here: one
// a CA signed for the EK passes; every way a forger or a mistake could differ is refused with
// one line naming it. The real swtpm_localca certificates: ek_certificate_test.cpp.
#include <botan/auto_rng.h>
#include <botan/ecdsa.h>
#include <botan/pkcs10.h>
#include <botan/rsa.h>
#include <botan/x509_ca.h>
#include <botan/x509self.h>

#include <catch2/catch.hpp>

#include "bh/attest/ek_certificate.hpp"

namespace at = bh::attest;
using at::Bytes;

namespace {

Botan::AutoSeeded_RNG& rng() {
  static Botan::AutoSeeded_RNG r;
  return r;
}

struct Ca {
  std::unique_ptr<Botan::Private_Key> key;
  std::unique_ptr<Botan::X509_Certificate> cert;
};

Ca make_ca(const std::string& name, bool ecdsa) {
  Ca ca;
  if (ecdsa) {
    ca.key = std::make_unique<Botan::ECDSA_PrivateKey>(rng(), Botan::EC_Group("secp256r1"));
  } else {
    ca.key = std::make_unique<Botan::RSA_PrivateKey>(rng(), 2048);
  }
  Botan::X509_Cert_Options o(name);
  o.CA_key();
  ca.cert = std::make_unique<Botan::X509_Certificate>(
      Botan::X509::create_self_signed_cert(o, *ca.key, "SHA-256", rng()));
  return ca;
}

constexpr std::time_t k_now = 1800000000;  // 2027-01-15
constexpr uint64_t k_day = 86400;

// A certificate for subject's public key signed by ca, valid from k_now - 1 day for days.
Bytes issue(const Ca& ca, const Botan::Private_Key& subject, uint64_t days = 365) {
  Botan::X509_Cert_Options o("EK");
  const auto request = Botan::X509::create_cert_req(o, subject, "SHA-256", rng());
  Botan::X509_CA authority(*ca.cert, *ca.key, "SHA-256", rng());
  const auto from = std::chrono::system_clock::from_time_t(k_now) - std::chrono::seconds(k_day);
  const auto cert = authority.sign_request(request, rng(), Botan::X509_Time(from),
                                           Botan::X509_Time(from + std::chrono::seconds(days * k_day)));
  return cert.BER_encode();
}

Bytes der(const Ca& ca) { return ca.cert->BER_encode(); }

std::string refusal(const Bytes& cert, const std::vector<Bytes>& cas, const Botan::Public_Key& ek,
                    std::time_t now = k_now) {
  try {
    at::check_ek_certificate(cert, cas, ek, now);
  } catch (const at::Input_error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("EK certificate: one a named CA signed for this EK passes, RSA and ECDSA CAs", "[attestation][ek]") {
  Botan::RSA_PrivateKey ek(rng(), 2048);
  for (bool ecdsa : {false, true}) {
    const Ca ca = make_ca(ecdsa ? "Test EK CA ECDSA" : "Test EK CA", ecdsa);
    const Ca other = make_ca("Other CA", false);
    const auto r = at::check_ek_certificate(issue(ca, ek), {der(other), der(ca)}, ek, k_now);
    CHECK(r.issuer == (ecdsa ? "CN=Test EK CA ECDSA" : "CN=Test EK CA"));
    CHECK(r.not_after.rfind("2028-01-", 0) == 0);
  }
}

TEST_CASE("EK certificate: a forged, foreign, misdated or mismatched certificate is refused by name",
          "[attestation][ek]") {
  Botan::RSA_PrivateKey ek(rng(), 2048);
  Botan::ECDSA_PrivateKey other_key(rng(), Botan::EC_Group("secp256r1"));
  const Ca ca = make_ca("Test EK CA", false);
  const Bytes good = issue(ca, ek);
  REQUIRE(refusal(good, {der(ca)}, ek) == "accepted");

  // The signature changed (its last byte), or a byte of the signed part (the serial number's).
  Bytes forged = good;
  forged.back() ^= 1;
  CHECK(refusal(forged, {der(ca)}, ek) ==
        "the EK certificate's signature does not verify with the key of the named CA CN=Test EK CA");
  // A CA that is not named; an impostor CA with the same name but its own key.
  CHECK(refusal(good, {der(make_ca("Other CA", false))}, ek) ==
        "the EK certificate's issuer CN=Test EK CA is none of the named CA certificates");
  CHECK(refusal(good, {der(make_ca("Test EK CA", false))}, ek) ==
        "the EK certificate's signature does not verify with the key of the named CA CN=Test EK CA");
  // Signed by the CA, but for another key than the TPM's EK.
  CHECK(refusal(issue(ca, other_key), {der(ca)}, ek) ==
        "the EK certificate certifies another key than this TPM's EK (ECDSA key in the certificate, RSA EK)");
  // Time: before notBefore, after notAfter.
  CHECK(refusal(good, {der(ca)}, ek, k_now - 2 * k_day).rfind("the EK certificate is not valid before ", 0) == 0);
  CHECK(refusal(good, {der(ca)}, ek, k_now + 400 * k_day).rfind("the EK certificate expired at ", 0) == 0);
  // Not a certificate: cut anywhere, or trailing bytes.
  for (size_t size : {size_t{0}, size_t{1}, size_t{4}, good.size() / 2, good.size() - 1}) {
    INFO(size);
    CHECK(refusal(Bytes(good.begin(), good.begin() + static_cast<long>(size)), {der(ca)}, ek)
              .rfind("the EK certificate is not a DER X.509 certificate", 0) == 0);
  }
  Bytes longer = good;
  longer.push_back(0);
  CHECK(refusal(longer, {der(ca)}, ek) == "the EK certificate is not a DER X.509 certificate (bytes after its end)");
}
