// SPDX-License-Identifier: Apache-2.0
// Deny-by-default I/O and MSR permission maps (AMD APM vol. 2, 15.10 and 15.11).
#include "sk/permission_maps.hpp"

#include "sk/access.hpp"

namespace sk::permission {

void build_iopm(const policy::Policy& p, uint16_t part, uint8_t* iopm) {
  for (size_t i = 0; i < k_iopm_size; ++i) iopm[i] = 0xFF;
  for (uint32_t port = 0; port <= 0xFFFF; ++port) {
    if (policy::port_granted(p, part, static_cast<uint16_t>(port))) {
      iopm[port / 8] = static_cast<uint8_t>(iopm[port / 8] & ~(1u << (port % 8)));
    }
  }
}

void build_msrpm(uint8_t* msrpm) {
  for (size_t i = 0; i < k_msrpm_size; ++i) msrpm[i] = 0xFF;
  for (uint32_t msr : k_switched_msrs) {
    uint32_t base = 0;  // the bit offset of the MSR's range, as msr_intercepted() computes it
    if (msr >= 0xC0000000u) {
      base = 0x800 * 8;
      msr -= 0xC0000000u;
    }
    const uint32_t bit = base + msr * 2;  // read bit, then write bit
    msrpm[bit / 8] &= uint8_t(~(3u << (bit % 8)));
  }
}

bool io_intercepted(const uint8_t* iopm, uint16_t port, uint32_t size) {
  for (uint32_t i = 0; i < size; ++i) {
    uint32_t bit = uint32_t(port) + i;  // may reach 0x10002: the third page exists for this
    if (iopm[bit / 8] & (1u << (bit % 8))) return true;
  }
  return false;
}

bool msr_intercepted(const uint8_t* msrpm, uint32_t msr, bool write) {
  uint32_t base;
  if (msr <= 0x1FFF) {
    base = 0;
  } else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu) {
    base = 0x800 * 8;
    msr -= 0xC0000000u;
  } else if (msr >= 0xC0010000u && msr <= 0xC0011FFFu) {
    base = 0x1000 * 8;
    msr -= 0xC0010000u;
  } else {
    return true;
  }
  uint32_t bit = base + msr * 2 + (write ? 1 : 0);
  return (msrpm[bit / 8] >> (bit % 8)) & 1;
}

}  // namespace sk::permission
