// SPDX-License-Identifier: Apache-2.0
// Sealing against swtpm: a disk sealed to manifest A opens only when the TPM's PCRs are A's,
// re-sealing moves it to B, PolicyAuthorize lets a newly signed policy open it without
// touching the disk, another TPM or a forged approval is refused, and the recovery passphrase
// still opens it when the TPM is gone. Every refusal is one line and leaves the disk unchanged.
#include <botan/base64.h>
#include <botan/hash.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>

#include "bh/storage/disk.hpp"
#include "swtpm_fixture.hpp"

using namespace bh::storage;
using namespace bh::storage::test;

namespace {

// One build's measurements: events per PCR, as the boot stage would extend them.
struct Build {
  std::map<uint32_t, std::vector<Digest>> events;
  // The value of PCR `pcr` after the boot (its events replayed from zero).
  Digest value(uint32_t pcr) const {
    Digest value{};
    for (const auto& e : events.at(pcr)) {
      auto h = Botan::HashFunction::create_or_throw("SHA-256");
      h->update(value.data(), 32);
      h->update(e.data(), 32);
      h->final(value.data());
    }
    return value;
  }
  // As a failed unseal shows it: the first 12 hex digits.
  std::string shown(uint32_t pcr) const { return hex(value(pcr)).substr(0, 12) + "..."; }
  // Writes the reference manifest (expected values predicted by replaying the events).
  std::string write_manifest(const Scratch_dir& dir, const std::string& name,
                             const std::vector<uint32_t>& disk_pcrs = {8, 9}) const {
    nlohmann::json bank = nlohmann::json::object();
    for (const auto& [pcr, list] : events) bank[std::to_string(pcr)] = hex(value(pcr));
    nlohmann::json m = {{"pcrs", {{"sha256", bank}}},
                        {"partitions", {{"classified", {{"disk_pcrs", disk_pcrs}}}}}};
    write_file(dir.file(name), m.dump(2));
    return dir.file(name);
  }
  // Boots it: extends every event into the TPM's PCRs.
  void boot(Swtpm& tpm) const {
    tpm.reboot();
    for (const auto& [pcr, list] : events) {
      for (const auto& e : list) {
        auto r = run("TSS2_LOG=all+none TPM2TOOLS_TCTI='" + tpm.tcti() + "' tpm2_pcrextend " +
                     std::to_string(pcr) + ":sha256=" + hex(e));
        REQUIRE(r.status == 0);
      }
    }
  }
};

const Build k_build_a{{{8, {sha256("policy v1")}}, {9, {sha256("classified image v1")}}}};
const Build k_build_b{{{8, {sha256("policy v1")}}, {9, {sha256("classified image v2")}}}};
const Build k_build_c{{{8, {sha256("policy v2")}}, {9, {sha256("classified image v3")}}}};
// The measured chain (UEFI path): PCR 4 holds the firmware's events, the boot stage and the
// kernel; PCR 8 the policy's structure; PCR 9 this partition's image.
const Build k_measured{
    {{4, {sha256("calling boot option"), sha256("separator"), sha256("BOOTX64.EFI"), sha256("bulkhead.elf")}},
     {8, {sha256("policy v1")}},
     {9, {sha256("classified image v1")}}}};
// Another boot chain on the same machine (another loader and kernel) that replays the
// manifest's public PCR 8 and 9 extends.
const Build k_other_chain{
    {{4,
      {sha256("calling boot option"), sha256("separator"), sha256("other loader"), sha256("other kernel")}},
     {8, {sha256("policy v1")}},
     {9, {sha256("classified image v1")}}}};

struct Fixture {
  Scratch_dir dir;
  Swtpm tpm{dir};
  std::string disk = dir.file("classified.img");
  std::string pass = dir.file("pass");
  std::string manifest_a = k_build_a.write_manifest(dir, "a.json");
  std::string manifest_b = k_build_b.write_manifest(dir, "b.json");
  Fixture() {
    write_file(pass, "recovery words");
    Create_request r;
    r.format.path = disk;
    r.format.data_size = 1 << 20;
    r.format.pbkdf = Pbkdf::pbkdf2;
    r.format.pbkdf2_iterations = 1000;
    r.recovery_passphrase = passphrase_file(pass);
    (void)create_disk(r, {});
  }
  Seal_request seal_request(const std::string& manifest) const {
    Seal_request s;
    s.disk = disk;
    s.manifest = manifest;
    s.partition = "classified";
    s.tcti = tpm.tcti();
    s.passphrase = passphrase_file(pass);
    s.unmeasured_kernel = true;  // these builds have no PCR 4 (the multiboot path); see the PCR 4 test
    return s;
  }
  Secret recovered() {
    Luks_disk d(disk);
    return recover_volume_key(d, read_passphrase_file(pass));
  }
};

// Runs f, which must throw one Storage_error line containing `expected`, and checks the disk
// file is unchanged.
template <typename F>
void refused(const std::string& disk, const std::string& expected, F f) {
  auto before = sha256_of_file(disk);
  try {
    f();
    FAIL("not refused; expected: " << expected);
  } catch (const Storage_error& e) {
    std::string line = e.what();
    INFO(line);
    CHECK(line.find(expected) != std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
  }
  CHECK(sha256_of_file(disk) == before);
}

}  // namespace

TEST_CASE("sealed to manifest A: opens under A, not under B; re-sealed to B: opens under B",
          "[storage][tpm]") {
  Fixture f;
  auto k = seal_disk(f.seal_request(f.manifest_a));
  CHECK(k.mode == sk::storage::Seal_mode::pcr);
  CHECK(k.pcr_mask == ((1u << 8) | (1u << 9)));
  CHECK(describe_disk(f.disk).find("mode pcr, sha256 PCRs 8 9") != std::string::npos);
  const auto described = describe_disk_json(f.disk);
  CHECK(described["seal"]["partition"] == "classified");
  CHECK(described["seal"]["mode"] == "pcr");
  CHECK(described["seal"]["pcrs"] == nlohmann::json::array({8, 9}));
  CHECK(described["seal"]["auth_policy"].get<std::string>().size() == 64);
  auto no_passphrase = f.seal_request(f.manifest_b);
  no_passphrase.passphrase.reset();
  no_passphrase.force = true;
  refused(f.disk, "--passphrase-file is required", [&] { (void)seal_disk(no_passphrase); });
  auto dump = run("cryptsetup luksDump '" + f.disk + "'");
  CHECK(dump.output.find("bulkhead-tpm2") != std::string::npos);

  k_build_a.boot(f.tpm);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), std::nullopt) == f.recovered());

  k_build_b.boot(f.tpm);
  // Repeated failures: each policy session is flushed, or swtpm would run out (0x903).
  for (int i = 0; i < 5; ++i) {
    refused(f.disk, "PCR policy not satisfied",
            [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), std::nullopt); });
  }
  // A second seal replaces the first only when asked to, and says what it replaced.
  refused(f.disk, "already sealed for partition \"classified\" (PolicyPCR); `disk reseal` seals it again, "
                  "`disk seal --force` replaces the seal",
          [&] { (void)seal_disk(f.seal_request(f.manifest_b)); });
  auto other = f.seal_request(f.manifest_b);
  other.partition = "open";
  other.force = true;
  refused(f.disk, "sealed for partition \"classified\", not \"open\"", [&] { (void)seal_disk(other); });
  auto forced = f.seal_request(f.manifest_b);
  forced.force = true;
  std::string replaced;
  auto b = seal_disk(forced, &replaced);
  CHECK(replaced == "the PolicyPCR seal for partition \"classified\"");
  CHECK(std::memcmp(b.pcr_policy, k.pcr_policy, 32) != 0);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), std::nullopt) == f.recovered());

  // Re-seal on the running configuration without the passphrase: the TPM releases the key.
  auto to_a = f.seal_request(f.manifest_a);
  to_a.passphrase.reset();
  to_a.reseal = true;
  (void)seal_disk(to_a);
  k_build_a.boot(f.tpm);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), std::nullopt) == f.recovered());
}

TEST_CASE("PolicyAuthorize: a newly signed policy opens the disk without re-sealing", "[storage][tpm]") {
  Fixture f;
  generate_admin_key(f.dir.file("admin.pem"), f.dir.file("admin.pub.pem"));
  generate_admin_key(f.dir.file("rogue.pem"), f.dir.file("rogue.pub.pem"));
  auto request = f.seal_request(f.manifest_a);
  request.authorize_key = f.dir.file("admin.pub.pem");
  auto k = seal_disk(request);
  CHECK(k.mode == sk::storage::Seal_mode::authorize);
  auto sealed_disk = sha256_of_file(f.disk);  // from here on, nothing may write to the disk

  (void)sign_policy(f.dir.file("admin.pem"), f.manifest_a, f.disk, f.dir.file("a.sig"));
  (void)sign_policy(f.dir.file("admin.pem"), f.manifest_b, f.disk, f.dir.file("b.sig"));
  (void)sign_policy(f.dir.file("rogue.pem"), f.manifest_b, f.disk, f.dir.file("rogue.sig"));

  k_build_a.boot(f.tpm);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), f.dir.file("a.sig")) == f.recovered());
  refused(f.disk, "--signed-policy is required",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), std::nullopt); });

  // An approval for build B does not open build A; which PCR moved cannot be told from its digest.
  refused(f.disk,
          "PCR policy not satisfied: the TPM's PCRs 8, 9 are not the approved ones (which differ is not "
          "known: the "
          "signed policy holds only their digest; now 8: " +
              k_build_a.shown(8) + ", 9: " + k_build_a.shown(9) +
              "); if this build is intended, have the administrator approve it (`bulkhead disk sign-policy "
              "--manifest NEW`), else open the disk with the recovery passphrase (`bulkhead disk recover`)",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), f.dir.file("b.sig")); });

  k_build_b.boot(f.tpm);  // the update: image v2
  // The approval for A approves the sealed values, so the PCR that moved is known.
  refused(f.disk,
          "PCR policy not satisfied: PCR 9 differs from the approved configuration (9: approved " +
              k_build_a.shown(9) + ", now " + k_build_b.shown(9) +
              "); if this build is intended, have the "
              "administrator approve it",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), f.dir.file("a.sig")); });
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), f.dir.file("b.sig")) == f.recovered());

  // Signed by another key: refused by name before the TPM, and, with the name forged to the
  // administrator's, refused by the TPM's own signature check.
  refused(f.disk, "not by the disk's administrator key",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), f.dir.file("rogue.sig")); });
  auto rogue = read_file(f.dir.file("rogue.sig"));
  sk::storage::Signed_policy forged{};
  REQUIRE(sk::storage::read_signed_policy(rogue.data(), rogue.size(), forged).ok());
  forged.key_name = k.admin_key_name;
  std::vector<uint8_t> blob(1024);
  auto size = sk::storage::write_signed_policy(forged, blob.data(), blob.size());
  REQUIRE(size.ok());
  write_file(f.dir.file("forged.sig"), std::string(blob.begin(), blob.begin() + long(size.value())));
  refused(f.disk, "signature does not verify",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), f.dir.file("forged.sig")); });
  CHECK(sha256_of_file(f.disk) == sealed_disk);
}

TEST_CASE("another TPM is refused; the recovery passphrase still opens the disk", "[storage][tpm]") {
  Fixture f;
  (void)seal_disk(f.seal_request(f.manifest_a));
  f.tpm.wipe();  // new owner seed: another machine, or a cleared TPM
  k_build_a.boot(f.tpm);
  refused(f.disk, "wrong TPM", [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), std::nullopt); });
  CHECK(f.recovered().size() == 64);
  CHECK(run("cryptsetup open --test-passphrase --key-file '" + f.pass + "' '" + f.disk + "'").status == 0);
  // Recovery re-seals it to the new TPM, replacing the seal the old TPM made.
  auto recovery = f.seal_request(f.manifest_a);
  recovery.force = true;
  (void)seal_disk(recovery);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), std::nullopt) == f.recovered());
}

TEST_CASE("a sealed blob whose TPM part is damaged is refused by the TPM, disk unchanged", "[storage][tpm]") {
  Fixture f;
  (void)seal_disk(f.seal_request(f.manifest_a));
  // Damage the encrypted private part consistently in both copies (valid blob digest), as an
  // attacker holding the image could: only the TPM's integrity check can catch it.
  sk::storage::Sealed_key k{};
  {
    Luks_disk d(f.disk);
    auto seal = read_seal(d);
    REQUIRE(seal.has_value());
    k = seal->key;
    k.sealed_private.data[k.sealed_private.size - 1] ^= 0x01;
    std::vector<uint8_t> blob(sk::storage::k_sealed_max_size);
    auto size = sk::storage::write_sealed_key(k, blob.data(), blob.size());
    REQUIRE(size.ok());
    blob.resize(size.value());
    auto token = nlohmann::json::parse(*d.token_json());
    token["blob"] = Botan::base64_encode(blob.data(), blob.size());
    d.set_token_json(token.dump());
    write_sealed_area(f.disk, blob);
  }
  k_build_a.boot(f.tpm);
  refused(f.disk, "TPM refused the sealed object",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), std::nullopt); });
}

TEST_CASE("the volume key never crosses the TPM interface in clear", "[storage][tpm]") {
  Fixture f;
  // The pcap TCTI records every command and response byte between the tools and swtpm.
  std::string capture = f.dir.file("tpm.pcap");
  ::setenv("TCTI_PCAP_FILE", capture.c_str(), 1);
  auto request = f.seal_request(f.manifest_a);
  request.tcti = "pcap:" + f.tpm.tcti();
  auto k = seal_disk(request);
  k_build_a.boot(f.tpm);
  Secret key = unseal_disk(f.disk, "pcap:" + f.tpm.tcti(), std::nullopt);
  ::unsetenv("TCTI_PCAP_FILE");
  auto traffic = read_file(capture);
  REQUIRE(traffic.size() > 1000);
  auto contains = [&](const uint8_t* p, size_t n) {
    return std::search(traffic.begin(), traffic.end(), p, p + n) != traffic.end();
  };
  // Control: the authPolicy travels in clear in Create's public template, so the capture works.
  CHECK(contains(k.auth_policy, 32));
  CHECK(key == f.recovered());
  for (size_t offset = 0; offset + 16 <= key.size(); offset += 16) {
    INFO("key bytes " << offset << ".." << offset + 15);
    CHECK_FALSE(contains(key.data() + offset, 16));
  }
}

// Issue 14, item 3: a disk is sealed to the kernel's measurement (PCR 4) too, so replaying the
// manifest's PCR 8 and partition PCR extends (public) from another boot chain opens nothing.
TEST_CASE("replaying PCR 8/9 into a TPM from a different boot chain does not unseal: PCR 4 differs",
          "[storage][tpm]") {
  Fixture f;
  const std::string measured = k_measured.write_manifest(f.dir, "measured.json", {4, 8, 9});
  auto unmeasured = f.seal_request(k_build_a.write_manifest(f.dir, "unmeasured.json"));
  unmeasured.unmeasured_kernel = false;
  refused(f.disk,
          "unmeasured.json: partitions.classified.disk_pcrs (PCRs 8, 9) leave out PCR 4: the kernel is "
          "unmeasured",
          [&] { (void)seal_disk(unmeasured); });
  auto request = f.seal_request(measured);
  request.unmeasured_kernel = false;
  auto k = seal_disk(request);
  CHECK(k.pcr_mask == ((1u << 4) | (1u << 8) | (1u << 9)));
  k_measured.boot(f.tpm);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), std::nullopt) == f.recovered());
  k_other_chain.boot(f.tpm);  // PCRs 8 and 9 replayed exactly; PCR 4 is another chain's
  REQUIRE(k_other_chain.value(8) == k_measured.value(8));
  REQUIRE(k_other_chain.value(9) == k_measured.value(9));
  refused(f.disk,
          f.disk + ": PCR policy not satisfied: PCR 4 differs from the sealed configuration (4: sealed " +
              k_measured.shown(4) + ", now " + k_other_chain.shown(4) + ")",
          [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), std::nullopt); });
}

// A refused PCR policy says which PCRs differ from the sealed values (recorded in the token and
// checked against the blob's PolicyPCR digest), with both values, and what to do next.
TEST_CASE("a PCR policy the TPM refuses is one line naming the PCRs that differ", "[storage][tpm]") {
  Fixture f;
  (void)seal_disk(f.seal_request(f.manifest_a));
  const std::string next =
      "; if this build is intended, reseal the disk to its manifest (`bulkhead disk reseal --manifest NEW "
      "--passphrase-file F`), else open it with the recovery passphrase (`bulkhead disk recover`)";
  const auto unseal = [&] { (void)unseal_disk(f.disk, f.tpm.tcti(), std::nullopt); };

  k_build_b.boot(f.tpm);  // image v2: PCR 9 moved, PCR 8 did not
  refused(f.disk,
          f.disk + ": PCR policy not satisfied: PCR 9 differs from the sealed configuration (9: sealed " +
              k_build_a.shown(9) + ", now " + k_build_b.shown(9) + ")" + next,
          unseal);
  k_build_c.boot(f.tpm);  // a new policy and image v3: both moved
  refused(f.disk,
          "PCR policy not satisfied: PCRs 8, 9 differ from the sealed configuration (8: sealed " +
              k_build_a.shown(8) + ", now " + k_build_c.shown(8) + "; 9: sealed " + k_build_a.shown(9) +
              ", now " + k_build_c.shown(9) + ")" + next,
          unseal);

  // A seal that did not record the values (made by an older bulkhead), or whose record does not
  // give the sealed digest: which PCR moved is not known, and the line says so.
  const std::string unknown =
      "PCR policy not satisfied: the TPM's PCRs 8, 9 are not the sealed ones (which differ is "
      "not known: the seal did not record their values; now 8: " +
      k_build_c.shown(8) + ", 9: " + k_build_c.shown(9) + ")" + next;
  auto token = [&] {
    Luks_disk d(f.disk);
    return nlohmann::json::parse(*d.token_json());
  };
  auto set_token = [&](const nlohmann::json& t) {
    Luks_disk d(f.disk);
    d.set_token_json(t.dump());
  };
  nlohmann::json recorded = token();
  REQUIRE(recorded["pcr_values"] ==
          nlohmann::json({{"8", hex(k_build_a.value(8))}, {"9", hex(k_build_a.value(9))}}));
  nlohmann::json older = recorded;
  older.erase("pcr_values");
  set_token(older);
  refused(f.disk, unknown, unseal);
  nlohmann::json false_record = recorded;
  false_record["pcr_values"]["9"] = hex(k_build_c.value(9));  // would blame only PCR 8
  set_token(false_record);
  refused(f.disk, unknown, unseal);
  set_token(recorded);

  // The advice holds: resealed to the running build, the disk opens.
  auto to_c = f.seal_request(k_build_c.write_manifest(f.dir, "c.json"));
  to_c.reseal = true;
  (void)seal_disk(to_c);
  CHECK(unseal_disk(f.disk, f.tpm.tcti(), std::nullopt) == f.recovered());
}
