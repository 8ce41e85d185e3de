// SPDX-License-Identifier: Apache-2.0
// The local APIC's one-shot timer and the legacy PICs, as registers: what kernel/timer.cpp builds
// the kernel's clock and minor-frame timer on.
#pragma once
#include <stdint.h>

namespace sk::arch::lapic {

// Remaps both legacy PICs to 0xF0-0xFF and masks every line (the BIOS leaves the PIT unmasked;
// any unmasked legacy IRQ would end every VMRUN at once).
void mask_legacy_pics();
// Enables this CPU's LAPIC: spurious vector, timer divide by 16, timer masked until armed. False
// if the LAPIC is not at 0xFEE00000 (where the kernel maps it).
bool enable();
// TSC and LAPIC timer ticks counted over 10 ms of PIT channel 2 (mode 0, OUT2 polled).
struct Calibration {
  uint64_t tsc_ticks;
  uint32_t lapic_ticks;
};
Calibration calibrate_10ms();
// One-shot, unmasked, at the timer vector, after ticks LAPIC timer ticks (divide by 16).
void arm_oneshot(uint32_t ticks);
void end_of_interrupt();

}  // namespace sk::arch::lapic
