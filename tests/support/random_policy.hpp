// SPDX-License-Identifier: Apache-2.0
// Random policies that the validator must accept, for property tests of the kernel's table
// builders and for the differential test against the Coq model.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "sk/policy.hpp"

namespace bh::test {

inline void set_name(sk::policy::Name& n, const std::string& s) {
  n = sk::policy::Name{};
  for (size_t i = 0; i < s.size() && i + 1 < sk::policy::k_name_len; ++i) n.text[i] = s[i];
}

// 2..4 partitions with 1..3 pages of RAM, 0..3 upward channels of 1..2 pages, a one-CPU cyclic
// schedule (every partition once in random order, then up to two extra frames, possibly idle).
// with_devices: also grant each partition a few I/O port ranges and an MMIO page of its own.
inline sk::policy::Policy random_policy(std::mt19937_64& rng, bool with_devices = false) {
  namespace sp = sk::policy;
  constexpr uint64_t k_page = sp::k_page_size;
  sp::Policy p{};
  p.platform = {0x20000000, {0, 0x2000000}, 1};
  p.label_count = 3;
  for (uint32_t i = 0; i < 3; ++i) {
    set_name(p.labels[i].name, "l" + std::to_string(i));
    p.labels[i].level = static_cast<uint8_t>(i);
    // The label's colours (SK-TP-1, SK-TP-2): white on red, on blue, black on green.
    p.labels[i].colour_fg = i == 2 ? sp::Colour::black : sp::Colour::white;
    p.labels[i].colour_bg = i == 0 ? sp::Colour::red : i == 1 ? sp::Colour::blue : sp::Colour::green;
  }
  p.partition_count = 2 + rng() % 3;
  p.cpus[0].frame_count = p.partition_count + rng() % 3;
  p.cpus[0].major_frame_us = sp::k_min_frame_us * p.cpus[0].frame_count;
  for (uint32_t f = p.partition_count; f < p.cpus[0].frame_count; ++f) {
    uint32_t who = rng() % (p.partition_count + 1);
    p.cpus[0].frames[f] = {who == p.partition_count ? sp::k_idle : static_cast<uint16_t>(who), sp::k_min_frame_us};
  }
  for (uint16_t i = 0; i < p.partition_count; ++i) {
    sp::Partition& q = p.partitions[i];
    set_name(q.name, "p" + std::to_string(i));
    q.label = static_cast<uint16_t>(rng() % 3);
    q.memory = {0x2000000 + i * 0x100000ull, (1 + rng() % 3) * k_page};
    q.image.text[0] = 'x';
    p.cpus[0].frames[i] = {i, sp::k_min_frame_us};
    if (with_devices) {
      // Ports from 0x1000 + 0x100 * i, MMIO at 0xE0000000 + page i: disjoint between partitions.
      q.io_count = 1 + rng() % 3;
      for (uint32_t r = 0; r < q.io_count; ++r) {
        q.io[r] = {static_cast<uint16_t>(0x1000 + 0x100 * i + 0x40 * r + rng() % 0x20),
                   static_cast<uint16_t>(1 + rng() % 0x10)};
      }
      q.mmio_count = 1;
      q.mmio[0] = {0xE0000000ull + i * k_page, k_page};
    }
  }
  for (uint16_t i = static_cast<uint16_t>(p.partition_count - 1); i > 0; --i) {
    std::swap(p.cpus[0].frames[i], p.cpus[0].frames[rng() % (i + 1)]);
  }
  p.channel_count = rng() % 4;
  for (uint16_t c = 0; c < p.channel_count; ++c) {
    sp::Channel& ch = p.channels[c];
    set_name(ch.name, "c" + std::to_string(c));
    uint16_t w = static_cast<uint16_t>(rng() % p.partition_count);
    uint16_t r = static_cast<uint16_t>((w + 1 + rng() % (p.partition_count - 1)) % p.partition_count);
    if (p.labels[p.partitions[w].label].level > p.labels[p.partitions[r].label].level) std::swap(w, r);
    ch.writer = w;
    ch.reader = r;
    ch.memory = {0x4000000 + c * 0x10000ull, (1 + rng() % 2) * k_page};
    ch.guest_address = 0x40000000 + c * 0x100000ull;
  }
  return p;
}

}  // namespace bh::test
