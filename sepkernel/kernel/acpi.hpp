// SPDX-License-Identifier: Apache-2.0
// Just enough ACPI to find the firmware's TPM event log: RSDP -> RSDT -> "TPM2" table, whose
// LAML/LASA fields give the log area (TCG ACPI Specification). Read-only, checksums checked.
#pragma once
#include <stdint.h>

namespace sk::kernel::acpi {

struct Area {
  uint64_t address;
  uint32_t length;
};

// The firmware's TPM 2.0 event log area, or {0, 0} if there is none (no ACPI, no TPM2 table, an
// old table without the log fields, or a bad checksum).
Area tpm2_log_area();

}  // namespace sk::kernel::acpi
