// SPDX-License-Identifier: Apache-2.0
// The audit ring and its serial form: every record is also one machine-readable line.
#include <stdarg.h>

#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/spinlock.hpp"
#include "kernel/timer.hpp"

namespace sk::kernel {
namespace {

audit::Ring<256> g_ring;
uint64_t g_per_partition[policy::k_max_partitions];
// Both CPUs audit: the ring and its serial line are written under one lock, so sequence numbers
// appear on serial in order and no record is torn.
Spinlock g_audit_lock;

}  // namespace

void audit(uint16_t part, audit::Event event, const char* fmt, ...) {
  char detail[audit::k_detail_len];
  va_list ap;
  va_start(ap, fmt);
  log::vformat(detail, sizeof detail, fmt, ap);
  va_end(ap);
  Lock_guard guard(g_audit_lock);
  const audit::Record& r = g_ring.push(timer::now_us(), part, event, detail);
  char name[policy::k_name_len + 1] = "kernel";
  if (part < policy().partition_count && part < policy::k_max_partitions) {
    ++g_per_partition[part];
    for (uint32_t i = 0; i < policy::k_name_len; ++i) name[i] = policy().partitions[part].name.text[i];
    name[policy::k_name_len] = '\0';
  }
  log::print("AUDIT seq=%lu t=%lu part=%s event=%s detail=\"%s\"\n", r.sequence, r.time_us, name,
             audit::event_name(event), r.detail);
}

uint64_t audit_count(uint16_t part) { return part < policy::k_max_partitions ? g_per_partition[part] : 0; }

}  // namespace sk::kernel
