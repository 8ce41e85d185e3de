// SPDX-License-Identifier: Apache-2.0
// Attack: read the TPM TIS registers at 0xFED40000 (kernel-owned, SK-DEV-2).
#include "guest.hpp"

extern "C" void guest_main() {
  guest::log("attack: reading TPM MMIO 0xfed40000");
  uint32_t v = *reinterpret_cast<volatile uint32_t*>(0xFED40000u);
  guest::log("attack: ESCAPED (TPM access register 0x%x)", v);
}
