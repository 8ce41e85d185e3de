// SPDX-License-Identifier: Apache-2.0
// Internal to the front end: a reader over one TOML table that consumes keys one by one,
// checks types (SK-SYN-3), records source lines, and reports leftover keys (SK-SYN-2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "bh/policy_source.hpp"
#include "sk/invariants.hpp"

namespace bh::policy::detail {

inline int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

// Collects findings for one source.
class Findings {
 public:
  explicit Findings(Source& s) : s_(s) {}
  void add(int line, sk::Rule rule, std::string message);
  Source& source() { return s_; }

 private:
  Source& s_;
};

class Table {
 public:
  // where: how messages name this table ("platform", "partition \"open\"", ...).
  // lines: where key lines are recorded (may be null). prefix: "memory." for nested tables.
  Table(Findings& f, const toml::table& t, std::string where, Object_lines* lines, std::string prefix = {});

  // The node under key, marked as consumed (null if absent; then SK-SYN-3 if required).
  const toml::node* take(std::string_view key, bool required);
  std::optional<uint64_t> integer(std::string_view key, bool required, uint64_t min, uint64_t max);
  // A size: an integer in bytes, or a string with a unit ("16M", sk/size_text.hpp).
  std::optional<uint64_t> size(std::string_view key, bool required);
  std::optional<std::string> string(std::string_view key, bool required);
  bool boolean(std::string_view key, bool fallback);
  // {base, size} inline table.
  std::optional<sk::policy::Range> range(std::string_view key, bool required);
  // An array; each element's line goes to lines->elements[key].
  const toml::array* array(std::string_view key, bool required);
  // A sub-table, to be read with its own Table.
  const toml::table* table(std::string_view key, bool required);

  // SK-SYN-2 for every key not taken. Call once, after reading every known key.
  void finish();

  void type_error(const toml::node& n, std::string_view key, const std::string& expectation);
  void set_where(std::string where) { where_ = std::move(where); }
  const std::string& where() const { return where_; }
  int line() const { return line_of(t_); }
  Findings& findings() { return f_; }

 private:
  Findings& f_;
  const toml::table& t_;
  std::string where_;
  Object_lines* lines_;
  std::string prefix_;
  std::vector<std::string> taken_;
};

// Copies text into a fixed string field. Precondition: text.size() < N.
template <size_t N>
void copy_text(char (&out)[N], const std::string& text) {
  size_t i = 0;
  for (; i < text.size() && i + 1 < N; ++i) out[i] = text[i];
  for (; i < N; ++i) out[i] = '\0';
}

}  // namespace bh::policy::detail
