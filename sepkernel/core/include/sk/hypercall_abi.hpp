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
  block_info = 7,      // EBX = guest-physical address of the caller's ring page (page aligned, own
                       //    RAM) -> EBX = sectors of its disk, ECX = sector size (4096)
  block_doorbell = 8,  // -> EBX = requests completed (every request from tail to head)
  event_log_read = 9,  // EBX = offset, ECX = guest-physical buffer, EDX = length; needs
                       //    attestation_agent -> EBX = bytes copied, ECX = the log's total size
  count
};

inline constexpr uint32_t k_max_log = 200;  // bytes per debug-log call

// The paravirtual block device's request ring (hypercalls 7 and 8): one page of the guest's own
// RAM. The guest fills requests[head % k_block_ring_entries] and advances head; the doorbell makes
// the kernel complete every request from tail to head, write each status and advance tail. A
// write is complete (status ok) only after the device confirmed it and flushed its cache.
inline constexpr uint32_t k_block_ring_entries = 64;
inline constexpr uint32_t k_block_sector = 4096;
enum class Block_op : uint32_t { read = 1, write = 2 };
enum class Block_status : uint32_t { pending = 0, ok = 1, bad_request = 2, out_of_range = 3, io_error = 4 };
struct Block_request {
  uint32_t op;        // Block_op
  uint32_t status;    // Block_status, written by the kernel
  uint64_t sector;    // 4096-byte sector of the partition's own disk (its data segment)
  uint32_t buffer;    // guest-physical address of 4096 bytes of the caller's own RAM
  uint32_t reserved;
};
struct Block_ring {
  uint32_t head;  // written by the guest
  uint32_t tail;  // written by the kernel
  Block_request requests[k_block_ring_entries];
};

}  // namespace sk::hypercall
