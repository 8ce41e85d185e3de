// SPDX-License-Identifier: Apache-2.0
// End to end against swtpm: provision, a simulated measured boot, a quote with a fresh nonce,
// and `bulkhead attest verify` against the manifest the build produced. A good boot passes; each
// attack fails with its named mismatch; tpm2_checkquote and tpm2_eventlog accept our evidence.
#include <botan/auto_rng.h>

#include "attest_fixture.hpp"
#include "bh/attest/evidence.hpp"
#include "bh/attest/quote.hpp"
#include "bh/tpm/keys.hpp"

using namespace bh::attest_test;
namespace at = bh::attest;

namespace {

// Byte offset of Bulkhead's event `index` (counted after the firmware's) in a log (walks it with
// the core reader).
size_t event_offset(const Bytes& log, size_t index) {
  sk::event_log::Reader r;
  REQUIRE(r.open(log.data(), log.size()).ok());
  sk::event_log::Event e{};
  for (size_t i = 0; i < index + k_firmware_events; ++i) REQUIRE(r.next(e).ok());
  return r.offset();
}

}  // namespace

TEST_CASE("attest: a good boot verifies, and tpm2_checkquote and tpm2_eventlog agree", "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  auto r = rig.verify(evidence, nonce);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("attestation: PASS: quote signed by the AK, nonce fresh, 3 Bulkhead events") != std::string::npos);
  CHECK(r.output.find("mismatch") == std::string::npos);

  // The same with --json.
  auto j = rig.verify_with(rig.manifest_path, evidence, nonce, {},
                           {"--json", "--record-firmware", (rig.dir / "fw.json").string(), "--admin-key",
                            rig.admin_key.string()});
  REQUIRE(j.status == 0);
  CHECK(nlohmann::json::parse(j.output)["verdict"] == "pass");
  // A PEM AK says nothing of what the key may sign: refused before anything is checked.
  auto pem = bulkhead({"attest", "verify", "--evidence", evidence, "--manifest", rig.manifest_path, "--ak",
                       (rig.tpm.keys / "ak.pub.pem").string(), "--ek", (rig.tpm.keys / "ek.pub").string(), "--nonce",
                       nonce});
  CHECK(pem.status == 2);
  CHECK(pem.output == "bulkhead: " + (rig.tpm.keys / "ak.pub.pem").string() +
                          ": a PEM key carries no TPM attributes: give the key's TPM2B_PUBLIC (ak.pub or ek.pub from "
                          "bulkhead tpm provision)\n");

  // Interop: tpm2_checkquote on the raw attest bytes and signature, with the PCR values from
  // tpm2_pcrread (serialized form) and the event log, which it replays against them.
  at::Evidence e = at::evidence_from_json(slurp(evidence), evidence);
  at::write_file((rig.dir / "quote.msg").string(), e.attest);
  at::write_file((rig.dir / "quote.sig").string(), e.signature);
  const std::string env = "TSS2_LOG=all+none TPM2TOOLS_TCTI='" + rig.tpm.tpm->tcti() + "' ";
  auto pcrs =
      bh::harness::run_command({"sh", "-c",
                                env + "tpm2_pcrread -F serialized -o '" + (rig.dir / "pcrs.bin").string() +
                                    "' sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"},
                               Millis(30000));
  REQUIRE(pcrs.status == 0);
  auto check = bh::harness::run_command(
      {"tpm2_checkquote", "-u", (rig.tpm.keys / "ak.pub.pem").string(), "-m", (rig.dir / "quote.msg").string(), "-s",
       (rig.dir / "quote.sig").string(), "-f", (rig.dir / "pcrs.bin").string(), "-g", "sha256", "-q", nonce, "-e",
       (rig.dir / "eventlog.bin").string()},
      Millis(30000));
  INFO(check.output);
  CHECK(check.status == 0);
  // tpm2_checkquote refuses it with another nonce (so its acceptance above means something).
  auto wrong = bh::harness::run_command(
      {"tpm2_checkquote", "-u", (rig.tpm.keys / "ak.pub.pem").string(), "-m", (rig.dir / "quote.msg").string(), "-s",
       (rig.dir / "quote.sig").string(), "-f", (rig.dir / "pcrs.bin").string(), "-g", "sha256", "-q", fresh_nonce()},
      Millis(30000));
  CHECK(wrong.status != 0);

  // tpm2_eventlog reads the log the boot wrote and replays it to the values the TPM holds.
  auto log = bh::harness::run_command({"tpm2_eventlog", (rig.dir / "eventlog.bin").string()}, Millis(30000));
  INFO(log.output);
  REQUIRE(log.status == 0);
  CHECK(log.output.find("bulkhead partition open image open.elf") != std::string::npos);
  CHECK(log.output.find("9  : 0x" + at::to_hex(e.pcrs.at(at::k_sha256).at(9))) != std::string::npos);
}

TEST_CASE("attest: a changed partition image fails on its event and its own PCR 10", "[attestation][swtpm]") {
  Rig rig;
  Bytes image = at::read_file(image_dir() + "/open.elf", "image");
  image[image.size() / 2] ^= 0x01;
  at::Build_inputs in = at::load_inputs(rig.policy, image_dir(), "");
  in.partitions[1].bytes = image;  // the boot measured another open.elf
  const std::string nonce = fresh_nonce();
  auto r = rig.verify(rig.boot_and_quote(at::compute_manifest(in).events, nonce), nonce);
  INFO(r.output);
  CHECK(r.status == 1);
  const std::string want = at::to_hex(rig.manifest.events[2].digests.at(at::k_sha256));
  const std::string found = at::to_hex(at::hash(at::k_sha256, image));
  CHECK(r.output.find("mismatch: event #11 (PCR 10): sha256 digest expected " + want + " found " + found +
                      " (\"bulkhead partition open image open.elf\")") != std::string::npos);
  CHECK(r.output.find("mismatch: PCR 10 (sha256): expected " +
                      at::to_hex(rig.manifest.pcrs[at::k_sha256][10])) != std::string::npos);
  CHECK(r.output.find("PCR 8") == std::string::npos);  // the policy's structure is intact
  CHECK(r.output.find("PCR 9") == std::string::npos);  // and so is classified
  CHECK(r.output.find("attestation: FAIL") != std::string::npos);
}

TEST_CASE("attest: a changed policy fails on event 0 and PCR 8", "[attestation][swtpm]") {
  Rig rig;
  at::Build_inputs in = at::load_inputs(rig.policy, image_dir(), "");
  in.policy_measured_form.back() ^= 0x80;  // what PCR 8 measures
  const std::string nonce = fresh_nonce();
  auto r = rig.verify(rig.boot_and_quote(at::compute_manifest(in).events, nonce), nonce);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("mismatch: event #9 (PCR 8): sha256 digest expected " +
                      at::to_hex(rig.manifest.events[0].digests.at(at::k_sha256))) != std::string::npos);
  CHECK(r.output.find("mismatch: PCR 8 (sha256)") != std::string::npos);
  CHECK(r.output.find("PCR 9") == std::string::npos);
}

TEST_CASE("attest: an edited event log no longer matches the quote", "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  // The attacker makes the log say what the manifest expects for event 1 while the TPM measured
  // something else: here, the log's digest of event 1 is changed after the quote.
  rig.tamper(evidence, [](at::Evidence& e) {
    const size_t at = event_offset(e.event_log, 1);
    e.event_log[at + 12 + 2 + 20 + 2] ^= 0xFF;  // first byte of the sha256 digest (after sha1)
  });
  auto r = rig.verify(evidence, nonce);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("mismatch: PCR digest: the quote's ") != std::string::npos);
  CHECK(r.output.find("mismatch: event #10 (PCR 9): sha256 digest expected") != std::string::npos);
}

TEST_CASE("attest: a relabelled event type is caught although the quote does not bind it", "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  rig.tamper(evidence, [](at::Evidence& e) {
    const size_t at = event_offset(e.event_log, 1);
    e.event_log[at + 4] = uint8_t(sk::event_log::k_ev_action);  // EV_IPL -> EV_ACTION
  });
  auto r = rig.verify(evidence, nonce);
  INFO(r.output);
  CHECK(r.status == 1);
  // Exactly one mismatch: PCRs and the quote still agree, the manifest does not.
  CHECK(r.output.rfind("mismatch: event #10 (PCR 9): type expected EV_IPL found EV_ACTION\n", 0) == 0);
  CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
}

TEST_CASE("attest: a replayed nonce fails", "[attestation][swtpm]") {
  Rig rig;
  const std::string old_nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, old_nonce);
  const std::string nonce = fresh_nonce();
  auto r = rig.verify(evidence, nonce);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.rfind("mismatch: nonce: expected " + nonce + " found " + old_nonce + " (replayed or stale quote)\n",
                       0) == 0);
  CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
}

TEST_CASE("attest: a quote checked with another TPM's AK fails", "[attestation][swtpm]") {
  Rig rig;
  bh::harness::Work_dir other_dir("attest-other");
  Provisioned_tpm other(other_dir, "keys");
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  auto r = rig.verify(evidence, nonce, other.keys);
  INFO(r.output);
  CHECK(r.status == 1);
  // Its signature does not verify, and the quote names our AK, not theirs.
  CHECK(r.output.rfind("mismatch: quote signature: does not verify with the AK", 0) == 0);
  CHECK(r.output.find("mismatch: quote signer: the quote names ") != std::string::npos);
  CHECK(r.output.find("attestation: FAIL: 2 mismatches (") != std::string::npos);
}

TEST_CASE("attest: truncated or garbled quotes and logs fail with their named check", "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  const std::string good = slurp(evidence);
  SECTION("truncated quote") {
    rig.tamper(evidence, [](at::Evidence& e) { e.attest.resize(e.attest.size() - 7); });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: quote signature: does not verify with the AK") != std::string::npos);
    CHECK(r.output.find("mismatch: quote: not a well-formed TPMS_ATTEST (truncated or garbled") != std::string::npos);
  }
  SECTION("garbled magic") {
    rig.tamper(evidence, [](at::Evidence& e) { e.attest[0] ^= 0x10; });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: quote magic: expected ff544347 (TPM_GENERATED) found ef544347") !=
          std::string::npos);
  }
  SECTION("garbled signature") {
    rig.tamper(evidence, [](at::Evidence& e) { e.signature.resize(5); });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: quote signature: not a well-formed TPMT_SIGNATURE") != std::string::npos);
  }
  SECTION("truncated log") {
    rig.tamper(evidence, [](at::Evidence& e) { e.event_log.resize(e.event_log.size() - 10); });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: event log: event #11 (byte ") != std::string::npos);
    CHECK(
        r.output.find("mismatch: event missing: PCR 10 EV_IPL \"bulkhead partition open image open.elf\"") !=
        std::string::npos);
    CHECK(r.output.find("mismatch: PCR digest") != std::string::npos);
  }
  SECTION("an extra event appended after the quote") {
    rig.tamper(evidence, [](at::Evidence& e) {
      const size_t first = event_offset(e.event_log, 0);
      const size_t second = event_offset(e.event_log, 1);
      e.event_log.insert(e.event_log.end(), e.event_log.begin() + long(first), e.event_log.begin() + long(second));
    });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: event #12 (PCR 8): unexpected EV_IPL \"bulkhead policy image\" not in the manifest") !=
          std::string::npos);
  }
  SECTION("unreadable evidence is one line and exit 2") {
    at::write_text(evidence, good.substr(0, good.size() / 2));
    auto r = rig.verify(evidence, nonce);
    CHECK(r.status == 2);
    CHECK(r.output == "bulkhead: " + evidence + ": not valid JSON\n");
  }
}

TEST_CASE("tpm provision: a second run without --force is refused and leaves the AK; a bad TCTI exits 2",
          "[attestation][swtpm]") {
  bh::harness::Work_dir dir("tpm-provision-twice");
  Provisioned_tpm first(dir, "keys");
  const std::string ak = slurp(first.keys / "ak.pub.pem");
  REQUIRE_FALSE(ak.empty());
  auto again = bulkhead({"tpm", "provision", "--tcti", first.tpm->tcti(), "--out", first.keys.string()});
  INFO(again.output);
  CHECK(again.status == 1);
  CHECK(again.output.find("already provisioned") != std::string::npos);
  CHECK(slurp(first.keys / "ak.pub.pem") == ak);  // nothing replaced on disk
  // The TPM still holds the same AK: evidence quoted now verifies with the first AK's file.
  auto forced = bulkhead({"tpm", "provision", "--tcti", first.tpm->tcti(), "--out", (dir / "forced").string(),
                          "--force"});
  CHECK(forced.status == 0);
  CHECK(slurp(dir / "forced" / "ak.pub.pem") != ak);  // --force makes a new AK

  auto bad = bulkhead({"tpm", "provision", "--tcti", "swtpm:host=127.0.0.1,port=1", "--out", (dir / "bad").string()});
  CHECK(bad.status == 2);
  CHECK(bad.output.find("cannot reach the TPM") != std::string::npos);
  CHECK(std::count(bad.output.begin(), bad.output.end(), '\n') == 1);  // one line, not TSS2's log
}

// Every allocated bank is quoted: the TPM empties the selection of a bank it has not allocated,
// so a quote that asks for all four shows which exist; each must be quoted and in the log.
TEST_CASE("attest: with sha1 and sha256 allocated, both banks are quoted and held to the log", "[attestation][swtpm]") {
  Rig rig("sha1,sha256");
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  const std::string good = slurp(evidence);
  {
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 0);
    const auto selections = at::parse_quote(at::evidence_from_json(good, evidence).attest).selections;
    REQUIRE(selections.size() == 4);
    CHECK(selections[0].pcrs.size() == 16);  // sha1, PCRs 0-15
    CHECK(selections[1].pcrs.size() == 16);  // sha256
    CHECK(selections[2].pcrs.empty());       // sha384: not allocated
  }
  SECTION("an edited sha1 digest no longer matches the quote") {
    rig.tamper(evidence, [](at::Evidence& e) {
      const size_t at = event_offset(e.event_log, 1);
      e.event_log[at + 12 + 2] ^= 0xFF;  // first byte of the sha1 digest
    });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: PCR digest: the quote's ") != std::string::npos);
    CHECK(r.output.find("mismatch: event #10 (PCR 9): sha1 digest expected") != std::string::npos);
  }
  SECTION("a quote that leaves out the sha1 bank is refused") {
    bh::tpm::Context c(rig.tpm.tpm->tcti());
    bh::tpm::Key ak = bh::tpm::open_persistent(c, bh::tpm::k_ak_handle);
    const Bytes n = at::from_hex(nonce, "nonce");
    auto q = bh::tpm::quote(c, ak, n, {TPM2_ALG_SHA256}, rig.manifest.quote_pcrs);
    rig.tamper(evidence, [&](at::Evidence& e) {
      e.attest = q.attest;
      e.signature = q.signature;
    });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: PCR selection: the quote leaves out sha1, sha384, sha512 (") != std::string::npos);
    CHECK(r.output.find("mismatch: PCR bank sha1: in the event log but not quoted (left out of the quote): its "
                        "digests are attested by nothing") != std::string::npos);
    CHECK(r.output.find("PCR digest") == std::string::npos);  // the sha256 bank itself is right
  }
  SECTION("a log without the allocated sha1 bank is refused") {
    // Firmware that logs sha256 alone while the TPM also has sha1: nobody measures into sha1, so
    // its PCRs could be set to anything.
    std::vector<at::Manifest_event> all = rig.firmware;
    all.insert(all.end(), rig.manifest.events.begin(), rig.manifest.events.end());
    rig.tamper(evidence, [&](at::Evidence& e) { e.event_log = write_log({at::k_sha256}, all); });
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: PCR bank sha1: allocated and quoted, but the event log has no sha1 digests") !=
          std::string::npos);
  }
}

// What a tester re-checks by hand (docs/attestation.md, "Re-checking by hand"): --keep writes the
// verified evidence as tpm2-tools read it; tpm2_checkquote accepts the quote's signature and nonce
// and refuses an edited quote or another nonce; tpm2_eventlog replays the kept log, in both
// allocated banks, to the values in pcrs.bin and the manifest.
TEST_CASE("attest: --keep writes what tpm2_checkquote and tpm2_eventlog re-check by hand", "[attestation][swtpm]") {
  Rig rig("sha1,sha256");
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  const fs::path kept = rig.dir / "kept";
  auto r = rig.verify_with(rig.manifest_path, evidence, nonce, {},
                           {"--keep", kept.string(), "--record-firmware", (rig.dir / "fw.json").string(),
                            "--admin-key", rig.admin_key.string()});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("attest: evidence kept in " + kept.string()) != std::string::npos);
  auto line = [](const fs::path& p) {
    std::string s = slurp(p);
    return s.substr(0, s.find('\n'));
  };
  CHECK(line(kept / "pcr-list") ==
        "sha1:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15+sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15");
  CHECK(line(kept / "nonce") == nonce);
  auto checkquote = [&](const std::string& q) {
    return bh::harness::run_command({"tpm2_checkquote", "-u", (kept / "ak.pub.pem").string(), "-m",
                                     (kept / "quote.msg").string(), "-s", (kept / "quote.sig").string(), "-g",
                                     "sha256", "-q", q},
                                    Millis(30000));
  };
  {
    auto c = checkquote(line(kept / "nonce"));
    INFO(c.output);
    CHECK(c.status == 0);
    CHECK(checkquote(fresh_nonce()).status != 0);
    const Bytes quote = at::read_file((kept / "quote.msg").string(), "quote");
    Bytes edited = quote;
    edited.back() ^= 0x01;  // the PCR digest's last byte
    at::write_file((kept / "quote.msg").string(), edited);
    CHECK(checkquote(line(kept / "nonce")).status != 0);
    at::write_file((kept / "quote.msg").string(), quote);
  }
  auto events = bh::harness::run_command({"tpm2_eventlog", (kept / "eventlog.bin").string()}, Millis(30000));
  INFO(events.output);
  CHECK(events.status == 0);
  // pcrs.bin: sha1 PCRs 0-15 (20 bytes each), then sha256 PCRs 0-15 (32 bytes each).
  const Bytes pcrs = at::read_file((kept / "pcrs.bin").string(), "pcrs");
  REQUIRE(pcrs.size() == 16 * 20 + 16 * 32);
  const Bytes sha1_9(pcrs.begin() + 9 * 20, pcrs.begin() + 10 * 20);
  const Bytes sha256_9(pcrs.begin() + 16 * 20 + 9 * 32, pcrs.begin() + 16 * 20 + 10 * 32);
  CHECK(sha1_9 == rig.manifest.pcrs.at(at::k_sha1).at(9));
  CHECK(sha256_9 == rig.manifest.pcrs.at(at::k_sha256).at(9));
  for (const Bytes& v : {sha1_9, sha256_9}) CHECK(events.output.find("9  : 0x" + at::to_hex(v)) != std::string::npos);
}
