// SPDX-License-Identifier: Apache-2.0
// The administrator's update flow on the command line against swtpm: seal with an
// administrator key, approve a new build's policy, unseal on the new build without re-sealing.
#include <botan/hash.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bh/storage/policy_digest.hpp"
#include "swtpm_fixture.hpp"

using namespace bh::storage;
using namespace bh::storage::test;

namespace {
// PCR 9 after one event `image` extended from zero.
Digest pcr9_after(const std::string& image) {
  Digest e = sha256(image);
  Digest zero{};
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(zero.data(), 32);
  h->update(e.data(), 32);
  Digest value;
  h->final(value.data());
  return value;
}
// A manifest whose PCR 9 is one event `image` extended from zero.
std::string manifest(const Scratch_dir& dir, const std::string& name, const std::string& image) {
  nlohmann::json m = {{"pcrs", {{"sha256", {{"9", hex(pcr9_after(image))}}}}},
                      {"partitions", {{"open", {{"disk_pcrs", {9}}}}}}};
  write_file(dir.file(name), m.dump());
  return dir.file(name);
}
void boot(Swtpm& tpm, const std::string& image) {
  tpm.reboot();
  auto r = run("TSS2_LOG=all+none TPM2TOOLS_TCTI='" + tpm.tcti() +
               "' tpm2_pcrextend 9:sha256=" + hex(sha256(image)));
  REQUIRE(r.status == 0);
}
Command_result cli(const std::string& args) {
  return run(std::string("TSS2_LOG=all+none ") + BH_DISK_CLI + " " + args);
}
}  // namespace

TEST_CASE("bulkhead disk: seal with an administrator key, approve an update, unseal", "[storage][tpm][cli]") {
  Scratch_dir dir;
  Swtpm tpm(dir);
  std::string disk = "'" + dir.file("open.img") + "'";
  std::string tcti = " --tcti '" + tpm.tcti() + "'";
  write_file(dir.file("pass"), "recovery words");
  std::string v1 = manifest(dir, "v1.json", "open image v1");
  std::string v2 = manifest(dir, "v2.json", "open image v2");
  // The administrator's key is passphrase-protected (PKCS#8, encrypted).
  write_file(dir.file("keypass"), "administrator key words\n");
  REQUIRE(cli("disk admin-key -o '" + dir.file("admin.pem") + "' --public '" + dir.file("admin.pub") +
              "' --key-passphrase-file '" + dir.file("keypass") + "'")
              .status == 0);
  const std::string keypass = " --key-passphrase-file '" + dir.file("keypass") + "'";
  std::string policy = write_disk_policy(dir.file(""));
  REQUIRE(cli("disk create --policy '" + policy + "' --partition open --size 1M -o " + disk +
              " --recovery-passphrase-file '" + dir.file("pass") +
              "' --pbkdf pbkdf2 --pbkdf2-iterations 1000")
              .status == 0);
  auto sealed = cli("disk seal --unmeasured-kernel --disk " + disk + " --manifest '" + v1 +
                    "' --partition open" + tcti + " --passphrase-file '" + dir.file("pass") +
                    "' --authorize-key '" + dir.file("admin.pub") + "'");
  REQUIRE(sealed.status == 0);
  CHECK(sealed.output.find("PolicyAuthorize") != std::string::npos);
  auto before = sha256_of_file(dir.file("open.img"));
  // The disk was created for "open" (its LUKS2 label) and is sealed: neither another partition
  // nor a second seal passes silently; each refusal is one line and writes nothing.
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {" --partition classified", "created for partition \"open\", not \"classified\" (its LUKS2 label)"},
           {" --partition open", "already sealed for partition \"open\" (PolicyAuthorize); `disk reseal` seals it "
                                 "again, `disk seal --force` replaces the seal"}}) {
    auto again = cli("disk seal --unmeasured-kernel --disk " + disk + " --manifest '" + v1 + "'" + args +
                     tcti + " --passphrase-file '" + dir.file("pass") + "'");
    INFO(again.output);
    CHECK(again.status == 1);
    CHECK(again.output.find(expected) != std::string::npos);
    CHECK(std::count(again.output.begin(), again.output.end(), '\n') == 1);
  }
  CHECK(sha256_of_file(dir.file("open.img")) == before);

  // Without its passphrase (and no terminal to ask on) the key signs nothing: one line, exit 2.
  auto no_pass = cli("disk sign-policy --key '" + dir.file("admin.pem") + "' --manifest '" + v1 + "' --disk " + disk +
                     " -o '" + dir.file("v1.sig") + "' </dev/null");
  INFO(no_pass.output);
  CHECK(no_pass.status == 2);
  CHECK(no_pass.output.find("the key is encrypted: give its passphrase") != std::string::npos);
  CHECK(std::count(no_pass.output.begin(), no_pass.output.end(), '\n') == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("v1.sig")));
  REQUIRE(cli("disk sign-policy --key '" + dir.file("admin.pem") + "' --manifest '" + v1 +
              "' --disk " + disk + " -o '" + dir.file("v1.sig") + "'" + keypass)
              .status == 0);
  REQUIRE(cli("disk sign-policy --key '" + dir.file("admin.pem") + "' --manifest '" + v2 +
              "' --disk " + disk + " -o '" + dir.file("v2.sig") + "'" + keypass)
              .status == 0);
  boot(tpm, "open image v2");
  tcti = " --tcti '" + tpm.tcti() + "'";
  auto old_policy =
      cli("disk unseal --disk " + disk + tcti + " --signed-policy '" + dir.file("v1.sig") + "'");
  INFO(old_policy.output);
  CHECK(old_policy.status == 1);
  CHECK(std::count(old_policy.output.begin(), old_policy.output.end(), '\n') == 1);
  CHECK(old_policy.output.find("PCR policy not satisfied: PCR 9 differs from the approved configuration") !=
        std::string::npos);
  auto opened = cli("disk unseal --disk " + disk + tcti + " --signed-policy '" + dir.file("v2.sig") + "'");
  INFO(opened.output);
  CHECK(opened.status == 0);
  CHECK(opened.output.find("matches the LUKS2 digest") != std::string::npos);
  CHECK(sha256_of_file(dir.file("open.img")) == before);

  // Re-seal on the running v2 build without the passphrase: partition and PolicyAuthorize with
  // the same administrator key are kept, so the v2 approval still opens it afterwards.
  auto resealed = cli("disk reseal --unmeasured-kernel --disk " + disk + " --manifest '" + v2 + "'" + tcti +
                      " --signed-policy '" + dir.file("v2.sig") + "'");
  INFO(resealed.output);
  CHECK(resealed.status == 0);
  CHECK(resealed.output.find("sealed " + dir.file("open.img") + " for partition open (PolicyAuthorize") !=
        std::string::npos);
  CHECK(cli("disk unseal --disk " + disk + tcti + " --signed-policy '" + dir.file("v2.sig") + "'").status ==
        0);
}

// Removing a seal needs the recovery passphrase to open the disk first (nothing may leave a disk
// that nothing opens); changing the passphrase replaces the old one. Every refusal is one line
// and writes nothing.
TEST_CASE("bulkhead disk remove-seal and passphrase", "[storage][tpm][cli]") {
  Scratch_dir dir;
  Swtpm tpm(dir);
  const std::string disk = "'" + dir.file("open.img") + "'", tcti = " --tcti '" + tpm.tcti() + "'";
  write_file(dir.file("pass"), "recovery words");
  write_file(dir.file("wrong"), "recovery wordz");
  write_file(dir.file("new"), "other recovery words");
  const std::string v1 = manifest(dir, "v1.json", "open image v1");
  const std::string policy = write_disk_policy(dir.file(""));
  REQUIRE(cli("disk create --policy '" + policy + "' --partition open --size 1M -o " + disk +
              " --recovery-passphrase-file '" + dir.file("pass") + "' --pbkdf pbkdf2 --pbkdf2-iterations 1000")
              .status == 0);
  REQUIRE(cli("disk seal --unmeasured-kernel --disk " + disk + " --manifest '" + v1 + "' --partition open" +
              tcti + " --passphrase-file '" + dir.file("pass") + "'")
              .status == 0);
  auto refused = [&](const std::string& args, const std::string& expected) {
    const auto before = sha256_of_file(dir.file("open.img"));
    auto r = cli(args);
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(expected) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK(sha256_of_file(dir.file("open.img")) == before);
  };
  refused("disk remove-seal --disk " + disk + " --passphrase-file '" + dir.file("wrong") + "'",
          "wrong recovery passphrase");
  auto removed = cli("disk remove-seal --disk " + disk + " --passphrase-file '" + dir.file("pass") + "'");
  INFO(removed.output);
  REQUIRE(removed.status == 0);
  CHECK(removed.output.find("removed the PolicyPCR seal for partition \"open\"") != std::string::npos);
  CHECK(cli("disk show --disk " + disk).output.find("seal: none") != std::string::npos);
  refused("disk remove-seal --disk " + disk + " --passphrase-file '" + dir.file("pass") + "'", "not sealed");

  refused("disk passphrase --disk " + disk + " --passphrase-file '" + dir.file("wrong") + "' --new-passphrase-file '" +
              dir.file("new") + "'",
          "wrong recovery passphrase");
  refused("disk passphrase --disk " + disk + " --passphrase-file '" + dir.file("pass") + "' --new-passphrase-file '" +
              dir.file("pass") + "'",
          "the new passphrase is the old one");
  REQUIRE(cli("disk passphrase --disk " + disk + " --passphrase-file '" + dir.file("pass") + "' --new-passphrase-file '" +
              dir.file("new") + "'")
              .status == 0);
  CHECK(cli("disk recover --disk " + disk + " --passphrase-file '" + dir.file("pass") + "'").status == 1);
  CHECK(cli("disk recover --disk " + disk + " --passphrase-file '" + dir.file("new") + "'").status == 0);
  CHECK(cli("disk show --disk " + disk).output.find("recovery keyslots: ") != std::string::npos);
}

// `disk unseal` on a build the disk was not sealed to: one line on stderr naming the PCR that
// differs, the sealed and the current value, and the next step; the step it names works.
TEST_CASE("bulkhead disk unseal refused by the PCR policy says which PCR differs and what to do",
          "[storage][tpm][cli]") {
  Scratch_dir dir;
  Swtpm tpm(dir);
  const std::string disk = dir.file("open.img"), tcti = " --tcti '" + tpm.tcti() + "'";
  write_file(dir.file("pass"), "recovery words\n");
  const std::string v1 = manifest(dir, "v1.json", "open image v1"),
                    v2 = manifest(dir, "v2.json", "open image v2");
  REQUIRE(cli("disk create --policy '" + write_disk_policy(dir.file("")) +
              "' --partition open --size 1M -o '" + disk + "' --recovery-passphrase-file '" +
              dir.file("pass") + "' --pbkdf pbkdf2 --pbkdf2-iterations 1000")
              .status == 0);
  REQUIRE(cli("disk seal --unmeasured-kernel --disk '" + disk + "' --manifest '" + v1 + "' --partition open" +
              tcti + " --passphrase-file '" + dir.file("pass") + "'")
              .status == 0);
  boot(tpm, "open image v2");
  const auto before = sha256_of_file(disk);
  auto r = run_split(
      dir, std::string("TSS2_LOG=all+none ") + BH_DISK_CLI + " disk unseal --disk '" + disk + "'" + tcti);
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "bulkhead disk unseal: " + disk +
                     ": PCR policy not satisfied: PCR 9 differs from the sealed "
                     "configuration (sealed " +
                     hex(pcr9_after("open image v1")).substr(0, 12) + "..., now " +
                     hex(pcr9_after("open image v2")).substr(0, 12) +
                     "...); if this build is intended, reseal the disk "
                     "to its manifest (`bulkhead disk reseal --manifest NEW --passphrase-file F`), else open "
                     "it with the "
                     "recovery passphrase (`bulkhead disk recover`)\n");
  CHECK(sha256_of_file(disk) == before);

  REQUIRE(cli("disk reseal --unmeasured-kernel --disk '" + disk + "' --manifest '" + v2 + "'" + tcti +
              " --passphrase-file '" + dir.file("pass") + "'")
              .status == 0);
  CHECK(cli("disk unseal --disk '" + disk + "'" + tcti).status == 0);
}

TEST_CASE("bulkhead disk epoch show: the epoch as text and, with --json, as JSON", "[storage][tpm][cli]") {
  Scratch_dir dir;
  Swtpm tpm(dir);
  const std::string tcti = " --tcti '" + tpm.tcti() + "'";
  REQUIRE(cli("disk epoch init" + tcti).status == 0);
  REQUIRE(cli("disk epoch revoke" + tcti).status == 0);
  auto text = cli("disk epoch show" + tcti);
  CHECK(text.status == 0);
  CHECK(text.output == "approval epoch 2\n");
  auto json = cli("disk epoch show --json" + tcti);
  CHECK(json.status == 0);
  CHECK(nlohmann::json::parse(json.output) == nlohmann::json{{"epoch", 2}});
}
