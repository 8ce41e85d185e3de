// SPDX-License-Identifier: Apache-2.0
// Names of audit events (stable: tests and log readers match them).
#include "sk/audit_ring.hpp"

namespace sk::audit {

const char* event_name(Event e) {
  switch (e) {
#define SK_AUDIT_NAME(name, text) \
  case Event::name:               \
    return text;
    SK_AUDIT_EVENTS(SK_AUDIT_NAME)
#undef SK_AUDIT_NAME
    case Event::count:
      break;
  }
  return "unknown";
}

}  // namespace sk::audit
