// SPDX-License-Identifier: Apache-2.0
// Attack: write guest-physical memory just past the partition's own 16 MiB (SK-MEM-3).
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: writing 0x1000000 (outside own memory)");
  *reinterpret_cast<volatile uint32_t*>(0x1000000) = 0xBADC0DE;
  guest::log("attack: ESCAPED (write outside own memory succeeded)");
}
