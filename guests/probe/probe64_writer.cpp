// SPDX-License-Identifier: Apache-2.0
// 64-bit state-probe writer (probe64.hpp): at each of its frames it checks that the 64-bit-only
// state it wrote in its previous frame is still there ("probe64: LOST ..." otherwise), then
// writes a new pattern (base 0x5A5A'xxxx'xx00, EFER.SCE and CR8 alternating) for the reader to
// look for.
#include "probe.hpp"
#include "probe64.hpp"
#include "probe64_code.hpp"

namespace {
uint64_t base_of(uint32_t p) { return 0x00005A5A00000000ull | (uint64_t(p) << 8) | ((p & 1) ? 4 : 0); }
uint64_t g_now[probe64::k_values], g_want[probe64::k_values];
}  // namespace

extern "C" void guest_main() {
  const uint64_t per_ms = probe::tsc_per_ms();
  probe::enable_own_fpu();  // SSE for XMM8-15
  probe64::enter_long_mode();
  guest::log("probe64: writer starts (EFER 0x%x)", uint32_t(probe64::efer()));
  uint32_t p = 0, lost = 0, frames = 0;
  probe64::set(base_of(p), p & 1);
  for (;;) {
    probe::wait_next_frame(per_ms);
    probe64::get(g_now);
    probe64::expected(base_of(p), p & 1, g_want);
    for (uint32_t i = 0; i < probe64::k_values; ++i) {
      if (g_now[i] != g_want[i] && lost++ < 8) {
        guest::log("probe64: LOST %s value=0x%x'%x want 0x%x'%x at frame %u", probe64::k_names[i],
                   uint32_t(g_now[i] >> 32), uint32_t(g_now[i]), uint32_t(g_want[i] >> 32), uint32_t(g_want[i]), frames);
      }
    }
    ++p;
    probe64::set(base_of(p), p & 1);
    if (++frames % 50 == 0) guest::log("probe64: writer frames=%u lost=%u", frames, lost);
  }
}
