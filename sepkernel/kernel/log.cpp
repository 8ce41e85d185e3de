// SPDX-License-Identifier: Apache-2.0
// Kernel log formatting (see log.hpp).
#include "kernel/log.hpp"

#include <stdint.h>

#include "drivers/serial.hpp"
#include "kernel/spinlock.hpp"
#include "kernel/timer.hpp"

namespace sk::log {
namespace {

// Both CPUs print; one lock keeps each line whole on the serial console.
kernel::Spinlock g_serial_lock;

// The output buffer (a byte ring) and its drain lock; lines enter whole or not at all.
constexpr size_t k_buffer = 32768;
char g_buffer[k_buffer];
size_t g_head, g_tail;  // g_head - g_tail bytes pending; indices grow, wrap by modulo
uint64_t g_dropped;
bool g_buffering;
kernel::Spinlock g_drain_lock;

// Caller holds g_serial_lock.
bool append(const char* s, size_t n) {
  if (k_buffer - (g_head - g_tail) < n) return false;
  for (size_t i = 0; i < n; ++i) g_buffer[(g_head + i) % k_buffer] = s[i];
  g_head += n;
  return true;
}

struct Out {
  char* buf;
  size_t capacity;
  size_t length;
  void put(char c) {
    if (length + 1 < capacity) buf[length++] = c;
  }
};

void number(Out& o, uint64_t v, unsigned base, bool negative) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (negative) o.put('-');
  while (n) o.put(tmp[--n]);
}

}  // namespace

size_t vformat(char* buf, size_t capacity, const char* fmt, va_list ap) {
  Out o{buf, capacity, 0};
  for (; *fmt; ++fmt) {
    if (*fmt != '%') {
      o.put(*fmt);
      continue;
    }
    ++fmt;
    int longs = 0;
    while (*fmt == 'l') {
      ++longs;
      ++fmt;
    }
    switch (*fmt) {
      case 's': {
        const char* s = va_arg(ap, const char*);
        for (; s && *s; ++s) o.put(*s);
        break;
      }
      case 'c': o.put(static_cast<char>(va_arg(ap, int))); break;
      case 'd': {
        int64_t v = longs ? va_arg(ap, long) : va_arg(ap, int);
        number(o, v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v), 10, v < 0);
        break;
      }
      case 'u': number(o, longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, false); break;
      case 'x': number(o, longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, false); break;
      case '%': o.put('%'); break;
      case '\0': --fmt; break;
      default: o.put('?'); break;
    }
  }
  if (capacity) buf[o.length] = '\0';
  return o.length;
}

size_t format(char* buf, size_t capacity, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(buf, capacity, fmt, ap);
  va_end(ap);
  return n;
}

void print(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kernel::Lock_guard guard(g_serial_lock);
  if (!g_buffering) {
    serial::write(buf, n);
    return;
  }
  if (g_dropped) {
    char note[64];
    size_t m = format(note, sizeof note, "log: %lu lines dropped\n", g_dropped);
    if (!append(note, m)) {
      ++g_dropped;
      return;
    }
    g_dropped = 0;
  }
  if (!append(buf, n)) ++g_dropped;
}

void start_buffering() {
  kernel::Lock_guard guard(g_serial_lock);
  g_buffering = true;
}

void drain(uint64_t until_us) {
  if (!g_drain_lock.try_lock(1)) return;  // the other CPU is draining
  char chunk[16];
  for (;;) {
    if (timer::now_us() >= until_us) break;
    size_t n = 0;
    {
      kernel::Lock_guard guard(g_serial_lock);
      while (n < sizeof chunk && g_tail != g_head) chunk[n++] = g_buffer[g_tail++ % k_buffer];
    }
    if (n == 0) break;
    serial::write(chunk, n);
  }
  g_drain_lock.unlock();
}

void panic_write(const char* prefix, const char* text) {
  // Bounded: the other CPU may have been stopped (NMI) while holding the lock.
  bool locked = g_serial_lock.try_lock(1000000);
  while (g_tail != g_head) serial::put(g_buffer[g_tail++ % k_buffer]);  // what was still buffered
  serial::write(prefix);
  serial::write(text);
  serial::write("\n");
  if (locked) g_serial_lock.unlock();
}

}  // namespace sk::log
