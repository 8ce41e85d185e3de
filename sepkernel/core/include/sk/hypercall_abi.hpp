// SPDX-License-Identifier: Apache-2.0
// The VMMCALL ABI between partitions and the kernel (documented in docs/hypercalls.md).
// Call number in EAX, arguments in EBX, ECX, EDX, ESI; on return EAX holds an sk::Error
// (0 = none) and results come back in EBX, ECX, EDX. Shared by the kernel and guests/.
#pragma once
#include <stdint.h>

namespace sk::hypercall {

enum class Number : uint32_t {
  yield = 0,           // give up the rest of this minor frame (the CPU idles: nothing is lent)
  read_time = 1,       // -> EBX:ECX = microseconds since boot (low, high)
  channel_signal = 2,  // EBX = channel index; caller must be its writer -> EBX = new event count
  channel_wait = 3,    // EBX = channel index, ECX = last count seen; caller must be its reader;
                       // blocks while the count equals ECX -> EBX = current count
  debug_log = 4,       // EBX = guest-physical address, ECX = length (1..k_max_log); own memory
                       // only, needs debug_log = true in the policy
  read_status = 5,     // -> EBX = own partition index, ECX = own refused hypercalls,
                       //    EDX = own exits so far
  tpm_quote = 6,       // EBX = guest-physical buffer, ECX = its size; needs attestation_agent.
                       //    In: u32 nonce size (1..64), nonce. Out: u32 attest size, TPMS_ATTEST,
                       //    u32 signature size, TPMT_SIGNATURE -> EBX = bytes written
  // 7 and 8 are reserved for the paravirtual block device (issue 6).
  event_log_read = 9,  // EBX = offset, ECX = guest-physical buffer, EDX = length; needs
                       //    attestation_agent -> EBX = bytes copied, ECX = the log's total size
  count
};

inline constexpr uint32_t k_max_log = 200;  // bytes per debug-log call

}  // namespace sk::hypercall
