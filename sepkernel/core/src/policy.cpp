// SPDX-License-Identifier: Apache-2.0
// The kernel's reserved devices and small helpers on the policy model.
#include "sk/policy.hpp"

namespace sk::policy {

// SK-DEV-2: the trusted path (keyboard, display), the TPM and the kernel's own devices.
const Reserved_io k_reserved_io[] = {
    {"PIC master", {0x20, 2}},        {"PIT", {0x40, 4}},
    {"i8042 keyboard data", {0x60, 1}}, {"i8042 keyboard status", {0x64, 1}},
    {"PIC slave", {0xA0, 2}},         {"VGA", {0x3B0, 0x30}},
    {"serial console COM1", {0x3F8, 8}}, {"PCI configuration", {0xCF8, 8}},
};
const size_t k_reserved_io_count = sizeof(k_reserved_io) / sizeof(k_reserved_io[0]);

const Reserved_mmio k_reserved_mmio[] = {
    {"VGA memory", {0xA0000, 0x20000}},
    {"IOAPIC", {0xFEC00000, 0x1000}},
    {"TPM TIS", {0xFED40000, 0x5000}},
    {"LAPIC", {0xFEE00000, 0x1000}},
};
const size_t k_reserved_mmio_count = sizeof(k_reserved_mmio) / sizeof(k_reserved_mmio[0]);

const Reserved_irq k_reserved_irqs[] = {
    {"PIT timer", 0}, {"i8042 keyboard", 1}, {"PIC cascade", 2}, {"serial console COM1", 4}, {"i8042 mouse", 12},
};
const size_t k_reserved_irq_count = sizeof(k_reserved_irqs) / sizeof(k_reserved_irqs[0]);

bool name_equals(const Name& n, const char* s) {
  uint32_t i = 0;
  for (; i < k_name_len; ++i) {
    if (n.text[i] != s[i]) return false;
    if (s[i] == '\0') return true;
  }
  return false;
}

uint16_t find_partition(const Policy& p, const char* name) {
  for (uint32_t i = 0; i < p.partition_count && i < k_max_partitions; ++i) {
    if (name_equals(p.partitions[i].name, name)) return static_cast<uint16_t>(i);
  }
  return k_none;
}

}  // namespace sk::policy
