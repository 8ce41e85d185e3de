// SPDX-License-Identifier: Apache-2.0
// The attestation hypercalls (tpm_quote, event_log_read) of a partition the policy names as its
// attestation agent (SK-CAP-1). The kernel owns the TPM; the agent only relays a verifier's nonce
// and the kernel's answer.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::kernel::attest {

// Each returns the error for EAX (none on success) and sets the result registers of part.
Error quote(uint16_t part, uint32_t gpa, uint32_t capacity);
Error read_log(uint16_t part, uint32_t offset, uint32_t gpa, uint32_t length);

}  // namespace sk::kernel::attest
