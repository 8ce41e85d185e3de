// SPDX-License-Identifier: Apache-2.0
// A virtual 8254 interval timer (sepkernel/virt/), the register model: three channels counting
// at 1,193,182 Hz of the caller's clock (`now` in timer ticks, from kernel time), modes 0 and 4
// (one-shot) and 2 and 3 (periodic), binary counts, latch and lobyte/hibyte access, and the
// gate and output of channel 2 at port 0x61 bits 0 and 5 (what Linux calibrates the TSC with).
// Channel 0's output edges are IRQ 0: irq0_due() reports whether one happened since it last
// asked (missed edges are coalesced into one, as a PIC's edge-triggered line does).
#pragma once
#include <stdint.h>

namespace sk::virt {

inline constexpr uint64_t k_pit_hz = 1193182;
inline uint64_t pit_ticks(uint64_t microseconds) { return microseconds * k_pit_hz / 1000000; }
inline uint64_t pit_microseconds(uint64_t ticks) { return ticks * 1000000 / k_pit_hz; }

class Pit8254 {
 public:
  uint8_t read(uint8_t channel, uint64_t now);              // port 0x40 + channel
  void write(uint8_t channel, uint8_t value, uint64_t now);  // port 0x40 + channel
  void control(uint8_t value, uint64_t now);                 // port 0x43
  uint8_t read_61(uint64_t now) const;                       // gate 2 (bit 0), speaker (bit 1), out 2 (bit 5)
  void write_61(uint8_t value);
  // True if channel 0's output had a rising edge since the last call (IRQ 0).
  bool irq0_due(uint64_t now);
  // The tick at which channel 0's next edge falls, or ~0 if none is coming.
  uint64_t next_irq0(uint64_t now) const;

 private:
  struct Channel {
    uint8_t mode = 0, access = 3;  // access: 1 lobyte, 2 hibyte, 3 lobyte then hibyte
    uint32_t reload = 0;           // 1..65536 once loaded
    uint64_t start = 0;            // tick of the load
    bool loaded = false, write_hi = false, read_hi = false;
    bool latched = false, latch_hi = false;
    uint16_t latch = 0;
    uint8_t low = 0;               // the low byte of a count being written
    uint64_t edges_seen = 0;       // channel 0: edges already reported
  };
  Channel ch_[3];
  uint8_t port61_ = 0;
  uint16_t count(const Channel& c, uint64_t now) const;
  bool output(const Channel& c, uint64_t now) const;
  uint64_t edges(const Channel& c, uint64_t now) const;
};

}  // namespace sk::virt
