// SPDX-License-Identifier: Apache-2.0
// Attack: malformed hypercalls. Each must come back with an error code (never a kernel fault),
// and the partition keeps running: it then prints a heartbeat like a demo guest.
#include "guest.hpp"

using sk::hypercall::Number;

extern "C" void guest_main() {
  uint32_t e1 = guest::hypercall_raw(0xDEAD, 0, 0);                                // unknown number
  uint32_t e2 = guest::hypercall_raw(uint32_t(Number::debug_log), 0xFFFFFFF0u, 64); // pointer wraps
  uint32_t e3 = guest::hypercall_raw(uint32_t(Number::debug_log), 0x80000000u, 8);  // channel, not own
  uint32_t e4 = guest::hypercall_raw(uint32_t(Number::debug_log), 0x100000, 100000); // too long
  uint32_t e5 = guest::hypercall_raw(uint32_t(Number::channel_signal), 7, 0);       // no such channel
  uint32_t e6 = guest::hypercall_raw(uint32_t(Number::channel_wait), 0xFFFFFFFFu, 0);
  uint32_t e7 = guest::hypercall_raw(uint32_t(Number::channel_wait), 0, 0);         // writer waits
  // Without the attestation capability (SK-CAP-1): a quote and the event log are refused.
  uint32_t e8 = guest::hypercall_raw(uint32_t(Number::tpm_quote), 0x200000, 4096);
  uint32_t e9 = guest::hypercall_raw(uint32_t(Number::event_log_read), 0, 0x200000);
  guest::log("attack: hypercall errors %u %u %u %u %u %u %u %u %u", e1, e2, e3, e4, e5, e6, e7, e8, e9);
  for (uint32_t beat = 1;; ++beat) {
    guest::log("heartbeat %u", beat);
    guest::sleep_us(200000);
  }
}
