// SPDX-License-Identifier: Apache-2.0
// `bulkhead disk` as a user runs it (the bulkhead binary): output, exit status, and one error line on failure
// with the disk left unchanged.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

using namespace bh::storage::test;

namespace {
std::string driver() {
  return BH_DISK_CLI;
}

// The bulkhead binary with args, its stderr apart.
Split_result bulkhead(const Scratch_dir& dir, const std::string& args) {
  return run_split(dir, driver() + " " + args);
}
}  // namespace

TEST_CASE("bulkhead disk create, show and recover from the command line", "[storage][cli]") {
  Scratch_dir dir;
  std::string disk = dir.file("open.img");
  std::string policy = write_disk_policy(dir.file(""));
  write_file(dir.file("pass"), "recovery words\n");
  auto wrong_partition =
      bulkhead(dir, "disk create --policy '" + policy + "' --partition nobody --size 2M -o '" +
                        dir.file("x.img") + "' --recovery-passphrase-file '" + dir.file("pass") + "'");
  CHECK(wrong_partition.status == 1);
  CHECK(wrong_partition.err == "bulkhead disk create: " + policy + ": no partition \"nobody\"\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("x.img")));
  auto created = bulkhead(dir, "disk create --policy '" + policy + "' --partition open --size 2M -o '" +
                                   disk + "' --recovery-passphrase-file '" + dir.file("pass") +
                                   "' --pbkdf pbkdf2 --pbkdf2-iterations 1000");
  REQUIRE(created.status == 0);
  CHECK(created.out.find("created " + disk + " for partition open") != std::string::npos);
  CHECK(created.err.find("writing data area 100% (2 of 2 MiB)") != std::string::npos);

  auto shown = bulkhead(dir, "disk show --disk '" + disk + "'");
  CHECK(shown.status == 0);
  CHECK(shown.out.find("2097152 bytes, sector 4096") != std::string::npos);
  CHECK(shown.out.find("seal: none") != std::string::npos);
  CHECK(shown.out.find("  created for partition open\n") != std::string::npos);
  CHECK(shown.out.find("  recovery keyslots: 0\n") != std::string::npos);
  auto json = bulkhead(dir, "disk show --json --disk '" + disk + "'");
  CHECK(json.status == 0);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["created_for"] == "open");
  CHECK(j["keyslots"] == nlohmann::json::array({0}));
  CHECK(j["data"]["size"] == 2097152);
  CHECK(j["seal"].is_null());

  auto before = sha256_of_file(disk);
  write_file(dir.file("wrong"), "recovery wordz\n");
  auto wrong =
      bulkhead(dir, "disk recover --disk '" + disk + "' --passphrase-file '" + dir.file("wrong") + "'");
  CHECK(wrong.status == 1);
  CHECK(wrong.out.empty());
  CHECK(lines(wrong.err) == 1);
  CHECK(wrong.err ==
        "bulkhead disk recover: " + disk + ": wrong recovery passphrase (no keyslot opens with it)\n");
  CHECK(sha256_of_file(disk) == before);

  auto ok = bulkhead(dir, "disk recover --disk '" + disk + "' --passphrase-file '" + dir.file("pass") +
                              "' --export-key '" + dir.file("key") + "'");
  CHECK(ok.status == 0);
  CHECK(read_file(dir.file("key")).size() == 64);
  CHECK(sha256_of_file(disk) == before);

  // Sectors written through the CLI read back as plaintext and are ciphertext in the image.
  std::string record(8192, '\0');
  for (size_t i = 0; i < record.size(); ++i) record[i] = char('a' + i % 26);
  write_file(dir.file("record"), record);
  auto put = bulkhead(dir, "disk write --disk '" + disk + "' --passphrase-file '" + dir.file("pass") +
                               "' --sector 3 -i '" + dir.file("record") + "'");
  CHECK(put.status == 0);
  auto got = bulkhead(dir, "disk read --disk '" + disk + "' --passphrase-file '" + dir.file("pass") +
                               "' --sector 3 --count 2 -o '" + dir.file("back") + "'");
  CHECK(got.status == 0);
  auto back = read_file(dir.file("back"));
  CHECK(std::string(back.begin(), back.end()) == record);
  auto image = read_file(disk);
  CHECK(std::search(image.begin(), image.end(), record.begin(), record.begin() + 64) == image.end());
  auto outside = bulkhead(dir, "disk read --disk '" + disk + "' --passphrase-file '" + dir.file("pass") +
                                   "' --sector 512 -o '" + dir.file("x") + "'");
  CHECK(outside.status == 1);
  CHECK(outside.err.find("outside the data segment (512 sectors)") != std::string::npos);
  before = sha256_of_file(disk);

  // Creating over the disk is refused with one line and changes nothing.
  auto again = bulkhead(dir, "disk create --policy '" + policy + "' --partition open --size 2M -o '" + disk +
                                 "' --recovery-passphrase-file '" + dir.file("pass") + "'");
  CHECK(again.status == 1);
  CHECK(lines(again.err) == 1);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(sha256_of_file(disk) == before);

  // A file that is not a disk.
  write_file(dir.file("junk.img"), std::string(40000, 'x'));
  auto junk = bulkhead(dir, "disk show --disk '" + dir.file("junk.img") + "'");
  CHECK(junk.status == 1);
  CHECK(lines(junk.err) == 1);
  CHECK(junk.err.find("junk.img: no LUKS2 header") != std::string::npos);
}

// Issue 14, item 3: `disk seal` refuses a PCR set that leaves the kernel's measurement (PCR 4)
// out, in one line saying why, before it touches the TPM or the disk; --unmeasured-kernel
// (the multiboot path) gets past that check.
TEST_CASE("bulkhead disk seal refuses disk PCRs without PCR 4 unless --unmeasured-kernel", "[storage][cli]") {
  Scratch_dir dir;
  std::string disk = dir.file("open.img");
  std::string policy = write_disk_policy(dir.file(""));
  write_file(dir.file("pass"), "recovery words\n");
  REQUIRE(bulkhead(dir, "disk create --policy '" + policy + "' --partition open --size 1M -o '" + disk +
                            "' --recovery-passphrase-file '" + dir.file("pass") +
                            "' --pbkdf pbkdf2 --pbkdf2-iterations 1000")
              .status == 0);
  const std::string zero(64, '0');
  write_file(dir.file("manifest.json"), nlohmann::json({{"pcrs", {{"sha256", {{"8", zero}, {"9", zero}}}}},
                                                        {"partitions", {{"open", {{"disk_pcrs", {8, 9}}}}}}})
                                            .dump());
  const std::string seal = "disk seal --disk '" + disk + "' --manifest '" + dir.file("manifest.json") +
                           "' --partition open --tcti swtpm:host=127.0.0.1,port=1 --passphrase-file '" +
                           dir.file("pass") + "'";
  auto before = sha256_of_file(disk);
  auto refused = bulkhead(dir, seal);
  CHECK(refused.status == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err ==
        "bulkhead disk seal: " + dir.file("manifest.json") +
            ": partitions.open.disk_pcrs (PCRs 8, 9) leave out PCR 4: the kernel is unmeasured and "
            "any kernel replaying the manifest opens the disk; build the manifest with --boot-stage "
            "and --kernel, or pass --unmeasured-kernel (multiboot path)\n");
  // With the flag the PCR set is accepted and the seal goes on to the TPM (none on port 1).
  auto flagged = bulkhead(dir, seal + " --unmeasured-kernel");
  CHECK(flagged.status != 0);
  CHECK(flagged.err.find("leave out PCR 4") == std::string::npos);
  CHECK(sha256_of_file(disk) == before);
}
