// SPDX-License-Identifier: Apache-2.0
// What arch/ calls above itself, and only through here: the kernel supplies these hooks
// (kernel/interrupts.cpp). The other way up is the kernel's entry, sk_kernel_main, which
// multiboot.S jumps to. arch/ includes nothing from kernel/, drivers/ or virt/
// (scripts/check-layering.sh, run by the test command).
#pragma once
#include <stdint.h>

#include "arch/x86_64/descriptors.hpp"

namespace sk::arch::hooks {

// The LAPIC timer's vector arrived on this CPU.
void timer_interrupt();
// Any other vector taken in the kernel (an exception, an NMI): the kernel reports it and stops;
// cr2 is the faulting address of a page fault.
[[noreturn]] void unexpected_interrupt(const Interrupt_frame& f, uint64_t cr2);

}  // namespace sk::arch::hooks
