// SPDX-License-Identifier: Apache-2.0
// AES-256 (FIPS-197): key expansion and the forward and inverse ciphers, byte-oriented.
#include "sk/aes.hpp"

namespace sk::crypto {

namespace {

// The S-box is computed once from its definition (multiplicative inverse in GF(2^8) followed by
// the affine map), so no table is typed by hand.
struct Sboxes {
  uint8_t forward[256];
  uint8_t inverse[256];
};

constexpr uint8_t xtime(uint8_t x) { return uint8_t((x << 1) ^ ((x & 0x80) ? 0x1B : 0)); }

constexpr uint8_t gf_mul(uint8_t a, uint8_t b) {
  uint8_t r = 0;
  while (b) {
    if (b & 1) r ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return r;
}

constexpr uint8_t rotl8(uint8_t x, int n) { return uint8_t((x << n) | (x >> (8 - n))); }

constexpr Sboxes make_sboxes() {
  // Inverses through logarithms to the generator 3: a^-1 = 3^(255 - log3(a)).
  uint8_t power[255] = {};
  uint8_t log[256] = {};
  uint8_t x = 1;
  for (int i = 0; i < 255; ++i) {
    power[i] = x;
    log[x] = uint8_t(i);
    x = uint8_t(x ^ xtime(x));
  }
  Sboxes s{};
  for (int i = 0; i < 256; ++i) {
    uint8_t inv = i == 0 ? 0 : power[(255 - log[i]) % 255];
    uint8_t b = uint8_t(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63);
    s.forward[i] = b;
    s.inverse[b] = uint8_t(i);
  }
  return s;
}

constexpr Sboxes k_sbox = make_sboxes();

void add_round_key(uint8_t* state, const uint8_t* key) {
  for (int i = 0; i < 16; ++i) state[i] ^= key[i];
}

void sub_bytes(uint8_t* s) {
  for (int i = 0; i < 16; ++i) s[i] = k_sbox.forward[s[i]];
}

void inv_sub_bytes(uint8_t* s) {
  for (int i = 0; i < 16; ++i) s[i] = k_sbox.inverse[s[i]];
}

// State is column-major: byte (row r, column c) is s[4c + r].
void shift_rows(uint8_t* s) {
  uint8_t t[16];
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) t[4 * c + r] = s[4 * ((c + r) % 4) + r];
  for (int i = 0; i < 16; ++i) s[i] = t[i];
}

void inv_shift_rows(uint8_t* s) {
  uint8_t t[16];
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) t[4 * ((c + r) % 4) + r] = s[4 * c + r];
  for (int i = 0; i < 16; ++i) s[i] = t[i];
}

void mix_columns(uint8_t* s) {
  for (int c = 0; c < 4; ++c) {
    uint8_t* col = s + 4 * c;
    uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
    col[0] = uint8_t(xtime(a0) ^ (xtime(a1) ^ a1) ^ a2 ^ a3);
    col[1] = uint8_t(a0 ^ xtime(a1) ^ (xtime(a2) ^ a2) ^ a3);
    col[2] = uint8_t(a0 ^ a1 ^ xtime(a2) ^ (xtime(a3) ^ a3));
    col[3] = uint8_t((xtime(a0) ^ a0) ^ a1 ^ a2 ^ xtime(a3));
  }
}

void inv_mix_columns(uint8_t* s) {
  for (int c = 0; c < 4; ++c) {
    uint8_t* col = s + 4 * c;
    uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
    col[0] = uint8_t(gf_mul(a0, 14) ^ gf_mul(a1, 11) ^ gf_mul(a2, 13) ^ gf_mul(a3, 9));
    col[1] = uint8_t(gf_mul(a0, 9) ^ gf_mul(a1, 14) ^ gf_mul(a2, 11) ^ gf_mul(a3, 13));
    col[2] = uint8_t(gf_mul(a0, 13) ^ gf_mul(a1, 9) ^ gf_mul(a2, 14) ^ gf_mul(a3, 11));
    col[3] = uint8_t(gf_mul(a0, 11) ^ gf_mul(a1, 13) ^ gf_mul(a2, 9) ^ gf_mul(a3, 14));
  }
}

}  // namespace

void Aes256::set_key(const uint8_t key[k_key_size]) {
  constexpr int nk = 8;
  constexpr int words = 4 * (k_rounds + 1);
  uint8_t* w = round_keys_;
  for (int i = 0; i < 4 * nk; ++i) w[i] = key[i];
  uint8_t rcon = 1;
  for (int i = nk; i < words; ++i) {
    uint8_t t[4] = {w[4 * (i - 1)], w[4 * (i - 1) + 1], w[4 * (i - 1) + 2], w[4 * (i - 1) + 3]};
    if (i % nk == 0) {
      uint8_t first = t[0];
      t[0] = uint8_t(k_sbox.forward[t[1]] ^ rcon);
      t[1] = k_sbox.forward[t[2]];
      t[2] = k_sbox.forward[t[3]];
      t[3] = k_sbox.forward[first];
      rcon = xtime(rcon);
    } else if (i % nk == 4) {
      for (auto& b : t) b = k_sbox.forward[b];
    }
    for (int j = 0; j < 4; ++j) w[4 * i + j] = uint8_t(w[4 * (i - nk) + j] ^ t[j]);
  }
}

void Aes256::encrypt_block(const uint8_t in[k_block_size], uint8_t out[k_block_size]) const {
  uint8_t s[16];
  for (int i = 0; i < 16; ++i) s[i] = in[i];
  add_round_key(s, round_keys_);
  for (int round = 1; round < k_rounds; ++round) {
    sub_bytes(s);
    shift_rows(s);
    mix_columns(s);
    add_round_key(s, round_keys_ + 16 * round);
  }
  sub_bytes(s);
  shift_rows(s);
  add_round_key(s, round_keys_ + 16 * k_rounds);
  for (int i = 0; i < 16; ++i) out[i] = s[i];
}

void Aes256::decrypt_block(const uint8_t in[k_block_size], uint8_t out[k_block_size]) const {
  uint8_t s[16];
  for (int i = 0; i < 16; ++i) s[i] = in[i];
  add_round_key(s, round_keys_ + 16 * k_rounds);
  for (int round = k_rounds - 1; round > 0; --round) {
    inv_shift_rows(s);
    inv_sub_bytes(s);
    add_round_key(s, round_keys_ + 16 * round);
    inv_mix_columns(s);
  }
  inv_shift_rows(s);
  inv_sub_bytes(s);
  add_round_key(s, round_keys_);
  for (int i = 0; i < 16; ++i) out[i] = s[i];
}

void Aes256::wipe() {
  volatile uint8_t* p = round_keys_;
  for (size_t i = 0; i < sizeof(round_keys_); ++i) p[i] = 0;
}

}  // namespace sk::crypto
