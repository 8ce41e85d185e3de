// SPDX-License-Identifier: Apache-2.0
// The kernel's measurements on the multiboot path: before any partition runs, the policy's
// measured form (without its image digests) into PCR 8 and each partition's pieces into its own
// PCR, 9 + its index (docs/attestation.md, PCR map: its image, or
// a Linux partition's kernel, initramfs and command line, one event each), each with a
// TCG crypto-agile EV_IPL event in the kernel's own event log. Nothing measured the kernel itself
// on this path (no firmware measured it): the log says so and so does the boot line.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.hpp"

namespace sk::kernel::measure {

// Starts the TPM (TIS, locality 0) if there is one, then measures. modules[i]: partition i's
// pieces (a missing one is not measured; its PCR then differs from the manifest). A missing TPM is audited
// once and nothing is measured; a TPM that refuses a command is a boot panic (PCRs that do not match the log
// would mislead a verifier). boot_log: the "eventlog" module of the UEFI boot stage, which already measured
// everything (then the kernel extends nothing and keeps that log), or null on the multiboot path.
void boot_measurements(const Partition_modules* modules, const uint8_t* boot_log, uint64_t boot_log_size);
// The event log written so far (empty without a TPM).
const uint8_t* log_data();
size_t log_size();
bool measured();

}  // namespace sk::kernel::measure
