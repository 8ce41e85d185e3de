// SPDX-License-Identifier: Apache-2.0
// Security invariant IDs. The validator enforces them, the fixtures in tests/policy test
// them, the kernel re-checks the hardware-facing ones and proofs/ assumes them by these IDs.
// One grep for an ID shows where it is stated, enforced, tested and proved.
#pragma once

#include <stdint.h>

namespace sk {

// Kernel invariants: enforced by the kernel itself (no policy rule can break them), tested by
// the integration tests named in docs/kernel.md, not yet in the Coq model (proofs/CAVEATS.md).
//   SK-CPU-1   every switch between partitions on a CPU saves and loads all of the state in
//              docs/kernel.md's world-switch table, or that state is intercepted or constant.
//   SK-TIME-1  minor frames start at absolute deadlines (start + durations, no drift); work the
//              kernel does for a partition runs in that partition's own time or is deferred to
//              its next frame; the kernel's own work runs in the guard at each frame's end.
//   SK-TIME-2  what a partition can read of the kernel's counters counts only its own actions:
//              no interrupt, and no key typed into any domain, is counted for or seen by it.

#define SK_RULES(X)                                                                                \
  X(syn_parse, "SK-SYN-1", "the policy source is well-formed TOML")                                \
  X(syn_unknown_key, "SK-SYN-2", "no key outside the documented schema")                           \
  X(syn_type, "SK-SYN-3", "every field has its documented type and every required field is set")  \
  X(name_unique, "SK-NAME-1", "names of labels, partitions and channels are unique and valid")     \
  X(mem_aligned, "SK-MEM-1", "memory regions are non-empty and page-aligned")                      \
  X(mem_in_ram, "SK-MEM-2", "memory regions lie inside the platform's RAM, below 4 GiB")           \
  X(mem_disjoint, "SK-MEM-3", "no two partitions' memory regions overlap")                         \
  X(mem_kernel, "SK-MEM-4", "no region touches kernel-reserved memory, devices or pages")          \
  X(mem_channel, "SK-MEM-5", "channel pages overlap no partition memory and no other channel")     \
  X(mem_guest_layout, "SK-MEM-6", "a channel's guest window lies outside guest RAM and windows")   \
  X(dev_exclusive, "SK-DEV-1", "every port range, MMIO range and IRQ has at most one owner")       \
  X(dev_reserved, "SK-DEV-2", "no grant touches a port, MMIO range or IRQ the kernel uses")        \
  X(dev_wellformed, "SK-DEV-3", "port and MMIO ranges and IRQs are well-formed, MMIO below 4 GiB") \
  X(flow_order, "SK-FLOW-1", "no channel flows from a higher label to a lower one")                \
  X(flow_endpoints, "SK-FLOW-2", "a channel joins two existing, distinct partitions")              \
  X(label_known, "SK-LABEL-1", "every partition names a declared label")                           \
  X(sched_tiling, "SK-SCHED-1", "minor frames tile each CPU's major frame exactly")                \
  X(sched_coverage, "SK-SCHED-2", "every partition is scheduled at least once")                    \
  X(sched_cpu, "SK-SCHED-3", "a partition runs only on its own, existing CPU")                     \
  X(image_present, "SK-IMG-1", "every referenced image and disk is present")                       \
  X(limits, "SK-LIM-1", "counts stay within the kernel's fixed table sizes")                       \
  X(cap_attest, "SK-CAP-1", "at most one partition holds the attestation capability")              \
  X(tp_readable, "SK-TP-1", "each label's indicator colours differ and contrast at least 4.5:1")    \
  X(tp_distinct, "SK-TP-2", "no two labels' backgrounds are one VGA hue (alike on the indicator)")  \
  X(tp_numbers, "SK-TP-3", "console partitions come first: the indicator's numbers are policy order") \
  X(linux_cmdline, "SK-LINUX-1", "a Linux command line is at most 511 printable ASCII characters")  \
  X(linux_fits, "SK-LINUX-2", "a Linux kernel is a bzImage that fits its partition with initramfs") 

enum class Rule : uint8_t {
#define SK_RULE_ENUM(name, id, text) name,
  SK_RULES(SK_RULE_ENUM)
#undef SK_RULE_ENUM
      count
};

// "SK-MEM-3" for Rule::mem_disjoint.
const char* rule_id(Rule r);
// One-sentence statement of the invariant.
const char* rule_statement(Rule r);

}  // namespace sk
