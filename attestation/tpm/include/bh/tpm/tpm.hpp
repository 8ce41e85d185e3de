// SPDX-License-Identifier: Apache-2.0
// bh_tpm: RAII wrappers over TPM2-TSS ESAPI for host tools (attestation, crypto storage). There
// is no resource manager in front of swtpm or a raw /dev/tpm0: every transient object and session
// is flushed by its owner's destructor, or the TPM's slots run out (0x902 / 0x903).
#pragma once

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bh::tpm {

// A failed TPM or TSS call; what() is one line naming the operation and the decoded code.
class Tpm_error : public std::runtime_error {
 public:
  Tpm_error(const std::string& what, TSS2_RC rc);
  TSS2_RC rc() const { return rc_; }

 private:
  TSS2_RC rc_;
};

// The TCTI named no reachable TPM (a usage error: the CLI exits 2, not 1).
class Unreachable_tpm : public Tpm_error {
 public:
  using Tpm_error::Tpm_error;
};

// "0x902 tpm:warn(2.0): out of memory for object contexts".
std::string rc_text(TSS2_RC rc);

// Throws Tpm_error("<what>: <rc text>") unless rc is success.
void check(TSS2_RC rc, const std::string& what);

// An ESAPI-allocated output, released with Esys_Free.
struct Esys_free {
  void operator()(void* p) const { Esys_Free(p); }
};
template <typename T>
using Esys_ptr = std::unique_ptr<T, Esys_free>;

// An ESAPI context on a TCTI given as a string ("swtpm:host=127.0.0.1,port=2321",
// "device:/dev/tpmrm0", ...). Finalises ESAPI and the TCTI on destruction.
class Context {
 public:
  explicit Context(const std::string& tcti);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ESYS_CONTEXT* get() const { return ctx_; }
  const std::string& tcti() const { return tcti_name_; }

 private:
  std::string tcti_name_;
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* ctx_ = nullptr;
};

// A transient object or session: flushed (TPM2_FlushContext) on destruction. A persistent or
// PCR handle is only closed in ESAPI (Esys_TR_Close), never flushed. Move-only.
class Handle {
 public:
  enum class Kind { transient, persistent };
  Handle() = default;
  Handle(Context& c, ESYS_TR tr, Kind kind = Kind::transient) : ctx_(&c), tr_(tr), kind_(kind) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : ctx_(o.ctx_), tr_(o.tr_), kind_(o.kind_) { o.tr_ = ESYS_TR_NONE; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ESYS_TR get() const { return tr_; }
  explicit operator bool() const { return tr_ != ESYS_TR_NONE; }
  void reset();

 private:
  Context* ctx_ = nullptr;
  ESYS_TR tr_ = ESYS_TR_NONE;
  Kind kind_ = Kind::transient;
};

// TPM hash algorithm IDs and their names as tpm2-tools spell them ("sha256").
const char* alg_name(TPM2_ALG_ID alg);
TPM2_ALG_ID alg_from_name(const std::string& name);  // 0 if unknown
size_t alg_digest_size(TPM2_ALG_ID alg);             // 0 if unknown

// The PCR banks the TPM has allocated (TPM2_CAP_PCRS, banks with at least one PCR selected).
std::vector<TPM2_ALG_ID> allocated_banks(Context& c);

// One bank's values of the selected PCRs: values[i] belongs to pcrs[i].
struct Pcr_values {
  TPM2_ALG_ID bank;
  std::vector<uint32_t> pcrs;
  std::vector<std::vector<uint8_t>> values;
};

// Reads PCRs (several PCR_Read calls: the TPM returns at most 8 digests per call).
Pcr_values pcr_read(Context& c, TPM2_ALG_ID bank, const std::vector<uint32_t>& pcrs);

// Extends one PCR in every bank given: digests[i] is the digest for banks[i].
void pcr_extend(Context& c, uint32_t pcr, const std::vector<TPM2_ALG_ID>& banks,
                const std::vector<std::vector<uint8_t>>& digests);

// A selection of PCRs in one bank, in TPM wire form.
TPML_PCR_SELECTION pcr_selection(TPM2_ALG_ID bank, const std::vector<uint32_t>& pcrs);
// The same PCRs in each of banks, in that order.
TPML_PCR_SELECTION pcr_selection(const std::vector<TPM2_ALG_ID>& banks, const std::vector<uint32_t>& pcrs);

// Marshals an ESAPI structure with libtss2-mu (throws Tpm_error on failure).
template <typename T>
std::vector<uint8_t> marshal(const T& value, TSS2_RC (*fn)(const T*, uint8_t*, size_t, size_t*)) {
  std::vector<uint8_t> out(sizeof(T) + 64);
  size_t offset = 0;
  check(fn(&value, out.data(), out.size(), &offset), "marshalling");
  out.resize(offset);
  return out;
}

}  // namespace bh::tpm
