// SPDX-License-Identifier: Apache-2.0
// The attestation hypercalls (tpm_quote, event_log_read) of a partition the policy names as its
// attestation agent (SK-CAP-1). The kernel owns the TPM; the agent only relays a verifier's nonce
// and the kernel's answer.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::kernel::attest {

// Each returns the error for EAX (none on success) and sets the result registers of part.
// quote() sends the command and returns with `pending` set; the TPM works on while partitions
// run, and the call, made again (the kernel sets the caller's RIP back to it), collects the
// response once the TPM has it. The kernel never waits out the TPM inside a frame (SK-TIME-1).
Error quote(uint16_t part, uint32_t gpa, uint32_t capacity, bool& pending);
Error read_log(uint16_t part, uint32_t offset, uint32_t gpa, uint32_t length);

}  // namespace sk::kernel::attest
