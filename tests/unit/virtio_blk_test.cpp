// SPDX-License-Identifier: Apache-2.0
// The virtual PCI bus and legacy virtio-blk device (sepkernel/virt/virtio_blk), driven as
// Linux's virtio_pci (legacy) and virtio_blk drive them, and as a hostile guest might.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "virt/virtio_blk.hpp"

using sk::virt::Blk_request;
using sk::virt::Virtio_blk;

namespace {

// The partition's RAM: 1 MiB from guest-physical 0; anything else is not its RAM.
struct Ram final : sk::virt::Guest_ram {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(1 << 20, 0);
  uint32_t refused = 0;
  bool read(uint64_t gpa, void* to, uint32_t size) override {
    if (gpa > bytes.size() || size > bytes.size() - gpa) return ++refused, false;
    std::memcpy(to, bytes.data() + gpa, size);
    return true;
  }
  bool write(uint64_t gpa, const void* from, uint32_t size) override {
    if (gpa > bytes.size() || size > bytes.size() - gpa) return ++refused, false;
    std::memcpy(bytes.data() + gpa, from, size);
    return true;
  }
  template <typename T>
  void put(uint64_t gpa, T v) { std::memcpy(bytes.data() + gpa, &v, sizeof v); }
  template <typename T>
  T get(uint64_t gpa) const {
    T v;
    std::memcpy(&v, bytes.data() + gpa, sizeof v);
    return v;
  }
};

constexpr uint16_t k_bar = 0xC000;
constexpr uint64_t k_ring = 0x10000;  // the queue's page
constexpr uint32_t k_n = Virtio_blk::k_queue_size;
constexpr uint64_t k_avail = k_ring + 16 * k_n, k_used = k_ring + 4096;

uint32_t cfg_read(Virtio_blk& d, uint32_t dev, uint32_t reg, uint8_t size = 4) {
  bool n = false;
  REQUIRE(d.io_write(0xCF8, 4, 0x80000000u | (dev << 11) | (reg & 0xFC), n));
  uint32_t v = 0;
  REQUIRE(d.io_read(uint16_t(0xCFC + (reg & 3)), size, v));
  return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}
void cfg_write(Virtio_blk& d, uint32_t dev, uint32_t reg, uint32_t value, uint8_t size = 4) {
  bool n = false;
  REQUIRE(d.io_write(0xCF8, 4, 0x80000000u | (dev << 11) | (reg & 0xFC), n));
  REQUIRE(d.io_write(uint16_t(0xCFC + (reg & 3)), size, value, n));
}
uint32_t bar_read(Virtio_blk& d, uint16_t offset, uint8_t size) {
  uint32_t v = 0;
  REQUIRE(d.io_read(uint16_t(k_bar + offset), size, v));
  return v;
}
bool bar_write(Virtio_blk& d, uint16_t offset, uint8_t size, uint32_t value) {
  bool notified = false;
  REQUIRE(d.io_write(uint16_t(k_bar + offset), size, value, notified));
  return notified;
}

// What Linux does before the first request: enable I/O decoding, reset, features, the queue.
void bring_up(Virtio_blk& d) {
  cfg_write(d, 1, 0x04, 0x0005, 2);
  bar_write(d, 0x12, 1, 0);
  bar_write(d, 0x12, 1, 1 | 2);  // ACKNOWLEDGE | DRIVER
  bar_write(d, 0x04, 4, bar_read(d, 0x00, 4));
  bar_write(d, 0x0E, 2, 0);
  REQUIRE(bar_read(d, 0x0C, 2) == k_n);
  bar_write(d, 0x08, 4, uint32_t(k_ring >> 12));
  bar_write(d, 0x12, 1, 1 | 2 | 4);  // DRIVER_OK
}

struct Desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};

// Puts a chain of descriptors at slot `first` and offers it in the available ring.
void offer(Ram& ram, uint16_t first, const std::vector<Desc>& chain) {
  for (size_t i = 0; i < chain.size(); ++i) ram.put(k_ring + 16 * (first + i), chain[i]);
  const uint16_t idx = ram.get<uint16_t>(k_avail + 2);
  ram.put<uint16_t>(k_avail + 4 + 2 * (idx % k_n), first);
  ram.put<uint16_t>(k_avail + 2, uint16_t(idx + 1));
}
// A read or write request: header at 0x20000, data at `data`, status byte at 0x21000.
void offer_rw(Ram& ram, uint16_t first, uint32_t type, uint64_t sector512, uint64_t data, uint32_t len) {
  ram.put<uint32_t>(0x20000, type);
  ram.put<uint64_t>(0x20008, sector512);
  ram.put<uint8_t>(0x21000, 0xEE);
  offer(ram, first,
        {{0x20000, 16, 1, uint16_t(first + 1)},
         {data, len, uint16_t(1 | (type == 0 ? 2 : 0)), uint16_t(first + 2)},
         {0x21000, 1, 2, 0}});
}

}  // namespace

TEST_CASE("virtual PCI: a host bridge and the virtio-blk function, nothing else", "[virt][virtio]") {
  Virtio_blk d;
  d.configure(16384, k_bar, 11);
  CHECK(cfg_read(d, 0, 0x00) == 0x12378086u);
  CHECK(cfg_read(d, 0, 0x0A, 2) == 0x0600);  // host bridge: Linux's conf1 sanity check
  CHECK(cfg_read(d, 1, 0x00) == 0x10011AF4u);
  CHECK(cfg_read(d, 1, 0x2E, 2) == 2);       // subsystem: block device
  CHECK(cfg_read(d, 1, 0x08, 1) == 0);       // revision 0: the legacy interface
  CHECK(cfg_read(d, 1, 0x3D, 1) == 1);       // INTA#
  CHECK(cfg_read(d, 1, 0x3C, 1) == 11);
  for (uint32_t dev = 2; dev < 32; ++dev) CHECK(cfg_read(d, dev, 0x00) == 0xFFFFFFFFu);
  CHECK(cfg_read(d, 0, 0x00) == 0x12378086u);
  // BAR 0 sizing as Linux does it: all ones, read back the size mask, restore.
  CHECK(cfg_read(d, 1, 0x10) == (k_bar | 1u));
  cfg_write(d, 1, 0x10, 0xFFFFFFFFu);
  CHECK((cfg_read(d, 1, 0x10) & 0xFFFF) == ((0x10000 - Virtio_blk::k_bar_size) | 1u));
  cfg_write(d, 1, 0x10, k_bar);
  // Read-only space stays so; the host bridge takes no writes.
  cfg_write(d, 1, 0x00, 0);
  cfg_write(d, 0, 0x04, 0xFFFF, 2);
  CHECK(cfg_read(d, 1, 0x00) == 0x10011AF4u);
  CHECK(cfg_read(d, 0, 0x04) == 0);
  // Until the guest enables I/O decoding the BAR's ports are not the device's.
  uint32_t v = 0;
  CHECK_FALSE(d.io_read(k_bar, 4, v));
  cfg_write(d, 1, 0x04, 1, 2);
  CHECK(d.io_read(k_bar, 4, v));
  CHECK_FALSE(d.io_read(uint16_t(k_bar + Virtio_blk::k_bar_size), 1, v));
  CHECK_FALSE(d.io_read(0x3F8, 1, v));
  // The device configuration: capacity in 512-byte sectors, blk_size 4096, read byte by byte.
  uint64_t capacity = 0;
  for (int i = 0; i < 8; ++i) capacity |= uint64_t(bar_read(d, uint16_t(0x14 + i), 1)) << (8 * i);
  CHECK(capacity == 16384ull * 8);
  CHECK(bar_read(d, 0x28, 4) == 4096);
  CHECK(bar_read(d, 0x00, 4) == (1u << 6));  // VIRTIO_BLK_F_BLK_SIZE only
}

TEST_CASE("virtio-blk: requests as Linux makes them, completed in the used ring", "[virt][virtio]") {
  Ram ram;
  Virtio_blk d;
  d.configure(100, k_bar, 11);
  bring_up(d);
  Blk_request r{};
  CHECK_FALSE(d.next(ram, r));  // nothing offered
  offer_rw(ram, 0, 0, 8 * 5, 0x30000, 2 * 4096);  // read units 5 and 6
  CHECK(bar_write(d, 0x10, 2, 0));                // notify queue 0
  REQUIRE(d.next(ram, r));
  CHECK(r.status == Virtio_blk::k_ok);
  CHECK(r.read());
  CHECK(r.unit == 5);
  CHECK(r.units == 2);
  CHECK(r.data_gpa(1) == 0x31000);
  CHECK(r.head == 0);
  Blk_request again{};
  CHECK_FALSE(d.next(ram, again));  // taken once
  CHECK(d.finish(ram, r, Virtio_blk::k_ok));
  CHECK(ram.get<uint8_t>(0x21000) == 0);
  CHECK(ram.get<uint16_t>(k_used + 2) == 1);
  CHECK(ram.get<uint32_t>(k_used + 4) == 0);          // id: the head
  CHECK(ram.get<uint32_t>(k_used + 8) == 2 * 4096 + 1);  // data and status written
  CHECK(bar_read(d, 0x13, 1) == 1);                   // ISR: reading acknowledges
  CHECK(bar_read(d, 0x13, 1) == 0);
  // A write, and the guest asking for no interrupt.
  ram.put<uint16_t>(k_avail, 1);
  offer_rw(ram, 3, 1, 0, 0x30000, 4096);
  REQUIRE(d.next(ram, r));
  CHECK(r.status == Virtio_blk::k_ok);
  CHECK_FALSE(r.read());
  CHECK_FALSE(d.finish(ram, r, Virtio_blk::k_ok));
  CHECK(ram.get<uint32_t>(k_used + 12) == 3);
  CHECK(ram.get<uint32_t>(k_used + 16) == 1);  // only the status byte was written
}

TEST_CASE("virtio-blk: malformed requests fail alone, the device goes on", "[virt][virtio]") {
  Ram ram;
  Virtio_blk d;
  d.configure(100, k_bar, 11);
  bring_up(d);
  Blk_request r{};
  auto status_of = [&](auto&& make) {
    make();
    REQUIRE(d.next(ram, r));
    return r.status;
  };
  // Past the end of the disk, unaligned to the 4096-byte block, a partial block.
  CHECK(status_of([&] { offer_rw(ram, 0, 0, 8 * 100, 0x30000, 4096); }) == Virtio_blk::k_ioerr);
  CHECK(status_of([&] { offer_rw(ram, 0, 0, 8 * 99, 0x30000, 2 * 4096); }) == Virtio_blk::k_ioerr);
  CHECK(status_of([&] { offer_rw(ram, 0, 0, 3, 0x30000, 4096); }) == Virtio_blk::k_ioerr);
  CHECK(status_of([&] { offer_rw(ram, 0, 0, 0, 0x30000, 512); }) == Virtio_blk::k_ioerr);
  // A read whose data the device may not write; an unknown type; an indirect table.
  CHECK(status_of([&] {
    offer(ram, 0, {{0x20000, 16, 1, 1}, {0x30000, 4096, 1, 2}, {0x21000, 1, 2, 0}});
    ram.put<uint32_t>(0x20000, 0);
    ram.put<uint64_t>(0x20008, 0);
  }) == Virtio_blk::k_ioerr);
  CHECK(status_of([&] { offer_rw(ram, 0, 8, 0, 0x30000, 4096); }) == Virtio_blk::k_unsupp);
  CHECK(status_of([&] { offer(ram, 0, {{0x20000, 16, 1 | 4, 1}, {0x21000, 1, 2, 0}}); }) == Virtio_blk::k_ioerr);
  // A chain that loops, one that leaves the table: no status byte is known, nothing is written.
  CHECK(status_of([&] { offer(ram, 0, {{0x20000, 16, 1, 1}, {0x21000, 1, 2 | 1, 0}}); }) == Virtio_blk::k_ioerr);
  CHECK(r.status_gpa == 0);
  CHECK(status_of([&] { offer(ram, 0, {{0x20000, 16, 1, 500}}); }) == Virtio_blk::k_ioerr);
  // Data outside the partition's RAM is refused by the memory interface, not read by the device.
  CHECK(status_of([&] { offer_rw(ram, 0, 1, 0, 0x7FFFF000ull, 4096); }) == Virtio_blk::k_ok);
  CHECK(r.data_gpa(0) == 0x7FFFF000ull);  // the kernel's block path reads it through read_guest
  // A head index beyond the queue.
  CHECK(status_of([&] {
    const uint16_t idx = ram.get<uint16_t>(k_avail + 2);
    ram.put<uint16_t>(k_avail + 4 + 2 * (idx % k_n), 999);
    ram.put<uint16_t>(k_avail + 2, uint16_t(idx + 1));
  }) == Virtio_blk::k_ioerr);
  // Still serving after all that.
  CHECK(status_of([&] { offer_rw(ram, 0, 0, 8, 0x30000, 4096); }) == Virtio_blk::k_ok);
  // The ring itself outside the RAM: no request, no write.
  bar_write(d, 0x08, 4, 0x7FFFF);
  const uint32_t refused = ram.refused;
  CHECK_FALSE(d.next(ram, r));
  CHECK(ram.refused > refused);
}

TEST_CASE("virtio-blk: a reset drops the request in flight", "[virt][virtio]") {
  Ram ram;
  Virtio_blk d;
  d.configure(100, k_bar, 11);
  bring_up(d);
  offer_rw(ram, 0, 0, 0, 0x30000, 4096);
  Blk_request r{};
  REQUIRE(d.next(ram, r));
  bar_write(d, 0x12, 1, 0);  // reset
  CHECK(bar_read(d, 0x08, 4) == 0);
  CHECK_FALSE(d.finish(ram, r, Virtio_blk::k_ok));
  CHECK(ram.get<uint16_t>(k_used + 2) == 0);
  CHECK(ram.get<uint8_t>(0x21000) == 0xEE);  // not completed
  CHECK_FALSE(bar_write(d, 0x10, 2, 0));      // no queue: a notification is nothing
}
