// SPDX-License-Identifier: Apache-2.0
// The kernel's AES-NI XTS (sepkernel/arch/x86_64/aes_ni.*, built hosted): IEEE 1619 vector 10,
// then agreement with the core's portable XTS and with Botan on random keys, tweaks and sizes;
// the caller's SSE registers are the same after a call as before it.
#include <botan/cipher_mode.h>

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "arch/x86_64/aes_ni.hpp"
#include "hex.hpp"
#include "sk/xts.hpp"

using bh::test::unhex;

TEST_CASE("AES-NI XTS matches IEEE 1619 vector 10 and decrypts it back", "[core][crypto][aesni]") {
  REQUIRE(sk::arch::aesni_available());  // every x86-64 this project builds on has AES-NI
  auto key = unhex(
      "2718281828459045235360287471352662497757247093699959574966967627"
      "3141592653589793238462643383279502884197169399375105820974944592");
  std::vector<uint8_t> data(512);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i);
  sk::crypto::Xts_aes256 reference;
  REQUIRE(reference.set_key(key.data()).ok());
  auto expected = data;
  REQUIRE(reference.encrypt(0xff, expected.data(), expected.size()).ok());
  // The reference itself is checked against the published ciphertext in xts_test.cpp; spot-check
  // its first and last 16 bytes here too.
  CHECK(expected[0] == 0x1c);
  CHECK(expected[511] == 0x51);

  sk::arch::Aesni_xts xts;
  REQUIRE(xts.set_key(key.data()).ok());
  auto buf = data;
  REQUIRE(xts.encrypt(0xff, buf.data(), buf.size()).ok());
  CHECK(buf == expected);
  REQUIRE(xts.decrypt(0xff, buf.data(), buf.size()).ok());
  CHECK(buf == data);
  CHECK(xts.encrypt(0, buf.data(), 15).error() == sk::Error::bad_argument);
  xts.wipe();
  CHECK(xts.encrypt(0, buf.data(), 16).error() == sk::Error::denied);
}

TEST_CASE("AES-NI XTS agrees with the core and with Botan on random data", "[core][crypto][aesni][property]") {
  REQUIRE(sk::arch::aesni_available());
  std::mt19937_64 rng(0xAE5);
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> key(64);
    for (auto& b : key) b = uint8_t(rng());
    size_t size = 16 * (1 + rng() % 256);
    std::vector<uint8_t> data(size);
    for (auto& b : data) b = uint8_t(rng());
    uint64_t tweak = round % 3 == 0 ? rng() : rng() % 100000;

    sk::arch::Aesni_xts fast;
    sk::crypto::Xts_aes256 reference;
    REQUIRE(fast.set_key(key.data()).ok());
    REQUIRE(reference.set_key(key.data()).ok());
    auto a = data, b = data;
    REQUIRE(fast.encrypt(tweak, a.data(), a.size()).ok());
    REQUIRE(reference.encrypt(tweak, b.data(), b.size()).ok());
    REQUIRE(a == b);

    auto enc = Botan::Cipher_Mode::create_or_throw("AES-256/XTS", Botan::ENCRYPTION);
    enc->set_key(key.data(), key.size());
    std::vector<uint8_t> t(16, 0);
    for (int i = 0; i < 8; ++i) t[i] = uint8_t(tweak >> (8 * i));
    enc->start(t);
    Botan::secure_vector<uint8_t> theirs(data.begin(), data.end());
    enc->finish(theirs);
    REQUIRE(std::vector<uint8_t>(theirs.begin(), theirs.end()) == a);

    REQUIRE(fast.decrypt(tweak, a.data(), a.size()).ok());
    REQUIRE(a == data);
  }
}

TEST_CASE("AES-NI XTS leaves the caller's SSE registers as they were", "[core][crypto][aesni]") {
  REQUIRE(sk::arch::aesni_available());
  std::vector<uint8_t> key(64, 0x42), data(4096, 0x17);
  sk::arch::Aesni_xts xts;
  REQUIRE(xts.set_key(key.data()).ok());
  alignas(16) uint8_t before[16], after[16];
  for (int i = 0; i < 16; ++i) before[i] = uint8_t(0xA0 + i);
  // xmm0..xmm5 hold a known pattern across the call (as a guest's would in the kernel).
  asm volatile(
      "movdqu %[in], %%xmm0\n"
      "movdqa %%xmm0, %%xmm1\n movdqa %%xmm0, %%xmm2\n movdqa %%xmm0, %%xmm3\n"
      "movdqa %%xmm0, %%xmm4\n movdqa %%xmm0, %%xmm5\n"
      :
      : [in] "m"(before)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5");
  sk::Status s = xts.encrypt(7, data.data(), data.size());
  asm volatile("movdqu %%xmm5, %[out]\n" : [out] "=m"(after) : : "xmm5");
  REQUIRE(s.ok());
  CHECK(std::equal(before, before + 16, after));
}
