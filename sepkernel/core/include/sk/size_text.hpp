// SPDX-License-Identifier: Apache-2.0
// The one size syntax of Bulkhead's inputs (policy `size` fields, `disk create --size`): a
// decimal number with a binary unit, K, M, G or T (also KiB, MiB, GiB, TiB): "64M" is 64 MiB.
// A number without a unit is refused (a "1024" meant as MiB must not become 1024 bytes).
// Freestanding, no allocation.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace sk::size_text {

enum class Problem : uint8_t { none, not_a_number, no_unit, unknown_unit, zero, too_large };

// Parses text[0..n). On success returns none and sets bytes.
Problem parse(const char* text, size_t n, uint64_t& bytes);
// One phrase for a problem, to follow the offending text ("... is not a size: <phrase>").
const char* phrase(Problem p);

}  // namespace sk::size_text
