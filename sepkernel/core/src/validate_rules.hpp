// SPDX-License-Identifier: Apache-2.0
// Internal to the validator: the reporter every rule writes to, shared helpers, and the rule
// groups (one function per rule, grouped by file). Not part of the core's public interface.
#pragma once

#include <stdint.h>

#include "sk/text.hpp"
#include "sk/validate.hpp"

namespace sk::policy::rules {

class Reporter;

// One violation being composed: append the message with the Text calls; the violation is
// handed to the sink when this object dies (at the end of the reporting statement).
class Message : public Text {
 public:
  Message(Reporter& reporter, Violation& v);
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message();
  // The message as an lvalue, for helpers that append a common prefix.
  Text& text() { return *this; }

 private:
  Reporter& reporter_;
};

class Reporter {
 public:
  explicit Reporter(Violation_sink& sink) : sink_(sink) {}
  // Starts a violation of rule about (subject, index, sub_index), field = the TOML key at fault.
  Message report(Rule rule, Subject subject, uint32_t index, uint32_t sub_index, const char* field);
  uint32_t count() const { return count_; }

 private:
  friend class Message;
  void send();
  Violation_sink& sink_;
  Violation current_{};
  uint32_t count_ = 0;
};

// Ranges: sk::policy::end_of and overlaps (policy.hpp).
inline bool overlaps(uint64_t a_base, uint64_t a_size, uint64_t b_base, uint64_t b_size) {
  return policy::overlaps(Range{a_base, a_size}, Range{b_base, b_size});
}
using policy::overlaps;
inline bool page_aligned(uint64_t v) { return (v & (k_page_size - 1)) == 0; }

// Bounded name comparison (names need not be NUL-terminated when this runs).
bool same_name(const Name& a, const Name& b);
// True iff the index refers to a declared partition / label (callers ran SK-LIM-1 first).
inline bool partition_exists(const Policy& p, uint32_t i) { return i < p.partition_count; }
inline bool label_exists(const Policy& p, uint32_t i) { return i < p.label_count; }

// Rule groups. Each runs only after SK-LIM-1 passed, so every count is within its table.
void check_names(const Policy& p, Reporter& r);        // SK-NAME-1
void check_labels(const Policy& p, Reporter& r);       // SK-LABEL-1
void check_colours(const Policy& p, Reporter& r);      // SK-TP-1, SK-TP-2
void check_console_order(const Policy& p, Reporter& r);  // SK-TP-3
void check_capabilities(const Policy& p, Reporter& r); // SK-CAP-1
void check_linux(const Policy& p, Reporter& r);        // SK-LINUX-1
void check_memory(const Policy& p, Reporter& r);       // SK-MEM-1 .. SK-MEM-6
void check_devices(const Policy& p, Reporter& r);      // SK-DEV-1 .. SK-DEV-3
void check_flows(const Policy& p, Reporter& r);        // SK-FLOW-1, SK-FLOW-2
void check_schedule(const Policy& p, Reporter& r);     // SK-SCHED-1 .. SK-SCHED-3

}  // namespace sk::policy::rules
