// SPDX-License-Identifier: Apache-2.0
// Time and the minor-frame timer (LAPIC timer, one-shot), calibrated against the PIT at boot.
#pragma once
#include <stdint.h>

namespace sk::timer {

// Masks and remaps both legacy PICs (the BIOS leaves the PIT unmasked; any unmasked legacy
// IRQ would end every VMRUN at once), enables this CPU's LAPIC and, on the BSP, calibrates.
void init_bsp();
void init_ap();
// Microseconds since init_bsp().
uint64_t now_us();
// Arms this CPU's one-shot timer to fire after us microseconds and clears the fired flag.
void arm(uint32_t us);
// Arms the one-shot timer to fire at the absolute time deadline_us (at once if it has passed).
// Deadlines computed from a fixed start by addition never drift (SK-TIME-1).
void arm_at(uint64_t deadline_us);
// True once the armed timer has fired on this CPU (set by the interrupt handler).
bool fired();
// Called by the interrupt path for the timer vector: records the expiry and sends EOI.
void on_interrupt();
// TSC ticks per microsecond (for benchmarks and figures).
uint64_t tsc_per_us();
// The TSC's rate in kHz, from the same calibration (what a Linux partition is told:
// tsc_early_khz=, docs/linux.md).
uint32_t tsc_khz();

}  // namespace sk::timer
