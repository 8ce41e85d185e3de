// SPDX-License-Identifier: Apache-2.0
// Demo guest of the open domain: a heartbeat, a counter written into its one-way channel to the
// classified partition (channel 0 at 0x80000000) with a signal after each write, and its console
// (demo::Terminal).
#include "guest.hpp"
#include "terminal.hpp"

extern "C" void guest_main() {
  auto* channel = reinterpret_cast<volatile uint32_t*>(guest::k_channel_base);
  demo::Terminal term("OPEN workstation (Bulkhead demo guest)", 0x07);
  guest::log("started");
  uint64_t next = guest::now_us();
  for (uint32_t beat = 1;;) {
    term.poll();
    if (guest::now_us() >= next) {
      channel[0] = beat;
      guest::Hypercall_result r = guest::hypercall(sk::hypercall::Number::channel_signal, 0);
      guest::log("heartbeat %u (sent %u, signal %s)", beat, beat, r.error == 0 ? "ok" : "refused");
      term.heartbeat(beat++);
      next = guest::now_us() + 200000;
    }
    guest::yield();
  }
}
