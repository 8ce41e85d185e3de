// SPDX-License-Identifier: Apache-2.0
// Offline policy digests: the PCR selection's wire form, sensitivity of PolicyPCR to every
// input, and administrator approvals that verify only under the administrator's key.
// Equality with a real TPM's trial session is tested against swtpm (tpm_seal_test.cpp).
#include "bh/storage/policy_digest.hpp"

#include <botan/auto_rng.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/hash.h>
#include <botan/pubkey.h>
#include <botan/x509_key.h>

#include <catch2/catch.hpp>
#include "bh/storage/passphrase.hpp"
#include <fstream>

#include "bh/storage/luks_disk.hpp"
#include "test_util.hpp"

using namespace bh::storage;

namespace {
Digest filled(uint8_t v) {
  Digest d;
  d.fill(v);
  return d;
}
}  // namespace

TEST_CASE("the PCR selection is marshalled as the TPM hashes it", "[storage][policy]") {
  // TPML_PCR_SELECTION: count=1, hash=SHA-256 (0x000B), sizeofSelect=3, bitmap LSB-first per byte.
  std::vector<uint8_t> expected{0, 0, 0, 1, 0x00, 0x0B, 3, 0x81, 0x01, 0x80};
  CHECK(marshal_pcr_selection((1u << 0) | (1u << 7) | (1u << 8) | (1u << 23)) == expected);
}

TEST_CASE("PolicyPCR changes with every PCR value, the selection and the starting digest",
          "[storage][policy]") {
  Pcr_values a{{0, filled(1)}, {4, filled(2)}, {9, filled(3)}};
  Digest base = policy_pcr_digest(a);
  CHECK(policy_pcr_digest(a) == base);  // deterministic
  for (uint32_t pcr : {0u, 4u, 9u}) {
    Pcr_values b = a;
    b[pcr][31] ^= 1;
    CHECK(policy_pcr_digest(b) != base);
  }
  Pcr_values fewer{{0, filled(1)}, {4, filled(2)}};
  CHECK(policy_pcr_digest(fewer) != base);
  // Same concatenated values under another selection: the selection is bound too.
  Pcr_values moved{{0, filled(1)}, {4, filled(2)}, {10, filled(3)}};
  CHECK(policy_pcr_digest(moved) != base);
  CHECK(policy_pcr_digest(a, filled(7)) != base);
  CHECK_THROWS_AS(policy_pcr_digest(Pcr_values{{24, filled(0)}}), Storage_error);
  CHECK_THROWS_AS(policy_pcr_digest(Pcr_values{}), Storage_error);
}

TEST_CASE("an administrator key can be passphrase-protected", "[storage][policy]") {
  test::Scratch_dir dir;
  const Secret pass{'w', 'o', 'r', 'd', 's'}, wrong{'w', 'o', 'r', 'd'};
  generate_admin_key(dir.file("admin.pem"), dir.file("admin.pub.pem"), &pass);
  std::ifstream in(dir.file("admin.pem"));
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(pem.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0) == 0);
  const Digest approved = policy_pcr_digest({{9, filled(0x42)}}), identity = filled(0x17);
  // Without the passphrase: an input error naming the file; a wrong one: refused.
  CHECK_THROWS_AS(sign_approval(dir.file("admin.pem"), approved, identity, nullptr), Input_error);
  CHECK_THROWS_WITH(sign_approval(dir.file("admin.pem"), approved, identity, nullptr, [&] { return wrong; }),
                    dir.file("admin.pem") + ": the passphrase does not decrypt this key");
  // With it: a signature that verifies under the public key.
  Admin_public signer;
  auto signature = sign_approval(dir.file("admin.pem"), approved, identity, &signer, [&] { return pass; });
  REQUIRE(signature.size() == 64);
  CHECK(signer.name == load_admin_public(dir.file("admin.pub.pem")).name);
  std::unique_ptr<Botan::Public_Key> key(Botan::X509::load_key(dir.file("admin.pub.pem")));
  const Digest a_hash = approval_digest(approved, identity);
  Botan::PK_Verifier verify(*key, "Raw", Botan::IEEE_1363);
  CHECK(verify.verify_message(a_hash.data(), a_hash.size(), signature.data(), signature.size()));
  // An unencrypted key asks for no passphrase.
  generate_admin_key(dir.file("plain.pem"), dir.file("plain.pub.pem"));
  bool asked = false;
  CHECK(sign_approval(dir.file("plain.pem"), approved, identity, nullptr, [&] {
          asked = true;
          return pass;
        }).size() == 64);
  CHECK_FALSE(asked);
}

TEST_CASE("an approval verifies under the administrator's key only", "[storage][policy]") {
  test::Scratch_dir dir;
  generate_admin_key(dir.file("admin.pem"), dir.file("admin.pub.pem"));
  generate_admin_key(dir.file("other.pem"), dir.file("other.pub.pem"));
  // The private key is never world-readable, and an existing key is never overwritten.
  CHECK((std::filesystem::status(dir.file("admin.pem")).permissions() &
         std::filesystem::perms::others_read) == std::filesystem::perms::none);
  CHECK_THROWS_AS(generate_admin_key(dir.file("admin.pem"), dir.file("x.pem")), Storage_error);

  Digest approved = policy_pcr_digest({{9, filled(0x42)}});
  Admin_public signer_public;
  const Digest identity = filled(0x17), other_identity = filled(0x18);  // two disks' policyRefs
  auto signature = sign_approval(dir.file("admin.pem"), approved, identity, &signer_public);
  REQUIRE(signature.size() == 64);  // r || s, 32 bytes each
  Admin_public admin = load_admin_public(dir.file("admin.pub.pem"));
  Admin_public other = load_admin_public(dir.file("other.pub.pem"));
  CHECK(admin.name == signer_public.name);
  CHECK(admin.name.size() == 34);
  CHECK(admin.name != other.name);
  CHECK(policy_authorize_digest(admin.name, identity) != policy_authorize_digest(other.name, identity));
  // Two disks sealed to one administrator key have different authPolicies (policyRef).
  CHECK(policy_authorize_digest(admin.name, identity) != policy_authorize_digest(admin.name, other_identity));

  // The signature is over aHash = SHA-256(approvedPolicy || policyRef): verify it as a raw digest.
  std::unique_ptr<Botan::Public_Key> admin_key(Botan::X509::load_key(dir.file("admin.pub.pem")));
  std::unique_ptr<Botan::Public_Key> other_key(Botan::X509::load_key(dir.file("other.pub.pem")));
  Digest a_hash = approval_digest(approved, identity);
  Botan::PK_Verifier verify_admin(*admin_key, "Raw", Botan::IEEE_1363);
  CHECK(verify_admin.verify_message(a_hash.data(), a_hash.size(), signature.data(), signature.size()));
  Botan::PK_Verifier verify_other(*other_key, "Raw", Botan::IEEE_1363);
  CHECK_FALSE(verify_other.verify_message(a_hash.data(), a_hash.size(), signature.data(), signature.size()));
  Digest other_hash = approval_digest(filled(0), identity);
  CHECK_FALSE(
      verify_admin.verify_message(other_hash.data(), other_hash.size(), signature.data(), signature.size()));
  // The same approval for another disk (another policyRef) does not verify.
  Digest other_disk = approval_digest(approved, other_identity);
  CHECK_FALSE(
      verify_admin.verify_message(other_disk.data(), other_disk.size(), signature.data(), signature.size()));

  test::write_file(dir.file("junk.pem"), "not a key\n");
  CHECK_THROWS_WITH(load_admin_public(dir.file("junk.pem")), Catch::Contains("junk.pem"));
}
