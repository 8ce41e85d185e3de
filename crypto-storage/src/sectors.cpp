// SPDX-License-Identifier: Apache-2.0
// Host-side sector I/O with the core's XTS and LUKS2's tweak convention.
#include "bh/storage/sectors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sk/sealed_key.hpp"
#include "sk/xts.hpp"

namespace bh::storage {

namespace {

struct Keyed_xts {
  sk::crypto::Xts_aes256 xts;
  explicit Keyed_xts(const Secret& key) {
    if (key.size() != k_volume_key_size || !xts.set_key(key.data()).ok())
      throw Storage_error("volume key: unusable");
  }
  ~Keyed_xts() { xts.wipe(); }
};

void check_range(const Luks_disk& disk, uint64_t first, uint64_t count) {
  uint64_t sectors = disk.info().data_size / disk.info().sector_size;
  if (count == 0 || first >= sectors || count > sectors - first) {
    throw Storage_error(disk.path() + ": sectors " + std::to_string(first) + "+" + std::to_string(count) +
                        " outside the data segment (" + std::to_string(sectors) + " sectors)");
  }
}

}  // namespace

std::vector<uint8_t> read_plaintext(const Luks_disk& disk, const Secret& key, uint64_t first,
                                    uint64_t count) {
  check_range(disk, first, count);
  const uint32_t sector = disk.info().sector_size;
  std::vector<uint8_t> data(count * sector);
  int fd = ::open(disk.path().c_str(), O_RDONLY);
  if (fd < 0) throw Storage_error(disk.path() + ": cannot open: " + std::strerror(errno));
  ssize_t n = ::pread(fd, data.data(), data.size(), off_t(disk.info().data_offset + first * sector));
  ::close(fd);
  if (n != ssize_t(data.size())) throw Storage_error(disk.path() + ": short read in the data segment");
  Keyed_xts k(key);
  for (uint64_t i = 0; i < count; ++i) {
    if (!k.xts.decrypt(sk::storage::xts_tweak_for_sector(first + i, sector), data.data() + i * sector, sector)
             .ok()) {
      throw Storage_error("XTS decrypt failed");
    }
  }
  return data;
}

void write_plaintext(const Luks_disk& disk, const Secret& key, uint64_t first,
                     const std::vector<uint8_t>& data) {
  const uint32_t sector = disk.info().sector_size;
  if (data.empty() || data.size() % sector != 0) {
    throw Storage_error("input: " + std::to_string(data.size()) + " bytes is not a whole number of " +
                        std::to_string(sector) + "-byte sectors");
  }
  check_range(disk, first, data.size() / sector);
  std::vector<uint8_t> out(data);
  Keyed_xts k(key);
  for (uint64_t i = 0; i < out.size() / sector; ++i) {
    if (!k.xts.encrypt(sk::storage::xts_tweak_for_sector(first + i, sector), out.data() + i * sector, sector)
             .ok()) {
      throw Storage_error("XTS encrypt failed");
    }
  }
  int fd = ::open(disk.path().c_str(), O_WRONLY);
  if (fd < 0) throw Storage_error(disk.path() + ": cannot open for writing: " + std::strerror(errno));
  ssize_t n = ::pwrite(fd, out.data(), out.size(), off_t(disk.info().data_offset + first * sector));
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != ssize_t(out.size()) || !synced) throw Storage_error(disk.path() + ": write failed");
}

}  // namespace bh::storage
