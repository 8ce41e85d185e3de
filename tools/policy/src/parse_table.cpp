// SPDX-License-Identifier: Apache-2.0
// The consuming table reader of the front end (see parse_table.hpp).
#include "sk/size_text.hpp"
#include "parse_table.hpp"

#include <algorithm>

namespace bh::policy::detail {

void Findings::add(int line, sk::Rule rule, std::string message) {
  if (rule == sk::Rule::syn_parse || rule == sk::Rule::syn_unknown_key || rule == sk::Rule::syn_type) {
    s_.complete = false;
  }
  s_.diagnostics.push_back({line, sk::rule_id(rule), std::move(message)});
}

Table::Table(Findings& f, const toml::table& t, std::string where, Object_lines* lines, std::string prefix)
    : f_(f), t_(t), where_(std::move(where)), lines_(lines), prefix_(std::move(prefix)) {
  if (lines_ != nullptr && prefix_.empty() && lines_->line == 0) lines_->line = line_of(t_);
}

const toml::node* Table::take(std::string_view key, bool required) {
  taken_.emplace_back(key);
  const toml::node* n = t_.get(key);
  if (n == nullptr) {
    if (required) {
      f_.add(line(), sk::Rule::syn_type,
             where_ + ": missing required field \"" + prefix_ + std::string(key) + "\"");
    }
    return nullptr;
  }
  if (lines_ != nullptr && prefix_.empty()) lines_->fields[std::string(key)] = line_of(*n);
  return n;
}

void Table::type_error(const toml::node& n, std::string_view key, const std::string& expectation) {
  f_.add(line_of(n), sk::Rule::syn_type,
         where_ + ": \"" + prefix_ + std::string(key) + "\" must be " + expectation);
}

std::optional<uint64_t> Table::integer(std::string_view key, bool required, uint64_t min, uint64_t max) {
  const toml::node* n = take(key, required);
  if (n == nullptr) return std::nullopt;
  const auto* v = n->as_integer();
  if (v == nullptr || v->get() < 0 || static_cast<uint64_t>(v->get()) < min ||
      static_cast<uint64_t>(v->get()) > max) {
    type_error(*n, key, max >= uint64_t{INT64_MAX} ? "a non-negative integer"
                                             : "an integer from " + std::to_string(min) + " to " +
                                                   std::to_string(max));
    return std::nullopt;
  }
  return static_cast<uint64_t>(v->get());
}

std::optional<uint64_t> Table::size(std::string_view key, bool required) {
  const toml::node* n = take(key, required);
  if (n == nullptr) return std::nullopt;
  if (const auto* v = n->as_integer()) {
    if (v->get() >= 0) return static_cast<uint64_t>(v->get());
  } else if (const auto* s = n->as_string()) {
    uint64_t bytes = 0;
    const auto problem = sk::size_text::parse(s->get().data(), s->get().size(), bytes);
    if (problem == sk::size_text::Problem::none) return bytes;
    f_.add(line_of(*n), sk::Rule::syn_type,
           where_ + ": \"" + prefix_ + std::string(key) + "\" = \"" + s->get() + "\" is not a size: " +
               sk::size_text::phrase(problem));
    return std::nullopt;
  }
  type_error(*n, key, "a size: a non-negative integer in bytes or a string with a unit (\"16M\")");
  return std::nullopt;
}

std::optional<std::string> Table::string(std::string_view key, bool required) {
  const toml::node* n = take(key, required);
  if (n == nullptr) return std::nullopt;
  const auto* v = n->as_string();
  if (v == nullptr) {
    type_error(*n, key, "a string");
    return std::nullopt;
  }
  return v->get();
}

bool Table::boolean(std::string_view key, bool fallback) {
  const toml::node* n = take(key, false);
  if (n == nullptr) return fallback;
  const auto* v = n->as_boolean();
  if (v == nullptr) {
    type_error(*n, key, "true or false");
    return fallback;
  }
  return v->get();
}

std::optional<sk::policy::Range> Table::range(std::string_view key, bool required) {
  const toml::table* t = table(key, required);
  if (t == nullptr) return std::nullopt;
  Table sub(f_, *t, where_, lines_, prefix_ + std::string(key) + ".");
  auto base = sub.integer("base", true, 0, INT64_MAX);
  auto size = sub.size("size", true);
  sub.finish();
  if (!base || !size) return std::nullopt;
  return sk::policy::Range{*base, *size};
}

const toml::array* Table::array(std::string_view key, bool required) {
  const toml::node* n = take(key, required);
  if (n == nullptr) return nullptr;
  const auto* a = n->as_array();
  if (a == nullptr) {
    type_error(*n, key, "an array");
    return nullptr;
  }
  if (lines_ != nullptr && prefix_.empty()) {
    auto& el = lines_->elements[std::string(key)];
    el.clear();
    for (const auto& e : *a) el.push_back(line_of(e));
  }
  return a;
}

const toml::table* Table::table(std::string_view key, bool required) {
  const toml::node* n = take(key, required);
  if (n == nullptr) return nullptr;
  const auto* t = n->as_table();
  if (t == nullptr) type_error(*n, key, "a table");
  return t;
}

void Table::finish() {
  for (const auto& [k, v] : t_) {
    std::string key(k.str());
    if (std::find(taken_.begin(), taken_.end(), key) != taken_.end()) continue;
    int line = static_cast<int>(k.source().begin.line);
    if (line == 0) line = line_of(v);
    f_.add(line, sk::Rule::syn_unknown_key, where_ + ": unknown key \"" + prefix_ + key + "\"");
  }
}

}  // namespace bh::policy::detail
