// SPDX-License-Identifier: Apache-2.0
// Demo guest of the classified domain: a heartbeat, whatever the open partition last wrote into
// the one-way channel (read-only here), and its console (demo::Terminal). Waits on the channel
// event without blocking: it passes the count it has already seen, so the call returns at once.
#include "guest.hpp"
#include "terminal.hpp"

extern "C" void guest_main() {
  auto* channel = reinterpret_cast<volatile const uint32_t*>(guest::k_channel_base);
  demo::Terminal term("CLASSIFIED workstation (Bulkhead demo guest)", 0x07);
  guest::log("started");
  uint32_t seen_events = 0, last = 0;
  uint64_t next = guest::now_us();
  for (uint32_t beat = 1;;) {
    term.poll();
    if (guest::now_us() >= next) {
      guest::Hypercall_result r = guest::hypercall(sk::hypercall::Number::channel_wait, 0, ~0u);
      if (r.error == 0 && r.ebx != seen_events) {
        seen_events = r.ebx;
        if (channel[0] != last) {
          last = channel[0];
          guest::log("received %u (events %u)", last, seen_events);
        }
      }
      guest::log("heartbeat %u", beat);
      term.heartbeat(beat++);
      next = guest::now_us() + 200000;
    }
    guest::yield();
  }
}
