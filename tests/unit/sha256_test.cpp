// SPDX-License-Identifier: Apache-2.0
// SHA-256 of the core against FIPS 180-4 examples and against Botan on random data.
#include <botan/hash.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "sk/sha256.hpp"

namespace {
std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-4 examples", "[core][sha256]") {
  uint8_t out[32];
  sk::Sha256::digest("abc", 3, out);
  CHECK(hex(out, 32) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char* two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sk::Sha256::digest(two, std::strlen(two), out);
  CHECK(hex(out, 32) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  sk::Sha256::digest("", 0, out);
  CHECK(hex(out, 32) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256 agrees with Botan on random data split at random points", "[core][sha256][property]") {
  std::mt19937_64 rng(0xB0C4);
  auto botan = Botan::HashFunction::create_or_throw("SHA-256");
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> data(rng() % 1000);
    for (auto& b : data) b = uint8_t(rng());
    sk::Sha256 h;
    size_t pos = 0;
    while (pos < data.size()) {
      size_t n = std::min<size_t>(data.size() - pos, rng() % 130);
      h.update(data.data() + pos, n);
      pos += n;
    }
    uint8_t mine[32];
    h.finish(mine);
    auto theirs = botan->process(data);
    REQUIRE(hex(mine, 32) == hex(theirs.data(), theirs.size()));
  }
}
