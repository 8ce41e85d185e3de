// SPDX-License-Identifier: Apache-2.0
// The display adapters on PCI bus 0 (class 0x03), found through configuration mechanism #1
// (ports 0xCF8/0xCFC, the kernel's: SK-DEV-2), at boot before any partition runs: their memory
// BARs (the framebuffer and the registers that set its mode, such as Bochs VBE's) are the
// kernel's once it draws the trusted path on a framebuffer, and no partition may map them.
#pragma once
#include <stdint.h>

namespace sk::drivers::pci_display {

struct Bar {
  uint64_t base, size;
};
inline constexpr uint32_t k_max_bars = 12;

// Fills bars with the memory BARs of every display adapter on bus 0 (sized by the standard
// all-ones probe, memory decoding off meanwhile); returns how many.
uint32_t memory_bars(Bar* bars, uint32_t max);

}  // namespace sk::drivers::pci_display
