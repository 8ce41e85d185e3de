// SPDX-License-Identifier: Apache-2.0
// Offline TPM policy digests and the administrator's approval signatures (Botan, libtss2-mu).
#include "bh/storage/policy_digest.hpp"

#include "bh/storage/passphrase.hpp"

#include <botan/auto_rng.h>
#include <botan/data_src.h>
#include <botan/ecdsa.h>
#include <botan/hash.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/x509_key.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "bh/storage/luks_disk.hpp"

namespace bh::storage {

namespace {

constexpr uint32_t k_cc_policy_pcr = 0x0000017F;        // TPM_CC_PolicyPCR
constexpr uint32_t k_cc_policy_authorize = 0x0000016A;  // TPM_CC_PolicyAuthorize

void put_u32be(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(uint8_t(v >> (8 * i)));
}

Digest sha256(const std::vector<uint8_t>& data) {
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(data);
  Digest d{};
  h->final(d.data());
  return d;
}

std::vector<uint8_t> concat(const Digest& a, const std::vector<uint8_t>& b) {
  std::vector<uint8_t> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

std::string hex(const uint8_t* data, size_t size) {
  static const char* k_digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += k_digits[data[i] >> 4];
    out += k_digits[data[i] & 15];
  }
  return out;
}

uint32_t pcr_mask(const Pcr_values& values) {
  uint32_t mask = 0;
  for (const auto& [index, value] : values) {
    if (index > 23) throw Storage_error("PCR " + std::to_string(index) + ": outside 0..23");
    mask |= 1u << index;
  }
  return mask;
}

std::vector<uint8_t> marshal_pcr_selection(uint32_t mask) {
  std::vector<uint8_t> out;
  put_u32be(out, 1);    // count: one bank
  out.push_back(0x00);  // hash: TPM_ALG_SHA256, big-endian
  out.push_back(0x0B);
  out.push_back(3);  // sizeofSelect: PCRs 0..23
  for (int i = 0; i < 3; ++i) out.push_back(uint8_t(mask >> (8 * i)));
  return out;
}

Digest policy_pcr_digest(const Pcr_values& values, const Digest& old) {
  if (values.empty()) throw Storage_error("PCR policy: no PCRs selected");
  std::vector<uint8_t> all;
  for (const auto& [index, value] : values) all.insert(all.end(), value.begin(), value.end());
  Digest pcr_digest = sha256(all);
  std::vector<uint8_t> tail;
  put_u32be(tail, k_cc_policy_pcr);
  auto selection = marshal_pcr_selection(pcr_mask(values));
  tail.insert(tail.end(), selection.begin(), selection.end());
  tail.insert(tail.end(), pcr_digest.begin(), pcr_digest.end());
  return sha256(concat(old, tail));
}

namespace {
// A TPM name with SHA-256: the algorithm ID 0x000B, then the digest of the marshalled public area
// (TPMT_PUBLIC of a key, TPMS_NV_PUBLIC of an NV index), marshalled by libtss2-mu's marshal.
template <typename T, typename Marshal>
std::vector<uint8_t> sha256_name(const T& area_struct, Marshal marshal, const char* what) {
  std::vector<uint8_t> area(sizeof(T));
  size_t used = 0;
  if (marshal(&area_struct, area.data(), area.size(), &used) != 0) {
    throw Storage_error(std::string(what) + ": cannot marshal its public area");
  }
  area.resize(used);
  Digest d = sha256(area);
  std::vector<uint8_t> name = {0x00, 0x0B};
  name.insert(name.end(), d.begin(), d.end());
  return name;
}
}  // namespace

std::vector<uint8_t> epoch_counter_name() {
  TPMS_NV_PUBLIC pub{};
  pub.nvIndex = sk::storage::k_approval_epoch_index;
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.attributes = (TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD |
                   TPMA_NV_NO_DA | TPMA_NV_WRITTEN;
  pub.dataSize = 8;
  return sha256_name(pub, Tss2_MU_TPMS_NV_PUBLIC_Marshal, "epoch counter");
}

Digest policy_nv_equals_digest(const Digest& old, uint64_t value) {
  std::vector<uint8_t> args;
  for (int shift = 56; shift >= 0; shift -= 8) args.push_back(uint8_t(value >> shift));
  args.insert(args.end(), {0, 0, 0, 0});  // offset 0, TPM_EO_EQ
  Digest args_hash = sha256(args);
  std::vector<uint8_t> tail;
  put_u32be(tail, 0x00000149);  // TPM_CC_PolicyNV
  tail.insert(tail.end(), args_hash.begin(), args_hash.end());
  auto name = epoch_counter_name();
  tail.insert(tail.end(), name.begin(), name.end());
  return sha256(concat(old, tail));
}

Digest policy_authorize_digest(const std::vector<uint8_t>& key_name, const Digest& policy_ref) {
  std::vector<uint8_t> tail;
  put_u32be(tail, k_cc_policy_authorize);
  tail.insert(tail.end(), key_name.begin(), key_name.end());
  Digest first = sha256(concat(Digest{}, tail));
  return sha256(concat(first, std::vector<uint8_t>(policy_ref.begin(), policy_ref.end())));
}

Digest approval_digest(const Digest& approved_policy, const Digest& policy_ref) {
  std::vector<uint8_t> message(approved_policy.begin(), approved_policy.end());
  message.insert(message.end(), policy_ref.begin(), policy_ref.end());
  return sha256(message);
}

Admin_public admin_public_from_key(const Botan::ECDSA_PublicKey& key) {
  if (key.domain().get_curve_oid() != Botan::EC_Group("secp256r1").get_curve_oid()) {
    throw Storage_error("administrator key: must be ECDSA P-256");
  }
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& t = pub.publicArea;
  t.type = TPM2_ALG_ECC;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
  t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  t.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  t.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  auto x = Botan::BigInt::encode_1363(key.public_point().get_affine_x(), 32);
  auto y = Botan::BigInt::encode_1363(key.public_point().get_affine_y(), 32);
  t.unique.ecc.x.size = 32;
  t.unique.ecc.y.size = 32;
  std::copy(x.begin(), x.end(), t.unique.ecc.x.buffer);
  std::copy(y.begin(), y.end(), t.unique.ecc.y.buffer);

  Admin_public out;
  out.name = sha256_name(t, Tss2_MU_TPMT_PUBLIC_Marshal, "administrator key");
  out.tpm2b_public.resize(sizeof(TPM2B_PUBLIC));
  size_t used = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.tpm2b_public.data(), out.tpm2b_public.size(), &used) != 0) {
    throw Storage_error("administrator key: cannot marshal TPM2B_PUBLIC");
  }
  out.tpm2b_public.resize(used);
  return out;
}

Admin_public load_admin_public(const std::string& pem_path) {
  std::unique_ptr<Botan::Public_Key> key;
  try {
    key.reset(Botan::X509::load_key(pem_path));
  } catch (const std::exception&) {
    // A private key file also carries the public key.
    try {
      Botan::DataSource_Stream source(pem_path);
      key = Botan::PKCS8::load_key(source);
    } catch (const std::exception&) {
      throw Storage_error(pem_path + ": not a readable PEM public or private key");
    }
  }
  auto* ecdsa = dynamic_cast<Botan::ECDSA_PublicKey*>(key.get());
  if (ecdsa == nullptr) throw Storage_error(pem_path + ": not an ECDSA key (expected ECDSA P-256)");
  try {
    return admin_public_from_key(*ecdsa);
  } catch (const Storage_error& e) {
    throw Storage_error(pem_path + ": " + e.what());
  }
}

namespace {

std::unique_ptr<Botan::Private_Key> load_admin_private(const std::string& private_pem_path,
                                                       const Key_passphrase& key_passphrase) {
  std::string text;
  {
    std::ifstream in(private_pem_path, std::ios::binary);
    if (!in) throw Input_error(private_pem_path + ": cannot be read");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const bool encrypted = text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos;
  std::unique_ptr<Botan::Private_Key> key;
  if (encrypted) {
    if (!key_passphrase) {
      throw Input_error(private_pem_path + ": the key is encrypted: give its passphrase (--key-passphrase-file FILE or -)");
    }
    const Secret pass = key_passphrase();
    try {
      Botan::DataSource_Memory source(text);
      key = Botan::PKCS8::load_key(source, std::string(pass.begin(), pass.end()));
    } catch (const std::exception&) {
      throw Storage_error(private_pem_path + ": the passphrase does not decrypt this key");
    }
  } else {
    try {
      Botan::DataSource_Memory source(text);
      key = Botan::PKCS8::load_key(source);
    } catch (const std::exception&) {
      throw Storage_error(private_pem_path + ": not a readable PKCS#8 PEM private key");
    }
  }
  if (dynamic_cast<Botan::ECDSA_PrivateKey*>(key.get()) == nullptr) {
    throw Storage_error(private_pem_path + ": not an ECDSA private key");
  }
  return key;
}

}  // namespace

std::vector<uint8_t> sign_with_admin_key(const std::string& private_pem_path, const std::vector<uint8_t>& message,
                                         const Key_passphrase& key_passphrase) {
  auto key = load_admin_private(private_pem_path, key_passphrase);
  Botan::AutoSeeded_RNG rng;
  Botan::PK_Signer signer(*key, rng, "EMSA1(SHA-256)", Botan::IEEE_1363);
  return signer.sign_message(message, rng);
}

std::vector<uint8_t> sign_approval(const std::string& private_pem_path, const Digest& approved_policy,
                                   const Digest& policy_ref, Admin_public* public_out,
                                   const Key_passphrase& key_passphrase) {
  auto key = load_admin_private(private_pem_path, key_passphrase);
  auto* ecdsa = dynamic_cast<Botan::ECDSA_PrivateKey*>(key.get());
  if (public_out != nullptr) *public_out = admin_public_from_key(*ecdsa);
  Botan::AutoSeeded_RNG rng;
  // EMSA1(SHA-256) hashes the message: the signature is over aHash = H(approvedPolicy || policyRef).
  Botan::PK_Signer signer(*ecdsa, rng, "EMSA1(SHA-256)", Botan::IEEE_1363);
  std::vector<uint8_t> message(approved_policy.begin(), approved_policy.end());
  message.insert(message.end(), policy_ref.begin(), policy_ref.end());
  return signer.sign_message(message, rng);
}

void generate_admin_key(const std::string& private_pem_path, const std::string& public_pem_path,
                        const Secret* passphrase) {
  Botan::AutoSeeded_RNG rng;
  Botan::ECDSA_PrivateKey key(rng, Botan::EC_Group("secp256r1"));
  {
    // Created 0600 before any key byte is written; an existing file is not overwritten.
    int fd = ::open(private_pem_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) throw Storage_error(private_pem_path + ": cannot create (exists already?)");
    ::close(fd);
    std::ofstream out(private_pem_path, std::ios::binary | std::ios::trunc);
    if (!out) throw Storage_error(private_pem_path + ": cannot write");
    if (passphrase != nullptr) {
      out << Botan::PKCS8::PEM_encode(key, rng, std::string(passphrase->begin(), passphrase->end()));
    } else {
      out << Botan::PKCS8::PEM_encode(key);
    }
  }
  std::ofstream out(public_pem_path, std::ios::binary | std::ios::trunc);
  if (!out) throw Storage_error(public_pem_path + ": cannot write");
  out << Botan::X509::PEM_encode(key);
}

}  // namespace bh::storage
