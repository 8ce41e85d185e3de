// SPDX-License-Identifier: Apache-2.0
// The policy validator: many small named rules over the policy model. The same code runs in
// `bulkhead policy check`/`compile` (hosted) and in the kernel before anything runs.
#pragma once

#include <stdint.h>

#include "sk/invariants.hpp"
#include "sk/policy.hpp"

namespace sk::policy {

// What a violation is about, so the front end can map it to a source line.
enum class Subject : uint8_t { platform, label, partition, channel, schedule };

struct Violation {
  Rule rule;
  Subject subject;
  uint16_t index;        // label / partition / channel index, or CPU for schedule
  uint16_t sub_index;    // frame index for schedule, range index for devices, else 0
  char field[24];        // the TOML field name at fault, e.g. "memory", "io", "reader"
  char message[256];     // one sentence, NUL-terminated, naming the objects at fault
};

// Receives each violation as it is found. Hosted callers collect them; the kernel prints them.
class Violation_sink {
 public:
  virtual void report(const Violation& v) = 0;

 protected:
  ~Violation_sink() = default;
};

// Runs every rule over p. Returns the number of violations reported to sink (0: valid).
// Never reads outside the fixed tables, whatever the counts in p say (counts beyond the
// limits are themselves a SK-LIM-1 violation and the remaining rules are then skipped).
uint32_t validate(const Policy& p, Violation_sink& sink);

}  // namespace sk::policy
