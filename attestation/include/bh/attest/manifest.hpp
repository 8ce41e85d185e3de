// SPDX-License-Identifier: Apache-2.0
// The reference manifest: every event the boot stage will log and every PCR value it will leave,
// computed from the same inputs it measures (compiled policy image, partition images), never typed.
// JSON format: docs/attestation.md, "Reference manifest".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bh/attest/common.hpp"

namespace bh::attest {

inline constexpr uint32_t k_firmware_pcr_count = 8;  // PCRs 0-7 belong to the firmware
inline constexpr uint16_t k_quote_bank = k_sha256;

struct Manifest_event {
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::map<uint16_t, Bytes> digests;  // one per bank
  std::string description;            // the event data, ASCII
};

struct Manifest_partition {
  std::string name;
  std::string image;
  std::vector<uint32_t> disk_pcrs;  // the PCRs its disk key is sealed to (crypto-storage)
  uint32_t pcr = 0;                 // the PCR its pieces are measured into (9 + its index)
};

// The UEFI boot application the firmware starts and measures into PCR 4
// (EV_EFI_BOOT_SERVICES_APPLICATION, the Authenticode digest): Bulkhead's boot stage. Empty file:
// the manifest names none (the multiboot path), and then no boot application is accepted.
struct Manifest_boot_stage {
  std::string file;
  std::map<uint16_t, Bytes> digests;  // one per bank
};

// The kernel the boot stage measures into PCR 4 (EV_IPL "bulkhead kernel <file>"), and the PCR 4
// value predicted from it: OVMF's events before the boot application (k_ovmf_pcr4_prefix), the
// boot stage's Authenticode digest, the kernel's digest. Empty file: not predicted.
struct Manifest_kernel {
  std::string file;
  std::map<uint16_t, Bytes> digests;  // one per bank
};

struct Manifest {
  std::vector<uint16_t> banks;
  std::vector<Manifest_event> events;  // Bulkhead's events, in log order
  Pcr_bank_values pcrs;                // expected values: PCRs 8, 9 computed; 0-7 if recorded
  std::vector<uint32_t> quote_pcrs;    // the selection a quote must have, in k_quote_bank
  bool firmware_recorded = false;
  std::vector<Manifest_partition> partitions;
  std::string policy_image_sha256;  // hex, for the record
  Manifest_boot_stage boot_stage;
  Manifest_kernel kernel;  // with boot_stage: PCR 4 predicted into pcrs (unless firmware_recorded)
};

struct Partition_input {
  std::string name;
  std::string image;  // file name as the policy gives it (a Linux partition's kernel, the bzImage)
  Bytes bytes;
  bool is_linux = false;  // then also measured: the initramfs and the command line
  std::string initramfs;  // file name
  Bytes initramfs_bytes;
  std::string cmdline;    // as the policy gives it (what the kernel appends is not measured)
  uint64_t memory_size = 0;  // the partition's RAM (bytes)
};

struct Build_inputs {
  Bytes policy_image;
  Bytes policy_measured_form;               // what PCR 8 holds (sk::policy::write_measured_form)
  std::vector<Partition_input> partitions;  // in the policy's order
  Pcr_bank_values firmware;                 // recorded PCR 0-7 values (empty: not recorded)
  Manifest_boot_stage boot_stage;           // empty file: none (then the kernel is not predicted)
  std::string kernel_file;                  // empty: PCR 4 not predicted
  Bytes kernel_bytes;
};

// OVMF's events in PCR 4 before it starts the boot application, as the firmware this project
// boots (Debian's OVMF_CODE_4M.fd) logs them when the boot stage is its first boot attempt (the
// ESP with bootindex 0): EV_EFI_ACTION "Calling EFI Application from Boot Option", then
// EV_SEPARATOR 00000000. An option tried first adds "Returning from EFI Application from Boot
// Option" and "Calling ..." again (docs/attestation.md, "PCR map").
Pcr_bank_values ovmf_pcr4_prefix(const std::vector<uint16_t>& banks);

// Reads the policy image (checked by the core reader), each partition image (and a Linux
// partition's initramfs) from image_dir (its SHA-256 must equal the digest the policy carries,
// or the kernel would refuse it), and, if
// firmware_pcrs_path is not empty, recorded firmware PCR values (see firmware_pcrs_from_json).
// Throws Input_error naming the file and field at fault.
Build_inputs load_inputs(const std::string& policy_image_path, const std::string& image_dir,
                         const std::string& firmware_pcrs_path);

// The events and PCR values of a boot of these inputs, in every bank (sha1/256/384/512): the
// policy's measured form into PCR 8, then per partition in policy order its image into its own
// PCR (9 + its index), or a Linux partition's kernel, initramfs and command line, one event each
// (sk/event_log.hpp). With a boot stage and a kernel, PCR 4 is predicted too (Manifest_kernel),
// unless recorded firmware PCRs give it. Each disk's PCRs: 4 (when known), 7 (when recorded), 8
// and its partition's own.
Manifest compute_manifest(const Build_inputs& in);

// Replays events onto zeroed PCRs (bank by bank) and returns the resulting values.
Pcr_bank_values replay(const std::vector<Manifest_event>& events, const std::vector<uint16_t>& banks);

std::string manifest_to_json(const Manifest& m);
Manifest manifest_from_json(const std::string& text, const std::string& where);

// Firmware PCR values from JSON: {"sha256": {"0": "<hex>", ...}, ...}, optionally wrapped as
// {"pcrs": {...}} (the shape `bulkhead eventlog show --json` prints). Only PCRs 0-7 are taken.
Pcr_bank_values firmware_pcrs_from_json(const std::string& text, const std::string& where);
std::string pcrs_to_json(const Pcr_bank_values& v);

}  // namespace bh::attest
