// SPDX-License-Identifier: Apache-2.0
// Finding the TPM2 ACPI table's event log area (see acpi.hpp). The low 4 GiB are identity
// mapped, so tables are read where they are.
#include "kernel/acpi.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/init.hpp"

namespace sk::kernel::acpi {
namespace {

const uint8_t* at(uint64_t address) { return reinterpret_cast<const uint8_t*>(address); }

uint32_t u32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint64_t u64(const uint8_t* p) { return uint64_t(u32(p)) | uint64_t(u32(p + 4)) << 32; }

bool sums_to_zero(const uint8_t* p, uint32_t n) {
  uint8_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) sum = uint8_t(sum + p[i]);
  return sum == 0;
}

bool signature_is(const uint8_t* p, const char* s, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (p[i] != uint8_t(s[i])) return false;
  }
  return true;
}

// The RSDP: in the first KiB of the EBDA or in 0xE0000-0xFFFFF, on a 16-byte boundary.
SK_INIT const uint8_t* find_rsdp() {
  const uint64_t ebda = uint64_t(arch::read_low16(0x40E)) << 4;  // the BIOS data area's EBDA segment
  const uint64_t ranges[2][2] = {{ebda, ebda + 1024}, {0xE0000, 0x100000}};
  for (const auto& r : ranges) {
    if (r[0] == 0 || r[1] > 0x100000) continue;
    for (uint64_t a = r[0]; a + 20 <= r[1]; a += 16) {
      if (signature_is(at(a), "RSD PTR ", 8) && sums_to_zero(at(a), 20)) return at(a);
    }
  }
  return nullptr;
}

}  // namespace

SK_INIT Area tpm2_log_area() {
  const uint8_t* rsdp = find_rsdp();
  if (!rsdp) return {};
  const uint8_t* rsdt = at(u32(rsdp + 16));
  uint32_t rsdt_length = u32(rsdt + 4);
  if (!signature_is(rsdt, "RSDT", 4) || rsdt_length < 36 || rsdt_length > 65536 || !sums_to_zero(rsdt, rsdt_length)) return {};
  for (uint32_t off = 36; off + 4 <= rsdt_length; off += 4) {
    const uint8_t* t = at(u32(rsdt + off));
    uint32_t length = u32(t + 4);
    if (!signature_is(t, "TPM2", 4) || length > 4096 || !sums_to_zero(t, length)) continue;
    // Header 36, platform class 2, reserved 2, control area 8, start method 4, start-method
    // parameters 12, then LAML (4) at 64 and LASA (8) at 68: present only in tables of 76 bytes.
    if (length < 76) return {};
    return {u64(t + 68), u32(t + 64)};
  }
  return {};
}

}  // namespace sk::kernel::acpi
