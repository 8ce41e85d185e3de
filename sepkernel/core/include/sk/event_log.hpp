// SPDX-License-Identifier: Apache-2.0
// The TCG PC Client crypto-agile event log (TCG PC Client Platform Firmware Profile, "Spec ID
// Event03"): the writer the boot stage uses to record each measurement, and the reader the
// verifier and `bulkhead eventlog show` use. Freestanding. The reader checks the header event,
// every size, count and algorithm against the header before it hands out any field.
//
// Layout (little-endian):
//   header   TCG_PCR_EVENT: pcr u32 (0), type u32 (EV_NO_ACTION), sha1 digest [20] (zero),
//            size u32, then TCG_EfiSpecIDEvent: "Spec ID Event03\0", platform class u32,
//            version minor u8, major u8, errata u8, uintn size u8, algorithm count u32,
//            {algorithm id u16, digest size u16} * count, vendor info size u8, vendor info
//   events   TCG_PCR_EVENT2: pcr u32, type u32, digest count u32, {alg u16, digest} * count,
//            event size u32, event data
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::event_log {

inline constexpr uint16_t k_alg_sha1 = 0x0004;
inline constexpr uint16_t k_alg_sha256 = 0x000B;
inline constexpr uint16_t k_alg_sha384 = 0x000C;
inline constexpr uint16_t k_alg_sha512 = 0x000D;
inline constexpr uint32_t k_max_banks = 4;
inline constexpr uint32_t k_max_pcr = 23;
inline constexpr uint32_t k_max_event_data = 64 * 1024;

// Event types used by Bulkhead (TCG PC Client PFP, section 10.4.1).
inline constexpr uint32_t k_ev_no_action = 0x00000003;
inline constexpr uint32_t k_ev_separator = 0x00000004;
inline constexpr uint32_t k_ev_action = 0x00000005;
inline constexpr uint32_t k_ev_event_tag = 0x00000006;
inline constexpr uint32_t k_ev_ipl = 0x0000000D;

// Bulkhead's measurement plan (docs/attestation.md, "PCR map"). The boot stage measures, before
// any partition runs: the policy's measured form (sk/policy_image.hpp, write_measured_form: the
// policy without its image digests) into PCR 8, then each partition's pieces into the PCR of
// that partition alone, 9 + its index in the policy (partition 0 into PCR 9, ..., 6 into PCR
// 15); each with one EV_IPL event whose data is the text below (ASCII, no NUL). `bulkhead
// manifest build` predicts exactly these events from the same inputs. A disk is sealed to PCR 4
// (the boot stage and the kernel), PCR 8 and its own partition's PCR.
inline constexpr uint32_t k_pcr_policy = 8;
inline constexpr uint32_t k_pcr_first_partition = 9;
inline constexpr uint32_t k_pcr_last_partition = 15;  // 16 is resettable from locality 0
inline constexpr uint32_t k_pcr_kernel = 4;           // the firmware's PCR the boot stage adds the kernel to
// The PCR of the partition at this index of the policy (index < k_max_partitions).
constexpr uint32_t pcr_of_partition(uint32_t index) {
  return k_pcr_first_partition + index;
}

// Writes "bulkhead policy image" to out. Returns its length, 0 if capacity is too small.
size_t describe_policy(char* out, size_t capacity);
// Writes "bulkhead partition <name> image <image>" (name and image NUL-terminated C strings).
// Returns its length, 0 if capacity is too small.
size_t describe_partition(const char* name, const char* image, char* out, size_t capacity);
// A Linux partition's pieces, each its own event in its partition's PCR, in this order (partition_pieces):
//   "bulkhead partition <name> linux <file>"       SHA-256 of the bzImage file
//   "bulkhead partition <name> initramfs <file>"   SHA-256 of the initramfs file
//   "bulkhead partition <name> cmdline"            SHA-256 of the policy's command line (its
//                                                  characters, no NUL; not what the kernel appends)
// piece is "image", "linux", "initramfs" or "cmdline"; file is null for "cmdline".
size_t describe_piece(const char* name, const char* piece, const char* file, char* out, size_t capacity);

// Digest size of a TPM hash algorithm, 0 if the algorithm is not one of the four above.
uint16_t digest_size(uint16_t alg);

struct Digest {
  uint16_t alg;
  const uint8_t* bytes;  // digest_size(alg) bytes
};

struct Event {
  uint32_t pcr;
  uint32_t type;
  uint32_t digest_count;
  Digest digests[k_max_banks];
  const uint8_t* data;
  uint32_t data_size;
};

// Appends to a caller-owned buffer. Every call checks capacity; on any error nothing is written.
class Writer {
 public:
  Writer(uint8_t* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  // Writes the header for these banks (1 to k_max_banks known algorithms, no repeats).
  Status begin(const uint16_t* algs, uint32_t count);
  // Continues a log already in the buffer (e.g. the firmware's, copied there): reads its header
  // and walks its events; size becomes the end of the last whole event. Errors as Reader's.
  Status resume(size_t existing_size);
  uint32_t bank_count() const { return bank_count_; }
  uint16_t bank(uint32_t i) const { return algs_[i]; }
  // Appends one event. digests: one per bank, in the header's order.
  Status append(uint32_t pcr, uint32_t type, const Digest* digests, uint32_t count, const void* data,
                uint32_t data_size);
  size_t size() const { return size_; }

 private:
  uint8_t* buffer_;
  size_t capacity_;
  size_t size_ = 0;
  uint16_t algs_[k_max_banks] = {};
  uint32_t bank_count_ = 0;
};

// Walks a log. Errors: bad_magic (no Spec ID Event03 header), truncated, out_of_range (unknown
// algorithm, digest count or order not the header's, PCR above 23, oversized event).
class Reader {
 public:
  // Checks the header; on success banks() describes the log.
  Status open(const uint8_t* log, size_t size);
  uint32_t bank_count() const { return bank_count_; }
  uint16_t bank(uint32_t i) const { return algs_[i]; }
  // Reads the next event into e. Returns not_found at the end of the log.
  Status next(Event& e);
  // Byte offset of the next event (for error messages).
  size_t offset() const { return pos_; }

 private:
  const uint8_t* log_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  uint16_t algs_[k_max_banks] = {};
  uint32_t bank_count_ = 0;
};

}  // namespace sk::event_log
