// SPDX-License-Identifier: Apache-2.0
// Checks both LUKS2 binary header copies before libcryptsetup sees the disk: libcryptsetup
// silently rewrites a damaged copy from the intact one, and bulkhead promises that a refused
// operation leaves the disk unchanged.
#include <botan/hash.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "bh/storage/luks_disk.hpp"

namespace bh::storage {

namespace {

uint64_t be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// LUKS2 on-disk format: magic 0..5, version 6..7 (BE), hdr_size 8..15, seqid 16..23,
// checksum_alg 72..103, uuid 168..207, hdr_offset 256..263, csum 448..511; the checksum covers
// the whole header area (binary header + JSON) with the csum field zeroed.
std::string check_copy(const std::string& path, int fd, uint64_t offset, const char* which,
                       const uint8_t (&magic)[6], uint64_t* seqid, uint64_t* hdr_size_out) {
  std::vector<uint8_t> head(4096);
  if (::pread(fd, head.data(), head.size(), off_t(offset)) != ssize_t(head.size())) {
    return std::string("LUKS2 header (") + which + ") truncated";
  }
  if (std::memcmp(head.data(), magic, 6) != 0)
    return std::string("no LUKS2 header (") + which + ": bad magic)";
  if (head[6] != 0 || head[7] != 2)
    return std::string("LUKS2 header (") + which + ") has version other than 2";
  uint64_t hdr_size = be64(&head[8]);
  if (hdr_size < 16384 || hdr_size > 4 * 1024 * 1024 || hdr_size % 4096 != 0) {
    return std::string("LUKS2 header (") + which + ") has an invalid size";
  }
  if (be64(&head[256]) != offset) return std::string("LUKS2 header (") + which + ") records a wrong offset";
  if (std::strncmp(reinterpret_cast<const char*>(&head[72]), "sha256", 32) != 0) {
    return std::string("LUKS2 header (") + which + ") checksum algorithm is not sha256";
  }
  std::vector<uint8_t> area(hdr_size);
  if (::pread(fd, area.data(), area.size(), off_t(offset)) != ssize_t(area.size())) {
    return std::string("LUKS2 header (") + which + ") truncated";
  }
  uint8_t stored[32];
  std::memcpy(stored, &area[448], 32);
  std::memset(&area[448], 0, 64);
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(area);
  auto computed = h->final();
  if (std::memcmp(computed.data(), stored, 32) != 0) {
    return std::string("LUKS2 header (") + which + " at byte " + std::to_string(offset) +
           ") fails its checksum";
  }
  *seqid = be64(&head[16]);
  *hdr_size_out = hdr_size;
  (void)path;
  return {};
}

}  // namespace

void check_luks2_headers(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Storage_error(path + ": cannot open disk: " + std::strerror(errno));
  static const uint8_t k_primary[6] = {'L', 'U', 'K', 'S', 0xBA, 0xBE};
  static const uint8_t k_secondary[6] = {'S', 'K', 'U', 'L', 0xBA, 0xBE};
  uint64_t seq_primary = 0, seq_secondary = 0, size_primary = 0, size_secondary = 0;
  std::string problem = check_copy(path, fd, 0, "primary copy", k_primary, &seq_primary, &size_primary);
  if (problem.empty()) {
    problem =
        check_copy(path, fd, size_primary, "secondary copy", k_secondary, &seq_secondary, &size_secondary);
  }
  ::close(fd);
  if (problem.empty() && (seq_primary != seq_secondary || size_primary != size_secondary)) {
    problem = "LUKS2 header copies disagree (interrupted update)";
  }
  if (!problem.empty()) {
    throw Storage_error(path + ": " + problem +
                        "; disk left unchanged (inspect, back up, then `cryptsetup repair`)");
  }
}

}  // namespace bh::storage
