// SPDX-License-Identifier: Apache-2.0
// EK and AK creation, persistence, credential activation and quotes (see keys.hpp).
#include "bh/tpm/keys.hpp"

#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace bh::tpm {

namespace {

// PolicySecret(TPM_RH_ENDORSEMENT): the authPolicy of the standard EK templates (TCG EK Credential
// Profile 2.0, section B.3.3).
constexpr uint8_t k_ek_policy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC,
                                     0x8D, 0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52,
                                     0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};

std::string handle_text(TPM2_HANDLE h) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", h);
  return text;
}

void fill_key(Context& c, Key& k, const TPM2B_PUBLIC& pub) {
  k.tpm2b_public = marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  TPM2B_NAME* raw = nullptr;
  check(Esys_TR_GetName(c.get(), k.handle.get(), &raw), "TR_GetName");
  Esys_ptr<TPM2B_NAME> name(raw);
  k.name.assign(name->name, name->name + name->size);
}

// A policy session satisfying the EK's PolicySecret(TPM_RH_ENDORSEMENT) with the (empty)
// endorsement hierarchy authorisation. Good for one command; the returned handle flushes it.
Handle ek_policy_session(Context& c) {
  TPMT_SYM_DEF none{};
  none.algorithm = TPM2_ALG_NULL;
  ESYS_TR session = ESYS_TR_NONE;
  check(Esys_StartAuthSession(c.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                              nullptr, TPM2_SE_POLICY, &none, TPM2_ALG_SHA256, &session),
        "StartAuthSession(policy)");
  Handle h(c, session);
  TPM2B_NONCE nonce_tpm{};
  TPM2B_DIGEST cp_hash{};
  TPM2B_NONCE policy_ref{};
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  check(Esys_PolicySecret(c.get(), ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                          &nonce_tpm, &cp_hash, &policy_ref, 0, &timeout, &ticket),
        "PolicySecret(endorsement)");
  Esys_Free(timeout);
  Esys_Free(ticket);
  return h;
}

}  // namespace

Key create_ek(Context& c, Ek_type type) {
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  t.authPolicy.size = sizeof k_ek_policy;
  std::memcpy(t.authPolicy.buffer, k_ek_policy, sizeof k_ek_policy);
  if (type == Ek_type::ecc_p256) {
    t.type = TPM2_ALG_ECC;
    auto& p = t.parameters.eccDetail;
    p.symmetric.algorithm = TPM2_ALG_AES;
    p.symmetric.keyBits.aes = 128;
    p.symmetric.mode.aes = TPM2_ALG_CFB;
    p.scheme.scheme = TPM2_ALG_NULL;
    p.curveID = TPM2_ECC_NIST_P256;
    p.kdf.scheme = TPM2_ALG_NULL;
    t.unique.ecc.x.size = 32;  // zeros, as the template says
    t.unique.ecc.y.size = 32;
  } else {
    t.type = TPM2_ALG_RSA;
    auto& p = t.parameters.rsaDetail;
    p.symmetric.algorithm = TPM2_ALG_AES;
    p.symmetric.keyBits.aes = 128;
    p.symmetric.mode.aes = TPM2_ALG_CFB;
    p.scheme.scheme = TPM2_ALG_NULL;
    p.keyBits = 2048;
    p.exponent = 0;
    t.unique.rsa.size = 256;
  }
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* out = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  check(Esys_CreatePrimary(c.get(), ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                           &in, &outside, &creation_pcrs, &handle, &out, &creation_data, &creation_hash, &ticket),
        "CreatePrimary(EK)");
  Esys_ptr<TPM2B_PUBLIC> pub(out);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  Key k{Handle(c, handle), {}, {}};
  fill_key(c, k, *pub);
  return k;
}

Key create_ak(Context& c, const Key& ek) {
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.type = TPM2_ALG_ECC;
  t.nameAlg = TPM2_ALG_SHA256;
  // noDA: the AK's authValue is empty, so dictionary-attack protection guards nothing; without
  // it, a TPM put into lockout by unorderly shutdowns (a machine switched off) refuses quotes.
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
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
  {
    Handle session = ek_policy_session(c);
    check(Esys_Create(c.get(), ek.handle.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in, &outside,
                      &creation_pcrs, &priv_raw, &pub_raw, &creation_data, &creation_hash, &ticket),
          "Create(AK under EK)");
  }
  Esys_ptr<TPM2B_PRIVATE> priv(priv_raw);
  Esys_ptr<TPM2B_PUBLIC> pub(pub_raw);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  ESYS_TR handle = ESYS_TR_NONE;
  {
    Handle session = ek_policy_session(c);
    check(Esys_Load(c.get(), ek.handle.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, priv.get(), pub.get(),
                    &handle),
          "Load(AK)");
  }
  Key k{Handle(c, handle), {}, {}};
  fill_key(c, k, *pub);
  return k;
}

bool persistent_exists(Context& c, TPM2_HANDLE handle) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  check(Esys_GetCapability(c.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, handle, 1, &more,
                           &raw),
        "GetCapability(HANDLES)");
  Esys_ptr<TPMS_CAPABILITY_DATA> data(raw);
  return data->data.handles.count > 0 && data->data.handles.handle[0] == handle;
}

std::vector<uint8_t> nv_read_all(Context& c, TPM2_HANDLE index) {
  if (!persistent_exists(c, index)) return {};
  ESYS_TR tr = ESYS_TR_NONE;
  check(Esys_TR_FromTPMPublic(c.get(), index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr),
        "TR_FromTPMPublic(" + handle_text(index) + ")");
  Handle h(c, tr, Handle::Kind::persistent);
  TPM2B_NV_PUBLIC* pub_raw = nullptr;
  TPM2B_NAME* name_raw = nullptr;
  check(Esys_NV_ReadPublic(c.get(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw, &name_raw),
        "NV_ReadPublic(" + handle_text(index) + ")");
  Esys_ptr<TPM2B_NV_PUBLIC> pub(pub_raw);
  Esys_ptr<TPM2B_NAME> name(name_raw);
  const ESYS_TR auth = (pub->nvPublic.attributes & TPMA_NV_AUTHREAD) ? tr : ESYS_TR_RH_OWNER;
  std::vector<uint8_t> out;
  const uint16_t size = pub->nvPublic.dataSize;
  while (out.size() < size) {
    const uint16_t chunk = uint16_t(std::min<size_t>(512, size - out.size()));
    TPM2B_MAX_NV_BUFFER* data_raw = nullptr;
    check(Esys_NV_Read(c.get(), auth, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, chunk, uint16_t(out.size()),
                       &data_raw),
          "NV_Read(" + handle_text(index) + ")");
    Esys_ptr<TPM2B_MAX_NV_BUFFER> data(data_raw);
    if (data->size == 0) break;
    out.insert(out.end(), data->buffer, data->buffer + data->size);
  }
  return out;
}

Key open_persistent(Context& c, TPM2_HANDLE handle) {
  if (!persistent_exists(c, handle)) {
    throw Tpm_error("TPM: no persistent object at " + handle_text(handle) + " (run `bulkhead tpm provision`)",
                    TSS2_RC_SUCCESS);
  }
  ESYS_TR tr = ESYS_TR_NONE;
  check(Esys_TR_FromTPMPublic(c.get(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr),
        "TR_FromTPMPublic(" + handle_text(handle) + ")");
  Key k{Handle(c, tr, Handle::Kind::persistent), {}, {}};
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_NAME* name_raw = nullptr;
  TPM2B_NAME* qualified_raw = nullptr;
  check(Esys_ReadPublic(c.get(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw, &name_raw, &qualified_raw),
        "ReadPublic(" + handle_text(handle) + ")");
  Esys_ptr<TPM2B_PUBLIC> pub(pub_raw);
  Esys_ptr<TPM2B_NAME> name(name_raw);
  Esys_ptr<TPM2B_NAME> qualified(qualified_raw);
  fill_key(c, k, *pub);
  return k;
}

Handle persist(Context& c, const Key& key, TPM2_HANDLE handle, bool replace) {
  if (persistent_exists(c, handle)) {
    if (!replace) {
      throw Tpm_error("TPM: persistent handle " + handle_text(handle) + " is taken (use --force to replace it)",
                      TSS2_RC_SUCCESS);
    }
    ESYS_TR old = ESYS_TR_NONE;
    check(Esys_TR_FromTPMPublic(c.get(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &old),
          "TR_FromTPMPublic(" + handle_text(handle) + ")");
    ESYS_TR gone = ESYS_TR_NONE;
    // EvictControl on a persistent object removes it and invalidates `old`.
    check(Esys_EvictControl(c.get(), ESYS_TR_RH_OWNER, old, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, handle,
                            &gone),
          "EvictControl(remove " + handle_text(handle) + ")");
  }
  ESYS_TR out = ESYS_TR_NONE;
  check(Esys_EvictControl(c.get(), ESYS_TR_RH_OWNER, key.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                          handle, &out),
        "EvictControl(persist at " + handle_text(handle) + ")");
  return Handle(c, out, Handle::Kind::persistent);
}

std::vector<uint8_t> activate_credential(Context& c, const Key& ek, const Key& ak,
                                         const std::vector<uint8_t>& credential) {
  TPM2B_PUBLIC ek_public{};
  size_t offset = 0;
  check(Tss2_MU_TPM2B_PUBLIC_Unmarshal(ek.tpm2b_public.data(), ek.tpm2b_public.size(), &offset, &ek_public),
        "unmarshalling the EK public");
  // MakeCredential uses only the EK's public key: load it as an external public object, as a
  // remote verifier holding only ek.pub would.
  ESYS_TR ext = ESYS_TR_NONE;
  check(Esys_LoadExternal(c.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, nullptr, &ek_public, ESYS_TR_RH_NULL,
                          &ext),
        "LoadExternal(EK public)");
  Handle ek_public_handle(c, ext);
  TPM2B_DIGEST cred{};
  if (credential.size() > sizeof cred.buffer) throw Tpm_error("credential too long", TSS2_RC_SUCCESS);
  cred.size = uint16_t(credential.size());
  std::memcpy(cred.buffer, credential.data(), credential.size());
  TPM2B_NAME name{};
  name.size = uint16_t(ak.name.size());
  std::memcpy(name.name, ak.name.data(), ak.name.size());
  TPM2B_ID_OBJECT* blob_raw = nullptr;
  TPM2B_ENCRYPTED_SECRET* secret_raw = nullptr;
  check(Esys_MakeCredential(c.get(), ext, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &cred, &name, &blob_raw,
                            &secret_raw),
        "MakeCredential");
  Esys_ptr<TPM2B_ID_OBJECT> blob(blob_raw);
  Esys_ptr<TPM2B_ENCRYPTED_SECRET> secret(secret_raw);
  Handle session = ek_policy_session(c);
  TPM2B_DIGEST* out_raw = nullptr;
  check(Esys_ActivateCredential(c.get(), ak.handle.get(), ek.handle.get(), ESYS_TR_PASSWORD, session.get(),
                                ESYS_TR_NONE, blob.get(), secret.get(), &out_raw),
        "ActivateCredential (AK and EK not in the same TPM?)");
  Esys_ptr<TPM2B_DIGEST> out(out_raw);
  return {out->buffer, out->buffer + out->size};
}

Key create_storage_primary(Context& c) {
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.type = TPM2_ALG_ECC;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA;
  auto& p = t.parameters.eccDetail;
  p.symmetric.algorithm = TPM2_ALG_AES;
  p.symmetric.keyBits.aes = 128;
  p.symmetric.mode.aes = TPM2_ALG_CFB;
  p.scheme.scheme = TPM2_ALG_NULL;
  p.curveID = TPM2_ECC_NIST_P256;
  p.kdf.scheme = TPM2_ALG_NULL;
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* out = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  check(Esys_CreatePrimary(c.get(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in,
                           &outside, &creation_pcrs, &handle, &out, &creation_data, &creation_hash, &ticket),
        "CreatePrimary(storage)");
  Esys_ptr<TPM2B_PUBLIC> pub(out);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  Key k{Handle(c, handle), {}, {}};
  fill_key(c, k, *pub);
  return k;
}

Key create_sealed(Context& c, const Key& parent, const std::vector<uint8_t>& data,
                  const std::vector<uint8_t>& auth_policy) {
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.type = TPM2_ALG_KEYEDHASH;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
  t.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  if (auth_policy.size() > sizeof t.authPolicy.buffer) throw Tpm_error("authPolicy too long", TSS2_RC_SUCCESS);
  t.authPolicy.size = uint16_t(auth_policy.size());
  std::memcpy(t.authPolicy.buffer, auth_policy.data(), auth_policy.size());
  TPM2B_SENSITIVE_CREATE sensitive{};
  if (data.size() > sizeof sensitive.sensitive.data.buffer) throw Tpm_error("sealed data too long", TSS2_RC_SUCCESS);
  sensitive.sensitive.data.size = uint16_t(data.size());
  std::memcpy(sensitive.sensitive.data.buffer, data.data(), data.size());
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcrs{};
  TPM2B_PRIVATE* priv_raw = nullptr;
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  check(Esys_Create(c.get(), parent.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in,
                    &outside, &creation_pcrs, &priv_raw, &pub_raw, &creation_data, &creation_hash, &ticket),
        "Create(sealed object)");
  Esys_ptr<TPM2B_PRIVATE> priv(priv_raw);
  Esys_ptr<TPM2B_PUBLIC> pub(pub_raw);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  ESYS_TR handle = ESYS_TR_NONE;
  check(Esys_Load(c.get(), parent.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv.get(), pub.get(),
                  &handle),
        "Load(sealed object)");
  Key k{Handle(c, handle), {}, {}};
  fill_key(c, k, *pub);
  return k;
}

Quote quote(Context& c, const Key& ak, const std::vector<uint8_t>& nonce, const std::vector<TPM2_ALG_ID>& banks,
            const std::vector<uint32_t>& pcrs) {
  TPM2B_DATA qualifying{};
  if (nonce.size() > sizeof qualifying.buffer) throw Tpm_error("nonce longer than 64 bytes", TSS2_RC_SUCCESS);
  qualifying.size = uint16_t(nonce.size());
  std::memcpy(qualifying.buffer, nonce.data(), nonce.size());
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme (ECDSA-SHA256)
  TPML_PCR_SELECTION sel = pcr_selection(banks, pcrs);
  TPM2B_ATTEST* quoted_raw = nullptr;
  TPMT_SIGNATURE* sig_raw = nullptr;
  check(Esys_Quote(c.get(), ak.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme, &sel,
                   &quoted_raw, &sig_raw),
        "Quote");
  Esys_ptr<TPM2B_ATTEST> quoted(quoted_raw);
  Esys_ptr<TPMT_SIGNATURE> sig(sig_raw);
  Quote q;
  q.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
  q.signature = marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal);
  return q;
}

}  // namespace bh::tpm
