// SPDX-License-Identifier: Apache-2.0
// A CPU's place in its static cyclic schedule (SK-SCHED-1, SK-TIME-1): which minor frame runs
// and the absolute time it starts at. Arithmetic only, no clock: the scheduler (schedule.cpp)
// steps it at every frame end, and the differential test steps it on the model's timer ticks,
// one cursor per CPU.
#pragma once
#include <stdint.h>

#include "sk/policy.hpp"

namespace sk::kernel {

struct Frame_cursor {
  const policy::Frame* frames;  // the plan's minor frames, count > 0 of them
  uint32_t count;
  uint32_t index;     // the current minor frame
  uint64_t start_us;  // when it starts: the schedule's start plus the durations of every
                      // frame before it (additions only: no drift)

  // The partition the current frame belongs to, or policy::k_idle.
  uint16_t partition() const { return frames[index].partition; }
  uint64_t end_us() const { return start_us + frames[index].duration_us; }
  // The next frame starts at this one's end, whatever happened in it.
  void advance() {
    start_us = end_us();
    index = index + 1 == count ? 0 : index + 1;
  }
};

// A CPU without frames still keeps the kernel's windows: one idle frame of this length.
inline constexpr uint32_t k_idle_frame_us = 10000;
inline constexpr policy::Frame k_idle_frame{policy::k_idle, k_idle_frame_us};

// CPU cpu's place at the start of its own plan (each CPU walks only its own frames, SK-SCHED-3),
// its first frame starting at start_us; one idle frame for a CPU without frames.
inline Frame_cursor first_frame(const policy::Policy& p, uint32_t cpu, uint64_t start_us) {
  const policy::Cpu_plan& plan = p.cpus[cpu];
  return plan.frame_count ? Frame_cursor{plan.frames, plan.frame_count, 0, start_us}
                          : Frame_cursor{&k_idle_frame, 1, 0, start_us};
}

}  // namespace sk::kernel
