// SPDX-License-Identifier: Apache-2.0
// The compiled policy image: the one binary format between `bulkhead policy compile` and the
// kernel. Every reader checks magic, revision, size and SHA-256 before trusting any field,
// then runs the validator again.
//
// Layout (all integers little-endian):
//   offset 0   u8[8]  magic "BKPOLICY"
//   offset 8   u32    revision (k_image_revision)
//   offset 12  u32    header size (k_image_header_size)
//   offset 16  u32    total size in bytes (header + content)
//   offset 20  u32    reserved, zero
//   offset 24  u8[32] SHA-256 over the content bytes
//   offset 56  content: the Policy, field by field, in declaration order (see policy_image.cpp)
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sk/policy.hpp"
#include "sk/result.hpp"

namespace sk::policy {

inline constexpr uint8_t k_image_magic[8] = {'B', 'K', 'P', 'O', 'L', 'I', 'C', 'Y'};
// 2: virtual_pc; 3: Linux partitions (kind, initramfs, cmdline); 4: the indicator's colours belong
// to labels, not partitions.
inline constexpr uint32_t k_image_revision = 4;
inline constexpr uint32_t k_image_header_size = 56;
inline constexpr size_t k_image_max_size = 64 * 1024;

// Serialises p into out (capacity bytes). Returns the image size.
// Precondition: p is valid (the compiler validates first).
Result<size_t> write_image(const Policy& p, uint8_t* out, size_t capacity);

// The policy's measured form, what PCR 8 holds (docs/attestation.md, "PCR map"): the image
// write_image makes with every partition's image_sha256 and initramfs_sha256 written as zeros
// (the header's content digest is then over those zeros). It names the structure (partitions,
// memory, devices, channels, schedule, disks, image file names) and not the images' contents,
// which each partition's own PCR holds, so an updated image changes only its partition's PCR.
// Same preconditions and result as write_image; the output is not a policy the kernel accepts
// (its digests do not match any image).
Result<size_t> write_measured_form(const Policy& p, uint8_t* out, size_t capacity);

// Checks header (magic, revision, header size, total size == size, digest) and decodes the
// content into out. Does not run the validator: callers do (the kernel and `policy show`).
// Errors: bad_magic, bad_revision, bad_size, bad_digest, truncated, out_of_range.
Status read_image(const uint8_t* image, size_t size, Policy& out);

}  // namespace sk::policy
