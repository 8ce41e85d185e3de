// SPDX-License-Identifier: Apache-2.0
// Inter-processor interrupts through the local APIC's ICR: INIT and STARTUP to bring up an
// application processor, and the NMI that stops the other CPUs when one panics.
#include "arch/x86_64/lapic_ipi.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::arch::lapic {
namespace {

constexpr uint64_t k_icr_low = 0xFEE00300, k_icr_high = 0xFEE00310;
constexpr uint32_t k_delivery_pending = 1u << 12;

// Waits (bounded) until the previous IPI left the ICR; false if it never did.
bool wait_idle() {
  for (uint32_t i = 0; i < 1000000; ++i) {
    if ((mmio32(k_icr_low) & k_delivery_pending) == 0) return true;
    cpu_relax();
  }
  return false;
}

bool send(uint32_t apic_id, uint32_t command) {
  if (!wait_idle()) return false;
  mmio32(k_icr_high) = apic_id << 24;
  mmio32(k_icr_low) = command;
  return wait_idle();
}

}  // namespace

bool send_init(uint32_t apic_id) { return send(apic_id, 0x00004500); }  // INIT, level assert

bool send_startup(uint32_t apic_id, uint32_t page) { return send(apic_id, 0x00004600 | (page & 0xFF)); }

void send_nmi_to_others() {
  (void)wait_idle();
  mmio32(k_icr_high) = 0;
  mmio32(k_icr_low) = 0x000C4400;  // NMI, all excluding self
}

}  // namespace sk::arch::lapic
