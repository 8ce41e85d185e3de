// SPDX-License-Identifier: Apache-2.0
// Kernel log: printf-like formatting onto the serial console. Formats: %s %c %d %u %x (with
// l/ll for 64-bit), %% ; %x prints lower-case hex without prefix. Lines longer than the
// internal buffer (256 bytes) are truncated, never overrun.
// Until start_buffering() lines go straight to the port (boot). After it, print() only copies
// the line into a fixed buffer (bounded work, whoever's frame it runs in) and drain() writes it
// out at frame ends, in the kernel's own time (SK-TIME-1). A full buffer drops whole lines and
// counts them; the count is printed as "log: N lines dropped" once there is room again.
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

namespace sk::log {

void print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void start_buffering();
// Writes buffered output to the serial port until the buffer is empty or timer::now_us()
// reaches until_us (checked every 16 bytes). Any CPU may call it; one drains at a time.
void drain(uint64_t until_us);
// Formats into buf (capacity >= 1, always NUL-terminated). Returns the length written.
size_t format(char* buf, size_t capacity, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// Panic path only: writes prefix, text and a newline, taking the serial lock if it can.
void panic_write(const char* prefix, const char* text);
size_t vformat(char* buf, size_t capacity, const char* fmt, va_list ap);

}  // namespace sk::log
