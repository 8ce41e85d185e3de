// SPDX-License-Identifier: Apache-2.0
// The kernel's side of the trusted path. The kernel owns the physical VGA text screen and i8042
// (SK-DEV-2). Each console partition gets a virtual screen (the page at guest-physical 0xB8000 of
// its own memory) and a virtual i8042 (ports 0x60/0x64, plus the CRTC index/data ports
// 0x3D4/0x3D5, emulated; IRQ 1 injected as vector 0x21). The physical screen shows the indicator
// row (focused console's number, name, label, colours, state) above rows 1..24 of the focused
// console's screen; physical keys go through sk::tp::Keyboard_router, which handles the secure
// attention key (Ctrl+Alt+Del). Focus changes only there; each change is audited.
#pragma once
#include <stdint.h>

#include "kernel/multiboot.hpp"

namespace sk::kernel::console {

// Before the partitions are built, on the UEFI path: takes the firmware's framebuffer as the
// physical screen (else VGA text mode is), after refusing every partition granted any memory BAR
// of a display adapter (SK-DEV-2; audited, the partition locked). An unusable framebuffer is
// audited and leaves the trusted path without a screen.
void claim_framebuffer(const multiboot::Framebuffer& fb);
// After the partitions are built: numbers the consoles, focuses the first and draws the screen.
// The keyboard interrupt stays masked: keys are polled (SK-TIME-2, below).
void start();
// CPU 0, in the kernel's window at the end of every minor frame (never in a partition's time):
// drains the physical keyboard through the router, then copies the focused console's screen to
// the physical screen (only the cells that changed). Polling rather than IRQ 1 means a key never
// interrupts a running partition, so no partition can count or time another domain's keys. On a
// framebuffer the indicator row is painted whole and the other rows until paint_until_us.
void tick(uint64_t paint_until_us);
// An intercepted I/O instruction of partition part. Returns true if it was a virtual-console
// port and was emulated (guest RAX and RIP updated), false if it is a violation.
bool emulate_io(uint16_t part, uint64_t exit_info1, uint64_t next_rip);
// Before each VMRUN of part: raises the guest's virtual IRQ 1 if a key is waiting for it.
void before_vmrun(uint16_t part);

}  // namespace sk::kernel::console
