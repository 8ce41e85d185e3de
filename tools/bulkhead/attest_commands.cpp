// SPDX-License-Identifier: Apache-2.0
// `bulkhead attest verify` checks saved evidence against a reference manifest with the AK's
// public key; `bulkhead attest quote` collects evidence from a TPM the host can reach (what the
// agent partition does on a running system).
#include <botan/auto_rng.h>
#include <botan/pk_keys.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <sstream>

#include "bh/cli/input_file.hpp"
#include "bh/attest/agent.hpp"
#include "bh/attest/evidence.hpp"
#include "bh/attest/firmware_record.hpp"
#include "bh/attest/quote.hpp"
#include "bh/storage/luks_disk.hpp"
#include "bh/storage/passphrase.hpp"
#include "bh/storage/policy_digest.hpp"
#include "bh/tpm/keys.hpp"
#include "commands.hpp"

namespace bh::cli {

namespace {

namespace at = bh::attest;

struct Verify_options {
  std::string evidence, manifest, ak, ek, nonce, record_firmware, admin_key, key_passphrase_file, keep;
  bool json = false;
};

std::string text_of(const std::string& path, const std::string& what) {
  at::Bytes b = at::read_file(path, what);
  return {b.begin(), b.end()};
}

struct Connect_options {
  std::string agent, out;
  unsigned timeout_s = 60;
};

int verify_evidence(const at::Evidence& ev, const at::Bytes& nonce, const Verify_options& o);

// --record-firmware signs what it records: the administrator's key is needed before anything runs.
void check_record_options(const Verify_options& o) {
  if (!o.record_firmware.empty() && o.admin_key.empty()) {
    throw at::Input_error("--record-firmware: needs --admin-key (the administrator's key signs the record)");
  }
}

int run_verify(const Verify_options& o) {
  check_record_options(o);
  const at::Bytes nonce = at::from_hex(o.nonce, "--nonce");
  if (nonce.empty()) throw at::Input_error("--nonce: empty");
  const at::Evidence ev = at::evidence_from_json(text_of(o.evidence, "the evidence"), o.evidence);
  return verify_evidence(ev, nonce, o);
}

// Asks a running system's agent for evidence over a fresh (or given) nonce, optionally saves it,
// and verifies it exactly as `attest verify` does.
int run_connect(const Connect_options& c, const Verify_options& o) {
  check_record_options(o);
  at::Bytes nonce;
  if (o.nonce.empty()) {
    nonce.resize(32);
    Botan::AutoSeeded_RNG rng;
    rng.randomize(nonce.data(), nonce.size());
  } else {
    nonce = at::from_hex(o.nonce, "--nonce");
    if (nonce.empty() || nonce.size() > 64) throw at::Input_error("--nonce: 1 to 64 bytes of hex");
  }
  const std::string answer = at::ask_agent(c.agent, nonce, std::chrono::seconds(c.timeout_s));
  const at::Evidence ev = at::evidence_from_agent(answer, nonce);
  if (!c.out.empty()) at::write_text(c.out, at::evidence_to_json(ev));
  return verify_evidence(ev, nonce, o);
}

// Writes what was verified in the forms tpm2-tools read (docs/attestation.md, "Re-checking by
// hand"): quote.msg and quote.sig (tpm2_checkquote -m, -s), eventlog.bin (-e, tpm2_eventlog),
// pcrs.bin (-f: the log's replayed values of the quote's selection, concatenated in its order) and
// pcr-list (-l), nonce (-q), ak.pub.pem (-u), and the evidence JSON.
void keep_evidence(const std::string& dir, const at::Evidence& ev, const at::Bytes& nonce,
                   const at::Attestation_key& ak, const at::Verdict& v) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir)) throw at::Input_error(dir + ": cannot create the evidence directory");
  const std::string d = dir + "/";
  at::write_text(d + "evidence.json", at::evidence_to_json(ev));
  at::write_file(d + "quote.msg", ev.attest);
  at::write_file(d + "quote.sig", ev.signature);
  at::write_file(d + "eventlog.bin", ev.event_log);
  at::write_text(d + "nonce", at::to_hex(nonce) + "\n");
  at::write_text(d + "ak.pub.pem", at::public_key_pem(*ak.key));
  std::string list;
  at::Bytes values;
  try {
    for (const auto& sel : at::parse_quote(ev.attest).selections) {
      if (sel.pcrs.empty()) continue;
      list += (list.empty() ? "" : "+") + std::string(at::bank_name(sel.bank)) + ":";
      for (size_t i = 0; i < sel.pcrs.size(); ++i) {
        list += (i ? "," : "") + std::to_string(sel.pcrs[i]);
        const auto bank = v.replayed.find(sel.bank);
        at::Bytes value(at::bank_size(sel.bank), 0);
        if (bank != v.replayed.end() && bank->second.count(sel.pcrs[i])) value = bank->second.at(sel.pcrs[i]);
        values.insert(values.end(), value.begin(), value.end());
      }
    }
  } catch (const at::Input_error&) {
    // A malformed quote: the verdict names it; there is no selection to write.
  }
  at::write_text(d + "pcr-list", list + "\n");
  at::write_file(d + "pcrs.bin", values);
}

int verify_evidence(const at::Evidence& ev, const at::Bytes& nonce, const Verify_options& o) {
  const at::Manifest m = at::manifest_from_json(text_of(o.manifest, "the manifest"), o.manifest);
  const at::Attestation_key ak =
      at::load_attestation_key(at::read_file(o.ak, "the AK"), o.ak, at::read_file(o.ek, "the EK"), o.ek);
  at::Verify_options options;
  options.recording_firmware = !o.record_firmware.empty();
  const at::Verdict v = at::verify(ev, m, ak, nonce, options);
  std::string recorded;
  if (v.ok() && !o.record_firmware.empty()) {
    // Trust on first use, asked for: this boot's firmware PCRs, every bank of the log, signed by
    // the administrator so that the record cannot be edited where it is kept.
    at::Pcr_bank_values firmware;
    for (const auto& [bank, values] : v.replayed) {
      for (const auto& [pcr, value] : values) {
        if (pcr < at::k_firmware_pcr_count) firmware[bank][pcr] = value;
      }
    }
    bh::storage::Key_passphrase passphrase;
    if (!o.key_passphrase_file.empty() || bh::storage::stdin_is_terminal()) {
      const std::string file = o.key_passphrase_file.empty() ? "-" : o.key_passphrase_file;
      passphrase = [file] {
        return bh::storage::read_passphrase_option("--key-passphrase-file", file,
                                                   "Passphrase of the administrator key: ", false)
            .text;
      };
    }
    const at::Bytes signature =
        bh::storage::sign_with_admin_key(o.admin_key, at::firmware_record_message(firmware), passphrase);
    at::write_text(o.record_firmware, at::firmware_record_to_json(firmware, signature));
    recorded = "attest: trust on first use: firmware PCRs 0-7 of this boot recorded in " + o.record_firmware +
               ", signed with " + o.admin_key;
  }
  if (o.json) {
    fmt::print("{}\n", v.to_json());
  } else {
    for (const auto& mm : v.mismatches) fmt::print("mismatch: {}\n", mm.message);
    for (const auto& w : v.warnings) fmt::print("warning: {}\n", w);
    fmt::print("{}\n", v.verdict_line());
  }
  if (!recorded.empty() && !o.json) fmt::print(stderr, "{}\n", recorded);
  if (!o.keep.empty()) {
    keep_evidence(o.keep, ev, nonce, ak, v);
    if (!o.json) fmt::print(stderr, "attest: evidence kept in {} (tpm2_checkquote and tpm2_eventlog re-check it)\n", o.keep);
  }
  return v.ok() ? 0 : 1;
}

struct Quote_options {
  std::string tcti, nonce, log, out;
  std::vector<uint32_t> pcrs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  uint32_t ak_handle = bh::tpm::k_ak_handle;
};

void run_quote(const Quote_options& o) {
  const at::Bytes nonce = at::from_hex(o.nonce, "--nonce");
  at::Evidence ev;
  ev.nonce = nonce;
  ev.event_log = at::read_file(o.log, "the event log");
  bh::tpm::Context c(o.tcti);
  bh::tpm::Key ak = bh::tpm::open_persistent(c, o.ak_handle);
  // Every bank Bulkhead knows, as the kernel asks: the TPM empties those it has not allocated.
  auto q = bh::tpm::quote(c, ak, nonce, bh::tpm::k_quote_banks, o.pcrs);
  ev.attest = q.attest;
  ev.signature = q.signature;
  for (TPM2_ALG_ID bank : bh::tpm::allocated_banks(c)) {
    if (at::bank_size(bank) == 0) continue;
    auto values = bh::tpm::pcr_read(c, bank, o.pcrs);
    for (size_t i = 0; i < values.pcrs.size(); ++i) ev.pcrs[bank][values.pcrs[i]] = values.values[i];
  }
  at::write_text(o.out, at::evidence_to_json(ev));
  fmt::print("attest quote: quoted {} PCRs with the AK at 0x{:08x}; wrote {}\n", o.pcrs.size(), o.ak_handle, o.out);
}

template <typename F>
void one_line_errors(F&& f) {
  try {
    f();
  } catch (const at::Input_error& e) {
    fmt::print(stderr, "bulkhead: {}\n", e.what());
    throw Exit{2};
  } catch (const bh::tpm::Unreachable_tpm& e) {
    fmt::print(stderr, "bulkhead: {}\n", e.what());
    throw Exit{2};
  } catch (const bh::tpm::Tpm_error& e) {
    fmt::print(stderr, "bulkhead: {}\n", e.what());
    throw Exit{1};
  } catch (const bh::storage::Input_error& e) {
    fmt::print(stderr, "bulkhead: {}\n", e.what());
    throw Exit{2};
  } catch (const bh::storage::Storage_error& e) {
    fmt::print(stderr, "bulkhead: {}\n", e.what());
    throw Exit{1};
  }
}

}  // namespace

void add_attest_commands(CLI::App& app) {
  CLI::App* a = app.add_subcommand("attest", "remote attestation: collect and verify evidence");
  a->require_subcommand(1);

  auto v = std::make_shared<Verify_options>();
  CLI::App* verify = a->add_subcommand("verify", "check evidence against the reference manifest");
  verify->add_option("--evidence", v->evidence, "evidence JSON (docs/attestation.md)")->required()->check(bh::cli::input_file());
  verify->add_option("--manifest", v->manifest, "reference manifest JSON (bulkhead manifest build)")->required()->check(bh::cli::input_file());
  verify->add_option("--ak", v->ak, "the AK's TPM2B_PUBLIC (ak.pub from bulkhead tpm provision)")->required()->check(bh::cli::input_file());
  verify->add_option("--ek", v->ek, "the EK's TPM2B_PUBLIC (ek.pub from bulkhead tpm provision)")->required()->check(bh::cli::input_file());
  verify->add_option("--nonce", v->nonce, "the nonce this verifier gave the agent (hex)")->required();
  verify->add_option("--admin-key", v->admin_key,
                     "administrator private key (disk admin-key) that signs the --record-firmware record")
      ->check(bh::cli::input_file());
  verify->add_option("--key-passphrase-file", v->key_passphrase_file,
                     "passphrase of an encrypted administrator key: a file or - (asked on a terminal if left out)")
      ->check(bh::cli::passphrase_input());
  verify->add_option("--record-firmware", v->record_firmware,
                     "trust on first use: on success, record this boot's firmware PCRs 0-7 here, signed (--admin-key)");
  verify->add_option("--keep", v->keep,
                     "write what was verified here, as tpm2_checkquote and tpm2_eventlog read it (quote.msg, quote.sig, "
                     "pcrs.bin, pcr-list, nonce, eventlog.bin, ak.pub.pem, evidence.json)");
  verify->add_flag("--json", v->json, "print the verdict as JSON");
  verify->callback([v] {
    int code = 0;
    one_line_errors([&] { code = run_verify(*v); });
    if (code != 0) throw Exit{code};
  });

  auto cv = std::make_shared<Verify_options>();
  auto co = std::make_shared<Connect_options>();
  CLI::App* connect = a->add_subcommand("connect", "ask a running system's agent for evidence and verify it");
  connect->add_option("--agent", co->agent, "the agent's serial line: unix:PATH (QEMU -chardev socket)")->required();
  connect->add_option("--manifest", cv->manifest, "reference manifest JSON (bulkhead manifest build)")->required()->check(bh::cli::input_file());
  connect->add_option("--ak", cv->ak, "the AK's TPM2B_PUBLIC (ak.pub from bulkhead tpm provision)")->required()->check(bh::cli::input_file());
  connect->add_option("--ek", cv->ek, "the EK's TPM2B_PUBLIC (ek.pub from bulkhead tpm provision)")->required()->check(bh::cli::input_file());
  connect->add_option("--nonce", cv->nonce, "nonce to send (hex, 1..64 bytes; default: 32 random bytes)");
  connect->add_option("-o,--output", co->out, "also save the evidence JSON here");
  connect->add_option("--timeout", co->timeout_s, "seconds to wait for the agent's answer (default 60)");
  connect->add_option("--admin-key", cv->admin_key,
                     "administrator private key (disk admin-key) that signs the --record-firmware record")
      ->check(bh::cli::input_file());
  connect->add_option("--key-passphrase-file", cv->key_passphrase_file,
                     "passphrase of an encrypted administrator key: a file or - (asked on a terminal if left out)")
      ->check(bh::cli::passphrase_input());
  connect->add_option("--record-firmware", cv->record_firmware,
                      "trust on first use: on success, record this boot's firmware PCRs 0-7 here, signed (--admin-key)");
  connect->add_option("--keep", cv->keep,
                     "write what was verified here, as tpm2_checkquote and tpm2_eventlog read it (quote.msg, quote.sig, "
                     "pcrs.bin, pcr-list, nonce, eventlog.bin, ak.pub.pem, evidence.json)");
  connect->add_flag("--json", cv->json, "print the verdict as JSON");
  connect->callback([cv, co] {
    int code = 0;
    one_line_errors([&] { code = run_connect(*co, *cv); });
    if (code != 0) throw Exit{code};
  });

  auto q = std::make_shared<Quote_options>();
  CLI::App* quote = a->add_subcommand("quote", "quote PCRs with the provisioned AK and write evidence");
  quote->add_option("--tcti", q->tcti, "TPM2-TSS TCTI")->required();
  quote->add_option("--nonce", q->nonce, "verifier's nonce (hex)")->required();
  quote->add_option("--log", q->log, "event log to include (binary)")->required()->check(bh::cli::input_file());
  quote->add_option("--pcrs", q->pcrs, "PCRs to quote in every bank (default 0-15)")->delimiter(',');
  quote->add_option("--ak-handle", q->ak_handle, "persistent AK handle (default 0x81010020)");
  quote->add_option("-o,--output", q->out, "evidence JSON to write")->required();
  quote->callback([q] { one_line_errors([&] { run_quote(*q); }); });
}

}  // namespace bh::cli
