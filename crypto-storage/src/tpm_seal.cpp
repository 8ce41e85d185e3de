// SPDX-License-Identifier: Apache-2.0
// Sealing and unsealing a volume key with ESAPI. STOP-GAP: bh_tpm (attestation/tpm/) had not
// landed when this was written; the file-local Esys_session/Flush types below are to be
// replaced by bh_tpm's handle types, not grown into a second wrapper library.
#include "bh/storage/tpm_seal.hpp"

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstring>
#include <string>

#include "bh/storage/luks_disk.hpp"

namespace bh::storage {

namespace {

std::string rc_text(TSS2_RC rc) {
  char code[16];
  std::snprintf(code, sizeof code, "0x%x", rc);
  return std::string(code) + " " + Tss2_RC_Decode(rc);
}

// TPM_RC_POLICY_FAIL (0x99d with session 1), TPM_RC_VALUE on PolicyAuthorize, TPM_RC_PCR_CHANGED.
bool is_policy_failure(TSS2_RC rc) {
  if ((rc & 0xFFFF0000u) != 0) return false;  // not a TPM response code
  if (rc & TPM2_RC_FMT1) {
    uint32_t error = rc & 0x3F;
    return error == (TPM2_RC_POLICY_FAIL & 0x3F) || error == (TPM2_RC_VALUE & 0x3F);
  }
  return rc == TPM2_RC_PCR_CHANGED;
}

// One ESAPI context on one TCTI; flushes every transient handle it was given at scope exit.
class Esys_session {
 public:
  explicit Esys_session(const std::string& tcti) {
    if (Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_) != TSS2_RC_SUCCESS) {
      throw Storage_error("--tcti " + tcti + ": cannot reach the TPM");
    }
    TSS2_RC rc = Esys_Initialize(&ctx_, tcti_, nullptr);
    if (rc != TSS2_RC_SUCCESS) {
      Tss2_TctiLdr_Finalize(&tcti_);
      throw Storage_error("--tcti " + tcti + ": ESAPI initialisation failed: " + rc_text(rc));
    }
  }
  ~Esys_session() {
    for (int i = count_ - 1; i >= 0; --i) Esys_FlushContext(ctx_, handles_[i]);
    Esys_Finalize(&ctx_);
    Tss2_TctiLdr_Finalize(&tcti_);
  }
  Esys_session(const Esys_session&) = delete;
  Esys_session& operator=(const Esys_session&) = delete;
  ESYS_CONTEXT* ctx() { return ctx_; }
  ESYS_TR flush_later(ESYS_TR handle) {
    if (count_ < int(sizeof handles_ / sizeof handles_[0])) handles_[count_++] = handle;
    return handle;
  }

 private:
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR handles_[10];
  int count_ = 0;
};

template <typename T>
struct Esys_owned {  // an ESAPI-allocated output, released with Esys_Free
  T* p = nullptr;
  ~Esys_owned() { Esys_Free(p); }
};

// The storage primary: ECC P-256, AES-128-CFB, restricted decryption key in the owner
// hierarchy with an empty unique field, so every reader (host tools, kernel) derives the same
// key from the owner seed. Returns its handle (flushed by the session) and name.
ESYS_TR create_primary(Esys_session& s, std::vector<uint8_t>* name) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.type = TPM2_ALG_ECC;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
                       TPMA_OBJECT_NODA;
  t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
  t.parameters.eccDetail.symmetric.keyBits.aes = 128;
  t.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  t.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcrs{};
  ESYS_TR primary = ESYS_TR_NONE;
  Esys_owned<TPM2B_PUBLIC> out_public;
  Esys_owned<TPM2B_CREATION_DATA> creation_data;
  Esys_owned<TPM2B_DIGEST> creation_hash;
  Esys_owned<TPMT_TK_CREATION> creation_ticket;
  TSS2_RC rc = Esys_CreatePrimary(s.ctx(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                  &sensitive, &in, &outside, &creation_pcrs, &primary, &out_public.p,
                                  &creation_data.p, &creation_hash.p, &creation_ticket.p);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot create the storage primary: " + rc_text(rc));
  s.flush_later(primary);
  Esys_owned<TPM2B_NAME> n;
  if (Esys_TR_GetName(s.ctx(), primary, &n.p) != TSS2_RC_SUCCESS) throw Storage_error("TPM: no primary name");
  name->assign(n.p->name, n.p->name + n.p->size);
  return primary;
}

// A session salted with the storage primary that encrypts the first TPM2B parameter of a
// command (decrypt) or response (encrypt) with AES-128-CFB: the volume key never crosses the
// TPM interface in clear from the host tools.
ESYS_TR encrypting_session(Esys_session& s, ESYS_TR primary, TPMA_SESSION direction) {
  TPMT_SYM_DEF aes{};
  aes.algorithm = TPM2_ALG_AES;
  aes.keyBits.aes = 128;
  aes.mode.aes = TPM2_ALG_CFB;
  ESYS_TR session = ESYS_TR_NONE;
  TSS2_RC rc = Esys_StartAuthSession(s.ctx(), primary, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     nullptr, TPM2_SE_HMAC, &aes, TPM2_ALG_SHA256, &session);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot start a salted session: " + rc_text(rc));
  s.flush_later(session);
  rc = Esys_TRSess_SetAttributes(s.ctx(), session, TPMA_SESSION_CONTINUESESSION | direction, 0xFF);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot set session attributes: " + rc_text(rc));
  return session;
}

TPML_PCR_SELECTION selection_of(uint32_t mask) {
  TPML_PCR_SELECTION s{};
  s.count = 1;
  s.pcrSelections[0].hash = TPM2_ALG_SHA256;
  s.pcrSelections[0].sizeofSelect = 3;
  for (int i = 0; i < 3; ++i) s.pcrSelections[0].pcrSelect[i] = uint8_t(mask >> (8 * i));
  return s;
}

// The TPM's SHA-256 values of the PCRs in mask (PCR_Read returns at most 8 a call); empty if they
// cannot be read.
Pcr_values read_pcrs(Esys_session& s, uint32_t mask) {
  Pcr_values values;
  uint32_t left = mask & 0xFFFFFFu;
  while (left != 0) {
    TPML_PCR_SELECTION wanted = selection_of(left);
    UINT32 update_counter = 0;
    Esys_owned<TPML_PCR_SELECTION> got;
    Esys_owned<TPML_DIGEST> digests;
    if (Esys_PCR_Read(s.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &wanted, &update_counter, &got.p,
                      &digests.p) != TSS2_RC_SUCCESS) {
      return {};
    }
    uint32_t read = 0;
    for (uint32_t i = 0; i < got.p->count; ++i) {
      if (got.p->pcrSelections[i].hash != TPM2_ALG_SHA256) continue;
      for (uint32_t byte = 0; byte < got.p->pcrSelections[i].sizeofSelect && byte < 3; ++byte)
        read |= uint32_t(got.p->pcrSelections[i].pcrSelect[byte]) << (8 * byte);
    }
    read &= left;
    if (read == 0) return {};
    uint32_t next = 0;
    for (uint32_t pcr = 0; pcr < 24; ++pcr) {
      if (!(read & (1u << pcr))) continue;
      if (next >= digests.p->count || digests.p->digests[next].size != 32) return {};
      std::memcpy(values[pcr].data(), digests.p->digests[next].buffer, 32);
      ++next;
    }
    left &= ~read;
  }
  return values;
}

template <typename T, TSS2_RC (*unmarshal)(const uint8_t*, size_t, size_t*, T*), size_t N>
T unmarshal_bytes(const sk::storage::Bytes<N>& b, const char* what) {
  T out{};
  size_t offset = 0;
  if (unmarshal(b.data, b.size, &offset, &out) != TSS2_RC_SUCCESS || offset != b.size) {
    throw Storage_error(std::string("sealed-key blob: ") + what + " does not unmarshal");
  }
  return out;
}

}  // namespace

Sealed_object tpm_seal(const std::string& tcti, const Secret& volume_key, const Digest& auth_policy) {
  Esys_session s(tcti);
  Sealed_object out;
  ESYS_TR primary = create_primary(s, &out.parent_name);
  TPM2B_SENSITIVE_CREATE sensitive{};
  if (volume_key.size() > sizeof sensitive.sensitive.data.buffer)
    throw Storage_error("volume key too large to seal");
  sensitive.sensitive.data.size = uint16_t(volume_key.size());
  std::memcpy(sensitive.sensitive.data.buffer, volume_key.data(), volume_key.size());
  TPM2B_PUBLIC in{};
  TPMT_PUBLIC& t = in.publicArea;
  t.type = TPM2_ALG_KEYEDHASH;
  t.nameAlg = TPM2_ALG_SHA256;
  // No userWithAuth: only the policy opens it. fixedTPM/fixedParent: it cannot be duplicated.
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
  t.authPolicy.size = uint16_t(auth_policy.size());
  std::memcpy(t.authPolicy.buffer, auth_policy.data(), auth_policy.size());
  t.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcrs{};
  Esys_owned<TPM2B_PRIVATE> out_private;
  Esys_owned<TPM2B_PUBLIC> out_public;
  Esys_owned<TPM2B_CREATION_DATA> creation_data;
  Esys_owned<TPM2B_DIGEST> creation_hash;
  Esys_owned<TPMT_TK_CREATION> creation_ticket;
  // The salted session authorises use of the primary (empty authValue) and encrypts inSensitive.
  ESYS_TR protect = encrypting_session(s, primary, TPMA_SESSION_DECRYPT);
  TSS2_RC rc = Esys_Create(s.ctx(), primary, protect, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in, &outside,
                           &creation_pcrs, &out_private.p, &out_public.p, &creation_data.p, &creation_hash.p,
                           &creation_ticket.p);
  std::memset(&sensitive, 0, sizeof sensitive);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot create the sealed object: " + rc_text(rc));
  out.tpm2b_public.resize(sizeof(TPM2B_PUBLIC));
  out.tpm2b_private.resize(sizeof(TPM2B_PRIVATE));
  size_t pub_size = 0, priv_size = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(out_public.p, out.tpm2b_public.data(), out.tpm2b_public.size(),
                                   &pub_size) ||
      Tss2_MU_TPM2B_PRIVATE_Marshal(out_private.p, out.tpm2b_private.data(), out.tpm2b_private.size(),
                                    &priv_size)) {
    throw Storage_error("TPM: cannot marshal the sealed object");
  }
  out.tpm2b_public.resize(pub_size);
  out.tpm2b_private.resize(priv_size);
  return out;
}

Secret tpm_unseal(const std::string& tcti, const sk::storage::Sealed_key& k,
                  const sk::storage::Signed_policy* approval) {
  Esys_session s(tcti);
  std::vector<uint8_t> primary_name;
  ESYS_TR primary = create_primary(s, &primary_name);
  if (primary_name.size() != k.parent_name.size ||
      std::memcmp(primary_name.data(), k.parent_name.data, primary_name.size()) != 0) {
    throw Storage_error(
        "wrong TPM: its storage primary is not the one the disk was sealed under "
        "(another machine, or the TPM was cleared); use the recovery passphrase");
  }
  auto pub =
      unmarshal_bytes<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Unmarshal>(k.sealed_public, "sealed public area");
  auto priv = unmarshal_bytes<TPM2B_PRIVATE, Tss2_MU_TPM2B_PRIVATE_Unmarshal>(k.sealed_private,
                                                                              "sealed private area");
  ESYS_TR object = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_Load(s.ctx(), primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &object);
  if (rc != TSS2_RC_SUCCESS)
    throw Storage_error("TPM refused the sealed object (damaged blob?): " + rc_text(rc));
  s.flush_later(object);

  TPMT_SYM_DEF no_symmetric{};
  no_symmetric.algorithm = TPM2_ALG_NULL;
  ESYS_TR session = ESYS_TR_NONE;
  rc = Esys_StartAuthSession(s.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                             nullptr, TPM2_SE_POLICY, &no_symmetric, TPM2_ALG_SHA256, &session);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot start a policy session: " + rc_text(rc));
  s.flush_later(session);  // also after a failed policy command, which does not flush it

  uint32_t mask = approval ? approval->pcr_mask : k.pcr_mask;
  TPML_PCR_SELECTION pcrs = selection_of(mask);
  TPM2B_DIGEST from_tpm{};  // empty: the TPM uses its current PCR values
  rc = Esys_PolicyPCR(s.ctx(), session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &from_tpm, &pcrs);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: PolicyPCR failed: " + rc_text(rc));

  if (k.mode == sk::storage::Seal_mode::authorize) {
    if (approval == nullptr) throw Storage_error("sealed with PolicyAuthorize: a signed policy is required");
    auto admin =
        unmarshal_bytes<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Unmarshal>(k.admin_public, "administrator key");
    ESYS_TR admin_key = ESYS_TR_NONE;
    // Owner hierarchy, not NULL: a NULL-hierarchy key yields a ticket PolicyAuthorize rejects.
    rc = Esys_LoadExternal(s.ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, nullptr, &admin,
                           ESYS_TR_RH_OWNER, &admin_key);
    if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM refused the administrator key: " + rc_text(rc));
    s.flush_later(admin_key);
    Esys_owned<TPM2B_NAME> admin_name;
    if (Esys_TR_GetName(s.ctx(), admin_key, &admin_name.p) != TSS2_RC_SUCCESS)
      throw Storage_error("TPM: no key name");
    Digest approved{};
    std::memcpy(approved.data(), approval->approved_policy, approved.size());
    Digest identity{};
    sk::storage::disk_identity(k.partition, k.disk_uuid, k.luks_digest, identity.data());
    Digest a_hash = approval_digest(approved, identity);
    TPM2B_DIGEST digest{};
    digest.size = 32;
    std::memcpy(digest.buffer, a_hash.data(), 32);
    TPMT_SIGNATURE signature{};
    signature.sigAlg = TPM2_ALG_ECDSA;
    signature.signature.ecdsa.hash = TPM2_ALG_SHA256;
    signature.signature.ecdsa.signatureR.size = 32;
    signature.signature.ecdsa.signatureS.size = 32;
    std::memcpy(signature.signature.ecdsa.signatureR.buffer, approval->signature_r, 32);
    std::memcpy(signature.signature.ecdsa.signatureS.buffer, approval->signature_s, 32);
    Esys_owned<TPMT_TK_VERIFIED> ticket;
    rc = Esys_VerifySignature(s.ctx(), admin_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &digest,
                              &signature, &ticket.p);
    if (rc != TSS2_RC_SUCCESS) {
      throw Storage_error(
          "signed policy refused by the TPM: signature does not verify under the disk's "
          "administrator key (" +
          rc_text(rc) + ")");
    }
    if (approval->epoch_index != 0) {
      // Revocable approval: it holds only while the epoch counter equals the value it was signed for.
      ESYS_TR counter = ESYS_TR_NONE;
      rc = Esys_TR_FromTPMPublic(s.ctx(), approval->epoch_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &counter);
      if (rc != TSS2_RC_SUCCESS) throw Storage_error("approval epoch counter missing in this TPM: " + rc_text(rc));
      TPM2B_OPERAND operand{};
      operand.size = 8;
      for (int i = 0; i < 8; ++i) operand.buffer[i] = uint8_t(approval->epoch >> (56 - 8 * i));
      rc = Esys_PolicyNV(s.ctx(), counter, counter, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &operand, 0,
                         TPM2_EO_EQ);
      Esys_TR_Close(s.ctx(), &counter);
      if (rc != TSS2_RC_SUCCESS) {
        throw Storage_error("approval revoked: signed for epoch " + std::to_string(approval->epoch) +
                            ", the TPM's epoch counter has moved on (" + rc_text(rc) + ")");
      }
    }
    TPM2B_DIGEST approved_policy{};
    approved_policy.size = 32;
    std::memcpy(approved_policy.buffer, approved.data(), 32);
    TPM2B_NONCE policy_ref{};
    policy_ref.size = 32;
    std::memcpy(policy_ref.buffer, identity.data(), 32);
    rc = Esys_PolicyAuthorize(s.ctx(), session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &approved_policy,
                              &policy_ref, admin_name.p, ticket.p);
    if (rc != TSS2_RC_SUCCESS) {
      if (is_policy_failure(rc)) {
        throw Pcr_policy_error(
            "PCR policy not satisfied: the TPM's PCRs are not the ones the signed policy approves (" +
                rc_text(rc) + ")",
            read_pcrs(s, mask));
      }
      throw Storage_error("TPM: PolicyAuthorize failed: " + rc_text(rc));
    }
  }
  ESYS_TR protect = encrypting_session(s, primary, TPMA_SESSION_ENCRYPT);
  Esys_owned<TPM2B_SENSITIVE_DATA> data;
  rc = Esys_Unseal(s.ctx(), object, session, protect, ESYS_TR_NONE, &data.p);
  if (rc != TSS2_RC_SUCCESS) {
    if (is_policy_failure(rc)) {
      throw Pcr_policy_error(
          "PCR policy not satisfied: the TPM's PCRs differ from the sealed configuration (" + rc_text(rc) +
              ")",
          read_pcrs(s, mask));
    }
    throw Storage_error("TPM: Unseal failed: " + rc_text(rc));
  }
  Secret key(data.p->buffer, data.p->buffer + data.p->size);
  std::memset(data.p->buffer, 0, data.p->size);
  return key;
}

namespace {

uint64_t read_counter(Esys_session& s, ESYS_TR counter) {
  Esys_owned<TPM2B_MAX_NV_BUFFER> data;
  TSS2_RC rc = Esys_NV_Read(s.ctx(), counter, counter, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, 8, 0, &data.p);
  if (rc != TSS2_RC_SUCCESS || data.p->size != 8) throw Storage_error("TPM: cannot read the epoch counter: " + rc_text(rc));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | data.p->buffer[i];
  return v;
}

ESYS_TR open_counter(Esys_session& s) {
  ESYS_TR counter = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(s.ctx(), sk::storage::k_approval_epoch_index, ESYS_TR_NONE, ESYS_TR_NONE,
                                     ESYS_TR_NONE, &counter);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("no approval epoch counter in this TPM (run `disk epoch init`)");
  return counter;
}

uint64_t increment(Esys_session& s, ESYS_TR counter) {
  TSS2_RC rc = Esys_NV_Increment(s.ctx(), ESYS_TR_RH_OWNER, counter, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot count the epoch up: " + rc_text(rc));
  return read_counter(s, counter);
}

}  // namespace

uint64_t epoch_init(const std::string& tcti) {
  Esys_session s(tcti);
  ESYS_TR existing = ESYS_TR_NONE;
  if (Esys_TR_FromTPMPublic(s.ctx(), sk::storage::k_approval_epoch_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                            &existing) == TSS2_RC_SUCCESS) {
    throw Storage_error("the approval epoch counter exists already (epoch " + std::to_string(read_counter(s, existing)) +
                        "): use `disk epoch revoke` to move it on");
  }
  TPM2B_NV_PUBLIC pub{};
  pub.nvPublic.nvIndex = sk::storage::k_approval_epoch_index;
  pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
  pub.nvPublic.attributes =
      (TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA;
  pub.nvPublic.dataSize = 8;
  TPM2B_AUTH empty{};
  ESYS_TR counter = ESYS_TR_NONE;
  TSS2_RC rc = Esys_NV_DefineSpace(s.ctx(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &empty,
                                   &pub, &counter);
  if (rc != TSS2_RC_SUCCESS) throw Storage_error("TPM: cannot define the epoch counter: " + rc_text(rc));
  return increment(s, counter);
}

uint64_t epoch_revoke(const std::string& tcti) {
  Esys_session s(tcti);
  return increment(s, open_counter(s));
}

uint64_t epoch_read(const std::string& tcti) {
  Esys_session s(tcti);
  return read_counter(s, open_counter(s));
}

}  // namespace bh::storage
