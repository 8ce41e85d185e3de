// SPDX-License-Identifier: Apache-2.0
// Fuzzes the verifier's parsers of outside input: TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC, the
// EK certificate (as certificate and as its own CA), the evidence JSON, and the whole verification of evidence made of the input against a fixed
// manifest and AK. Refusals are Input_error or a failed verdict; anything else is a finding,
// and no input may verify (it would need a forged ECDSA signature).
#include <botan/auto_rng.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "bh/attest/agent.hpp"
#include "bh/attest/ek_certificate.hpp"
#include "bh/attest/evidence.hpp"
#include "bh/attest/quote.hpp"

namespace at = bh::attest;

namespace {

struct Fixture {
  at::Attestation_key ak;
  at::Manifest manifest;
  at::Bytes nonce{1, 2, 3, 4, 5, 6, 7, 8};
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture out;
    Botan::AutoSeeded_RNG rng;
    Botan::ECDSA_PrivateKey key(rng, Botan::EC_Group("secp256r1"), Botan::BigInt(12345));
    out.ak.key = std::make_shared<Botan::ECDSA_PublicKey>(key.domain(), key.public_point());
    out.ak.attributes = at::k_ak_required_attributes;
    out.ak.qualified_name = at::Bytes(34, 0x5a);
    at::Build_inputs in;
    in.policy_image = {'p', 'o', 'l', 'i', 'c', 'y'};
    in.partitions.push_back({"classified", "classified.elf", {1, 2, 3}});
    in.partitions.push_back({"open", "open.elf", {4, 5, 6}});
    out.manifest = at::compute_manifest(in);
    return out;
  }();
  return f;
}

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = fixture();
  if (size < 5) return 0;
  const uint8_t mode = data[0] % 4;
  ++data;
  --size;
  const at::Bytes all(data, data + size);
  try {
    if (mode == 0) {  // the single-structure parsers
      (void)at::parse_quote(all);
    } else if (mode == 1) {
      (void)at::parse_signature(all);
    } else if (mode == 2) {
      (void)at::key_from_tpm2b_public(all, "fuzz");
    } else {  // no input can pass: it would need the AK's key certified by a signature it verifies
      (void)at::check_ek_certificate(all, {all}, *f.ak.key, 1800000000);
      __builtin_trap();
    }
  } catch (const at::Input_error&) {
  }
  try {
    (void)at::evidence_from_json(std::string(all.begin(), all.end()), "fuzz");
  } catch (const at::Input_error&) {
  }
  try {  // the agent's answer on its serial line (bulkhead attest connect)
    (void)at::evidence_from_agent(std::string(all.begin(), all.end()), all);
  } catch (const at::Input_error&) {
  }
  // Evidence: u16 attest length, u16 signature length, attest, signature, event log.
  const size_t attest_len = get16(data), sig_len = get16(data + 2);
  if (4 + attest_len + sig_len > size) return 0;
  at::Evidence e;
  e.attest.assign(data + 4, data + 4 + attest_len);
  e.signature.assign(data + 4 + attest_len, data + 4 + attest_len + sig_len);
  e.event_log.assign(data + 4 + attest_len + sig_len, data + size);
  at::Verdict v = at::verify(e, f.manifest, f.ak, f.nonce);
  if (v.ok()) __builtin_trap();  // verified without a signature from the AK's private key
  (void)v.to_json();
  return 0;
}
