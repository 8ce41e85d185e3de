// SPDX-License-Identifier: Apache-2.0
// Kernel log: printf-like formatting onto the serial console. Formats: %s %c %d %u %x (with
// l/ll for 64-bit), %% ; %x prints lower-case hex without prefix. Lines longer than the
// internal buffer (256 bytes) are truncated, never overrun.
#pragma once
#include <stdarg.h>
#include <stddef.h>

namespace sk::log {

void print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Formats into buf (capacity >= 1, always NUL-terminated). Returns the length written.
size_t format(char* buf, size_t capacity, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// Panic path only: writes prefix, text and a newline, taking the serial lock if it can.
void panic_write(const char* prefix, const char* text);
size_t vformat(char* buf, size_t capacity, const char* fmt, va_list ap);

}  // namespace sk::log
