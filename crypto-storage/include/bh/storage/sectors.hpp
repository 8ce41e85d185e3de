// SPDX-License-Identifier: Apache-2.0
// Plaintext access to a disk's data segment on the host, through the core's AES-256-XTS (the
// code the kernel runs): for tests of what guests wrote, and for the administrator.
#pragma once

#include <cstdint>
#include <vector>

#include "bh/storage/luks_disk.hpp"

namespace bh::storage {

// Reads count sectors from first (in the disk's sector size) and decrypts them.
// Throws Storage_error if the range leaves the data segment.
std::vector<uint8_t> read_plaintext(const Luks_disk& disk, const Secret& key, uint64_t first, uint64_t count);

// Encrypts data (a whole number of sectors) and writes it at sector first.
void write_plaintext(const Luks_disk& disk, const Secret& key, uint64_t first,
                     const std::vector<uint8_t>& data);

}  // namespace bh::storage
