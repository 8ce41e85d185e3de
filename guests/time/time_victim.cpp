// SPDX-License-Identifier: Apache-2.0
// Time-partitioning victim (tests/integration/kernel_disk_test.cpp "time", bench/): records its
// own frame starts from the TSC (a gap of more than 1 ms is the other partition's frame) and,
// per window of 100 frames, prints the worst distance of a frame start from its deadline (the
// window's first start plus k major frames) and its share of the CPU:
//   time: window=W frames=100 worst_start_us=D late_frames=L share_permille=S
// major_frame_us comes from the policy it is built for (20 ms, its own frame 10 ms).
#include "guest.hpp"

namespace {

constexpr uint32_t k_major_us = 20000;
constexpr uint32_t k_window = 100;

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

uint32_t g_per_ms;
// Ticks to microseconds with 32-bit division only (deltas below 2^32 ticks).
uint32_t to_us(uint32_t ticks) { return (ticks / g_per_ms) * 1000 + (ticks % g_per_ms) * 1000 / g_per_ms; }

}  // namespace

extern "C" void guest_main() {
  uint64_t t0 = guest::now_us(), c0 = rdtsc();
  while (guest::now_us() < t0 + 40000) {
  }
  // Ticks per ms = ticks * 1000 / elapsed us, in 32-bit steps (no 64-bit division in the guest;
  // truncating elapsed to whole ms would misjudge every later deadline by up to a few percent).
  const uint32_t ticks = uint32_t(rdtsc() - c0), elapsed = uint32_t(guest::now_us() - t0);
  g_per_ms = (ticks / elapsed) * 1000 + (ticks % elapsed) * 1000 / elapsed;
  guest::log("time: victim starts (%u TSC ticks/ms)", g_per_ms);
  const uint64_t gap = g_per_ms, major = uint64_t(k_major_us / 1000) * g_per_ms;
  for (uint32_t window = 1;; ++window) {
    uint64_t last = rdtsc(), start = 0, deadline = 0;
    uint32_t frames = 0, worst = 0, late = 0, run_us = 0, span_us = 0;
    while (frames <= k_window) {
      const uint64_t now = rdtsc();
      if (now - last > gap) {  // descheduled from `last` to `now`: a new frame starts at `now`
        if (frames == 0) {
          deadline = now;
        } else {
          run_us += to_us(uint32_t(last - start));
          span_us += to_us(uint32_t(now - start));
          deadline += major;
          while (now > deadline + major / 2) deadline += major;  // a whole frame missed counts below
          const uint32_t dev = to_us(uint32_t(now > deadline ? now - deadline : deadline - now));
          if (dev > worst) worst = dev;
          if (dev > 1000) ++late;
        }
        start = now;
        ++frames;
      }
      last = now;
    }
    guest::log("time: window=%u frames=%u worst_start_us=%u late_frames=%u share_permille=%u", window, k_window, worst,
               late, span_us ? run_us * 1000 / span_us : 0);
  }
}
