// SPDX-License-Identifier: Apache-2.0
// Attack: the reader of a one-way channel writes into it (SK-FLOW-1: read-only on its side).
#include "guest.hpp"

extern "C" void guest_main() {
  auto* channel = reinterpret_cast<volatile uint32_t*>(guest::k_channel_base);
  guest::log("attack: reading channel: %u", channel[0]);
  guest::log("attack: writing the read-only channel page");
  channel[0] = 0xDEAD;
  guest::log("attack: ESCAPED (wrote the read-only channel)");
}
