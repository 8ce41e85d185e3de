// SPDX-License-Identifier: Apache-2.0
// AES-256 and AES-256-XTS of the core: FIPS-197 and IEEE 1619 vectors, then Botan on random data.
#include <botan/cipher_mode.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "sk/aes.hpp"
#include "hex.hpp"
#include "sk/xts.hpp"

using bh::test::unhex;

TEST_CASE("AES-256 matches FIPS-197 appendix C.3", "[core][crypto]") {
  auto key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  auto pt = unhex("00112233445566778899aabbccddeeff");
  sk::crypto::Aes256 aes;
  aes.set_key(key.data());
  uint8_t ct[16], back[16];
  aes.encrypt_block(pt.data(), ct);
  CHECK(std::vector<uint8_t>(ct, ct + 16) == unhex("8ea2b7ca516745bfeafc49904b496089"));
  aes.decrypt_block(ct, back);
  CHECK(std::vector<uint8_t>(back, back + 16) == pt);
}

TEST_CASE("XTS-AES-256 matches IEEE 1619 vector 10 (512-byte sector 0xff)", "[core][crypto]") {
  auto key = unhex(
      "2718281828459045235360287471352662497757247093699959574966967627"
      "3141592653589793238462643383279502884197169399375105820974944592");
  std::vector<uint8_t> data(512);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i);
  auto expected = unhex(
      "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
      "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
      "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
      "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
      "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
      "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
      "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
      "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
      "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
      "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
      "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
      "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
      "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
      "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
      "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
      "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151");
  sk::crypto::Xts_aes256 xts;
  REQUIRE(xts.set_key(key.data()).ok());
  auto buf = data;
  REQUIRE(xts.encrypt(0xff, buf.data(), buf.size()).ok());
  CHECK(buf == expected);
  REQUIRE(xts.decrypt(0xff, buf.data(), buf.size()).ok());
  CHECK(buf == data);
}

TEST_CASE("XTS refuses partial blocks, empty units and equal key halves", "[core][crypto]") {
  std::vector<uint8_t> key(64, 0x11);
  sk::crypto::Xts_aes256 xts;
  CHECK(xts.set_key(key.data()).error() == sk::Error::bad_argument);
  key[40] = 0x12;
  REQUIRE(xts.set_key(key.data()).ok());
  std::vector<uint8_t> data(33, 0);
  CHECK(xts.encrypt(0, data.data(), data.size()).error() == sk::Error::bad_argument);
  CHECK(xts.encrypt(0, data.data(), 0).error() == sk::Error::bad_argument);
  CHECK(std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; }));
  xts.wipe();
  CHECK(xts.encrypt(0, data.data(), 32).error() == sk::Error::bad_argument);
}

TEST_CASE("XTS-AES-256 agrees with Botan on random keys, sectors and data", "[core][crypto][property]") {
  std::mt19937_64 rng(0x1619);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint8_t> key(64);
    for (auto& b : key) b = uint8_t(rng());
    size_t size = 16 * (1 + rng() % 256);
    std::vector<uint8_t> data(size);
    for (auto& b : data) b = uint8_t(rng());
    uint64_t sector = rng();

    sk::crypto::Xts_aes256 mine;
    REQUIRE(mine.set_key(key.data()).ok());
    auto ours = data;
    REQUIRE(mine.encrypt(sector, ours.data(), ours.size()).ok());

    auto enc = Botan::Cipher_Mode::create_or_throw("AES-256/XTS", Botan::ENCRYPTION);
    enc->set_key(key.data(), key.size());
    std::vector<uint8_t> tweak(16, 0);
    for (int i = 0; i < 8; ++i) tweak[i] = uint8_t(sector >> (8 * i));
    enc->start(tweak);
    Botan::secure_vector<uint8_t> theirs(data.begin(), data.end());
    enc->finish(theirs);
    REQUIRE(std::vector<uint8_t>(theirs.begin(), theirs.end()) == ours);

    REQUIRE(mine.decrypt(sector, ours.data(), ours.size()).ok());
    REQUIRE(ours == data);
  }
}
