// SPDX-License-Identifier: Apache-2.0
// Quote, signature and AK public key parsing, and signature verification (see quote.hpp).
#include "bh/attest/quote.hpp"

#include <botan/data_src.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pk_keys.h>
#include <botan/pubkey.h>
#include <botan/rsa.h>
#include <botan/x509_key.h>
#include <tss2/tss2_mu.h>

#include <cstring>
#include <utility>

namespace bh::attest {

namespace {

const char* emsa_hash(uint16_t alg) {
  switch (alg) {
    case TPM2_ALG_SHA1: return "SHA-1";
    case TPM2_ALG_SHA256: return "SHA-256";
    case TPM2_ALG_SHA384: return "SHA-384";
    case TPM2_ALG_SHA512: return "SHA-512";
  }
  return nullptr;
}

Bytes left_pad(const Bytes& v, size_t size) {
  if (v.size() >= size) return v;
  Bytes out(size - v.size(), 0);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

}  // namespace

Parsed_quote parse_quote(const Bytes& attest) {
  TPMS_ATTEST a{};
  size_t offset = 0;
  if (attest.empty() || Tss2_MU_TPMS_ATTEST_Unmarshal(attest.data(), attest.size(), &offset, &a) != TSS2_RC_SUCCESS) {
    throw Input_error("quote: not a well-formed TPMS_ATTEST (truncated or garbled, " + std::to_string(attest.size()) +
                      " bytes)");
  }
  if (offset != attest.size()) {
    throw Input_error("quote: " + std::to_string(attest.size() - offset) + " bytes trail the TPMS_ATTEST");
  }
  Parsed_quote q;
  q.magic = a.magic;
  q.type = a.type;
  q.signer.assign(a.qualifiedSigner.name, a.qualifiedSigner.name + a.qualifiedSigner.size);
  q.extra_data.assign(a.extraData.buffer, a.extraData.buffer + a.extraData.size);
  q.clock = a.clockInfo.clock;
  q.reset_count = a.clockInfo.resetCount;
  q.restart_count = a.clockInfo.restartCount;
  q.safe = a.clockInfo.safe == TPM2_YES;
  q.firmware_version = a.firmwareVersion;
  if (a.type != TPM2_ST_ATTEST_QUOTE) return q;  // the verifier names the wrong type
  const TPML_PCR_SELECTION& s = a.attested.quote.pcrSelect;
  for (uint32_t i = 0; i < s.count; ++i) {
    Pcr_selection sel;
    sel.bank = s.pcrSelections[i].hash;
    for (uint32_t b = 0; b < s.pcrSelections[i].sizeofSelect && b < sizeof s.pcrSelections[i].pcrSelect; ++b) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if (s.pcrSelections[i].pcrSelect[b] & (1u << bit)) sel.pcrs.push_back(b * 8 + bit);
      }
    }
    q.selections.push_back(std::move(sel));
  }
  const TPM2B_DIGEST& d = a.attested.quote.pcrDigest;
  q.pcr_digest.assign(d.buffer, d.buffer + d.size);
  return q;
}

Parsed_signature parse_signature(const Bytes& signature) {
  TPMT_SIGNATURE s{};
  size_t offset = 0;
  if (signature.empty() ||
      Tss2_MU_TPMT_SIGNATURE_Unmarshal(signature.data(), signature.size(), &offset, &s) != TSS2_RC_SUCCESS ||
      offset != signature.size()) {
    throw Input_error("signature: not a well-formed TPMT_SIGNATURE");
  }
  Parsed_signature out;
  out.sig_alg = s.sigAlg;
  if (s.sigAlg == TPM2_ALG_ECDSA) {
    out.hash_alg = s.signature.ecdsa.hash;
    const auto& r = s.signature.ecdsa.signatureR;
    const auto& ss = s.signature.ecdsa.signatureS;
    out.r.assign(r.buffer, r.buffer + r.size);
    out.s.assign(ss.buffer, ss.buffer + ss.size);
  } else if (s.sigAlg == TPM2_ALG_RSASSA) {
    out.hash_alg = s.signature.rsassa.hash;
    const auto& sig = s.signature.rsassa.sig;
    out.rsa.assign(sig.buffer, sig.buffer + sig.size);
  } else {
    throw Input_error("signature: algorithm 0x" + to_hex({uint8_t(s.sigAlg >> 8), uint8_t(s.sigAlg)}) +
                      " is neither ECDSA nor RSASSA");
  }
  if (emsa_hash(out.hash_alg) == nullptr) throw Input_error("signature: unknown hash algorithm");
  return out;
}

std::unique_ptr<Botan::Public_Key> key_from_tpm2b_public(const Bytes& tpm2b_public, const std::string& where) {
  TPM2B_PUBLIC p{};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b_public.data(), tpm2b_public.size(), &offset, &p) != TSS2_RC_SUCCESS ||
      offset != tpm2b_public.size()) {
    throw Input_error(where + ": neither a PEM public key nor a well-formed TPM2B_PUBLIC");
  }
  const TPMT_PUBLIC& t = p.publicArea;
  if (t.type == TPM2_ALG_ECC) {
    if (t.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256) throw Input_error(where + ": ECC curve is not P-256");
    Botan::EC_Group group("secp256r1");
    const auto& x = t.unique.ecc.x;
    const auto& y = t.unique.ecc.y;
    Botan::BigInt bx(x.buffer, x.size), by(y.buffer, y.size);
    try {
      return std::make_unique<Botan::ECDSA_PublicKey>(group, group.point(bx, by));
    } catch (const std::exception&) {
      throw Input_error(where + ": ECC point not on P-256");
    }
  }
  if (t.type == TPM2_ALG_RSA) {
    const auto& n = t.unique.rsa;
    uint32_t e = t.parameters.rsaDetail.exponent == 0 ? 65537 : t.parameters.rsaDetail.exponent;
    return std::make_unique<Botan::RSA_PublicKey>(Botan::BigInt(n.buffer, n.size), Botan::BigInt(e));
  }
  throw Input_error(where + ": key type is neither ECC nor RSA");
}

std::unique_ptr<Botan::Public_Key> load_ak_public(const Bytes& file, const std::string& where) {
  static const char k_pem[] = "-----BEGIN PUBLIC KEY-----";
  if (file.size() >= sizeof k_pem - 1 && std::memcmp(file.data(), k_pem, sizeof k_pem - 1) == 0) {
    try {
      Botan::DataSource_Memory source(file.data(), file.size());
      return std::unique_ptr<Botan::Public_Key>(Botan::X509::load_key(source));
    } catch (const std::exception&) {
      throw Input_error(where + ": not a readable PEM public key");
    }
  }
  return key_from_tpm2b_public(file, where);
}

namespace {

TPMT_PUBLIC unmarshal_public(const Bytes& tpm2b_public, const std::string& where) {
  TPM2B_PUBLIC p{};
  size_t offset = 0;
  if (tpm2b_public.empty() ||
      Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b_public.data(), tpm2b_public.size(), &offset, &p) != TSS2_RC_SUCCESS ||
      offset != tpm2b_public.size()) {
    throw Input_error(where + ": not a well-formed TPM2B_PUBLIC");
  }
  return p.publicArea;
}

uint16_t name_bank(uint16_t name_alg, const std::string& where) {
  if (name_alg != TPM2_ALG_SHA256 && name_alg != TPM2_ALG_SHA384 && name_alg != TPM2_ALG_SHA512 &&
      name_alg != TPM2_ALG_SHA1) {
    throw Input_error(where + ": unknown name algorithm");
  }
  return name_alg;
}

Bytes with_alg(uint16_t alg, const Bytes& digest) {
  Bytes out = {uint8_t(alg >> 8), uint8_t(alg)};
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

}  // namespace

Bytes object_name(const Bytes& tpm2b_public, const std::string& where) {
  const TPMT_PUBLIC t = unmarshal_public(tpm2b_public, where);
  const uint16_t alg = name_bank(t.nameAlg, where);
  // The marshalled TPMT_PUBLIC is the TPM2B_PUBLIC without its 2-byte size.
  return with_alg(alg, hash(alg, tpm2b_public.data() + 2, tpm2b_public.size() - 2));
}

Attestation_key load_attestation_key(const Bytes& ak_file, const std::string& ak_where, const Bytes& ek_file,
                                     const std::string& ek_where) {
  static const char k_pem[] = "-----BEGIN";
  for (const auto& [file, where] : {std::pair{&ak_file, &ak_where}, std::pair{&ek_file, &ek_where}}) {
    if (file->size() >= sizeof k_pem - 1 && std::memcmp(file->data(), k_pem, sizeof k_pem - 1) == 0) {
      throw Input_error(*where + ": a PEM key carries no TPM attributes: give the key's TPM2B_PUBLIC (ak.pub or "
                                 "ek.pub from bulkhead tpm provision)");
    }
  }
  Attestation_key k;
  k.key = key_from_tpm2b_public(ak_file, ak_where);
  (void)key_from_tpm2b_public(ek_file, ek_where);
  const TPMT_PUBLIC ak = unmarshal_public(ak_file, ak_where);
  const TPMT_PUBLIC ek = unmarshal_public(ek_file, ek_where);
  k.attributes = ak.objectAttributes;
  k.name = object_name(ak_file, ak_where);
  const Bytes ek_name = object_name(ek_file, ek_where);
  // Qualified names (TPM 2.0 Part 1, 16 "Names"): a hierarchy's is its handle; a child's is
  // H(parent's QN || its name), with the child's name algorithm.
  Bytes qn_input = {0x40, 0x00, 0x00, 0x0B};  // TPM_RH_ENDORSEMENT
  qn_input.insert(qn_input.end(), ek_name.begin(), ek_name.end());
  const Bytes ek_qn = with_alg(ek.nameAlg, hash(name_bank(ek.nameAlg, ek_where), qn_input));
  qn_input = ek_qn;
  qn_input.insert(qn_input.end(), k.name.begin(), k.name.end());
  k.qualified_name = with_alg(ak.nameAlg, hash(ak.nameAlg, qn_input));
  return k;
}

std::string public_key_pem(const Botan::Public_Key& key) { return Botan::X509::PEM_encode(key); }

bool verify_quote_signature(const Botan::Public_Key& key, const Bytes& attest, const Parsed_signature& sig) {
  const std::string hash = emsa_hash(sig.hash_alg);
  try {
    if (sig.sig_alg == TPM2_ALG_ECDSA && key.algo_name() == "ECDSA") {
      const size_t size = (key.key_length() + 7) / 8;
      if (sig.r.size() > size || sig.s.size() > size) return false;
      Bytes rs = left_pad(sig.r, size);
      Bytes s = left_pad(sig.s, size);
      rs.insert(rs.end(), s.begin(), s.end());
      Botan::PK_Verifier v(key, "EMSA1(" + hash + ")");
      return v.verify_message(attest, rs);
    }
    if (sig.sig_alg == TPM2_ALG_RSASSA && key.algo_name() == "RSA") {
      Botan::PK_Verifier v(key, "EMSA3(" + hash + ")");
      return v.verify_message(attest, sig.rsa);
    }
  } catch (const std::exception&) {
    return false;
  }
  return false;
}

}  // namespace bh::attest
