// SPDX-License-Identifier: Apache-2.0
// EK certificate check (ek_certificate.hpp). X.509 structure as RFC 5280 section 4.1 gives it;
// only what the check needs is read: the signed part's bytes, both signature algorithms, issuer,
// validity, subject and public key of the certificate, and subject and public key of each CA.
#include "bh/attest/ek_certificate.hpp"

#include <botan/pubkey.h>
#include <botan/x509_key.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace bh::attest {

namespace {

// One DER element: its tag, its whole encoding and its contents.
struct Tlv {
  uint8_t tag = 0;
  const uint8_t* whole = nullptr;
  size_t whole_size = 0;
  const uint8_t* value = nullptr;
  size_t size = 0;
  Bytes bytes() const { return Bytes(whole, whole + whole_size); }
  Bytes contents() const { return Bytes(value, value + size); }
};

// Reads consecutive DER elements from [p, p + n); definite lengths only (DER), up to 2^32 - 1.
class Der {
 public:
  Der(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  explicit Der(const Tlv& t) : Der(t.value, t.size) {}
  bool done() const { return n_ == 0; }
  uint8_t peek() const { return n_ ? p_[0] : 0; }
  Tlv next(const char* what) {
    Tlv t;
    if (n_ < 2) fail(what);
    t.tag = p_[0];
    size_t header = 2, size = p_[1];
    if (size & 0x80) {
      const size_t count = size & 0x7F;
      if (count == 0 || count > 4 || n_ < 2 + count) fail(what);
      size = 0;
      for (size_t i = 0; i < count; ++i) size = (size << 8) | p_[2 + i];
      header += count;
    }
    if (size > n_ - header) fail(what);
    t.whole = p_;
    t.whole_size = header + size;
    t.value = p_ + header;
    t.size = size;
    p_ += t.whole_size;
    n_ -= t.whole_size;
    return t;
  }
  Tlv next(uint8_t tag, const char* what) {
    Tlv t = next(what);
    if (t.tag != tag) fail(what);
    return t;
  }

 private:
  [[noreturn]] static void fail(const char* what) {
    throw Input_error(std::string("not a DER X.509 certificate (") + what + ")");
  }
  const uint8_t* p_;
  size_t n_;
};

constexpr uint8_t k_sequence = 0x30, k_set = 0x31, k_integer = 0x02, k_bit_string = 0x03, k_oid = 0x06,
                  k_utc_time = 0x17, k_generalized_time = 0x18, k_version = 0xA0;

// A certificate's parts the check reads.
struct Certificate {
  Bytes signed_part;  // tbsCertificate, whole
  Bytes algorithm;    // signatureAlgorithm, whole (must equal the one inside the signed part)
  Bytes signature;
  Bytes issuer, subject;  // Name, whole
  std::string not_before, not_after;  // YYYYMMDDHHMMSS
  Bytes public_key;  // SubjectPublicKeyInfo, whole
};

std::string der_time(const Tlv& t) {
  const std::string s(reinterpret_cast<const char*>(t.value), t.size);
  auto digits = [&](size_t n) {
    if (s.size() != n + 1 || s.back() != 'Z') return false;
    for (size_t i = 0; i < n; ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    return true;
  };
  if (t.tag == k_utc_time && digits(12)) return (s[0] < '5' ? "20" : "19") + s.substr(0, 12);  // RFC 5280 4.1.2.5.1
  if (t.tag == k_generalized_time && digits(14)) return s.substr(0, 14);
  throw Input_error("not a DER X.509 certificate (validity time '" + s + "')");
}

Certificate parse(const Bytes& der) {
  Der top(der.data(), der.size());
  const Tlv whole = top.next(k_sequence, "certificate");
  if (!top.done()) throw Input_error("not a DER X.509 certificate (bytes after its end)");
  Der cert(whole);
  Certificate c;
  const Tlv tbs = cert.next(k_sequence, "tbsCertificate");
  c.signed_part = tbs.bytes();
  c.algorithm = cert.next(k_sequence, "signatureAlgorithm").bytes();
  const Tlv bits = cert.next(k_bit_string, "signatureValue");
  if (!cert.done() || bits.size < 2 || bits.value[0] != 0) throw Input_error("not a DER X.509 certificate (signatureValue)");
  c.signature.assign(bits.value + 1, bits.value + bits.size);

  Der t(tbs);
  if (t.peek() == k_version) t.next("version");
  t.next(k_integer, "serialNumber");
  if (t.next(k_sequence, "signature").bytes() != c.algorithm)
    throw Input_error("not a valid X.509 certificate (its two signature algorithms differ)");
  c.issuer = t.next(k_sequence, "issuer").bytes();
  Der validity(t.next(k_sequence, "validity"));
  c.not_before = der_time(validity.next("notBefore"));
  c.not_after = der_time(validity.next("notAfter"));
  c.subject = t.next(k_sequence, "subject").bytes();
  c.public_key = t.next(k_sequence, "subjectPublicKeyInfo").bytes();
  return c;
}

// "CN=..., O=..." for the common attribute types; others as their OID's hex.
std::string name_text(const Bytes& name) {
  struct Known {
    uint8_t last;
    const char* label;
  };
  static constexpr Known k_known[] = {{3, "CN"}, {6, "C"}, {7, "L"}, {8, "ST"}, {10, "O"}, {11, "OU"}};
  Der outer(name.data(), name.size());
  Der rdns(outer.next(k_sequence, "name"));
  std::string out;
  while (!rdns.done()) {
    Der set(rdns.next(k_set, "name"));
    while (!set.done()) {
      Der attribute(set.next(k_sequence, "name"));
      const Tlv oid = attribute.next(k_oid, "name");
      const Tlv value = attribute.next("name");
      std::string label = to_hex(oid.contents());
      if (oid.size == 3 && oid.value[0] == 0x55 && oid.value[1] == 0x04)
        for (const Known& k : k_known)
          if (oid.value[2] == k.last) label = k.label;
      if (!out.empty()) out += ",";
      out += label + "=" + std::string(reinterpret_cast<const char*>(value.value), value.size);
    }
  }
  return out.empty() ? "(empty name)" : out;
}

// The EMSA and signature format Botan needs for the certificate's signature algorithm.
struct Scheme {
  std::string emsa;
  Botan::Signature_Format format;
};

Scheme scheme_of(const Bytes& algorithm) {
  Der outer(algorithm.data(), algorithm.size());
  Der alg(outer.next(k_sequence, "signatureAlgorithm"));
  const Bytes oid = alg.next(k_oid, "signatureAlgorithm").contents();
  static const Bytes k_rsa_prefix = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01};  // 1.2.840.113549.1.1
  static const Bytes k_ecdsa_prefix = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03};     // 1.2.840.10045.4.3
  auto with = [&](const Bytes& prefix, uint8_t last) {
    return oid.size() == prefix.size() + 1 && std::equal(prefix.begin(), prefix.end(), oid.begin()) &&
           oid.back() == last;
  };
  const char* hashes[] = {"SHA-256", "SHA-384", "SHA-512"};
  for (uint8_t i = 0; i < 3; ++i) {
    if (with(k_rsa_prefix, 0x0B + i)) return {std::string("EMSA3(") + hashes[i] + ")", Botan::IEEE_1363};
    if (with(k_ecdsa_prefix, 0x02 + i)) return {std::string("EMSA1(") + hashes[i] + ")", Botan::DER_SEQUENCE};
  }
  throw Input_error("the EK certificate's signature algorithm (OID " + to_hex(oid) +
                    ") is not RSA PKCS#1 v1.5 or ECDSA with SHA-256, SHA-384 or SHA-512");
}

std::unique_ptr<Botan::Public_Key> load_key(const Bytes& spki, const std::string& what) {
  try {
    return std::unique_ptr<Botan::Public_Key>(Botan::X509::load_key(spki));
  } catch (const std::exception& e) {
    throw Input_error(what + ": its public key cannot be read (" + e.what() + ")");
  }
}

std::string shown_time(const std::string& t) {
  return t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2) + " " + t.substr(8, 2) + ":" +
         t.substr(10, 2) + ":" + t.substr(12, 2) + " UTC";
}

}  // namespace

std::vector<Bytes> read_pem_certificates(const std::string& path) {
  const Bytes file = read_file(path, "CA certificate file");
  const std::string text(file.begin(), file.end());
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  std::vector<Bytes> out;
  for (size_t at = text.find(begin); at != std::string::npos; at = text.find(begin, at)) {
    const size_t stop = text.find(end, at);
    if (stop == std::string::npos) throw Input_error(path + ": a certificate block has no END line");
    std::string base64;
    for (size_t i = at + begin.size(); i < stop; ++i)
      if (!std::isspace(static_cast<unsigned char>(text[i]))) base64 += text[i];
    out.push_back(from_base64(base64, path));
    at = stop + end.size();
  }
  if (out.empty()) throw Input_error(path + ": no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
  return out;
}

Ek_certificate_result check_ek_certificate(const Bytes& certificate, const std::vector<Bytes>& cas,
                                           const Botan::Public_Key& ek, std::time_t now) {
  Certificate c;
  try {
    c = parse(certificate);
  } catch (const Input_error& e) {
    throw Input_error(std::string("the EK certificate is ") + e.what());
  }
  const Scheme scheme = scheme_of(c.algorithm);
  const std::string issuer = name_text(c.issuer);

  // A CA whose subject is the issuer and whose key verifies the signature over the signed part.
  bool named = false, signed_by_ca = false;
  std::string signer;
  for (size_t i = 0; i < cas.size() && !signed_by_ca; ++i) {
    Certificate ca;
    try {
      ca = parse(cas[i]);
    } catch (const Input_error& e) {
      throw Input_error("CA certificate " + std::to_string(i + 1) + " is " + e.what());
    }
    if (ca.subject != c.issuer) continue;
    named = true;
    auto key = load_key(ca.public_key, "CA certificate " + std::to_string(i + 1));
    try {
      Botan::PK_Verifier verifier(*key, scheme.emsa, scheme.format);
      signed_by_ca = verifier.verify_message(c.signed_part, c.signature);
    } catch (const std::exception&) {
      signed_by_ca = false;  // a key of another type than the signature: not this CA's signature
    }
    if (signed_by_ca) signer = name_text(ca.subject);
  }
  if (!named) throw Input_error("the EK certificate's issuer " + issuer + " is none of the named CA certificates");
  if (!signed_by_ca)
    throw Input_error("the EK certificate's signature does not verify with the key of the named CA " + issuer);

  char stamp[16];
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &utc);
  if (stamp < c.not_before) throw Input_error("the EK certificate is not valid before " + shown_time(c.not_before));
  if (stamp > c.not_after) throw Input_error("the EK certificate expired at " + shown_time(c.not_after));

  auto key = load_key(c.public_key, "the EK certificate");
  if (key->algo_name() != ek.algo_name() || key->public_key_bits() != ek.public_key_bits() ||
      key->algorithm_identifier() != ek.algorithm_identifier()) {
    throw Input_error("the EK certificate certifies another key than this TPM's EK (" + key->algo_name() +
                      " key in the certificate, " + ek.algo_name() + " EK)");
  }
  return {signer, shown_time(c.not_after)};
}

}  // namespace bh::attest
