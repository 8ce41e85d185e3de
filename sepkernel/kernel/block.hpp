// SPDX-License-Identifier: Apache-2.0
// The paravirtual block device (hypercalls 7 and 8): each partition whose disk key unsealed gets
// its own disk's data segment, in 4096-byte sectors, through a request ring in its own RAM. The
// kernel encrypts and decrypts every sector with the partition's key (AES-256-XTS, tweak = byte
// offset / 512 as LUKS2 has it): the guest sees plaintext of its own disk only, never a key, a
// ciphertext, or another partition's disk.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::kernel::block {

Error info(uint16_t part, uint32_t ring_gpa);
Error doorbell(uint16_t part, bool& deferred);

}  // namespace sk::kernel::block
