// SPDX-License-Identifier: Apache-2.0
// Time-partitioning victim (tests/integration/kernel_disk_test.cpp "time", bench/): records its
// own frame starts from the TSC (a gap of more than 5 ms is the other partition's frame) and,
// per window of 100 frames, prints the worst distance of a frame start from the schedule (the
// median start offset within the major frame), how many were more than 1 ms off, its share of
// the CPU (stalls of more than 200 us inside its own frames not counted as its own) and the time
// those stalls took:
//   time: window=W frames=100 worst_start_us=D late_frames=L missed_frames=M share_permille=S stolen_us=T
// (M: major frames in which it did not run at all).
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
  // TSC ticks per kernel millisecond over 100 ms. Each kernel reading is paired with the TSC
  // midway between the reads around its hypercall, so the calls' own cost does not bias it.
  auto paired = [](uint64_t& tsc) {
    const uint64_t before = rdtsc();
    const uint64_t us = guest::now_us();
    tsc = before + (rdtsc() - before) / 2;
    return us;
  };
  uint64_t c0 = 0, c1 = 0;
  const uint64_t t0 = paired(c0);
  while (guest::now_us() < t0 + 100000) {
  }
  const uint64_t t1 = paired(c1);
  // ticks * 1000 / elapsed us, in 32-bit steps (no 64-bit division in the guest).
  const uint32_t ticks = uint32_t(c1 - c0), elapsed = uint32_t(t1 - t0);
  g_per_ms = (ticks / elapsed) * 1000 + (ticks % elapsed) * 1000 / elapsed;
  guest::log("time: victim starts (%u TSC ticks/ms)", g_per_ms);
  // A frame boundary is a gap of more than 5 ms (the other partition's frame and the kernel's
  // guard take 11 ms); a shorter stall inside the victim's own frame (more than 200 us: no exit
  // of its own costs that much) is time taken from it and does not count as its own.
  const uint64_t boundary = 5 * uint64_t(g_per_ms), stall = g_per_ms / 5;
  for (uint32_t window = 1;; ++window) {
    // Frame starts in microseconds from the window's first, each placed on the nearest multiple
    // of the major frame; a start's distance from the median of those offsets is how far it is
    // off the schedule. Neither a late first frame nor one spurious boundary (a host stall of
    // more than 5 ms inside the victim's own frame) shifts the reference of all the others.
    static int32_t offset[k_window];
    uint64_t last = rdtsc(), start = 0;
    uint32_t frames = 0, since_first_us = 0, run_us = 0, span_us = 0, stolen_us = 0, last_k = 0, missed = 0;
    while (frames <= k_window) {
      const uint64_t now = rdtsc();
      if (now - last > boundary) {  // descheduled from `last` to `now`: a new frame starts at `now`
        if (frames > 0) {
          run_us += to_us(uint32_t(last - start));
          const uint32_t step = to_us(uint32_t(now - start));
          span_us += step;
          since_first_us += step;
          const uint32_t k = (since_first_us + k_major_us / 2) / k_major_us;
          if (k > last_k + 1) missed += k - last_k - 1;  // major frames in which it never ran
          last_k = k;
          offset[frames - 1] = int32_t(since_first_us) - int32_t(k * k_major_us);
        }
        start = now;
        ++frames;
      } else if (frames > 0 && now - last > stall) {
        stolen_us += to_us(uint32_t(now - last));
      }
      last = now;
    }
    static int32_t sorted[k_window];
    for (uint32_t i = 0; i < k_window; ++i) {  // insertion sort for the median
      uint32_t j = i;
      for (; j > 0 && sorted[j - 1] > offset[i]; --j) sorted[j] = sorted[j - 1];
      sorted[j] = offset[i];
    }
    const int32_t median = sorted[k_window / 2];
    uint32_t worst = 0, late = 0;
    for (uint32_t i = 0; i < k_window; ++i) {
      const uint32_t dev = uint32_t(offset[i] > median ? offset[i] - median : median - offset[i]);
      if (dev > worst) worst = dev;
      if (dev > 1000) ++late;
    }
    run_us = run_us > stolen_us ? run_us - stolen_us : 0;
    guest::log("time: window=%u frames=%u worst_start_us=%u late_frames=%u missed_frames=%u share_permille=%u stolen_us=%u",
               window, k_window, worst, late, missed, span_us ? run_us * 1000 / span_us : 0, stolen_us);
  }
}
