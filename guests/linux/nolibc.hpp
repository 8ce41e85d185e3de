// SPDX-License-Identifier: Apache-2.0
// What the static tools of the Linux guest's initramfs (bh-probe, bh-channel) share: raw x86-64
// Linux system calls and a few string helpers, no C library. Each tool defines
// `int run(int argc, char** argv)`; BH_NOLIBC_MAIN supplies _start.
#pragma once
#include <stdint.h>

namespace bh::nolibc {

inline long syscall6(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long r;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  register long r9 asm("r9") = f;
  asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return r;
}
constexpr long k_write = 1, k_open = 2, k_pread = 17, k_mmap = 9, k_nanosleep = 35, k_iopl = 172, k_exit = 60;

inline unsigned length(const char* s) {
  unsigned n = 0;
  while (s[n]) ++n;
  return n;
}
inline void put(const char* s) { syscall6(k_write, 1, long(s), length(s)); }
inline void put_hex(uint64_t v) {
  char b[19] = "0x";
  int n = 2;
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const unsigned d = (v >> shift) & 15;
    if (d || started || shift == 0) {
      b[n++] = char(d < 10 ? '0' + d : 'a' + d - 10);
      started = true;
    }
  }
  b[n] = 0;
  put(b);
}
inline void put_signed(long v) {
  if (v < 0) {
    put("-");
    v = -v;
  }
  char b[24];
  int n = 0;
  do b[n++] = char('0' + v % 10); while (v /= 10);
  char out[24];
  for (int i = 0; i < n; ++i) out[i] = b[n - 1 - i];
  out[n] = 0;
  put(out);
}
inline bool same(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
inline uint64_t number(const char* s) {
  uint64_t v = 0;
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s += 2;
  for (; *s; ++s) {
    const char c = *s;
    const unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    if (d >= base) return ~uint64_t{0};
    v = v * base + d;
  }
  return v;
}

inline void sleep_ms(long ms) {
  const long ts[2] = {ms / 1000, (ms % 1000) * 1000000};
  syscall6(k_nanosleep, long(ts), 0);
}

}  // namespace bh::nolibc

// The process entry: argc and argv from the initial stack, run()'s result as the exit status.
#define BH_NOLIBC_MAIN                                                                   \
  extern "C" [[noreturn]] void bh_nolibc_main(long* stack) {                            \
    bh::nolibc::syscall6(bh::nolibc::k_exit, run(int(stack[0]), reinterpret_cast<char**>(stack + 1))); \
    __builtin_unreachable();                                                             \
  }                                                                                      \
  asm(".globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call bh_nolibc_main\n");
