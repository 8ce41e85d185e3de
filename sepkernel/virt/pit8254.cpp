// SPDX-License-Identifier: Apache-2.0
// The virtual 8254 (see pit8254.hpp).
#include "virt/pit8254.hpp"

namespace sk::virt {

namespace {
bool periodic(uint8_t mode) { return mode == 2 || mode == 3; }
}  // namespace

uint16_t Pit8254::count(const Channel& c, uint64_t now) const {
  if (!c.loaded) return 0;
  const uint64_t elapsed = now - c.start;
  if (periodic(c.mode)) return uint16_t(c.reload - elapsed % c.reload);
  // One-shot: counts down through zero and wraps on (the chip goes on counting).
  return uint16_t(c.reload - elapsed);
}

bool Pit8254::output(const Channel& c, uint64_t now) const {
  if (!c.loaded) return c.mode != 0;
  const uint64_t elapsed = now - c.start;
  switch (c.mode) {
    case 0: return elapsed >= c.reload;                       // high once the count ran out
    case 2: return elapsed % c.reload != c.reload - 1;        // low for one tick per period
    case 3: return elapsed % c.reload < (c.reload + 1) / 2;   // square wave
    default: return elapsed != c.reload;                      // mode 4: low for one tick
  }
}

uint64_t Pit8254::edges(const Channel& c, uint64_t now) const {
  if (!c.loaded) return 0;
  const uint64_t elapsed = now - c.start;
  if (periodic(c.mode)) return elapsed / c.reload;
  return elapsed >= c.reload ? 1 : 0;
}

uint8_t Pit8254::read(uint8_t channel, uint64_t now) {
  Channel& c = ch_[channel % 3];
  if (c.latched) {
    const uint8_t v = c.latch_hi ? uint8_t(c.latch >> 8) : uint8_t(c.latch);
    if (c.access != 3 || c.latch_hi) c.latched = false;
    c.latch_hi = !c.latch_hi;
    return v;
  }
  const uint16_t v = count(c, now);
  if (c.access == 1) return uint8_t(v);
  if (c.access == 2) return uint8_t(v >> 8);
  c.read_hi = !c.read_hi;
  return c.read_hi ? uint8_t(v) : uint8_t(v >> 8);
}

void Pit8254::write(uint8_t channel, uint8_t value, uint64_t now) {
  Channel& c = ch_[channel % 3];
  uint32_t n;
  if (c.access == 1) {
    n = value;
  } else if (c.access == 2) {
    n = uint32_t(value) << 8;
  } else if (!c.write_hi) {
    c.low = value;
    c.write_hi = true;
    return;
  } else {
    n = c.low | uint32_t(value) << 8;
    c.write_hi = false;
  }
  c.reload = n ? n : 65536;
  c.start = now;
  c.loaded = true;
  c.edges_seen = 0;
}

void Pit8254::control(uint8_t value, uint64_t now) {
  const uint8_t channel = value >> 6, access = (value >> 4) & 3;
  if (channel == 3) {  // read-back: latch the counts of the channels named (bits 1-3) if bit 5 is clear
    for (uint8_t i = 0; i < 3; ++i) {
      if ((value & (2u << i)) && !(value & 0x20) && !ch_[i].latched) {
        ch_[i].latch = count(ch_[i], now);
        ch_[i].latched = true;
        ch_[i].latch_hi = false;
      }
    }
    return;
  }
  Channel& c = ch_[channel];
  if (access == 0) {  // counter latch
    if (!c.latched) {
      c.latch = count(c, now);
      c.latched = true;
      c.latch_hi = false;
    }
    return;
  }
  c.access = access;
  c.mode = (value >> 1) & 7;
  if (c.mode > 5) c.mode -= 4;  // modes 6 and 7 are 2 and 3
  c.loaded = false;             // a new mode waits for its count
  c.write_hi = c.read_hi = c.latched = false;
}

uint8_t Pit8254::read_61(uint64_t now) const {
  return uint8_t((port61_ & 0x03) | (output(ch_[2], now) ? 0x20 : 0));
}

void Pit8254::write_61(uint8_t value) { port61_ = value & 0x03; }

bool Pit8254::irq0_due(uint64_t now) {
  Channel& c = ch_[0];
  const uint64_t e = edges(c, now);
  if (e <= c.edges_seen) return false;
  c.edges_seen = e;
  return true;
}

uint64_t Pit8254::next_irq0(uint64_t now) const {
  const Channel& c = ch_[0];
  if (!c.loaded) return ~uint64_t{0};
  if (periodic(c.mode)) return c.start + (edges(c, now) + 1) * c.reload;
  return c.edges_seen == 0 ? c.start + c.reload : ~uint64_t{0};
}

}  // namespace sk::virt
