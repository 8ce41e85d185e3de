// SPDX-License-Identifier: Apache-2.0
// A tiny freestanding text builder: the validator composes its messages with it, in the
// kernel and on the host. It never writes past its buffer and always leaves it NUL-terminated.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sk/policy.hpp"

namespace sk {

class Text {
 public:
  // Precondition: capacity >= 1. The buffer holds "" after construction.
  Text(char* buffer, size_t capacity);

  // Appends s; text beyond the capacity is dropped (the result stays NUL-terminated).
  Text& str(const char* s);
  // Appends a bounded string: at most max bytes of s, stopping at the first NUL.
  Text& str(const char* s, size_t max);
  // Appends "name" in double quotes (a Name need not be NUL-terminated: bounded read).
  Text& quoted(const policy::Name& n);
  Text& dec(uint64_t v);
  Text& hex(uint64_t v);  // 0x-prefixed, lower case, no leading zeros
  // Appends "[0xbase, 0xend)"; an end that overflows 64 bits prints as "0x10000000000000000".
  Text& range(uint64_t base, uint64_t size);
  Text& ch(char c);

  const char* c_str() const { return buffer_; }
  size_t size() const { return length_; }

 private:
  char* buffer_;
  size_t capacity_;
  size_t length_;
};

}  // namespace sk
