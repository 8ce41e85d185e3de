// SPDX-License-Identifier: Apache-2.0
// The firmware's part of the evidence, against swtpm: its events in PCRs 0-7 are held to rules
// (separators well formed and one per PCR, the one boot application in PCR 4 is the manifest's
// boot stage), and its final PCR values to a record the administrator signed on a trusted first
// boot; without a record, or with a record deleted, cut, partial, edited or signed by another
// key, attestation fails unless recording is asked for.
#include <fstream>

#include "attest_fixture.hpp"

using namespace bh::attest_test;

namespace {

at::Manifest_event separator(uint32_t pcr, const Bytes& data) {
  at::Manifest_event e;
  e.pcr = pcr;
  e.type = 0x00000004;
  e.description = std::string(data.begin(), data.end());
  for (uint16_t b : {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512}) e.digests[b] = at::hash(b, data);
  return e;
}

// The firmware's events with f applied, then Bulkhead's: quoted and verified (recording asked for).
template <typename F>
bh::harness::Command_result boot_with_firmware(Rig& rig, F&& f) {
  std::vector<at::Manifest_event> events = rig.firmware;
  f(events);
  events.insert(events.end(), rig.manifest.events.begin(), rig.manifest.events.end());
  const std::string nonce = fresh_nonce();
  return rig.verify(rig.boot_and_quote_exactly(events, nonce), nonce);
}

}  // namespace

TEST_CASE("attest: firmware separators must be well formed, one per PCR 0-7", "[attestation][swtpm]") {
  Rig rig;
  SECTION("a good firmware log passes and is recorded") {
    auto r = boot_with_firmware(rig, [](auto&) {});
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("trust on first use") != std::string::npos);
  }
  SECTION("a separator with other data") {
    auto r = boot_with_firmware(rig, [](auto& e) { e[3] = separator(3, {0x02, 0, 0, 0}); });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.rfind(
              "mismatch: event #3 (PCR 3): malformed EV_SEPARATOR: data 02000000 (a separator is 4 bytes: "
              "00000000, or ffffffff from a BIOS)\n",
              0) == 0);
    CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
  }
  SECTION("a separator of 5 bytes") {
    auto r = boot_with_firmware(rig, [](auto& e) { e[0] = separator(0, {0, 0, 0, 0, 0}); });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: event #0 (PCR 0): malformed EV_SEPARATOR: data 0000000000") !=
          std::string::npos);
  }
  SECTION("a separator whose digest is not the hash of its data") {
    // The TPM extended what the log says; only the rule notices the data does not match.
    auto r = boot_with_firmware(rig, [](auto& e) { e[6].digests = separator(6, {1, 2, 3, 4}).digests; });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(
        r.output.find(
            "mismatch: event #6 (PCR 6): EV_SEPARATOR sha256 digest is not the hash of its data 00000000") !=
        std::string::npos);
  }
  SECTION("the firmware's error separator") {
    auto r = boot_with_firmware(rig, [](auto& e) { e[1] = separator(1, {1, 0, 0, 0}); });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: event #1 (PCR 1): EV_SEPARATOR 01000000: the firmware reports an error") !=
          std::string::npos);
  }
  SECTION("a BIOS's ffffffff separator is well formed") {
    auto r = boot_with_firmware(rig, [](auto& e) { e[2] = separator(2, {0xff, 0xff, 0xff, 0xff}); });
    INFO(r.output);
    CHECK(r.status == 0);
  }
  SECTION("a PCR without a separator, and one with two") {
    auto r = boot_with_firmware(rig, [](auto& e) { e[5] = separator(7, {0, 0, 0, 0}); });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(
              "mismatch: PCR 5: no EV_SEPARATOR (the end of the firmware's measurements is not in the "
              "log)\n") != std::string::npos);
    CHECK(r.output.find("mismatch: PCR 7: 2 EV_SEPARATOR events (one is expected)\n") != std::string::npos);
  }
}

TEST_CASE("attest: the boot application in PCR 4 must be the manifest's boot stage", "[attestation][swtpm]") {
  Rig rig;
  const Bytes other = fake_boot_stage("another boot loader");
  const auto other_app = firmware_events(other).back();
  SECTION("another boot application") {
    auto r = boot_with_firmware(rig, [&](auto& e) { e.back() = other_app; });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.rfind("mismatch: event #8 (PCR 4): boot application sha256 digest " +
                             at::to_hex(other_app.digests.at(at::k_sha256)) +
                             " is not the boot stage BOOTX64.EFI (" +
                             at::to_hex(rig.manifest.boot_stage.digests.at(at::k_sha256)) + ")\n",
                         0) == 0);
    CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
  }
  SECTION("a second boot application after the boot stage") {
    auto r = boot_with_firmware(rig, [&](auto& e) { e.push_back(other_app); });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: event #9 (PCR 4): a second boot application " +
                        at::to_hex(other_app.digests.at(at::k_sha256)) +
                        " (only the boot stage BOOTX64.EFI may run)") != std::string::npos);
  }
  SECTION("no boot application") {
    auto r = boot_with_firmware(rig, [&](auto& e) { e.pop_back(); });
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(
              "mismatch: PCR 4: no EV_EFI_BOOT_SERVICES_APPLICATION: the boot stage BOOTX64.EFI was not "
              "measured by the firmware") != std::string::npos);
  }
  SECTION("a manifest that names no boot stage accepts none") {
    const std::string bare = (rig.dir / "bare.json").string();
    REQUIRE(
        bulkhead({"manifest", "build", "--policy-image", rig.policy, "--image-dir", image_dir(), "-o", bare})
            .status == 0);
    const std::string nonce = fresh_nonce();
    const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
    auto r = rig.verify_with(
        bare, evidence, nonce, {},
        {"--record-firmware", (rig.dir / "fw.json").string(), "--admin-key", rig.admin_key.string()});
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("mismatch: event #8 (PCR 4): boot application " +
                        at::to_hex(rig.firmware.back().digests.at(at::k_sha256)) +
                        " started, but the manifest names no boot stage (manifest build --boot-stage)") !=
          std::string::npos);
  }
}

TEST_CASE(
    "attest: the firmware record is signed by the administrator; deleted, cut, partial or edited, it fails",
    "[attestation][swtpm]") {
  Rig rig;
  const std::string nonce = fresh_nonce();
  const std::string evidence = rig.boot_and_quote(rig.manifest.events, nonce);
  const std::string record = (rig.dir / "firmware.json").string();
  {
    // First boot: recording asked for, trust on first use says so; the record is signed.
    auto r = rig.verify(evidence, nonce);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("warning: firmware PCRs 0-7 are not recorded in the manifest: trust on first use") !=
          std::string::npos);
    CHECK(r.output.find("attest: trust on first use: firmware PCRs 0-7 of this boot recorded in " + record +
                        ", signed with " + rig.admin_key.string()) != std::string::npos);
  }
  const std::string recorded = rig.recorded_manifest(record);
  const std::string good = slurp(record);
  SECTION("the same boot verifies against the recorded manifest, without a warning") {
    auto r = rig.verify_with(recorded, evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("warning") == std::string::npos);
    CHECK(at::manifest_from_json(slurp(recorded), recorded).pcrs.at(at::k_sha256).at(4) ==
          at::replay(rig.firmware, {at::k_sha256}).at(at::k_sha256).at(4));
  }
  SECTION("another firmware fails on its PCR against the record") {
    std::vector<at::Manifest_event> boot = rig.firmware;
    at::Manifest_event post;
    post.pcr = 0;
    post.type = 0x00000001;  // EV_POST_CODE: firmware code that was not there on the recorded boot
    post.description = "POST CODE";
    for (uint16_t b : {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512})
      post.digests[b] = at::hash(b, Bytes{1});
    boot.insert(boot.begin(), post);
    boot.insert(boot.end(), rig.manifest.events.begin(), rig.manifest.events.end());
    bh::harness::Work_dir other_dir("attest-fw-other");
    Provisioned_tpm other(other_dir, "keys");
    Bytes log = simulate_boot(other.tpm->tcti(), boot);
    at::write_file((other_dir / "log.bin").string(), log);
    const std::string ev2 = (other_dir / "evidence.json").string();
    const std::string nonce2 = fresh_nonce();
    REQUIRE(bulkhead({"attest", "quote", "--tcti", other.tpm->tcti(), "--nonce", nonce2, "--log",
                      (other_dir / "log.bin").string(), "-o", ev2})
                .status == 0);
    auto r = rig.verify_with(recorded, ev2, nonce2, other.keys);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.rfind("mismatch: PCR 0 (sha256): expected " +
                             at::to_hex(at::replay(rig.firmware, {at::k_sha256}).at(at::k_sha256).at(0)),
                         0) == 0);
  }
  SECTION("a deleted record: the build's manifest without recording asked for fails") {
    std::filesystem::remove(record);
    auto r = rig.verify_with(rig.manifest_path, evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.rfind(
              "mismatch: firmware PCRs 0-7: the manifest has no firmware record, so nothing holds them "
              "(record a boot you trust with --record-firmware, then manifest build --firmware-pcrs)\n",
              0) == 0);
    CHECK(r.output.find("attestation: FAIL: 1 mismatch (") != std::string::npos);
  }
  auto build = [&](const std::string& text) {
    at::write_text(record, text);
    return bulkhead({"manifest", "build", "--policy-image", rig.policy, "--image-dir", image_dir(),
                     "--boot-stage", rig.boot_stage, "--firmware-pcrs", record, "--admin-public",
                     rig.admin_public.string(), "-o", (rig.dir / "refused.json").string()});
  };
  SECTION("a cut record") {
    auto r = build(good.substr(0, good.size() / 2));
    CHECK(r.status == 2);
    CHECK(r.output == "bulkhead: " + record + ": not valid JSON (a cut record?)\n");
    CHECK_FALSE(fs::exists(rig.dir / "refused.json"));
  }
  SECTION("an edited value") {
    nlohmann::json j = nlohmann::json::parse(good);
    std::string v = j["pcrs"]["sha256"]["4"];
    v[0] = v[0] == '0' ? '1' : '0';
    j["pcrs"]["sha256"]["4"] = v;
    auto r = build(j.dump(2));
    CHECK(r.status == 1);
    CHECK(r.output == "bulkhead: " + record + ": signature does not verify with the administrator key " +
                          rig.admin_public.string() + " (the record was edited, or signed by another key)\n");
    CHECK_FALSE(fs::exists(rig.dir / "refused.json"));
  }
  SECTION("a partial record (PCR 5 cut out, signature kept)") {
    nlohmann::json j = nlohmann::json::parse(good);
    j["pcrs"]["sha256"].erase("5");
    auto r = build(j.dump(2));
    CHECK(r.status == 1);
    CHECK(r.output == "bulkhead: " + record + ": PCR 5 (sha256) missing: the record is partial\n");
  }
  SECTION("an unsigned record (the old format: PCR values only)") {
    nlohmann::json j = nlohmann::json::parse(good);
    auto r = build(j["pcrs"].dump(2));
    CHECK(r.status == 1);
    CHECK(r.output.find("bulkhead: " + record + ": not a signed firmware record") == 0);
  }
  SECTION("a record signed by another key") {
    const fs::path other_key = rig.dir / "other.pem";
    REQUIRE(bulkhead({"disk", "admin-key", "-o", other_key.string(), "--public",
                      (rig.dir / "other.pub.pem").string()})
                .status == 0);
    REQUIRE(std::filesystem::remove(record));
    auto r = rig.verify_with(rig.manifest_path, evidence, nonce, {},
                             {"--record-firmware", record, "--admin-key", other_key.string()});
    REQUIRE(r.status == 0);
    auto b = build(slurp(record));
    CHECK(b.status == 1);
    CHECK(b.output.find("signature does not verify with the administrator key") != std::string::npos);
  }
  SECTION("a manifest whose record was cut after it was built") {
    nlohmann::json j = nlohmann::json::parse(slurp(recorded));
    j["pcrs"]["sha256"].erase("5");
    at::write_text(recorded, j.dump(2));
    auto r = rig.verify_with(recorded, evidence, nonce);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(
              "mismatch: firmware record: PCR 5 (sha256) is not in the manifest: the record is partial\n") !=
          std::string::npos);
  }
  SECTION(
      "recording without the administrator's key, and a record without its public key, are usage errors") {
    auto r = rig.verify_with(rig.manifest_path, evidence, nonce, {}, {"--record-firmware", record});
    CHECK(r.status == 2);
    CHECK(r.output ==
          "bulkhead: --record-firmware: needs --admin-key (the administrator's key signs the record)\n");
    auto b = bulkhead({"manifest", "build", "--policy-image", rig.policy, "--image-dir", image_dir(),
                       "--firmware-pcrs", record, "-o", (rig.dir / "refused.json").string()});
    CHECK(b.status == 2);
    CHECK(b.output == "bulkhead: --firmware-pcrs: needs --admin-public (the record is signed)\n");
  }
}
