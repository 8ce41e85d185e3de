// SPDX-License-Identifier: Apache-2.0
// The paravirtual block device (hypercalls 7 and 8): each partition whose disk key unsealed gets
// its own disk's data segment, in 4096-byte sectors, through a request ring in its own RAM. The
// kernel encrypts and decrypts every sector with the partition's key (AES-256-XTS, tweak = byte
// offset / 512 as LUKS2 has it): the guest sees plaintext of its own disk only, never a key, a
// ciphertext, or another partition's disk.
#pragma once
#include <stdint.h>

#include "sk/hypercall_abi.hpp"
#include "sk/result.hpp"

namespace sk::kernel::block {

// The ring interface (hypercalls 7 and 8), for partitions that are not a virtual PC (those get
// their disk as a virtio-blk device, kernel/virtual_disk.cpp).
Error info(uint16_t part, uint32_t ring_gpa);
Error doorbell(uint16_t part, bool& deferred);

// One 4096-byte request r of partition part on its own disk: r.op read or write, r.sector in
// 4096-byte units of the disk's data segment, r.buffer its 16-byte aligned buffer in the
// partition's own RAM. done: finished, status says how. pending: the partition's own time is
// spent or the device is still busy; call again with the same r at a later exit in its own time
// (the transfer goes on where it stopped; r is read only on the first call).
enum class Served : uint8_t { done, pending };
Served serve(uint16_t part, const hypercall::Block_request& r, hypercall::Block_status& status);

}  // namespace sk::kernel::block
