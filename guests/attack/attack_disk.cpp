// SPDX-License-Identifier: Apache-2.0
// Attack: a partition without a disk asks for one (block_info, doorbell), then touches the IDE
// controller's ports that carry the other partition's disk (kernel-owned).
#include "console.hpp"
#include "guest.hpp"

extern "C" void guest_main() {
  using sk::hypercall::Number;
  uint32_t e1 = guest::hypercall_raw(uint32_t(Number::block_info), 0x200000, 0);
  uint32_t e2 = guest::hypercall_raw(uint32_t(Number::block_doorbell), 0, 0);
  guest::log("attack: block device errors %u %u", e1, e2);
  uint8_t status = guest::inb(0x1F7);
  guest::log("attack: ESCAPED (IDE status 0x%x)", status);
  for (;;) guest::yield();
}
