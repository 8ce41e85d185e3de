// SPDX-License-Identifier: Apache-2.0
// Benchmark (not a test): provisions a fresh swtpm, simulates a measured boot of the default
// policy, quotes, then times in one run: the in-process verifier, `bulkhead attest verify`
// (a process per call, like tpm2_checkquote) and `tpm2_checkquote` on the same evidence.
// Usage: bh_attest_bench BULKHEAD_BIN SOURCE_DIR [iterations]
#include <botan/pk_keys.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "bh/attest/evidence.hpp"
#include "bh/attest/quote.hpp"
#include "bh/harness.hpp"
#include "bh/tpm/keys.hpp"
#include "sk/event_log.hpp"

namespace at = bh::attest;
using Clock = std::chrono::steady_clock;
using bh::harness::Millis;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void must(const bh::harness::Command_result& r, const char* what) {
  if (r.status != 0) throw std::runtime_error(std::string(what) + " failed: " + r.output);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BULKHEAD_BIN SOURCE_DIR [iterations]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1], src = argv[2];
  const int n = argc > 3 ? std::stoi(argv[3]) : 200;
  bh::harness::Work_dir dir("attest-bench");
  auto tpm = bh::harness::Swtpm::start_socket(dir);
  const std::string keys = (dir / "keys").string();
  auto t0 = Clock::now();
  must(bh::harness::run_command({bin, "tpm", "provision", "--tcti", tpm->tcti(), "--out", keys}, Millis(60000)),
       "provision");
  const double provision_s = seconds_since(t0);
  const std::string images = src + "/tests/policy/fixtures/images";
  const std::string policy = (dir / "policy.img").string(), manifest = (dir / "m.json").string();
  must(bh::harness::run_command({bin, "policy", "compile", src + "/policies/default.toml", "--image-dir", images, "-o",
                                 policy},
                                Millis(60000)),
       "policy compile");
  must(bh::harness::run_command(
           {bin, "manifest", "build", "--policy-image", policy, "--image-dir", images, "-o", manifest}, Millis(60000)),
       "manifest build");
  const at::Manifest m = at::manifest_from_json(
      [&] { auto b = at::read_file(manifest, "manifest"); return std::string(b.begin(), b.end()); }(), manifest);

  // The boot stage, from the host: extend and log every manifest event in every allocated bank.
  at::Evidence ev;
  const at::Bytes nonce = {0xb1, 0x0c, 0x4e, 0xad, 0x00, 0x01, 0x02, 0x03};
  {
    bh::tpm::Context c(tpm->tcti());
    auto banks = bh::tpm::allocated_banks(c);
    at::Bytes log(1 << 16);
    sk::event_log::Writer w(log.data(), log.size());
    std::vector<uint16_t> algs(banks.begin(), banks.end());
    if (!w.begin(algs.data(), uint32_t(algs.size())).ok()) throw std::runtime_error("log header");
    for (const auto& e : m.events) {
      std::vector<at::Bytes> d;
      std::vector<sk::event_log::Digest> refs;
      for (auto b : banks) d.push_back(e.digests.at(b));
      for (size_t i = 0; i < banks.size(); ++i) refs.push_back({banks[i], d[i].data()});
      bh::tpm::pcr_extend(c, e.pcr, banks, d);
      if (!w.append(e.pcr, e.type, refs.data(), uint32_t(refs.size()), e.description.data(),
                    uint32_t(e.description.size()))
               .ok()) {
        throw std::runtime_error("log append");
      }
    }
    log.resize(w.size());
    ev.event_log = log;
    ev.nonce = nonce;
    auto ak = bh::tpm::open_persistent(c, bh::tpm::k_ak_handle);
    auto q = bh::tpm::quote(c, ak, nonce, bh::tpm::k_quote_banks, m.quote_pcrs);
    ev.attest = q.attest;
    ev.signature = q.signature;
    const int quotes = 50;
    t0 = Clock::now();
    for (int i = 0; i < quotes; ++i) (void)bh::tpm::quote(c, ak, nonce, bh::tpm::k_quote_banks, m.quote_pcrs);
    std::printf("swtpm quote (ECDSA P-256, PCRs 0-9):   %8.2f ms each\n", 1000 * seconds_since(t0) / quotes);
  }
  const std::string evidence = (dir / "evidence.json").string();
  at::write_text(evidence, at::evidence_to_json(ev));
  at::write_file((dir / "q.msg").string(), ev.attest);
  at::write_file((dir / "q.sig").string(), ev.signature);
  const std::string pcrs = (dir / "pcrs.bin").string();
  must(bh::harness::run_command({"sh", "-c", "TSS2_LOG=all+none TPM2TOOLS_TCTI='" + tpm->tcti() +
                                                 "' tpm2_pcrread -F serialized -o '" + pcrs +
                                                 "' sha256:0,1,2,3,4,5,6,7,8,9 >/dev/null"},
                                Millis(30000)),
       "tpm2_pcrread");

  const at::Attestation_key ak = at::load_attestation_key(at::read_file(keys + "/ak.pub", "ak"), "ak",
                                                          at::read_file(keys + "/ek.pub", "ek"), "ek");
  const int inproc = n * 20;
  t0 = Clock::now();
  for (int i = 0; i < inproc; ++i) {
    if (!at::verify(ev, m, ak, nonce).ok()) throw std::runtime_error("in-process verification failed");
  }
  const double inproc_s = seconds_since(t0) / inproc;
  const std::string hex_nonce = at::to_hex(nonce);
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    must(bh::harness::run_command({bin, "attest", "verify", "--evidence", evidence, "--manifest", manifest, "--ak",
                                   keys + "/ak.pub", "--ek", keys + "/ek.pub", "--nonce", hex_nonce},
                                  Millis(30000)),
         "bulkhead attest verify");
  }
  const double cli_s = seconds_since(t0) / n;
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    must(bh::harness::run_command({"tpm2_checkquote", "-u", keys + "/ak.pub.pem", "-m", (dir / "q.msg").string(), "-s",
                                   (dir / "q.sig").string(), "-f", pcrs, "-g", "sha256", "-q", hex_nonce},
                                  Millis(30000)),
         "tpm2_checkquote");
  }
  const double checkquote_s = seconds_since(t0) / n;
  std::printf("tpm provision (EK + AK + activation): %8.1f ms (one process)\n", provision_s * 1000);
  std::printf("verify in-process (quote + log + manifest): %8.3f ms each, %.0f per second\n", inproc_s * 1000,
              1 / inproc_s);
  std::printf("bulkhead attest verify (process):     %8.2f ms each\n", cli_s * 1000);
  std::printf("tpm2_checkquote (process):            %8.2f ms each\n", checkquote_s * 1000);
  std::printf("ratio bulkhead attest verify / tpm2_checkquote: %.2f\n", cli_s / checkquote_s);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bh_attest_bench: %s\n", e.what());
  return 1;
}
