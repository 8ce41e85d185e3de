// SPDX-License-Identifier: Apache-2.0
// NIST P-256 arithmetic (see p256.hpp): field elements as four 64-bit limbs in Montgomery form,
// Jacobian coordinates, a = -3 doubling and general addition (Cohen-Miyaji-Ono / Bernstein-Lange
// formulas), inversion by Fermat's little theorem.
#include "sk/p256.hpp"

#include "sk/sha256.hpp"

namespace sk::crypto::p256 {
namespace {

using u64 = uint64_t;
__extension__ typedef unsigned __int128 u128;

struct Fe {
  u64 v[4];
};

// Little-endian limbs of the curve's constants (FIPS 186-4 D.1.2.3).
constexpr Fe k_p{{0xFFFFFFFFFFFFFFFFull, 0x00000000FFFFFFFFull, 0, 0xFFFFFFFF00000001ull}};
constexpr Fe k_b{{0x3BCE3C3E27D2604Bull, 0x651D06B0CC53B0F6ull, 0xB3EBBD55769886BCull, 0x5AC635D8AA3A93E7ull}};
constexpr Fe k_gx{{0xF4A13945D898C296ull, 0x77037D812DEB33A0ull, 0xF8BCE6E563A440F2ull, 0x6B17D1F2E12C4247ull}};
constexpr Fe k_gy{{0xCBB6406837BF51F5ull, 0x2BCE33576B315ECEull, 0x8EE7EB4A7C0F9E16ull, 0x4FE342E2FE1A7F9Bull}};
// n - 1, n the group order.
constexpr Fe k_n_minus_1{{0xF3B9CAC2FC632550ull, 0xBCE6FAADA7179E84ull, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFF00000000ull}};
// 2^256 mod p: Montgomery's R, the Montgomery form of 1.
constexpr Fe k_one{{1, 0xFFFFFFFF00000000ull, 0xFFFFFFFFFFFFFFFFull, 0x00000000FFFFFFFEull}};

// r = t - p if t (with carry bit above it) >= p, else t. Constant time.
void reduce_once(Fe& r, const u64 t[4], u64 carry) {
  u64 d[4];
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 s = u128(t[i]) - k_p.v[i] - borrow;
    d[i] = u64(s);
    borrow = u64(s >> 64) & 1;
  }
  const u64 use_d = 0 - (carry | (borrow ^ 1));
  for (int i = 0; i < 4; ++i) r.v[i] = (d[i] & use_d) | (t[i] & ~use_d);
}

void add(Fe& r, const Fe& a, const Fe& b) {
  u64 t[4];
  u64 carry = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 s = u128(a.v[i]) + b.v[i] + carry;
    t[i] = u64(s);
    carry = u64(s >> 64);
  }
  reduce_once(r, t, carry);
}

void sub(Fe& r, const Fe& a, const Fe& b) {
  u64 t[4];
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 s = u128(a.v[i]) - b.v[i] - borrow;
    t[i] = u64(s);
    borrow = u64(s >> 64) & 1;
  }
  const u64 mask = 0 - borrow;  // add p back if a < b
  u64 carry = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 s = u128(t[i]) + (k_p.v[i] & mask) + carry;
    r.v[i] = u64(s);
    carry = u64(s >> 64);
  }
}

// r = a * b / R mod p (Montgomery multiplication, CIOS). -p^-1 mod 2^64 is 1 for this p.
void mul(Fe& r, const Fe& a, const Fe& b) {
  u64 t[6] = {};
  for (int i = 0; i < 4; ++i) {
    u64 c = 0;
    for (int j = 0; j < 4; ++j) {
      const u128 s = u128(a.v[j]) * b.v[i] + t[j] + c;
      t[j] = u64(s);
      c = u64(s >> 64);
    }
    u128 s = u128(t[4]) + c;
    t[4] = u64(s);
    t[5] = u64(s >> 64);
    const u64 m = t[0];
    s = u128(m) * k_p.v[0] + t[0];
    c = u64(s >> 64);
    for (int j = 1; j < 4; ++j) {
      s = u128(m) * k_p.v[j] + t[j] + c;
      t[j - 1] = u64(s);
      c = u64(s >> 64);
    }
    s = u128(t[4]) + c;
    t[3] = u64(s);
    t[4] = t[5] + u64(s >> 64);
  }
  reduce_once(r, t, t[4]);
}

void sqr(Fe& r, const Fe& a) { mul(r, a, a); }

// 2^512 mod p: multiplying by it converts into Montgomery form.
Fe r_squared() {
  Fe r = k_one;
  for (int i = 0; i < 256; ++i) add(r, r, r);
  return r;
}

void to_mont(Fe& r, const Fe& a) { mul(r, a, r_squared()); }
void from_mont(Fe& r, const Fe& a) {
  const Fe one{{1, 0, 0, 0}};
  mul(r, a, one);
}

// r = a^(p-2) = a^-1 (a != 0). The exponent is public: square and multiply.
void invert(Fe& r, const Fe& a) {
  const Fe e{{0xFFFFFFFFFFFFFFFDull, 0x00000000FFFFFFFFull, 0, 0xFFFFFFFF00000001ull}};
  Fe acc = k_one;
  for (int i = 255; i >= 0; --i) {
    sqr(acc, acc);
    if ((e.v[i / 64] >> (i % 64)) & 1) mul(acc, acc, a);
  }
  r = acc;
}

// Big-endian bytes <-> limbs; from_bytes fails for a value >= p.
bool from_bytes(Fe& r, const uint8_t in[k_size]) {
  for (int limb = 0; limb < 4; ++limb) {
    u64 v = 0;
    for (int k = 0; k < 8; ++k) v = v << 8 | in[(3 - limb) * 8 + k];
    r.v[limb] = v;
  }
  for (int i = 3; i >= 0; --i) {
    if (r.v[i] != k_p.v[i]) return r.v[i] < k_p.v[i];
  }
  return false;  // equal to p
}

void to_bytes(uint8_t out[k_size], const Fe& a) {
  for (int limb = 0; limb < 4; ++limb) {
    for (int k = 0; k < 8; ++k) out[(3 - limb) * 8 + k] = uint8_t(a.v[limb] >> (56 - 8 * k));
  }
}

struct Jacobian {
  Fe x, y, z;
};

// r = 2a for a = -3 (dbl-2001-b). a is never the point at infinity here (see multiply).
void dbl(Jacobian& r, const Jacobian& a) {
  Fe delta, gamma, beta, alpha, t1, t2;
  sqr(delta, a.z);
  sqr(gamma, a.y);
  mul(beta, a.x, gamma);
  sub(t1, a.x, delta);
  add(t2, a.x, delta);
  mul(alpha, t1, t2);
  add(t1, alpha, alpha);
  add(alpha, t1, alpha);  // 3 (x - delta)(x + delta)
  Jacobian out;
  sqr(out.x, alpha);
  add(t1, beta, beta);
  add(t1, t1, t1);  // 4 beta
  add(t2, t1, t1);  // 8 beta
  sub(out.x, out.x, t2);
  add(out.z, a.y, a.z);
  sqr(out.z, out.z);
  sub(out.z, out.z, gamma);
  sub(out.z, out.z, delta);
  sub(t1, t1, out.x);
  mul(out.y, alpha, t1);
  sqr(t2, gamma);
  add(t2, t2, t2);
  add(t2, t2, t2);
  add(t2, t2, t2);  // 8 gamma^2
  sub(out.y, out.y, t2);
  r = out;
}

// r = a + b (add-2007-bl) for a != ±b, neither at infinity (see multiply).
void add_points(Jacobian& r, const Jacobian& a, const Jacobian& b) {
  Fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
  sqr(z1z1, a.z);
  sqr(z2z2, b.z);
  mul(u1, a.x, z2z2);
  mul(u2, b.x, z1z1);
  mul(t, b.z, z2z2);
  mul(s1, a.y, t);
  mul(t, a.z, z1z1);
  mul(s2, b.y, t);
  sub(h, u2, u1);
  add(i, h, h);
  sqr(i, i);
  mul(j, h, i);
  sub(rr, s2, s1);
  add(rr, rr, rr);
  mul(v, u1, i);
  Jacobian out;
  sqr(out.x, rr);
  sub(out.x, out.x, j);
  sub(out.x, out.x, v);
  sub(out.x, out.x, v);
  sub(t, v, out.x);
  mul(out.y, rr, t);
  mul(t, s1, j);
  add(t, t, t);
  sub(out.y, out.y, t);
  add(out.z, a.z, b.z);
  sqr(out.z, out.z);
  sub(out.z, out.z, z1z1);
  sub(out.z, out.z, z2z2);
  mul(out.z, out.z, h);
  r = out;
}

void cswap(Jacobian& a, Jacobian& b, u64 bit) {
  const u64 mask = 0 - bit;
  Fe* pa[3] = {&a.x, &a.y, &a.z};
  Fe* pb[3] = {&b.x, &b.y, &b.z};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 4; ++i) {
      const u64 t = mask & (pa[c]->v[i] ^ pb[c]->v[i]);
      pa[c]->v[i] ^= t;
      pb[c]->v[i] ^= t;
    }
  }
}

bool affine_on_curve(const Fe& x, const Fe& y) {  // Montgomery form
  Fe lhs, rhs, t, b;
  sqr(lhs, y);
  sqr(rhs, x);
  mul(rhs, rhs, x);
  add(t, x, x);
  add(t, t, x);
  sub(rhs, rhs, t);
  to_mont(b, k_b);
  add(rhs, rhs, b);
  u64 diff = 0;
  for (int i = 0; i < 4; ++i) diff |= lhs.v[i] ^ rhs.v[i];
  return diff == 0;
}

}  // namespace

bool on_curve(const Point& p) {
  Fe x, y;
  if (!from_bytes(x, p.x) || !from_bytes(y, p.y)) return false;
  to_mont(x, x);
  to_mont(y, y);
  return affine_on_curve(x, y);
}

bool valid_scalar(const uint8_t scalar[k_size]) {
  if ((scalar[0] & 0x80) == 0) return false;
  // scalar < n - 1, compared without branching on the secret's bytes.
  uint8_t limit[k_size];
  to_bytes(limit, k_n_minus_1);
  uint32_t less = 0, decided = 0;
  for (size_t i = 0; i < k_size; ++i) {
    const uint32_t lt = uint32_t(scalar[i] < limit[i]);
    const uint32_t ne = uint32_t(scalar[i] != limit[i]);
    less |= lt & ~decided;
    decided |= ne;
  }
  return less != 0;
}

void scalar_from_seed(const uint8_t seed[k_size], uint8_t scalar[k_size]) {
  for (uint32_t counter = 0;; ++counter) {
    Sha256 h;
    h.update("bulkhead p256 scalar", 20);
    h.update(seed, k_size);
    const uint8_t c[4] = {uint8_t(counter >> 24), uint8_t(counter >> 16), uint8_t(counter >> 8), uint8_t(counter)};
    h.update(c, sizeof c);
    h.finish(scalar);
    scalar[0] |= 0x80;
    if (valid_scalar(scalar)) return;  // fails with probability about 2^-32
  }
}

bool multiply(const uint8_t scalar[k_size], const Point* base, Point& out) {
  if (!valid_scalar(scalar)) return false;
  Jacobian p{};
  if (base) {
    if (!from_bytes(p.x, base->x) || !from_bytes(p.y, base->y)) return false;
  } else {
    p.x = k_gx;
    p.y = k_gy;
  }
  to_mont(p.x, p.x);
  to_mont(p.y, p.y);
  if (!affine_on_curve(p.x, p.y)) return false;
  p.z = k_one;
  // Ladder invariant: r1 = r0 + p, r0 = k p with k the scalar's bits seen so far (top bit first,
  // which is set). k stays below n - 1, so no intermediate point is infinity and r0 != ±r1.
  Jacobian r0 = p, r1;
  dbl(r1, p);
  for (int i = 254; i >= 0; --i) {
    const u64 bit = (scalar[31 - i / 8] >> (i % 8)) & 1;
    cswap(r0, r1, bit);
    add_points(r1, r0, r1);
    dbl(r0, r0);
    cswap(r0, r1, bit);
  }
  Fe zinv, zinv2, x, y;
  invert(zinv, r0.z);
  sqr(zinv2, zinv);
  mul(x, r0.x, zinv2);
  mul(zinv2, zinv2, zinv);
  mul(y, r0.y, zinv2);
  from_mont(x, x);
  from_mont(y, y);
  to_bytes(out.x, x);
  to_bytes(out.y, y);
  return true;
}

}  // namespace sk::crypto::p256
