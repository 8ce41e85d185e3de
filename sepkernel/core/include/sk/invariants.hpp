// SPDX-License-Identifier: Apache-2.0
// Security invariant IDs. The validator enforces them, the fixtures in tests/policy test
// them, the kernel re-checks the hardware-facing ones and proofs/ assumes them by these IDs.
// One grep for an ID shows where it is stated, enforced, tested and proved.
#pragma once

#include <stdint.h>

namespace sk {

#define SK_RULES(X)                                                                                \
  X(syn_parse, "SK-SYN-1", "the policy source is well-formed TOML")                                \
  X(syn_unknown_key, "SK-SYN-2", "no key outside the documented schema")                           \
  X(syn_type, "SK-SYN-3", "every field has its documented type and every required field is set")  \
  X(name_unique, "SK-NAME-1", "names of labels, partitions and channels are unique and valid")     \
  X(mem_aligned, "SK-MEM-1", "memory regions are non-empty and page-aligned")                      \
  X(mem_in_ram, "SK-MEM-2", "memory regions lie inside the platform's RAM")                        \
  X(mem_disjoint, "SK-MEM-3", "no two partitions' memory regions overlap")                         \
  X(mem_kernel, "SK-MEM-4", "no region touches kernel-reserved memory")                            \
  X(mem_channel, "SK-MEM-5", "channel pages overlap no partition memory and no other channel")     \
  X(mem_guest_layout, "SK-MEM-6", "a channel's guest window lies outside guest RAM and windows")   \
  X(dev_exclusive, "SK-DEV-1", "every port range, MMIO range and IRQ has at most one owner")       \
  X(dev_reserved, "SK-DEV-2", "keyboard, display, TPM and the kernel's own devices have no owner") \
  X(dev_wellformed, "SK-DEV-3", "port ranges, MMIO ranges and IRQs are well-formed")              \
  X(flow_order, "SK-FLOW-1", "no channel flows from a higher label to a lower one")                \
  X(flow_endpoints, "SK-FLOW-2", "a channel joins two existing, distinct partitions")              \
  X(label_known, "SK-LABEL-1", "every partition names a declared label")                           \
  X(sched_tiling, "SK-SCHED-1", "minor frames tile each CPU's major frame exactly")                \
  X(sched_coverage, "SK-SCHED-2", "every partition is scheduled at least once")                    \
  X(sched_cpu, "SK-SCHED-3", "a partition runs only on its own, existing CPU")                     \
  X(image_present, "SK-IMG-1", "every referenced image and disk is present")                       \
  X(limits, "SK-LIM-1", "counts stay within the kernel's fixed table sizes")                       \
  X(cap_attest, "SK-CAP-1", "at most one partition holds the attestation capability")

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
