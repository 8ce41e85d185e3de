// SPDX-License-Identifier: Apache-2.0
// Decoder for the few instructions the kernel skips (see insn_length.hpp).
#include "sk/insn_length.hpp"

namespace sk::insn {
namespace {

bool is_legacy_prefix(uint8_t b) {
  switch (b) {
    case 0x66: case 0x67: case 0x2E: case 0x36: case 0x3E: case 0x26:
    case 0x64: case 0x65: case 0xF0: case 0xF2: case 0xF3:
      return true;
    default:
      return false;
  }
}

struct Opcode {
  uint8_t bytes[3];
  uint8_t length;
};

Opcode opcode_of(Skipped s) {
  switch (s) {
    case Skipped::vmmcall: return {{0x0F, 0x01, 0xD9}, 3};
    case Skipped::cpuid: return {{0x0F, 0xA2, 0}, 2};
    case Skipped::hlt: return {{0xF4, 0, 0}, 1};
    case Skipped::rdmsr: return {{0x0F, 0x32, 0}, 2};
    case Skipped::wrmsr: return {{0x0F, 0x30, 0}, 2};
    case Skipped::xsetbv: return {{0x0F, 0x01, 0xD1}, 3};
    case Skipped::wbinvd: return {{0x0F, 0x09, 0}, 2};
  }
  return {{0, 0, 0}, 0};
}

}  // namespace

Result<uint8_t> decode_length(const uint8_t* bytes, size_t available, Skipped expected) {
  size_t i = 0;
  while (i < available && i < k_max_length && is_legacy_prefix(bytes[i])) ++i;
  Opcode op = opcode_of(expected);
  if (op.length == 0) return Error::bad_argument;
  for (uint8_t k = 0; k < op.length; ++k) {
    if (i + k >= k_max_length) return Error::bad_argument;
    if (i + k >= available) return Error::truncated;
    if (bytes[i + k] != op.bytes[k]) return Error::bad_argument;
  }
  return static_cast<uint8_t>(i + op.length);
}

namespace {
enum class Width : uint8_t { w16, w32, w64 };
Width code_width(const Code_segment& cs, bool long_mode_active) {
  if (long_mode_active && (cs.attributes & (1u << 9))) return Width::w64;
  return (cs.attributes & (1u << 10)) ? Width::w32 : Width::w16;
}
}  // namespace

uint64_t linear_rip(const Code_segment& cs, bool long_mode_active, uint64_t rip) {
  switch (code_width(cs, long_mode_active)) {
    case Width::w64: return rip;
    case Width::w32: return uint32_t(cs.base + uint32_t(rip));
    default: return uint32_t(cs.base + uint16_t(rip));
  }
}

uint64_t advance_rip(const Code_segment& cs, bool long_mode_active, uint64_t rip, uint8_t length) {
  switch (code_width(cs, long_mode_active)) {
    case Width::w64: return rip + length;
    case Width::w32: return uint32_t(rip + length);
    default: return uint16_t(rip + length);
  }
}

}  // namespace sk::insn
