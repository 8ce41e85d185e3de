// SPDX-License-Identifier: Apache-2.0
// The policy front end (host only): TOML source -> sk::policy::Policy plus a source map, the
// front-end rules (SK-SYN-1..3, SK-IMG-1), and diagnostics as `FILE:LINE: RULE-ID: message`.
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sk/policy.hpp"
#include "sk/validate.hpp"

namespace bh::policy {

// One finding. line 0: no source line (e.g. a compiled image has none).
struct Diagnostic {
  int line = 0;
  std::string rule;     // "SK-MEM-3"
  std::string message;  // one sentence naming the objects and field at fault
};

// The lines one object's keys and array elements were written on.
struct Object_lines {
  int line = 0;                                     // the table header or inline table
  std::map<std::string, int> fields;                // key -> line
  std::map<std::string, std::vector<int>> elements; // array key -> line of each element
  // The best line for (field, element): the element, else the key, else the object.
  int line_of(const std::string& field, size_t element) const;
};

// Where each object of the model came from.
struct Source_map {
  Object_lines top;  // top-level keys
  Object_lines platform;
  std::vector<Object_lines> labels;      // by label index (line of its entry in labels.order)
  std::vector<Object_lines> partitions;  // by partition index
  std::vector<Object_lines> channels;    // by channel index
  std::vector<Object_lines> cpus;        // by CPU id (size k_max_cpus)
  // The line a validator violation points at (never 0 when the source had any content).
  int line_of(const sk::policy::Violation& v) const;
};

struct Source {
  std::string path;                // as given by the user; printed in diagnostics
  sk::policy::Policy policy{};     // the model (complete only if no SK-SYN-* diagnostic)
  Source_map map;
  std::vector<Diagnostic> diagnostics;  // front-end findings (SK-SYN-*, SK-IMG-1, SK-LIM-1, ...)
  bool complete = false;                // true iff no SK-SYN-* finding: the validator may run
};

// Input that cannot be read at all (exit code 2 in the CLI).
class Unreadable_input : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses policy text. path is only used in messages; images are looked up in image_dir.
Source parse_text(std::string_view text, const std::string& path, const std::filesystem::path& image_dir);

// Reads and parses a policy file. image_dir empty: the file's own directory.
// Throws Unreadable_input if the file cannot be read.
Source parse_file(const std::string& path, const std::filesystem::path& image_dir = {});

// Runs the validator on a complete source and returns every finding (front end + validator),
// ordered by line, then rule. Empty: the policy is valid.
std::vector<Diagnostic> check(const Source& source);

// Runs the validator on a model without a source (a compiled image): line 0 everywhere.
std::vector<Diagnostic> check_model(const sk::policy::Policy& policy);

// "FILE:LINE: RULE-ID: message" ("FILE: RULE-ID: message" when line is 0).
std::string format(const std::string& path, const Diagnostic& d);

// The model as JSON (the same for a source and for its compiled image).
nlohmann::json to_json(const sk::policy::Policy& policy);

// Names of enum values as they are written in the source.
const char* colour_name(sk::policy::Colour c);
const char* on_violation_name(sk::policy::On_violation v);

}  // namespace bh::policy
