// SPDX-License-Identifier: Apache-2.0
// Fuzzes the event log reader: any bytes are refused or walked to the end without reading
// outside the input; every event it hands out lies inside the input.
#include <cstddef>
#include <cstdint>

#include "sk/event_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sk::event_log::Reader r;
  if (!r.open(data, size).ok()) return 0;
  sk::event_log::Event e{};
  while (r.next(e).ok()) {
    if (e.data < data || e.data + e.data_size > data + size) __builtin_trap();
    for (uint32_t i = 0; i < e.digest_count; ++i) {
      if (e.digests[i].bytes + sk::event_log::digest_size(e.digests[i].alg) > data + size) __builtin_trap();
    }
  }
  return 0;
}
