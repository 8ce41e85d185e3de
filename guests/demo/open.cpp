// SPDX-License-Identifier: Apache-2.0
// Demo guest of the open domain: a heartbeat, and a counter written into its one-way channel
// to the classified partition (channel 0 at 0x80000000) with a signal after each write.
#include "guest.hpp"

extern "C" void guest_main() {
  auto* channel = reinterpret_cast<volatile uint32_t*>(guest::k_channel_base);
  guest::log("started");
  for (uint32_t beat = 1;; ++beat) {
    channel[0] = beat;
    guest::Hypercall_result r = guest::hypercall(sk::hypercall::Number::channel_signal, 0);
    guest::log("heartbeat %u (sent %u, signal %s)", beat, beat, r.error == 0 ? "ok" : "refused");
    guest::sleep_us(200000);
  }
}
