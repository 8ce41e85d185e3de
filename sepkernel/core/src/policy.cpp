// SPDX-License-Identifier: Apache-2.0
// The kernel's reserved devices and small helpers on the policy model.
#include "sk/policy.hpp"

namespace sk::policy {

// SK-DEV-2: the ports of the trusted path (keyboard, display), of the disks the kernel drives
// and of the kernel's own timers, interrupt controllers, log line and platform. Sorted by port.
const Reserved_io k_reserved_io[] = {
    {"PIC master", {0x20, 2}},
    {"PIT", {0x40, 4}},  // channel 0 unused; channel 2 calibrates the LAPIC timer
    {"i8042 keyboard data", {0x60, 1}},
    {"PIT channel 2 gate", {0x61, 1}},  // port B: gate and OUT2 of the calibration
    {"i8042 keyboard status", {0x64, 1}},
    {"PIC slave", {0xA0, 2}},
    {"ATA secondary command", {0x170, 8}},  // drivers/ata.cpp: the VM disks, PIO
    {"VGA (Bochs VBE)", {0x1CE, 3}},         // sets the framebuffer's mode (QEMU's standard VGA)
    {"ATA primary command", {0x1F0, 8}},
    {"ATA secondary control", {0x376, 1}},
    {"VGA", {0x3B0, 0x30}},
    {"ATA primary control", {0x3F6, 1}},
    {"serial console COM1", {0x3F8, 8}},     // drivers/serial.cpp: the kernel's log; COM2 is free
    {"PIC edge/level control", {0x4D0, 2}},  // ELCR
    {"PCI configuration", {0xCF8, 8}},       // the kernel owns the platform
};
const size_t k_reserved_io_count = sizeof(k_reserved_io) / sizeof(k_reserved_io[0]);

// SK-DEV-2 (mmio) and SK-MEM-4 (memory, channels): host-physical ranges the kernel drives or
// reads, whether device MMIO or low RAM. Sorted by address. The kernel image and its boot modules
// are not listed: they lie in platform.kernel_reserved, which the kernel checks at boot.
const Reserved_memory k_reserved_memory[] = {
    {"BIOS data area", {0x0, 0x1000}},  // kernel/acpi.cpp reads the EBDA segment at 0x40E
    {"AP start-up trampoline", {k_ap_trampoline_page, 0x1000}},  // kernel/smp.cpp
    {"extended BIOS data area", {0x80000, 0x20000}},  // the RSDP scan's first KiB of the EBDA lies here
    {"VGA memory", {0xA0000, 0x20000}},               // the trusted screen at 0xB8000
    {"option ROM area", {0xC0000, 0x20000}},          // not RAM: the legacy hole up to 1 MiB
    {"BIOS ROM", {0xE0000, 0x20000}},                 // kernel/acpi.cpp scans it for the RSDP
    {"IOAPIC", {0xFEC00000, 0x1000}},
    {"TPM TIS", {0xFED40000, 0x5000}},
    {"LAPIC", {0xFEE00000, 0x1000}},
};
const size_t k_reserved_memory_count = sizeof(k_reserved_memory) / sizeof(k_reserved_memory[0]);

// SK-DEV-2: the interrupt lines of the kernel's devices (the ATA ones too, though the kernel
// polls with nIEN set: a partition holding them could only see the kernel's disk activity).
const Reserved_irq k_reserved_irqs[] = {
    {"PIT timer", 0},    {"i8042 keyboard", 1}, {"PIC cascade", 2},    {"serial console COM1", 4},
    {"i8042 mouse", 12}, {"ATA primary", 14},   {"ATA secondary", 15},
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
