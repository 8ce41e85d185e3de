// SPDX-License-Identifier: Apache-2.0
// Secret random bytes for the kernel (the salt and nonces of the disk-key unseal session).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::kernel::random {

// Fills out[0..size) with SHA-256 output over 512 bits of RDRAND plus the TSC and a counter.
// Returns false (out wiped) if the CPU has no RDRAND or it fails a sanity check (no value, or
// the same value twice in a row, as AMD parts with the RDRAND-after-resume bug return all ones):
// the caller must then not proceed as if it had a secret. Never reads the TPM: GetRandom's
// answer crosses the bus in clear.
[[nodiscard]] bool fill(uint8_t* out, size_t size);

}  // namespace sk::kernel::random
