// SPDX-License-Identifier: Apache-2.0
// The EK certificate check of `bulkhead tpm provision --ek-ca` (docs/attestation.md, "Keys and
// provisioning"): the certificate the TPM holds for its EK must be signed by one of the
// certificates the administrator names, be valid now, and certify exactly the EK the TPM has.
// The certificate is read with a small DER reader of its own, not Botan's X509_Certificate:
// Botan 2 refuses the notAfter 99991231235959Z that RFC 5280 prescribes for certificates
// without expiry and that swtpm_localca (and TPM vendors) write.
#pragma once

#include <botan/pk_keys.h>

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "bh/attest/common.hpp"

namespace bh::attest {

// What the check found, for the output and provision.json.
struct Ek_certificate_result {
  std::string issuer;     // the signing certificate's subject, e.g. "CN=swtpm-localca"
  std::string not_after;  // the EK certificate's notAfter, YYYY-MM-DD HH:MM:SS UTC
};

// The DER certificates in a PEM file (one or more "CERTIFICATE" blocks). Throws Input_error
// naming the file if it cannot be read or holds none.
std::vector<Bytes> read_pem_certificates(const std::string& path);

// Throws Input_error with one line naming what is wrong: a certificate that does not parse, a
// signature algorithm other than RSA PKCS#1 v1.5 or ECDSA with SHA-256/384/512, no CA whose
// subject is the certificate's issuer and whose key verifies its signature, a time outside
// notBefore..notAfter, or a public key other than ek.
Ek_certificate_result check_ek_certificate(const Bytes& certificate, const std::vector<Bytes>& cas,
                                           const Botan::Public_Key& ek, std::time_t now);

}  // namespace bh::attest
