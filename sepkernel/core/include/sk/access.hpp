// SPDX-License-Identifier: Apache-2.0
// What a partition may touch, decided from the policy alone. The NPT and permission-map
// builders enumerate exactly these grants, the unit tests check every built entry against
// these functions, and proofs/ models the same decisions.
#pragma once

#include <stdint.h>

#include "sk/policy.hpp"

namespace sk::policy {

enum class Access : uint8_t { none = 0, read = 1, read_write = 2 };

struct Page_grant {
  Access access;
  uint64_t host_address;  // host-physical page backing the guest page (valid if access != none)
};

// The grant for the guest-physical page containing gpa in partition part.
// SK-MEM-3/SK-MEM-5: partition memory appears at guest-physical [0, memory.size) read-write;
// a channel appears at its guest_address, read-write for its writer and read-only for its
// reader (SK-FLOW-1); a granted MMIO range appears at its own address read-write. Everything
// else is Access::none.
Page_grant guest_page(const Policy& p, uint16_t part, uint64_t gpa);

// SK-DEV-1/SK-DEV-2: true iff the policy grants port to partition part.
bool port_granted(const Policy& p, uint16_t part, uint16_t port);

// True iff partition part owns IRQ irq.
bool irq_granted(const Policy& p, uint16_t part, uint8_t irq);

// A region of guest-physical space with a single grant, for builders that enumerate.
struct Guest_region {
  uint64_t guest_address;
  uint64_t host_address;
  uint64_t size;
  Access access;
};

// Enumerates the grants of partition part: writes at most capacity regions, returns the
// number that exist (memory, then channels in policy order, then MMIO ranges).
uint32_t guest_regions(const Policy& p, uint16_t part, Guest_region* out, uint32_t capacity);

}  // namespace sk::policy
