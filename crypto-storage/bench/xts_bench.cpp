// SPDX-License-Identifier: Apache-2.0
// Benchmark (not a test): sector encryption throughput of the core's AES-256-XTS built hosted,
// against Botan's XTS and OpenSSL's aes-256-xts, on the same 4096-byte sectors in one run,
// reported as MiB/s and as ratios to the core.
#include <botan/auto_rng.h>
#include <botan/cipher_mode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "arch/x86_64/aes_ni.hpp"
#include "sk/sealed_key.hpp"
#include "sk/xts.hpp"
#ifdef BH_BENCH_OPENSSL
#include <openssl/evp.h>
#endif

namespace {

constexpr size_t k_sector = 4096;
constexpr size_t k_total = 32u << 20;

double best_mib_per_s(const std::function<void(std::vector<uint8_t>&)>& encrypt_all,
                      std::vector<uint8_t> data) {
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    auto start = std::chrono::steady_clock::now();
    encrypt_all(data);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, double(k_total) / (1 << 20) / seconds);
  }
  return best;
}

void tweak_bytes(uint64_t sector, uint8_t out[16]) {
  uint64_t iv = sk::storage::xts_tweak_for_sector(sector, k_sector);
  for (int i = 0; i < 16; ++i) out[i] = i < 8 ? uint8_t(iv >> (8 * i)) : 0;
}

}  // namespace

int main() {
  Botan::AutoSeeded_RNG rng;
  auto key = rng.random_vec(64);
  std::vector<uint8_t> data(k_total);
  rng.randomize(data.data(), data.size());

  sk::crypto::Xts_aes256 core;
  if (!core.set_key(key.data()).ok()) return 1;
  double core_speed = best_mib_per_s(
      [&](std::vector<uint8_t>& d) {
        for (size_t s = 0; s < d.size() / k_sector; ++s) {
          (void)core.encrypt(sk::storage::xts_tweak_for_sector(s, k_sector), d.data() + s * k_sector,
                             k_sector);
        }
      },
      data);

  // The kernel's sector path: AES-NI with the SSE state saved and restored around each sector.
  sk::arch::Aesni_xts aesni;
  double aesni_speed = 0;
  if (aesni.set_key(key.data()).ok()) {
    aesni_speed = best_mib_per_s(
        [&](std::vector<uint8_t>& d) {
          for (size_t s = 0; s < d.size() / k_sector; ++s) {
            (void)aesni.encrypt(sk::storage::xts_tweak_for_sector(s, k_sector), d.data() + s * k_sector, k_sector);
          }
        },
        data);
  }

  auto botan = Botan::Cipher_Mode::create_or_throw("AES-256/XTS", Botan::ENCRYPTION);
  botan->set_key(key);
  double botan_speed = best_mib_per_s(
      [&](std::vector<uint8_t>& d) {
        uint8_t tweak[16];
        for (size_t s = 0; s < d.size() / k_sector; ++s) {
          tweak_bytes(s, tweak);
          botan->start(tweak, 16);
          botan->process(d.data() + s * k_sector, k_sector);
        }
      },
      data);

  std::printf("AES-256-XTS, %zu-byte sectors, %zu MiB, best of 3\n", k_sector, k_total >> 20);
  std::printf("  core (sk::crypto, portable tables) %8.1f MiB/s  1.00\n", core_speed);
  std::printf("  kernel (AES-NI, SSE state saved)   %8.1f MiB/s  %.2f x core\n", aesni_speed,
              aesni_speed / core_speed);
  std::printf("  Botan 2 XTS                        %8.1f MiB/s  %.2f x core, %.2f x kernel\n", botan_speed,
              botan_speed / core_speed, aesni_speed > 0 ? botan_speed / aesni_speed : 0.0);
#ifdef BH_BENCH_OPENSSL
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  double openssl_speed = best_mib_per_s(
      [&](std::vector<uint8_t>& d) {
        uint8_t tweak[16];
        int n = 0;
        for (size_t s = 0; s < d.size() / k_sector; ++s) {
          tweak_bytes(s, tweak);
          EVP_EncryptInit_ex(ctx, EVP_aes_256_xts(), nullptr, key.data(), tweak);
          EVP_EncryptUpdate(ctx, d.data() + s * k_sector, &n, d.data() + s * k_sector, int(k_sector));
        }
      },
      data);
  EVP_CIPHER_CTX_free(ctx);
  std::printf("  OpenSSL aes-256-xts                %8.1f MiB/s  %.2f x core, %.2f x kernel\n", openssl_speed,
              openssl_speed / core_speed, aesni_speed > 0 ? openssl_speed / aesni_speed : 0.0);
#else
  std::printf("  OpenSSL: not built (libcrypto development files absent)\n");
#endif
  return 0;
}
