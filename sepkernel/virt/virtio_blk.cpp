// SPDX-License-Identifier: Apache-2.0
// The virtual PCI bus and legacy virtio-blk device (see virtio_blk.hpp). Layouts from the
// virtio 0.9.5 / 1.x "legacy interface" sections and the PCI local bus specification.
#include "virt/virtio_blk.hpp"

namespace sk::virt {
namespace {

constexpr uint32_t k_features = 1u << 6;  // VIRTIO_BLK_F_BLK_SIZE
constexpr uint16_t k_desc_next = 1, k_desc_write = 2, k_desc_indirect = 4;
constexpr uint16_t k_avail_no_interrupt = 1;
constexpr uint32_t k_n = Virtio_blk::k_queue_size;
// Legacy split-ring layout at the queue's page: descriptors, the available ring, then the used
// ring at the next 4096-byte boundary.
constexpr uint64_t k_avail = 16 * k_n;
constexpr uint64_t k_used = (k_avail + 4 + 2 * k_n + 2 + 4095) & ~uint64_t{4095};

struct Desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};
static_assert(sizeof(Desc) == 16);

}  // namespace

uint64_t Blk_request::data_gpa(uint32_t i) const {
  for (uint32_t s = 0; s < segments; ++s) {
    if (i < segment_units[s]) return segment_gpa[s] + uint64_t(i) * Virtio_blk::k_unit;
    i -= segment_units[s];
  }
  return 0;
}

void Virtio_blk::configure(uint64_t units, uint16_t io_base, uint8_t irq) {
  units_ = units;
  bar_ = io_base;
  irq_ = irq;
  line_ = irq;
}

void Virtio_blk::reset() {
  guest_features_ = 0;
  queue_pfn_ = 0;
  queue_select_ = 0;
  status_ = 0;
  isr_ = 0;
  last_avail_ = used_idx_ = 0;
  ++epoch_;
}

uint32_t Virtio_blk::config_read(uint32_t a) const {
  if (!(a & 0x80000000u)) return ~0u;
  const uint32_t bus = (a >> 16) & 0xFF, dev = (a >> 11) & 0x1F, fn = (a >> 8) & 7, reg = a & 0xFC;
  if (bus != 0 || fn != 0 || dev > 1) return ~0u;
  if (dev == 0) {  // host bridge
    if (reg == 0x00) return 0x12378086u;
    if (reg == 0x08) return 0x06000002u;  // class 06 (bridge) / 00 (host), revision 2
    return 0;
  }
  switch (reg) {
    case 0x00: return 0x10011AF4u;                       // virtio, transitional block device
    case 0x04: return command_;                          // status: no capabilities, no interrupt status
    case 0x08: return 0x01000000u;                       // class 01 (mass storage), revision 0 (legacy ABI)
    case 0x10: return uint32_t(bar_) | 1u;               // I/O space
    case 0x2C: return 0x00021AF4u;                       // subsystem: virtio device type 2 (block)
    case 0x3C: return uint32_t(line_) | (1u << 8);       // INTA#
    default: return 0;
  }
}

void Virtio_blk::config_write(uint32_t a, uint8_t offset, uint8_t size, uint32_t value) {
  if (!(a & 0x80000000u) || ((a >> 8) & 0xFFFF) != (1u << 3)) return;  // bus 0, device 1, function 0 only
  const uint32_t reg = a & 0xFC;
  if (reg != 0x04 && reg != 0x10 && reg != 0x3C) return;
  const uint32_t shift = 8u * offset;
  const uint32_t mask = (size == 4 ? ~0u : ((1u << (8u * size)) - 1u)) << shift;
  const uint32_t merged = (config_read(a) & ~mask) | ((value << shift) & mask);
  if (reg == 0x04) command_ = uint16_t(merged & 0x0405);  // I/O space, bus master, INTx disable
  if (reg == 0x10) bar_ = uint16_t(merged & 0xFFFC & ~uint32_t(k_bar_size - 1));
  if (reg == 0x3C) line_ = uint8_t(merged);
}

uint32_t Virtio_blk::bar_read(uint16_t offset, uint8_t size) {
  uint32_t value = 0;
  for (uint8_t i = 0; i < size; ++i) {
    const uint16_t o = uint16_t(offset + i);
    uint8_t b = 0;
    auto byte_of = [&](uint64_t field, uint16_t at) { return uint8_t(field >> (8 * (o - at))); };
    if (o < 0x04) b = byte_of(k_features, 0x00);
    else if (o < 0x08) b = byte_of(guest_features_, 0x04);
    else if (o < 0x0C) b = byte_of(queue_select_ == 0 ? queue_pfn_ : 0, 0x08);
    else if (o < 0x0E) b = byte_of(queue_select_ == 0 ? k_queue_size : 0, 0x0C);
    else if (o < 0x10) b = byte_of(queue_select_, 0x0E);
    else if (o < 0x12) b = 0;  // notify: write only
    else if (o == 0x12) b = status_;
    else if (o == 0x13) b = isr_;
    else if (o < 0x1C) b = byte_of(units_ * (k_unit / 512), 0x14);  // capacity in 512-byte sectors
    else if (o >= 0x28 && o < 0x2C) b = byte_of(k_unit, 0x28);      // blk_size
    value |= uint32_t(b) << (8 * i);
  }
  if (offset <= 0x13 && offset + size > 0x13) isr_ = 0;  // reading the ISR acknowledges it
  return value;
}

void Virtio_blk::bar_write(uint16_t offset, uint8_t size, uint32_t value, bool& notified) {
  if (offset == 0x04 && size == 4) {
    guest_features_ = value & k_features;
  } else if (offset == 0x08 && size == 4) {
    if (queue_select_ != 0) return;
    queue_pfn_ = value;
    last_avail_ = used_idx_ = 0;
  } else if (offset == 0x0E && size == 2) {
    queue_select_ = uint16_t(value);
  } else if (offset == 0x10 && size == 2) {
    notified = uint16_t(value) == 0 && queue_pfn_ != 0;
  } else if (offset == 0x12 && size == 1) {
    if (uint8_t(value) == 0) reset(); else status_ = uint8_t(value);
  }
}

bool Virtio_blk::io_read(uint16_t port, uint8_t size, uint32_t& value) {
  if (port >= 0xCF8 && port <= 0xCFB) {
    value = (port == 0xCF8 && size == 4) ? address_ : ~0u;
    return true;
  }
  if (port >= 0xCFC && port <= 0xCFF) {
    const uint32_t offset = port - 0xCFC;
    value = config_read(address_) >> (8 * offset);
    return true;
  }
  if ((command_ & 1) && bar_ != 0 && port >= bar_ && port < bar_ + k_bar_size) {
    value = bar_read(uint16_t(port - bar_), size);
    return true;
  }
  return false;
}

bool Virtio_blk::io_write(uint16_t port, uint8_t size, uint32_t value, bool& notified) {
  notified = false;
  if (port >= 0xCF8 && port <= 0xCFB) {
    if (port == 0xCF8 && size == 4) address_ = value & 0x80FFFFFCu;
    return true;
  }
  if (port >= 0xCFC && port <= 0xCFF) {
    const uint8_t offset = uint8_t(port - 0xCFC);
    if (offset + size <= 4) config_write(address_, offset, size, value);
    return true;
  }
  if ((command_ & 1) && bar_ != 0 && port >= bar_ && port < bar_ + k_bar_size) {
    bar_write(uint16_t(port - bar_), size, value, notified);
    return true;
  }
  return false;
}

bool Virtio_blk::next(Guest_ram& ram, Blk_request& r) {
  if (queue_pfn_ == 0) return false;
  const uint64_t base = ring_base();
  uint16_t avail_idx = 0, head = 0;
  if (!ram.read(base + k_avail + 2, &avail_idx, 2) || avail_idx == last_avail_) return false;
  if (!ram.read(base + k_avail + 4 + 2 * (last_avail_ % k_n), &head, 2)) return false;
  ++last_avail_;
  r = Blk_request{};
  r.epoch = epoch_;
  r.head = head;
  r.status = k_ioerr;
  if (head >= k_n) return true;
  // Walk the chain: the header first, the status byte last, data segments between.
  Desc first{}, last{}, middle[Blk_request::k_max_segments + 1]{};
  uint32_t count = 0, middles = 0;
  bool bad = false;
  for (uint16_t i = head;;) {
    Desc d{};
    if (count == k_n || !ram.read(base + 16 * uint64_t(i), &d, sizeof d)) return true;  // a loop or not its RAM
    if (d.flags & k_desc_indirect) bad = true;
    if (count == 0) {
      first = d;
    } else {
      if (count >= 2) {
        if (middles < Blk_request::k_max_segments + 1) middle[middles] = last;
        ++middles;
      }
      last = d;
    }
    ++count;
    if (!(d.flags & k_desc_next)) break;
    if (d.next >= k_n) return true;
    i = d.next;
  }
  if (count < 2 || !(last.flags & k_desc_write) || last.len == 0) return true;  // no status byte
  r.status_gpa = last.addr + last.len - 1;
  struct {
    uint32_t type, reserved;
    uint64_t sector;
  } header{};
  if (bad || (first.flags & k_desc_write) || first.len < sizeof header || !ram.read(first.addr, &header, sizeof header))
    return true;
  r.type = header.type;
  if (r.type != 0 && r.type != 1) {
    r.status = k_unsupp;
    return true;
  }
  if (middles > Blk_request::k_max_segments || header.sector % (k_unit / 512) != 0) return true;
  for (uint32_t s = 0; s < middles; ++s) {
    const bool device_writes = middle[s].flags & k_desc_write;
    if (device_writes != r.read() || middle[s].len == 0 || middle[s].len % k_unit != 0) return true;
    r.segment_gpa[s] = middle[s].addr;
    r.segment_units[s] = middle[s].len / k_unit;
    r.units += r.segment_units[s];
  }
  r.segments = middles;
  r.unit = header.sector / (k_unit / 512);
  if (r.unit > units_ || r.units > units_ - r.unit) return true;
  r.status = k_ok;
  return true;
}

bool Virtio_blk::finish(Guest_ram& ram, const Blk_request& r, uint8_t status) {
  if (r.epoch != epoch_ || queue_pfn_ == 0) return false;  // the device was reset meanwhile
  const uint64_t base = ring_base();
  if (r.status_gpa) ram.write(r.status_gpa, &status, 1);
  const uint32_t written = r.status_gpa ? 1 + (status == k_ok && r.read() ? r.units * k_unit : 0) : 0;
  const uint32_t element[2] = {r.head, written};
  ram.write(base + k_used + 4 + 8 * (used_idx_ % k_n), element, sizeof element);
  ++used_idx_;
  ram.write(base + k_used + 2, &used_idx_, 2);
  isr_ |= 1;
  uint16_t flags = 0;
  ram.read(base + k_avail, &flags, 2);
  return !(flags & k_avail_no_interrupt);
}

}  // namespace sk::virt
