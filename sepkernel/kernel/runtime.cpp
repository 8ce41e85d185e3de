// SPDX-License-Identifier: Apache-2.0
// The freestanding C/C++ runtime the compiler may call: mem* functions, the pure-virtual trap
// and sk::panic. No operator new or malloc is defined on purpose (no allocation after boot).
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cpu.hpp"
#include "drivers/serial.hpp"
#include "kernel/log.hpp"
#include "kernel/smp.hpp"
#include "sk/panic.hpp"

// The loops below must not be turned back into calls to themselves.
#define SK_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

extern "C" {

SK_NO_LIBCALL void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

SK_NO_LIBCALL void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  auto* s = static_cast<const uint8_t*>(src);
  if (d < s) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

SK_NO_LIBCALL void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(c);
  return dst;
}

SK_NO_LIBCALL int memcmp(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const uint8_t*>(a);
  auto* y = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

// A pure virtual call means a corrupted object: no safe state is left.
void __cxa_pure_virtual() { sk::panic("pure virtual function called"); }

}  // extern "C"

namespace sk {

[[noreturn]] void panic(const char* reason) {
  arch::cli();
  smp::stop_other_cpus();
  log::panic_write("PANIC: ", reason);
  arch::halt_forever();
}

}  // namespace sk
