// SPDX-License-Identifier: Apache-2.0
// `bulkhead tpm provision`: EK and AK in the endorsement hierarchy, proven to share one TPM by
// credential activation, persisted at documented handles; writes what the verifier needs.
#include <botan/auto_rng.h>
#include <botan/pk_keys.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bh/cli/input_file.hpp"
#include "bh/attest/common.hpp"
#include "bh/attest/ek_certificate.hpp"
#include "bh/attest/quote.hpp"
#include "bh/tpm/keys.hpp"
#include "commands.hpp"

namespace bh::cli {

namespace {

namespace at = bh::attest;

// A refused operation (exit status 1); an at::Input_error is an unusable input or output (2).
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Provision_options {
  std::string tcti;
  std::string out;
  std::string ek = "ecc";
  std::string ek_ca;  // PEM file of the CA certificates the EK certificate must be signed by
  bool force = false;
};

std::string handle_hex(TPM2_HANDLE h) { return fmt::format("0x{:08x}", h); }

void run_provision(const Provision_options& o) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (!std::filesystem::is_directory(o.out)) throw at::Input_error(o.out + ": cannot create the output directory");
  std::vector<at::Bytes> cas;
  if (!o.ek_ca.empty()) {
    try {
      cas = at::read_pem_certificates(o.ek_ca);
    } catch (const at::Input_error& e) {
      throw at::Input_error(std::string("--ek-ca: ") + e.what());
    }
  }
  const bool ecc = o.ek == "ecc";
  const TPM2_HANDLE ek_handle = ecc ? tpm::k_ek_ecc_handle : tpm::k_ek_rsa_handle;

  tpm::Context c(o.tcti);
  tpm::Key ek = tpm::create_ek(c, ecc ? tpm::Ek_type::ecc_p256 : tpm::Ek_type::rsa2048);
  // With --ek-ca the EK certificate the TPM holds must be signed by a named CA, valid now, and
  // certify this EK, before anything is persisted; without it the EK is trusted on first use, and
  // the output says so, naming the certificate the TPM holds if any (docs/attestation.md).
  const TPM2_HANDLE cert_index = ecc ? tpm::k_ek_cert_ecc_index : tpm::k_ek_cert_rsa_index;
  const at::Bytes cert = tpm::nv_read_all(c, cert_index);
  std::string ek_trust;
  if (!o.ek_ca.empty()) {
    if (cert.empty())
      throw Refused("--ek-ca " + o.ek_ca + ": the TPM holds no EK certificate for its " +
                            (ecc ? "ECC" : "RSA") + " EK (NV " + handle_hex(cert_index) + ")");
    auto key = at::key_from_tpm2b_public(ek.tpm2b_public, "EK public");
    at::Ek_certificate_result r;
    try {
      r = at::check_ek_certificate(cert, cas, *key, std::time(nullptr));
    } catch (const at::Input_error& e) {
      throw Refused("EK certificate (NV " + handle_hex(cert_index) + ") refused: " + e.what());
    }
    ek_trust = "checked: the EK certificate (NV " + handle_hex(cert_index) + ") is signed by " + r.issuer +
               " from " + o.ek_ca + ", valid until " + r.not_after + ", and certifies this EK";
  } else if (!cert.empty()) {
    ek_trust = "trust on first use: the EK certificate (NV " + handle_hex(cert_index) + ", " +
               std::to_string(cert.size()) + " bytes) is not checked";
  } else {
    ek_trust = "trust on first use: no EK certificate in the TPM (NV " + handle_hex(cert_index) +
               "); this EK is trusted as it is";
  }
  if (tpm::persistent_exists(c, ek_handle)) {
    tpm::Key old = tpm::open_persistent(c, ek_handle);
    if (old.tpm2b_public != ek.tpm2b_public && !o.force) {
      throw Refused("TPM: " + handle_hex(ek_handle) +
                            " holds another key than the standard EK (use --force to replace it)");
    }
    if (old.tpm2b_public != ek.tpm2b_public) tpm::persist(c, ek, ek_handle, true);
  } else {
    tpm::persist(c, ek, ek_handle, false);
  }
  if (tpm::persistent_exists(c, tpm::k_ak_handle) && !o.force) {
    throw Refused("TPM: an AK is already provisioned at " + handle_hex(tpm::k_ak_handle) +
                          " (use --force to replace it)");
  }
  tpm::Key ak = tpm::create_ak(c, ek);

  // Credential activation: a random secret encrypted to the EK for the AK's name comes back only
  // if both keys are in this TPM.
  Botan::AutoSeeded_RNG rng;
  at::Bytes secret(32);
  rng.randomize(secret.data(), secret.size());
  if (tpm::activate_credential(c, ek, ak, secret) != secret) {
    throw Refused("TPM: credential activation returned another secret: AK and EK not in one TPM");
  }
  tpm::persist(c, ak, tpm::k_ak_handle, o.force);

  const std::string dir = o.out + "/";
  auto ak_key = at::key_from_tpm2b_public(ak.tpm2b_public, "AK public");
  auto ek_key = at::key_from_tpm2b_public(ek.tpm2b_public, "EK public");
  at::write_text(dir + "ak.pub.pem", at::public_key_pem(*ak_key));
  at::write_file(dir + "ak.pub", ak.tpm2b_public);
  at::write_file(dir + "ak.name", ak.name);
  at::write_text(dir + "ek.pub.pem", at::public_key_pem(*ek_key));
  at::write_file(dir + "ek.pub", ek.tpm2b_public);
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json record = {{"ek", {{"handle", handle_hex(ek_handle)}, {"type", ecc ? "ecc-p256" : "rsa-2048"}}},
                           {"ak",
                            {{"handle", handle_hex(tpm::k_ak_handle)},
                             {"type", "ecc-p256 restricted signing, ecdsa-sha256"},
                             {"parent", "ek"},
                             {"name", at::to_hex(ak.name)}}},
                           {"credential_activation", "ok"},
                           {"ek_certificate", ek_trust}};
  at::write_text(dir + "provision.json", record.dump(2) + "\n");
  fmt::print("tpm provision: EK ({}) at {}, AK (ECDSA P-256, restricted) at {}, credential activated; "
             "wrote {}{{ak.pub.pem,ak.pub,ak.name,ek.pub.pem,ek.pub,provision.json}} in {:.0f} ms\n",
             ecc ? "ECC P-256" : "RSA 2048", handle_hex(ek_handle), handle_hex(tpm::k_ak_handle), dir, ms);
  fmt::print("tpm provision: {}\n", ek_trust);
}

}  // namespace

void add_tpm_commands(CLI::App& app) {
  auto o = std::make_shared<Provision_options>();
  CLI::App* tpm_app = app.add_subcommand("tpm", "TPM provisioning for attestation");
  tpm_app->require_subcommand(1);
  CLI::App* p = tpm_app->add_subcommand("provision", "create and persist the EK and AK, prove they share one TPM");
  p->add_option("--tcti", o->tcti, "TPM2-TSS TCTI, e.g. swtpm:host=127.0.0.1,port=2321 or device:/dev/tpmrm0")
      ->required();
  p->add_option("-o,--output", o->out, "directory for the AK and EK public parts")->required();
  p->add_option("--ek", o->ek, "EK type: ecc (P-256, default) or rsa (2048)")->check(CLI::IsMember({"ecc", "rsa"}));
  p->add_option("--ek-ca", o->ek_ca,
                "PEM file of CA certificates: the TPM's EK certificate must be signed by one of them "
                "(default: trust the EK on first use)")
      ->check(bh::cli::input_file());
  p->add_flag("--force", o->force, "replace keys already at the handles");
  p->callback([o] {
    try {
      run_provision(*o);
    } catch (const Refused& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{1};
    } catch (const at::Input_error& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{2};
    } catch (const tpm::Unreachable_tpm& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{2};
    } catch (const tpm::Tpm_error& e) {
      fmt::print(stderr, "bulkhead: {}\n", e.what());
      throw Exit{1};
    }
  });
}

}  // namespace bh::cli
