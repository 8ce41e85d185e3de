// SPDX-License-Identifier: Apache-2.0
// NIST P-256 (FIPS 186-4 D.1.2.3) for one job: the kernel's ECDH with the TPM's storage primary,
// which salts its unseal session (docs/storage.md, "The kernel's unseal session"). Freestanding,
// no allocation; scalar multiplication is a Montgomery ladder with constant-time swaps, so the
// secret scalar does not steer branches or memory addresses. Tested against Botan.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::crypto::p256 {

inline constexpr size_t k_size = 32;  // bytes of a coordinate or scalar, big-endian

struct Point {
  uint8_t x[k_size];
  uint8_t y[k_size];
};

// True if (x, y) is a point of the curve (both coordinates below p, y^2 = x^3 - 3x + b). Every
// point of P-256 other than infinity has the group's prime order, so no further check is needed.
[[nodiscard]] bool on_curve(const Point& p);

// True if scalar (big-endian) is usable by multiply(): 2^255 <= scalar < n - 1 (top bit set, so
// the ladder never meets the point at infinity).
[[nodiscard]] bool valid_scalar(const uint8_t scalar[k_size]);

// Derives a valid scalar from 32 bytes of random seed (SHA-256 with a counter until valid, then
// the top bit set). Postcondition: valid_scalar(scalar).
void scalar_from_seed(const uint8_t seed[k_size], uint8_t scalar[k_size]);

// out = scalar * base (base: the curve's generator when null). Preconditions: valid_scalar(scalar);
// base on the curve. Returns false (out untouched) if either is violated.
[[nodiscard]] bool multiply(const uint8_t scalar[k_size], const Point* base, Point& out);

}  // namespace sk::crypto::p256
