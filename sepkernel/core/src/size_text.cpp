// SPDX-License-Identifier: Apache-2.0
// Sizes with units (see size_text.hpp).
#include "sk/size_text.hpp"

namespace sk::size_text {

namespace {
bool same(const char* a, size_t n, const char* b) {
  size_t i = 0;
  for (; i < n && b[i]; ++i) {
    if (a[i] != b[i]) return false;
  }
  return i == n && b[i] == '\0';
}
}  // namespace

Problem parse(const char* text, size_t n, uint64_t& bytes) {
  size_t i = 0;
  uint64_t value = 0;
  for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (value > (~uint64_t{0} - 9) / 10) return Problem::too_large;
    value = value * 10 + uint64_t(text[i] - '0');
  }
  if (i == 0) return Problem::not_a_number;
  const char* unit = text + i;
  const size_t unit_n = n - i;
  unsigned shift;
  if (unit_n == 0) return Problem::no_unit;
  if (same(unit, unit_n, "K") || same(unit, unit_n, "KiB")) {
    shift = 10;
  } else if (same(unit, unit_n, "M") || same(unit, unit_n, "MiB")) {
    shift = 20;
  } else if (same(unit, unit_n, "G") || same(unit, unit_n, "GiB")) {
    shift = 30;
  } else if (same(unit, unit_n, "T") || same(unit, unit_n, "TiB")) {
    shift = 40;
  } else {
    return Problem::unknown_unit;
  }
  if (value == 0) return Problem::zero;
  if (value > (uint64_t{1} << (62 - shift))) return Problem::too_large;
  bytes = value << shift;
  return Problem::none;
}

const char* phrase(Problem p) {
  switch (p) {
    case Problem::not_a_number: return "not a number with a unit (e.g. 64M, 2G)";
    case Problem::no_unit: return "no unit: write K, M, G or T (binary: 64M is 64 MiB)";
    case Problem::unknown_unit: return "unknown unit (K, M, G or T; KiB, MiB, GiB, TiB)";
    case Problem::zero: return "zero";
    case Problem::too_large: return "too large";
    default: return "";
  }
}

}  // namespace sk::size_text
