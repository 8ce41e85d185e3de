// SPDX-License-Identifier: Apache-2.0
// The freestanding text builder (see text.hpp).
#include "sk/text.hpp"

namespace sk {

Text::Text(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity), length_(0) {
  if (capacity_ > 0) buffer_[0] = '\0';
}

Text& Text::ch(char c) {
  if (length_ + 1 < capacity_) {
    buffer_[length_++] = c;
    buffer_[length_] = '\0';
  }
  return *this;
}

Text& Text::str(const char* s) {
  for (; *s != '\0'; ++s) ch(*s);
  return *this;
}

Text& Text::str(const char* s, size_t max) {
  for (size_t i = 0; i < max && s[i] != '\0'; ++i) ch(s[i]);
  return *this;
}

Text& Text::quoted(const policy::Name& n) {
  ch('"');
  // Names reach logs and terminals: anything outside printable ASCII (and the quote itself)
  // prints as '?', so a hostile name cannot forge or hide message text.
  for (uint32_t i = 0; i < policy::k_name_len && n.text[i] != '\0'; ++i) {
    char c = n.text[i];
    ch(c >= 0x20 && c < 0x7F && c != '"' ? c : '?');
  }
  return ch('"');
}

Text& Text::dec(uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) ch(digits[--n]);
  return *this;
}

Text& Text::hex(uint64_t v) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 0xF];
    v >>= 4;
  } while (v != 0);
  str("0x");
  while (n > 0) ch(digits[--n]);
  return *this;
}

Text& Text::range(uint64_t base, uint64_t size) {
  ch('[').hex(base).str(", ");
  uint64_t end = base + size;
  if (end < base) {
    // The end does not fit in 64 bits: print it with the carry digit.
    str("0x1");
    for (int shift = 60; shift >= 0; shift -= 4) ch("0123456789abcdef"[(end >> shift) & 0xF]);
  } else {
    hex(end);
  }
  return ch(')');
}

}  // namespace sk
