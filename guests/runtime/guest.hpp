// SPDX-License-Identifier: Apache-2.0
// The guest runtime: hypercall wrappers (sk/hypercall_abi.hpp) and a tiny formatter.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/hypercall_abi.hpp"

namespace guest {

struct Hypercall_result {
  uint32_t error, ebx, ecx, edx;
};

inline Hypercall_result hypercall(sk::hypercall::Number n, uint32_t a0 = 0, uint32_t a1 = 0, uint32_t a2 = 0,
                                  uint32_t a3 = 0) {
  Hypercall_result r;
  asm volatile("vmmcall"
               : "=a"(r.error), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx), "+S"(a3)
               : "a"(uint32_t(n)), "b"(a0), "c"(a1), "d"(a2)
               : "memory");
  return r;
}
// Raw form for the malformed-hypercall attacks.
inline uint32_t hypercall_raw(uint32_t number, uint32_t a0, uint32_t a1) {
  uint32_t eax = number, ebx = a0, ecx = a1, edx = 0;
  asm volatile("vmmcall" : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx)::"esi", "memory");
  return eax;
}

inline void yield() { hypercall(sk::hypercall::Number::yield); }
uint64_t now_us();
// Gives up frames until at least us microseconds have passed.
void sleep_us(uint64_t us);
// Formats (%s %u %d %x %c) into out (always NUL-terminated); returns the length.
uint32_t format(char* out, uint32_t capacity, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// Formats as format() and writes one line to the partition's debug log.
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

inline constexpr uint32_t k_channel_base = 0x80000000u;  // guest_address of channel 0 in the policies

}  // namespace guest

extern "C" void guest_main();
