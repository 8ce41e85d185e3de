// SPDX-License-Identifier: Apache-2.0
// Result<T>: errors are values in the kernel and the shared core (no exceptions).
#pragma once

#include <stdint.h>

namespace sk {

// Every error the shared core can report. Stable numbering: hypercalls return these.
enum class Error : uint32_t {
  none = 0,
  bad_magic,        // binary format: magic number wrong
  bad_revision,     // binary format: revision not supported by this reader
  bad_size,         // binary format: declared size disagrees with the bytes given
  bad_digest,       // binary format: SHA-256 over the content does not match
  truncated,        // input ends inside a field
  out_of_range,     // a field's value is outside what the format allows
  invalid_policy,   // the policy violates one or more named rules
  no_space,         // a fixed-size table or buffer is full
  not_found,        // a named object does not exist
  denied,           // the caller lacks the right
  bad_argument,     // an argument failed a check
};

// Stable short name of an error, for log lines.
const char* error_name(Error e);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(value), error_(Error::none) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : value_(), error_(error) {}         // NOLINT(google-explicit-constructor)

  bool ok() const { return error_ == Error::none; }
  explicit operator bool() const { return ok(); }
  Error error() const { return error_; }
  // Precondition: ok().
  const T& value() const { return value_; }
  T& value() { return value_; }

 private:
  T value_;
  Error error_;
};

// Result without a value.
class [[nodiscard]] Status {
 public:
  Status() : error_(Error::none) {}
  Status(Error error) : error_(error) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return error_ == Error::none; }
  explicit operator bool() const { return ok(); }
  Error error() const { return error_; }

 private:
  Error error_;
};

}  // namespace sk
