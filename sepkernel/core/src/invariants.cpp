// SPDX-License-Identifier: Apache-2.0
// Tables of invariant IDs and statements.
#include "sk/invariants.hpp"

#include "sk/result.hpp"

namespace sk {

namespace {
#define SK_RULE_ID(name, id, text) id,
#define SK_RULE_TEXT(name, id, text) text,
constexpr const char* k_ids[] = {SK_RULES(SK_RULE_ID)};
constexpr const char* k_texts[] = {SK_RULES(SK_RULE_TEXT)};
#undef SK_RULE_ID
#undef SK_RULE_TEXT
}  // namespace

const char* rule_id(Rule r) {
  auto i = static_cast<unsigned>(r);
  return i < static_cast<unsigned>(Rule::count) ? k_ids[i] : "SK-?";
}

const char* rule_statement(Rule r) {
  auto i = static_cast<unsigned>(r);
  return i < static_cast<unsigned>(Rule::count) ? k_texts[i] : "?";
}

const char* error_name(Error e) {
  switch (e) {
    case Error::none: return "none";
    case Error::bad_magic: return "bad magic";
    case Error::bad_revision: return "unsupported revision";
    case Error::bad_size: return "size mismatch";
    case Error::bad_digest: return "digest mismatch";
    case Error::truncated: return "truncated";
    case Error::out_of_range: return "value out of range";
    case Error::invalid_policy: return "invalid policy";
    case Error::no_space: return "table full";
    case Error::not_found: return "not found";
    case Error::denied: return "denied";
    case Error::bad_argument: return "bad argument";
  }
  return "unknown error";
}

}  // namespace sk
