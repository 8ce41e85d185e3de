// SPDX-License-Identifier: Apache-2.0
// ESAPI context, handle ownership, algorithm names and PCR access for bh_tpm.
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bh/tpm/tpm.hpp"

namespace bh::tpm {

std::string rc_text(TSS2_RC rc) {
  char code[16];
  std::snprintf(code, sizeof code, "0x%x", rc);
  return std::string(code) + " " + Tss2_RC_Decode(rc);
}

Tpm_error::Tpm_error(const std::string& what, TSS2_RC rc) : std::runtime_error(what), rc_(rc) {}

void check(TSS2_RC rc, const std::string& what) {
  if (rc != TSS2_RC_SUCCESS) throw Tpm_error("TPM: " + what + ": " + rc_text(rc), rc);
}

Context::Context(const std::string& tcti) : tcti_name_(tcti) {
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_);
  if (rc != TSS2_RC_SUCCESS) throw Unreachable_tpm("--tcti " + tcti + ": cannot reach the TPM (" + rc_text(rc) + ")", rc);
  rc = Esys_Initialize(&ctx_, tcti_, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti_);
    throw Tpm_error("--tcti " + tcti + ": ESAPI initialisation failed (" + rc_text(rc) + ")", rc);
  }
}

Context::~Context() {
  Esys_Finalize(&ctx_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    ctx_ = o.ctx_;
    tr_ = o.tr_;
    kind_ = o.kind_;
    o.tr_ = ESYS_TR_NONE;
  }
  return *this;
}

void Handle::reset() {
  if (tr_ == ESYS_TR_NONE || ctx_ == nullptr) return;
  // Errors cannot be reported from a destructor; a failed flush leaves a slot the TPM reclaims
  // at its next Startup(CLEAR).
  if (kind_ == Kind::transient) {
    Esys_FlushContext(ctx_->get(), tr_);
  } else {
    Esys_TR_Close(ctx_->get(), &tr_);
  }
  tr_ = ESYS_TR_NONE;
}

const char* alg_name(TPM2_ALG_ID alg) {
  switch (alg) {
    case TPM2_ALG_SHA1: return "sha1";
    case TPM2_ALG_SHA256: return "sha256";
    case TPM2_ALG_SHA384: return "sha384";
    case TPM2_ALG_SHA512: return "sha512";
  }
  return "unknown";
}

TPM2_ALG_ID alg_from_name(const std::string& name) {
  for (TPM2_ALG_ID a : {TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512}) {
    if (name == alg_name(a)) return a;
  }
  return 0;
}

size_t alg_digest_size(TPM2_ALG_ID alg) {
  switch (alg) {
    case TPM2_ALG_SHA1: return 20;
    case TPM2_ALG_SHA256: return 32;
    case TPM2_ALG_SHA384: return 48;
    case TPM2_ALG_SHA512: return 64;
  }
  return 0;
}

std::vector<TPM2_ALG_ID> allocated_banks(Context& c) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  check(Esys_GetCapability(c.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &raw),
        "GetCapability(PCRS)");
  Esys_ptr<TPMS_CAPABILITY_DATA> data(raw);
  std::vector<TPM2_ALG_ID> out;
  const TPML_PCR_SELECTION& s = data->data.assignedPCR;
  for (uint32_t i = 0; i < s.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    bool any = false;
    for (uint8_t b = 0; b < s.pcrSelections[i].sizeofSelect; ++b) any = any || s.pcrSelections[i].pcrSelect[b];
    if (any && alg_digest_size(s.pcrSelections[i].hash) != 0) out.push_back(s.pcrSelections[i].hash);
  }
  return out;
}

TPML_PCR_SELECTION pcr_selection(TPM2_ALG_ID bank, const std::vector<uint32_t>& pcrs) {
  return pcr_selection(std::vector<TPM2_ALG_ID>{bank}, pcrs);
}

TPML_PCR_SELECTION pcr_selection(const std::vector<TPM2_ALG_ID>& banks, const std::vector<uint32_t>& pcrs) {
  TPML_PCR_SELECTION s{};
  if (banks.empty() || banks.size() > TPM2_NUM_PCR_BANKS) throw Tpm_error("1 to 16 PCR banks", TSS2_RC_SUCCESS);
  s.count = uint32_t(banks.size());
  for (size_t b = 0; b < banks.size(); ++b) {
    s.pcrSelections[b].hash = banks[b];
    s.pcrSelections[b].sizeofSelect = 3;
    for (uint32_t p : pcrs) {
      if (p > 23) throw Tpm_error("PCR " + std::to_string(p) + " is not 0..23", TSS2_RC_SUCCESS);
      s.pcrSelections[b].pcrSelect[p / 8] |= uint8_t(1u << (p % 8));
    }
  }
  return s;
}

Pcr_values pcr_read(Context& c, TPM2_ALG_ID bank, const std::vector<uint32_t>& pcrs) {
  Pcr_values out{bank, {}, {}};
  std::vector<uint32_t> sorted = pcrs;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  // PCR_Read answers at most 8 digests per call: ask in chunks of 8.
  for (size_t first = 0; first < sorted.size(); first += 8) {
    std::vector<uint32_t> chunk(sorted.begin() + first, sorted.begin() + std::min(sorted.size(), first + 8));
    TPML_PCR_SELECTION in = pcr_selection(bank, chunk);
    UINT32 counter = 0;
    TPML_PCR_SELECTION* sel_raw = nullptr;
    TPML_DIGEST* values_raw = nullptr;
    check(Esys_PCR_Read(c.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in, &counter, &sel_raw, &values_raw),
          std::string("PCR_Read(") + alg_name(bank) + ")");
    Esys_ptr<TPML_PCR_SELECTION> sel(sel_raw);
    Esys_ptr<TPML_DIGEST> values(values_raw);
    if (values->count != chunk.size()) {
      throw Tpm_error(std::string("TPM: PCR_Read(") + alg_name(bank) + ") returned " +
                          std::to_string(values->count) + " of " + std::to_string(chunk.size()) +
                          " PCRs (bank not allocated?)",
                      TSS2_RC_SUCCESS);
    }
    for (uint32_t i = 0; i < values->count; ++i) {
      out.pcrs.push_back(chunk[i]);
      out.values.emplace_back(values->digests[i].buffer, values->digests[i].buffer + values->digests[i].size);
    }
  }
  return out;
}

void pcr_extend(Context& c, uint32_t pcr, const std::vector<TPM2_ALG_ID>& banks,
                const std::vector<std::vector<uint8_t>>& digests) {
  if (pcr > 23 || banks.size() != digests.size() || banks.size() > TPM2_NUM_PCR_BANKS) {
    throw Tpm_error("pcr_extend: bad arguments", TSS2_RC_SUCCESS);
  }
  TPML_DIGEST_VALUES v{};
  v.count = uint32_t(banks.size());
  for (size_t i = 0; i < banks.size(); ++i) {
    if (digests[i].size() != alg_digest_size(banks[i])) {
      throw Tpm_error(std::string("pcr_extend: digest size wrong for ") + alg_name(banks[i]), TSS2_RC_SUCCESS);
    }
    v.digests[i].hashAlg = banks[i];
    std::memcpy(&v.digests[i].digest, digests[i].data(), digests[i].size());
  }
  check(Esys_PCR_Extend(c.get(), ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v),
        "PCR_Extend(" + std::to_string(pcr) + ")");
}

}  // namespace bh::tpm
