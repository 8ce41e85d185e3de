// SPDX-License-Identifier: Apache-2.0
// The AK the verifier trusts, against swtpm: it must be a restricted signing key that never leaves
// its TPM, and the quote must name it (under the EK) as its signer. An unrestricted key in the same
// TPM signs a forged TPMS_ATTEST claiming the manifest's PCR values: refused for that alone.
#include <tss2/tss2_mu.h>

#include <cstring>

#include "attest_fixture.hpp"
#include "bh/attest/quote.hpp"
#include "bh/tpm/keys.hpp"

using namespace bh::attest_test;

namespace {

// The attacker's key: an ECC P-256 ECDSA-SHA256 signing key under the storage primary, with every
// attribute an AK has except restricted.
bh::tpm::Key create_unrestricted_signer(bh::tpm::Context& c, const bh::tpm::Key& parent) {
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.type = TPM2_ALG_ECC;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
  auto& p = t.parameters.eccDetail;
  p.symmetric.algorithm = TPM2_ALG_NULL;
  p.scheme.scheme = TPM2_ALG_ECDSA;
  p.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  p.curveID = TPM2_ECC_NIST_P256;
  p.kdf.scheme = TPM2_ALG_NULL;
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcrs{};
  TPM2B_PRIVATE* priv_raw = nullptr;
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  bh::tpm::check(
      Esys_Create(c.get(), parent.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in,
                  &outside, &creation_pcrs, &priv_raw, &pub_raw, &creation_data, &creation_hash, &ticket),
      "Create(unrestricted signer)");
  bh::tpm::Esys_ptr<TPM2B_PRIVATE> priv(priv_raw);
  bh::tpm::Esys_ptr<TPM2B_PUBLIC> pub(pub_raw);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  ESYS_TR handle = ESYS_TR_NONE;
  bh::tpm::check(Esys_Load(c.get(), parent.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           priv.get(), pub.get(), &handle),
                 "Load(unrestricted signer)");
  bh::tpm::Key k{bh::tpm::Handle(c, handle), bh::tpm::marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal), {}};
  return k;
}

// TPM2_Sign of a digest the TPM did not compute itself (a NULL hash-check ticket): allowed for an
// unrestricted key, refused for a restricted one.
Bytes tpm_sign(bh::tpm::Context& c, const bh::tpm::Key& key, const Bytes& digest) {
  TPM2B_DIGEST d{};
  d.size = uint16_t(digest.size());
  std::memcpy(d.buffer, digest.data(), digest.size());
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;
  TPMT_TK_HASHCHECK validation{};
  validation.tag = TPM2_ST_HASHCHECK;
  validation.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* raw = nullptr;
  bh::tpm::check(Esys_Sign(c.get(), key.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d,
                           &scheme, &validation, &raw),
                 "Sign");
  bh::tpm::Esys_ptr<TPMT_SIGNATURE> sig(raw);
  return bh::tpm::marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal);
}

// A TPMS_ATTEST quote the TPM never made: magic, type, signer, nonce and the selection and PCR
// digest the attacker wants the verifier to believe.
Bytes forged_quote(const Bytes& signer, const Bytes& nonce, const TPML_PCR_SELECTION& selection,
                   const Bytes& pcr_digest) {
  TPMS_ATTEST a{};
  a.magic = TPM2_GENERATED_VALUE;
  a.type = TPM2_ST_ATTEST_QUOTE;
  a.qualifiedSigner.size = uint16_t(signer.size());
  std::memcpy(a.qualifiedSigner.name, signer.data(), signer.size());
  a.extraData.size = uint16_t(nonce.size());
  std::memcpy(a.extraData.buffer, nonce.data(), nonce.size());
  a.clockInfo.clock = 123456;
  a.clockInfo.safe = TPM2_YES;
  a.attested.quote.pcrSelect = selection;
  a.attested.quote.pcrDigest.size = uint16_t(pcr_digest.size());
  std::memcpy(a.attested.quote.pcrDigest.buffer, pcr_digest.data(), pcr_digest.size());
  return bh::tpm::marshal(a, Tss2_MU_TPMS_ATTEST_Marshal);
}

// The digest of the PCR values a boot of exactly these events leaves, in the selection's order.
Bytes expected_pcr_digest(const std::vector<at::Manifest_event>& events,
                          const TPML_PCR_SELECTION& selection) {
  const at::Pcr_bank_values values =
      at::replay(events, {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512});
  Bytes concat;
  for (uint32_t i = 0; i < selection.count; ++i) {
    const auto& s = selection.pcrSelections[i];
    for (uint32_t pcr = 0; pcr < 8u * s.sizeofSelect; ++pcr) {
      if (!(s.pcrSelect[pcr / 8] & (1u << (pcr % 8)))) continue;
      const auto& bank = values.at(s.hash);
      const Bytes v = bank.count(pcr) ? bank.at(pcr) : Bytes(at::bank_size(s.hash), 0);
      concat.insert(concat.end(), v.begin(), v.end());
    }
  }
  return at::hash(at::k_sha256, concat);
}

}  // namespace

TEST_CASE("attest: a non-restricted key that signs a forged attestation structure is refused",
          "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce_hex = fresh_nonce();
  const Bytes nonce = at::from_hex(nonce_hex, "nonce");
  const fs::path fake = rig.dir / "fake";
  fs::create_directories(fake);
  fs::copy(rig.tpm.keys / "ek.pub", fake / "ek.pub");
  at::Evidence e;
  {
    // The TPM's PCRs hold another boot's measurements; the attacker claims the manifest's.
    bh::tpm::Context c(rig.tpm.tpm->tcti());
    bh::tpm::pcr_extend(c, 9, {TPM2_ALG_SHA256}, {at::hash(at::k_sha256, Bytes{'e', 'v', 'i', 'l'})});
    bh::tpm::Key storage = bh::tpm::create_storage_primary(c);
    bh::tpm::Key signer = create_unrestricted_signer(c, storage);
    at::write_file((fake / "ak.pub").string(), signer.tpm2b_public);
    const at::Attestation_key claimed = at::load_attestation_key(
        signer.tpm2b_public, "fake ak.pub", at::read_file((fake / "ek.pub").string(), "ek"), "ek.pub");
    // As the TPM answers a quote of every bank with sha256 alone allocated.
    TPML_PCR_SELECTION selection = bh::tpm::pcr_selection(bh::tpm::k_quote_banks, rig.manifest.quote_pcrs);
    for (uint32_t i = 0; i < selection.count; ++i) {
      if (selection.pcrSelections[i].hash != TPM2_ALG_SHA256)
        std::memset(selection.pcrSelections[i].pcrSelect, 0, 3);
    }
    std::vector<at::Manifest_event> boot = rig.firmware;
    boot.insert(boot.end(), rig.manifest.events.begin(), rig.manifest.events.end());
    e.nonce = nonce;
    e.attest = forged_quote(claimed.qualified_name, nonce, selection, expected_pcr_digest(boot, selection));
    e.signature = tpm_sign(c, signer, at::hash(at::k_sha256, e.attest));
    e.event_log = write_log({at::k_sha256}, boot);
    // The real AK, restricted, refuses to sign the same forged structure.
    bh::tpm::Key ak = bh::tpm::open_persistent(c, bh::tpm::k_ak_handle);
    CHECK_THROWS_AS(tpm_sign(c, ak, at::hash(at::k_sha256, e.attest)), bh::tpm::Tpm_error);
  }
  const std::string evidence = (rig.dir / "forged.json").string();
  at::write_text(evidence, at::evidence_to_json(e));
  auto r = rig.verify(evidence, nonce_hex, fake);
  INFO(r.output);
  CHECK(r.status == 1);
  // Everything else about the forgery holds (signature, signer, nonce, digest, log, manifest):
  // the key's attributes are what give it away.
  CHECK(r.output.rfind(
            "mismatch: AK: attributes 0x00040472 lack restricted (an unrestricted key signs any digest, "
            "a forged quote included); refused as an AK\n",
            0) == 0);
  CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
}

TEST_CASE("attest: an AK without fixedTPM, fixedParent or sign, or with decrypt, is refused",
          "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  const Bytes ak = at::read_file((rig.tpm.keys / "ak.pub").string(), "ak");
  struct Case {
    uint32_t clear, set;
    std::string line;
  };
  const Case cases[] = {
      {TPMA_OBJECT_FIXEDTPM, 0, "lack fixedTPM (the key may leave its TPM)"},
      {TPMA_OBJECT_FIXEDPARENT, 0, "lack fixedParent (the key may be moved under another parent)"},
      {TPMA_OBJECT_SIGN_ENCRYPT, 0, "lack sign (it is not a signing key)"},
      {0, TPMA_OBJECT_DECRYPT, "include decrypt (an AK only signs)"},
  };
  for (const Case& k : cases) {
    // TPM2B_PUBLIC: size (2), type (2), nameAlg (2), objectAttributes (4, big-endian).
    Bytes edited = ak;
    uint32_t attributes =
        uint32_t(edited[6]) << 24 | uint32_t(edited[7]) << 16 | uint32_t(edited[8]) << 8 | edited[9];
    attributes = (attributes & ~k.clear) | k.set;
    for (int i = 0; i < 4; ++i) edited[6 + i] = uint8_t(attributes >> (24 - 8 * i));
    const fs::path keys = rig.dir / "edited";
    fs::create_directories(keys);
    at::write_file((keys / "ak.pub").string(), edited);
    fs::copy(rig.tpm.keys / "ek.pub", keys / "ek.pub", fs::copy_options::overwrite_existing);
    auto r = rig.verify(evidence, nonce, keys);
    INFO(k.line << "\n" << r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: AK: attributes 0x") != std::string::npos);
    CHECK(r.output.find(k.line + "; refused as an AK") != std::string::npos);
  }
}

TEST_CASE("attest: a quote whose signer is not the AK under the named EK is refused",
          "[attestation][swtpm]") {
  Rig rig;
  bh::harness::Work_dir other_dir("attest-other-ek");
  Provisioned_tpm other(other_dir, "keys");
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  const at::Evidence e = at::evidence_from_json(slurp(evidence), evidence);
  const Bytes ak = at::read_file((rig.tpm.keys / "ak.pub").string(), "ak");
  // The qualified name the verifier computes is the one the TPM wrote into the quote.
  CHECK(at::parse_quote(e.attest).signer ==
        at::load_attestation_key(ak, "ak", at::read_file((rig.tpm.keys / "ek.pub").string(), "ek"), "ek")
            .qualified_name);
  // The right AK, but claimed to live under another TPM's EK: the signature verifies, the signer
  // does not.
  const fs::path keys = rig.dir / "mixed";
  fs::create_directories(keys);
  fs::copy(rig.tpm.keys / "ak.pub", keys / "ak.pub");
  fs::copy(other.keys / "ek.pub", keys / "ek.pub");
  auto r = rig.verify(evidence, nonce, keys);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.rfind("mismatch: quote signer: the quote names " +
                           at::to_hex(at::parse_quote(e.attest).signer) + ", not the AK (qualified name ",
                       0) == 0);
  CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
}
