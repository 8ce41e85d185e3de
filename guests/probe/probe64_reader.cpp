// SPDX-License-Identifier: Apache-2.0
// 64-bit state-probe reader (probe64.hpp): writes its own 64-bit-only state once (base
// 0x3C3C'0000'0103, EFER.SCE set) and reads it back continually; any difference (the writer's
// values, or its own lost) is printed as "probe64: LEAK ...".
#include "probe.hpp"
#include "probe64.hpp"
#include "probe64_code.hpp"

namespace {
constexpr uint64_t k_base = 0x00003C3C00000103ull;
uint64_t g_now[probe64::k_values], g_want[probe64::k_values];
}  // namespace

extern "C" void guest_main() {
  const uint64_t per_ms = probe::tsc_per_ms();
  probe::enable_own_fpu();  // SSE for XMM8-15
  probe64::enter_long_mode();
  guest::log("probe64: reader starts (EFER 0x%x)", uint32_t(probe64::efer()));
  probe64::set(k_base, true);
  probe64::expected(k_base, true, g_want);
  uint32_t leaks = 0, frames = 0, checks = 0;
  uint64_t last = probe::rdtsc();
  for (;;) {
    probe64::get(g_now);
    ++checks;
    for (uint32_t i = 0; i < probe64::k_values; ++i) {
      if (g_now[i] != g_want[i] && leaks++ < 8) {
        guest::log("probe64: LEAK %s value=0x%x'%x at frame %u", probe64::k_names[i], uint32_t(g_now[i] >> 32),
                   uint32_t(g_now[i]), frames);
      }
    }
    const uint64_t now = probe::rdtsc();
    if (now - last > per_ms / 2 && ++frames % 50 == 0) {
      guest::log("probe64: reader frames=%u checks=%u leaks=%u", frames, checks, leaks);
    }
    last = now;
  }
}
