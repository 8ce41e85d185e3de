// SPDX-License-Identifier: Apache-2.0
// A bulkhead disk is a standard LUKS2 container, and the core's AES-256-XTS with LUKS2's tweak
// convention (512-byte units, also for 4096-byte sectors) is what cryptsetup reads and writes.
// dm-crypt cannot be activated here, so cryptsetup's own offline re-encryption is the reader:
// it decrypts every sector with the old key and re-encrypts it with a new one.
#include <botan/hex.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <random>

#include "bh/storage/luks_disk.hpp"
#include "bh/storage/passphrase.hpp"
#include "sk/sealed_key.hpp"
#include "sk/xts.hpp"
#include "test_util.hpp"

using namespace bh::storage;
using namespace bh::storage::test;

namespace {

constexpr uint32_t k_sector = 4096;

std::vector<uint8_t> read_sector(const std::string& disk, uint64_t sector) {
  std::ifstream in(disk, std::ios::binary);
  in.seekg(std::streamoff(sk::storage::k_data_offset + sector * k_sector));
  std::vector<uint8_t> out(k_sector);
  in.read(reinterpret_cast<char*>(out.data()), k_sector);
  return out;
}

void write_sector(const std::string& disk, uint64_t sector, const std::vector<uint8_t>& data) {
  std::fstream io(disk, std::ios::binary | std::ios::in | std::ios::out);
  io.seekp(std::streamoff(sk::storage::k_data_offset + sector * k_sector));
  io.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

std::vector<uint8_t> core_xts(const Secret& key, uint64_t tweak, std::vector<uint8_t> data, bool encrypt) {
  sk::crypto::Xts_aes256 xts;
  REQUIRE(xts.set_key(key.data()).ok());
  auto status =
      encrypt ? xts.encrypt(tweak, data.data(), data.size()) : xts.decrypt(tweak, data.data(), data.size());
  REQUIRE(status.ok());
  return data;
}

Format_options fast_options(const std::string& path, uint64_t size) {
  Format_options o;
  o.path = path;
  o.data_size = size;
  o.sector_size = k_sector;
  o.pbkdf = Pbkdf::pbkdf2;
  o.pbkdf2_iterations = 1000;  // tests only: real disks use Argon2id
  o.label = "classified";
  return o;
}

}  // namespace

TEST_CASE("a created disk is a LUKS2 container the standard tools read", "[storage][luks]") {
  Scratch_dir dir;
  std::string disk = dir.file("classified.img");
  write_file(dir.file("pass"), "correct horse\n");
  Secret key = random_secret(k_volume_key_size);
  uint64_t reported = 0;
  Luks_disk::create(fast_options(disk, 1 << 20), key, read_passphrase_file(dir.file("pass")).text,
                    [&](uint64_t done, uint64_t total) {
                      reported = done;
                      CHECK(done <= total);
                    });
  CHECK(reported == (1u << 20));

  auto dump = run("cryptsetup luksDump '" + disk + "'");
  REQUIRE(dump.status == 0);
  CHECK(dump.output.find("Version:       \t2") != std::string::npos);
  CHECK(dump.output.find("cipher: aes-xts-plain64") != std::string::npos);
  CHECK(dump.output.find("sector: 4096 [bytes]") != std::string::npos);
  CHECK(dump.output.find("offset: 16777216 [bytes]") != std::string::npos);
  // The recovery passphrase file, read whole (its newline too) as cryptsetup --key-file reads it,
  // opens keyslot 0 with cryptsetup; without its newline it does not.
  CHECK(dumped_volume_key(disk, dir.file("pass")) == Botan::hex_encode(key));
  CHECK(
      run("cryptsetup open --test-passphrase --key-file '" + dir.file("pass") + "' '" + disk + "'").status ==
      0);
  write_file(dir.file("pass.raw"), "correct horse");
  CHECK(run("cryptsetup open --test-passphrase --key-file '" + dir.file("pass.raw") + "' '" + disk + "'")
            .status != 0);
  write_file(dir.file("wrong"), "incorrect horse");
  CHECK(
      run("cryptsetup open --test-passphrase --key-file '" + dir.file("wrong") + "' '" + disk + "'").status !=
      0);

  // The keyslot area ends before the sealed-key area, which starts zeroed.
  Luks_disk opened(disk);
  CHECK(opened.info().keyslots_end <= sk::storage::k_sealed_area_offset);
  CHECK(opened.info().data_size == (1u << 20));
  auto area = read_sealed_area(disk);
  CHECK(std::all_of(area.begin(), area.end(), [](uint8_t b) { return b == 0; }));

  // The data area was written as ciphertext of zeros: not zeros on disk, zeros once decrypted.
  for (uint64_t s : {0u, 1u, 255u}) {
    auto raw = read_sector(disk, s);
    CHECK_FALSE(std::all_of(raw.begin(), raw.end(), [](uint8_t b) { return b == 0; }));
    auto plain = core_xts(key, sk::storage::xts_tweak_for_sector(s, k_sector), raw, false);
    CHECK(std::all_of(plain.begin(), plain.end(), [](uint8_t b) { return b == 0; }));
  }
  // Creating over an existing file is refused and leaves it as it was.
  auto before = sha256_of_file(disk);
  CHECK_THROWS_AS(
      Luks_disk::create(fast_options(disk, 1 << 20), key, read_passphrase_file(dir.file("pass")).text, {}),
      Storage_error);
  CHECK(sha256_of_file(disk) == before);
}

TEST_CASE("sectors the core XTS writes are read back by cryptsetup (tweak in 512-byte units)",
          "[storage][luks][xts]") {
  Scratch_dir dir;
  std::string disk = dir.file("open.img");
  write_file(dir.file("pass"), "recovery words");
  Secret key = random_secret(k_volume_key_size);
  Luks_disk::create(fast_options(disk, 1 << 20), key, read_passphrase_file(dir.file("pass")).text, {});

  std::mt19937_64 rng(42);
  std::map<uint64_t, std::vector<uint8_t>> plain;
  for (uint64_t s : {0u, 1u, 7u, 100u, 255u}) {
    std::vector<uint8_t> p(k_sector);
    for (auto& b : p) b = uint8_t(rng());
    plain[s] = p;
    write_sector(disk, s, core_xts(key, sk::storage::xts_tweak_for_sector(s, k_sector), p, true));
  }
  // Control: sector 9 written with the other convention (tweak = 4096-byte sector number).
  std::vector<uint8_t> control(k_sector, 0x5A);
  write_sector(disk, 9, core_xts(key, 9, control, true));

  // cryptsetup re-encrypts the whole data segment offline under a fresh volume key.
  auto re =
      run("cryptsetup reencrypt --force-offline-reencrypt -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000"
          " --key-file '" +
          dir.file("pass") + "' '" + disk + "'");
  REQUIRE(re.status == 0);
  std::string new_key_hex = dumped_volume_key(disk, dir.file("pass"));
  REQUIRE(new_key_hex.size() == 128);
  REQUIRE(new_key_hex != Botan::hex_encode(key));
  auto new_key_bytes = Botan::hex_decode(new_key_hex);
  Secret new_key(new_key_bytes.begin(), new_key_bytes.end());

  for (auto& [s, p] : plain) {
    INFO("sector " << s);
    auto back =
        core_xts(new_key, sk::storage::xts_tweak_for_sector(s, k_sector), read_sector(disk, s), false);
    CHECK(back == p);
  }
  // Untouched sectors still read as zeros: cryptsetup and create agree on every sector.
  auto zero =
      core_xts(new_key, sk::storage::xts_tweak_for_sector(200, k_sector), read_sector(disk, 200), false);
  CHECK(std::all_of(zero.begin(), zero.end(), [](uint8_t b) { return b == 0; }));
  // The control sector came back as garbage: the test tells the two conventions apart.
  auto garbage =
      core_xts(new_key, sk::storage::xts_tweak_for_sector(9, k_sector), read_sector(disk, 9), false);
  CHECK(garbage != control);
  auto garbage_other = core_xts(new_key, 9, read_sector(disk, 9), false);
  CHECK(garbage_other != control);
}
