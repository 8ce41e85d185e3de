// SPDX-License-Identifier: Apache-2.0
// The disk of a virtual_pc partition (a Linux guest) as a virtio-blk device on a virtual PCI bus
// (sepkernel/virt/virtio_blk.hpp): present only if the policy gives the partition a disk and its
// key unsealed; BAR 0 at ports 0xC000-0xC03F, interrupt line 11 of the partition's virtual PIC.
// Every 4096-byte unit goes through the kernel's encrypted block path (block::serve): the guest
// reads and writes plaintext of its own disk, never a key, a ciphertext or another disk.
// Requests are served in the partition's own time only (SK-TIME-1): at the queue notification,
// then before each of its VMRUNs until the queue is empty; taking a request off the queue and
// completing it start only if their worst cost so far fits in the time left, and a transfer the
// frame cannot finish goes on in the partition's next frame.
#pragma once
#include <stdint.h>

namespace sk::kernel::vdisk {

// Handles an I/O exit (EXITINFO1, EXITINFO2 = the next RIP) to the PCI configuration ports or
// the device's BAR; false if it is not the device's (or the partition has no such device).
bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip);
// Before VMRUN: goes on with queued requests, raising the interrupt line when some completed.
void before_vmrun(uint16_t part);
// True while requests are queued or in flight (HLT then returns at once: the work goes on).
bool busy(uint16_t part);

}  // namespace sk::kernel::vdisk
