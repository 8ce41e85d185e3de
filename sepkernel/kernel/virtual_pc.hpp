// SPDX-License-Identifier: Apache-2.0
// The interrupt controller and interval timer of a partition with `virtual_pc` (sepkernel/virt/
// pic8259, pit8254), each partition's own: their ports (0x20-0x21, 0xA0-0xA1, 0x40-0x43, 0x61)
// and the injection of the PIC's vector before each VMRUN. Time is the kernel's clock: the
// virtual 8254 counts while its partition is not running, as a real one does.
#pragma once
#include <stdint.h>

namespace sk::kernel::pc {

// Handles a byte-sized I/O exit to one of the ports above for a virtual_pc partition.
bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip);
// An edge on the partition's interrupt line irq (the virtual keyboard: 1).
void raise(uint16_t part, uint8_t irq);
// Before VMRUN: channel 0's edges become IRQ 0, and the PIC's highest request is injected
// (V_IRQ) unless one is still waiting for the guest to take it.
void before_vmrun(uint16_t part);
// HLT: if the partition's next interrupt (a request in its PIC, or channel 0's next edge) comes
// before until_us, waits for it and returns true (the partition goes on); false otherwise.
bool idle_until(uint16_t part, uint64_t until_us);

}  // namespace sk::kernel::pc
