// SPDX-License-Identifier: Apache-2.0
// The instruction-length decoder against the manuals' encodings: the table below is the one
// tests/proofs/z3/insn_proof.py reads and proves the decoder against for every byte string.
// Which exits the kernel decodes at all, and why the others need no decoding, is in
// proofs/README.md ("The instruction-length decoder").
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "sk/insn_length.hpp"

using sk::insn::decode_length;
using sk::insn::Skipped;

namespace {

struct Encoding {
  Skipped kind;
  uint8_t opcode[3];
  uint8_t length;  // without prefixes
  const char* source;
};

// The instructions whose exits the kernel skips (sepkernel/kernel/exits.cpp, skip()), as the
// AMD64 Architecture Programmer's Manual vol. 3 (rev. 3.35) and the Intel SDM vol. 2 encode them.
// BEGIN ENCODINGS (read by tests/proofs/z3/insn_proof.py)
const Encoding k_encodings[] = {
    {Skipped::vmmcall, {0x0F, 0x01, 0xD9}, 3, "VMMCALL: AMD APM vol. 3, VMMCALL"},
    {Skipped::cpuid, {0x0F, 0xA2, 0x00}, 2, "CPUID: APM vol. 3, CPUID; SDM vol. 2A"},
    {Skipped::hlt, {0xF4, 0x00, 0x00}, 1, "HLT: APM vol. 3, HLT; SDM vol. 2A"},
    {Skipped::rdmsr, {0x0F, 0x32, 0x00}, 2, "RDMSR: APM vol. 3, RDMSR; SDM vol. 2B"},
    {Skipped::wrmsr, {0x0F, 0x30, 0x00}, 2, "WRMSR: APM vol. 3, WRMSR; SDM vol. 2D"},
    {Skipped::xsetbv, {0x0F, 0x01, 0xD1}, 3, "XSETBV: APM vol. 4/SDM vol. 2D, XSETBV"},
    {Skipped::wbinvd, {0x0F, 0x09, 0x00}, 2, "WBINVD: APM vol. 3, WBINVD; SDM vol. 2D"},
};
// The legacy prefixes (APM vol. 3 section 1.2, SDM vol. 2A section 2.1.1): operand size, address
// size, the six segment overrides, LOCK, REPNE, REP.
const uint8_t k_legacy_prefixes[] = {0x66, 0x67, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0xF0, 0xF2, 0xF3};
// END ENCODINGS
constexpr size_t k_max_length = 15;  // APM vol. 3 section 1.1, SDM vol. 2A section 2.3.11

bool is_prefix(uint8_t b) {
  for (uint8_t p : k_legacy_prefixes) {
    if (p == b) return true;
  }
  return false;
}

// The manuals' rule: legacy prefixes, then the opcode, 15 bytes at most. Returns the length, or
// 0 if bytes[0..available) does not start with such an instruction of that kind.
int expected_length(const std::vector<uint8_t>& bytes, size_t available, const Encoding& e) {
  size_t n = 0;
  while (n < bytes.size() && n < available && is_prefix(bytes[n])) ++n;
  const size_t total = n + e.length;
  if (total > k_max_length || total > available || total > bytes.size()) return 0;
  for (size_t k = 0; k < e.length; ++k) {
    if (bytes[n + k] != e.opcode[k]) return 0;
  }
  return static_cast<int>(total);
}

int decoded(const std::vector<uint8_t>& bytes, size_t available, Skipped kind) {
  auto r = decode_length(bytes.data(), available, kind);
  return r.ok() ? r.value() : 0;
}

}  // namespace

TEST_CASE("every skipped instruction, with every legacy prefix and every count of them", "[insn]") {
  for (const Encoding& e : k_encodings) {
    INFO(e.source);
    for (uint8_t prefix : k_legacy_prefixes) {
      for (size_t n = 0; n + e.length <= k_max_length + 1; ++n) {
        std::vector<uint8_t> bytes(n, prefix);
        bytes.insert(bytes.end(), e.opcode, e.opcode + e.length);
        const bool fits = bytes.size() <= k_max_length;
        INFO("prefix " << int(prefix) << " x " << n);
        CHECK(decoded(bytes, bytes.size(), e.kind) == (fits ? int(bytes.size()) : 0));
        bytes.push_back(0x90);  // bytes after the instruction are not read
        CHECK(decoded(bytes, bytes.size(), e.kind) == (fits ? int(bytes.size()) - 1 : 0));
        // Every shorter read is refused: truncated, or (15 bytes of prefixes) too long.
        for (size_t cut = 0; cut + 1 < bytes.size(); ++cut) CHECK(decoded(bytes, cut, e.kind) == 0);
        // The exit reports one kind: the bytes of any other are refused.
        for (const Encoding& other : k_encodings) {
          if (other.kind != e.kind) CHECK(decoded(bytes, bytes.size(), other.kind) == 0);
        }
      }
    }
  }
}

TEST_CASE("every two-byte string after 0, 1, 12 or 13 prefixes, as the manuals decode it", "[insn]") {
  // Exhaustive over the bytes that decide (the opcode's first two), for each kind; the
  // three-byte opcodes' third byte is taken over all 256 values below.
  for (const Encoding& e : k_encodings) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{12}, size_t{13}}) {
      for (uint32_t pair = 0; pair < 0x10000; ++pair) {
        std::vector<uint8_t> bytes(n, 0x3E);
        bytes.push_back(static_cast<uint8_t>(pair >> 8));
        bytes.push_back(static_cast<uint8_t>(pair));
        if (e.length == 3) bytes.push_back(e.opcode[2]);
        const int want = expected_length(bytes, bytes.size(), e);
        if (decoded(bytes, bytes.size(), e.kind) != want) FAIL(e.source << " pair " << pair << " after " << n);
      }
    }
    if (e.length == 3) {
      for (uint32_t last = 0; last < 0x100; ++last) {
        std::vector<uint8_t> bytes{e.opcode[0], e.opcode[1], static_cast<uint8_t>(last)};
        CHECK(decoded(bytes, 3, e.kind) == (last == e.opcode[2] ? 3 : 0));
      }
    }
  }
}

TEST_CASE("look-alikes the decoder must refuse", "[insn]") {
  const struct {
    std::vector<uint8_t> bytes;
    Skipped kind;
  } refused[] = {
      {{0x0F, 0x08}, Skipped::wbinvd},              // INVD
      {{0x0F, 0x01, 0xD0}, Skipped::xsetbv},        // XGETBV
      {{0x0F, 0x01, 0xD8}, Skipped::vmmcall},       // VMRUN
      {{0x0F, 0x01, 0xDA}, Skipped::vmmcall},       // VMLOAD
      {{0x48, 0x0F, 0xA2}, Skipped::cpuid},         // REX.W: not decoded (see proofs/CAVEATS.md)
      {{0x0F, 0x33}, Skipped::rdmsr},               // RDPMC
      {{0xC5, 0xF8, 0x77}, Skipped::hlt},           // VZEROUPPER (VEX)
      {{0x90, 0xF4}, Skipped::hlt},                 // NOP is not a prefix
  };
  for (const auto& r : refused) CHECK(decoded(r.bytes, r.bytes.size(), r.kind) == 0);
  // A kind outside the enum is refused, whatever the bytes.
  const std::vector<uint8_t> hlt{0xF4};
  CHECK(decode_length(hlt.data(), 1, static_cast<Skipped>(7)).error() == sk::Error::bad_argument);
}
