// SPDX-License-Identifier: Apache-2.0
// Guest runtime: time, sleeping by yielding, and the debug-log formatter.
#include <stdarg.h>

#include "guest.hpp"

extern "C" {
void* memset(void* d, int c, size_t n) {
  auto* p = static_cast<uint8_t*>(d);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t(c);
  return d;
}
void* memcpy(void* d, const void* s, size_t n) {
  auto* p = static_cast<uint8_t*>(d);
  auto* q = static_cast<const uint8_t*>(s);
  for (size_t i = 0; i < n; ++i) p[i] = q[i];
  return d;
}
}

namespace guest {

uint64_t now_us() {
  Hypercall_result r = hypercall(sk::hypercall::Number::read_time);
  return (uint64_t(r.ecx) << 32) | r.ebx;
}

void sleep_us(uint64_t us) {
  uint64_t until = now_us() + us;
  while (now_us() < until) yield();
}

namespace {
struct Out {
  char* buf;
  uint32_t capacity;
  uint32_t n = 0;
  void put(char c) {
    if (n < capacity) buf[n++] = c;
  }
  void number(uint32_t v, uint32_t base, bool negative) {
    char tmp[12];
    int k = 0;
    do {
      tmp[k++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v);
    if (negative) put('-');
    while (k) put(tmp[--k]);
  }
};

void vformat(Out& o, const char* fmt, va_list ap) {
  for (; *fmt; ++fmt) {
    if (*fmt != '%') {
      o.put(*fmt);
      continue;
    }
    switch (*++fmt) {
      case 's': for (const char* s = va_arg(ap, const char*); *s; ++s) o.put(*s); break;
      case 'u': o.number(va_arg(ap, uint32_t), 10, false); break;
      case 'd': {
        int32_t v = va_arg(ap, int32_t);
        o.number(v < 0 ? 0u - uint32_t(v) : uint32_t(v), 10, v < 0);
        break;
      }
      case 'x': o.number(va_arg(ap, uint32_t), 16, false); break;
      case 'c': o.put(char(va_arg(ap, int))); break;
      case '\0': --fmt; break;
      default: o.put('%'); o.put(*fmt); break;
    }
  }
}
}  // namespace

uint32_t format(char* out, uint32_t capacity, const char* fmt, ...) {
  if (capacity == 0) return 0;
  Out o{out, capacity - 1};
  va_list ap;
  va_start(ap, fmt);
  vformat(o, fmt, ap);
  va_end(ap);
  out[o.n] = '\0';
  return o.n;
}

void log(const char* fmt, ...) {
  char buf[sk::hypercall::k_max_log];
  Out o{buf, sizeof buf};
  va_list ap;
  va_start(ap, fmt);
  vformat(o, fmt, ap);
  va_end(ap);
  hypercall(sk::hypercall::Number::debug_log, uint32_t(reinterpret_cast<uintptr_t>(o.buf)), o.n);
}

}  // namespace guest
