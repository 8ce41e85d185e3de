// SPDX-License-Identifier: Apache-2.0
// `bulkhead disk` operations that need no TPM: create, recover, and refusing damaged disks,
// each refusal one line and the disk file bit-for-bit unchanged.
#include "bh/storage/disk.hpp"

#include <botan/base64.h>
#include <botan/hex.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

using namespace bh::storage;
using namespace bh::storage::test;

namespace {

Create_request fast_request(const std::string& path, const std::string& passphrase_path) {
  Create_request r;
  r.format.path = path;
  r.format.data_size = 1 << 20;
  r.format.pbkdf = Pbkdf::pbkdf2;
  r.format.pbkdf2_iterations = 1000;
  r.recovery_passphrase = passphrase_file(passphrase_path);
  return r;
}

void poke(const std::string& path, uint64_t offset, uint8_t xor_mask) {
  std::fstream io(path, std::ios::binary | std::ios::in | std::ios::out);
  io.seekg(std::streamoff(offset));
  char c = 0;
  io.get(c);
  io.seekp(std::streamoff(offset));
  io.put(char(c ^ xor_mask));
}

// A syntactically valid seal with made-up TPM parts: enough to test the readers' checks.
std::vector<uint8_t> plant_seal(Luks_disk& disk) {
  sk::storage::Sealed_key k{};
  k.mode = sk::storage::Seal_mode::pcr;
  k.cipher = sk::storage::Cipher::aes_xts_plain64;
  k.sector_size = disk.info().sector_size;
  k.data_offset = disk.info().data_offset;
  k.data_size = disk.info().data_size;
  std::memcpy(k.disk_uuid, disk.info().uuid.data(), disk.info().uuid.size());
  std::strcpy(k.partition, "open");
  k.luks_digest = disk.volume_key_digest();
  k.pcr_hash_alg = sk::storage::k_tpm_alg_sha256;
  k.pcr_mask = 1u << 9;
  k.parent_name.size = 34;
  k.sealed_public.size = 80;
  k.sealed_private.size = 160;
  std::vector<uint8_t> blob(sk::storage::k_sealed_max_size);
  auto size = sk::storage::write_sealed_key(k, blob.data(), blob.size());
  REQUIRE(size.ok());
  blob.resize(size.value());
  nlohmann::json token = {{"type", k_token_type},
                          {"keyslots", nlohmann::json::array()},
                          {"blob", Botan::base64_encode(blob.data(), blob.size())}};
  disk.set_token_json(token.dump());
  write_sealed_area(disk.path(), blob);
  return blob;
}

}  // namespace

TEST_CASE("recover opens the disk with the recovery passphrase only", "[storage][disk]") {
  Scratch_dir dir;
  std::string disk = dir.file("d.img");
  write_file(dir.file("pass"), "recovery words\n");
  REQUIRE_FALSE(create_disk(fast_request(disk, dir.file("pass")), {}).has_value());
  auto before = sha256_of_file(disk);
  Luks_disk opened(disk);
  Secret key = recover_volume_key(opened, read_passphrase_file(dir.file("pass")));
  CHECK(key.size() == 64);
  CHECK(dumped_volume_key(disk, dir.file("pass")) == Botan::hex_encode(key));  // the file, newline and all

  write_file(dir.file("wrong"), "recovery word");
  CHECK_THROWS_WITH(recover_volume_key(opened, read_passphrase_file(dir.file("wrong"))),
                    Catch::Contains("wrong recovery passphrase"));
  CHECK_THROWS_WITH(read_passphrase_file(dir.file("missing")),
                    Catch::Contains("missing' cannot be read: No such file or directory"));
  CHECK(sha256_of_file(disk) == before);
  CHECK_FALSE(read_seal(opened).has_value());
}

TEST_CASE("without a passphrase file, create enrols a generated recovery key", "[storage][disk]") {
  Scratch_dir dir;
  auto request = fast_request(dir.file("d.img"), "");
  request.recovery_passphrase.reset();
  auto generated = create_disk(request, {});
  REQUIRE(generated.has_value());
  CHECK(generated->size() == 47);  // 8 groups of 5, 7 dashes
  write_file(dir.file("generated"), *generated);
  Luks_disk opened(dir.file("d.img"));
  CHECK(recover_volume_key(opened, read_passphrase_file(dir.file("generated"))).size() == 64);
}

TEST_CASE("a damaged LUKS2 header is refused and not repaired", "[storage][disk]") {
  Scratch_dir dir;
  std::string disk = dir.file("d.img");
  write_file(dir.file("pass"), "recovery words");
  (void)create_disk(fast_request(disk, dir.file("pass")), {});
  // JSON area of the primary copy, JSON area of the secondary copy, the magic.
  for (uint64_t offset : {5000ull, 16384ull + 5000ull, 0ull}) {
    std::string copy = dir.file("copy" + std::to_string(offset) + ".img");
    std::filesystem::copy_file(disk, copy);
    poke(copy, offset, 0x20);
    auto before = sha256_of_file(copy);
    INFO("offset " << offset);
    CHECK_THROWS_AS(Luks_disk(copy), Storage_error);
    try {
      Luks_disk opened(copy);
    } catch (const Storage_error& e) {
      std::string line = e.what();
      CHECK(line.find(copy) == 0);
      CHECK(line.find('\n') == std::string::npos);
      CHECK((line.find("checksum") != std::string::npos || line.find("bad magic") != std::string::npos));
    }
    CHECK(sha256_of_file(copy) == before);
  }
}

TEST_CASE("a damaged or mismatched sealed-key blob is refused, disk unchanged", "[storage][disk]") {
  Scratch_dir dir;
  std::string disk = dir.file("d.img");
  write_file(dir.file("pass"), "recovery words");
  (void)create_disk(fast_request(disk, dir.file("pass")), {});
  std::vector<uint8_t> blob;
  {
    Luks_disk opened(disk);
    blob = plant_seal(opened);
  }
  {
    Luks_disk opened(disk);
    auto seal = read_seal(opened);
    REQUIRE(seal.has_value());
    CHECK(std::string(seal->key.partition) == "open");
    CHECK(describe_disk(disk).find("mode pcr, sha256 PCRs 9") != std::string::npos);
  }
  // One flipped byte in the kernel's copy (the area): the copies differ.
  std::string damaged = dir.file("area.img");
  std::filesystem::copy_file(disk, damaged);
  poke(damaged, sk::storage::k_sealed_area_offset + 100, 0x01);
  auto before = sha256_of_file(damaged);
  {
    Luks_disk opened(damaged);
    CHECK_THROWS_WITH(read_seal(opened), Catch::Contains("sealed-key area differs"));
  }
  CHECK(sha256_of_file(damaged) == before);
  // The same blob on another disk (same layout, other UUID) is refused by UUID.
  std::string other = dir.file("other.img");
  (void)create_disk(fast_request(other, dir.file("pass")), {});
  {
    Luks_disk opened(other);
    nlohmann::json token = {{"type", k_token_type},
                            {"keyslots", nlohmann::json::array()},
                            {"blob", Botan::base64_encode(blob.data(), blob.size())}};
    opened.set_token_json(token.dump());
    write_sealed_area(other, blob);
  }
  before = sha256_of_file(other);
  {
    Luks_disk opened(other);
    CHECK_THROWS_WITH(read_seal(opened), Catch::Contains("belongs to disk"));
  }
  CHECK(sha256_of_file(other) == before);
}

TEST_CASE("sizes parse with binary units and bad sizes are named", "[storage][disk]") {
  // One syntax everywhere (sk/size_text.hpp): a unit is required, so "4096" meant as MiB
  // cannot become 4096 bytes.
  CHECK_THROWS_WITH(parse_size("4096"), Catch::Contains("'4096' is not a size: no unit"));
  CHECK(parse_size("4K") == 4096);
  CHECK(parse_size("64MiB") == 64ull << 20);
  CHECK(parse_size("64M") == 64ull << 20);
  CHECK(parse_size("2G") == 2ull << 30);
  CHECK_THROWS_WITH(parse_size("12Q"), Catch::Contains("--size"));
  CHECK_THROWS_WITH(parse_size("0"), Catch::Contains("--size"));
  CHECK_THROWS_WITH(parse_size("lots"), Catch::Contains("--size"));
}

TEST_CASE("the kernel's binding check accepts the blob's own disk only", "[storage][disk]") {
  Scratch_dir dir;
  write_file(dir.file("pass"), "recovery words");
  (void)create_disk(fast_request(dir.file("a.img"), dir.file("pass")), {});
  (void)create_disk(fast_request(dir.file("b.img"), dir.file("pass")), {});
  sk::storage::Sealed_key k{};
  {
    Luks_disk a(dir.file("a.img"));
    plant_seal(a);
    auto seal = read_seal(a);
    REQUIRE(seal.has_value());
    k = seal->key;
  }
  auto header_of = [&](const std::string& name) {
    auto bytes = read_file(dir.file(name));
    bytes.resize(16384);
    return bytes;
  };
  auto a = header_of("a.img");
  CHECK(sk::storage::check_disk_binding(a.data(), a.size(), k).ok());
  auto b = header_of("b.img");
  CHECK(sk::storage::check_disk_binding(b.data(), b.size(), k).error() == sk::Error::denied);
  auto damaged = a;
  damaged[5000] ^= 1;
  CHECK(sk::storage::check_disk_binding(damaged.data(), damaged.size(), k).error() == sk::Error::bad_digest);
  damaged = a;
  damaged[0] = 'X';
  CHECK(sk::storage::check_disk_binding(damaged.data(), damaged.size(), k).error() == sk::Error::bad_magic);
  CHECK(sk::storage::check_disk_binding(a.data(), 8192, k).error() == sk::Error::truncated);
}
