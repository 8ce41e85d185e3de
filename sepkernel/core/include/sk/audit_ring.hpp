// SPDX-License-Identifier: Apache-2.0
// The kernel's audit ring: fixed-size records, oldest overwritten first, sequence numbers
// never reused. The kernel also prints every record as one machine-readable serial line
// (`AUDIT seq=7 t=123456 part=open event=npf_violation detail="gpa=0x9000000 write"`).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::audit {

#define SK_AUDIT_EVENTS(X)                                                   \
  X(boot, "boot")                          /* a boot step completed */       \
  X(policy_accepted, "policy_accepted")    /* image read and validated */    \
  X(partition_refused, "partition_refused") /* image digest or load failed */ \
  X(partition_started, "partition_started")                                  \
  X(partition_stopped, "partition_stopped")                                  \
  X(npf_violation, "npf_violation")        /* access outside the NPT grants */ \
  X(io_violation, "io_violation")          /* port not granted */            \
  X(msr_violation, "msr_violation")        /* MSR access (none is granted) */ \
  X(shutdown, "shutdown")                  /* guest triple fault */          \
  X(instruction_violation, "instruction_violation") /* SVM instr. etc. */    \
  X(fault_injected, "fault_injected")      /* on_violation = inject_fault */ \
  X(hypercall_refused, "hypercall_refused") /* bad number or argument */     \
  X(invalid_state, "invalid_state")        /* VMRUN refused the VMCB */    \
  X(focus_changed, "focus_changed")        /* secure attention key moved the focus */ \
  X(device_refused, "device_refused")      /* virtual-device command without effect */ \
  X(disk_unlocked, "disk_unlocked")        /* a partition's disk key was unsealed */  \
  X(disk_locked, "disk_locked")            /* a disk key did not unseal: not started */

enum class Event : uint8_t {
#define SK_AUDIT_ENUM(name, text) name,
  SK_AUDIT_EVENTS(SK_AUDIT_ENUM)
#undef SK_AUDIT_ENUM
      count
};

const char* event_name(Event e);

inline constexpr uint16_t k_kernel = 0xFFFF;  // record not about a partition
inline constexpr size_t k_detail_len = 96;

struct Record {
  uint64_t sequence;
  uint64_t time_us;
  uint16_t partition;  // index, or k_kernel
  Event event;
  char detail[k_detail_len];  // NUL-terminated
};

template <size_t Capacity>
class Ring {
 public:
  static_assert(Capacity > 0);
  // Appends a record (detail truncated to fit) and returns it. Sequence numbers start at 1.
  const Record& push(uint64_t time_us, uint16_t partition, Event event, const char* detail) {
    Record& r = records_[next_sequence_ % Capacity];
    r.sequence = ++next_sequence_;
    r.time_us = time_us;
    r.partition = partition;
    r.event = event;
    size_t i = 0;
    for (; detail && detail[i] && i + 1 < k_detail_len; ++i) r.detail[i] = detail[i];
    r.detail[i] = '\0';
    return r;
  }
  // Records ever pushed.
  uint64_t total() const { return next_sequence_; }
  // The record with that sequence number, or nullptr if never written or overwritten.
  const Record* find(uint64_t sequence) const {
    if (sequence == 0 || sequence > next_sequence_ || next_sequence_ - sequence >= Capacity) return nullptr;
    return &records_[(sequence - 1) % Capacity];
  }

 private:
  Record records_[Capacity]{};
  uint64_t next_sequence_ = 0;
};

}  // namespace sk::audit
