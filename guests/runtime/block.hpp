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

}  // namespace guest::block
