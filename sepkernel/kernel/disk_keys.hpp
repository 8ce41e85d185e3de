// SPDX-License-Identifier: Apache-2.0
// Disk keys at boot (issue 6): for each partition whose policy names a disk, read the disk's
// LUKS2 header and sealed-key area through the ATA driver, check the binding, and unseal the
// volume key through the TIS driver (storage primary, Load, policy session with PolicyPCR,
// Unseal) after the boot measurements. Keys stay in kernel memory. A partition whose key does
// not unseal is locked: it does not start, the indicator shows LOCKED with the reason, the audit
// log records it, its disk is not written, and the other partitions start.
#pragma once
#include <stdint.h>

#include "arch/x86_64/aes_ni.hpp"
#include "sk/xts.hpp"

namespace sk::kernel::disk_keys {

// Finds a boot module by name: its bytes and size, or null.
using Module_finder = const uint8_t* (*)(const char* name, uint64_t* size);
// Call after measure::boot_measurements and before build_partitions.
void unlock_all(Module_finder find);
// A partition's unlocked disk: ATA position, data segment, and the cipher keyed with its volume
// key (the raw key bytes are wiped once the cipher has its schedule).
struct Disk {
  uint32_t ata;
  uint64_t data_offset;
  uint64_t data_size;
  bool use_aesni;               // AES-NI when the CPU has it (constant-time), else the core's
  arch::Aesni_xts aesni;
  crypto::Xts_aes256 xts;
  Status encrypt(uint64_t tweak, uint8_t* data, size_t size) const {
    return use_aesni ? aesni.encrypt(tweak, data, size) : xts.encrypt(tweak, data, size);
  }
  Status decrypt(uint64_t tweak, uint8_t* data, size_t size) const {
    return use_aesni ? aesni.decrypt(tweak, data, size) : xts.decrypt(tweak, data, size);
  }
};
// part's disk if its key unsealed, else null.
const Disk* disk(uint16_t part);

}  // namespace sk::kernel::disk_keys
