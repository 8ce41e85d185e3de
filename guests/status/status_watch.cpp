// SPDX-License-Identifier: Apache-2.0
// Counter watcher (SK-TIME-2, tests/integration/trusted_path_test.cpp): calls read_status in a
// loop and checks that between two calls its exit count moved by exactly its own one call and
// nothing else moved: keys typed into another domain, the kernel's timer and any interrupt must
// stay invisible. Prints "status: calls=N anomalies=M" every 20000 calls.
#include "guest.hpp"

extern "C" void guest_main() {
  using sk::hypercall::Number;
  const guest::Hypercall_result first = guest::hypercall(Number::read_status);
  uint32_t exits = first.edx, refused = first.ecx, anomalies = 0;
  for (uint32_t calls = 1;; ++calls) {
    const guest::Hypercall_result r = guest::hypercall(Number::read_status);
    if (r.error || r.ebx != first.ebx || r.ecx != refused || r.edx != exits + 1) {
      if (anomalies++ < 4) guest::log("status: exits moved from %u to %u (refused %u to %u)", exits, r.edx, refused, r.ecx);
    }
    exits = r.edx;
    refused = r.ecx;
    if (calls % 20000 == 0) {
      guest::log("status: calls=%u anomalies=%u", calls, anomalies);
      exits = guest::hypercall(Number::read_status).edx;  // the log call was one exit of its own
    }
  }
}
