// SPDX-License-Identifier: Apache-2.0
// The guest's side of the paravirtual block device (hypercalls 7 and 8, sk/hypercall_abi.hpp):
// one request at a time through a ring in this partition's own memory.
#pragma once
#include <stdint.h>

#include "sk/hypercall_abi.hpp"

namespace guest::block {

// Registers the ring; returns the disk's sectors (4096 bytes each), or 0 with *error set if
// this partition has no unlocked disk.
uint32_t open(uint32_t* error);
// One request; returns its Block_status (1 = ok), or 0x10000 + the hypercall error.
uint32_t request(sk::hypercall::Block_op op, uint64_t sector, void* buffer);
// A full ring in one doorbell: k_block_ring_entries requests over the last sectors of the disk,
// alternately writes and reads through `count` 4 KiB buffers. Returns the requests completed
// by the doorbell's last run (a doorbell the kernel defers runs again in a later frame).
uint32_t submit_ring(uint32_t sectors, uint8_t (*buffers)[4096], uint32_t count);

}  // namespace guest::block
