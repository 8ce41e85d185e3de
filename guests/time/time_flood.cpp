// SPDX-License-Identifier: Apache-2.0
// Time-partitioning attacker: does the costliest things its policy allows, round after round:
// a full ring of disk requests (64, half writes with their flushes) per doorbell, refused
// hypercalls that each write an audit line, TPM quotes (it is the attestation agent), maximal
// debug-log lines and a flood of exits.
#include "block.hpp"
#include "guest.hpp"

namespace {
alignas(4096) uint8_t g_buffers[8][4096];
uint8_t g_quote[4096];
}

extern "C" void guest_main() {
  namespace hc = sk::hypercall;
  uint32_t error = 0;
  const uint32_t sectors = guest::block::open(&error);
  if (sectors == 0) {
    guest::log("flood: no disk (error %u)", error);
    for (;;) guest::yield();
  }
  char line[hc::k_max_log + 1];
  for (uint32_t i = 0; i < hc::k_max_log; ++i) line[i] = char('a' + i % 26);
  line[hc::k_max_log] = 0;
  for (uint32_t round = 1;; ++round) {
    const uint32_t done = guest::block::submit_ring(sectors, g_buffers, 8);
    for (uint32_t i = 0; i < 16; ++i) guest::hypercall_raw(0x7777, i, round);  // refused: one audit line each
    uint32_t quote_error = 0;
    for (uint32_t i = 0; i < 2; ++i) {  // a TPM2_Quote each: milliseconds of TPM work
      g_quote[0] = 16;
      g_quote[1] = g_quote[2] = g_quote[3] = 0;
      for (uint32_t b = 0; b < 16; ++b) g_quote[4 + b] = uint8_t(round + i + b);
      quote_error = guest::hypercall(hc::Number::tpm_quote, uint32_t(reinterpret_cast<uintptr_t>(g_quote)),
                                     sizeof g_quote).error;
    }
    for (uint32_t i = 0; i < 4; ++i) guest::hypercall(hc::Number::debug_log, uint32_t(reinterpret_cast<uintptr_t>(line)), hc::k_max_log);
    for (uint32_t i = 0; i < 2000; ++i) {
      uint32_t a = 0, b, c = 0, d;
      asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    }
    if (round % 5 == 1) guest::log("flood: round %u (%u requests in the last doorbell, quote error %u)", round, done, quote_error);
  }
}
