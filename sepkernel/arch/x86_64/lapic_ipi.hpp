// SPDX-License-Identifier: Apache-2.0
// Inter-processor interrupts (INIT, STARTUP, NMI) sent through this CPU's local APIC.
#pragma once
#include <stdint.h>

namespace sk::arch::lapic {

// Each returns false if the local APIC did not accept the IPI (delivery stayed pending).
[[nodiscard]] bool send_init(uint32_t apic_id);
// STARTUP IPI: the target starts in real mode at page * 4096.
[[nodiscard]] bool send_startup(uint32_t apic_id, uint32_t page);
// NMI to every other CPU (the panic path: no CPU runs on after one has found the system unsafe).
void send_nmi_to_others();

}  // namespace sk::arch::lapic
