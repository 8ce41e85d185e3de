// SPDX-License-Identifier: Apache-2.0
// A virtual PCI bus with one disk: the legacy ("transitional", virtio 0.9.5) virtio-blk device
// over PCI that an unmodified Linux drives with its own virtio_pci and virtio_blk modules. The
// register model and the virtqueue only; the sectors are served by the caller (the kernel's
// encrypted block path, kernel/virtual_disk.cpp), one 4096-byte unit at a time, so that a
// request can stop at the end of its partition's own time and go on at its next frame.
//
// What the guest sees, and nothing else (docs/linux.md):
// - configuration mechanism #1 at ports 0xCF8 (32-bit address) and 0xCFC-0xCFF (data);
// - bus 0 device 0: a host bridge (8086:1237, class 06/00), read-only, so that Linux trusts the
//   mechanism (its sanity check looks for a host bridge);
// - bus 0 device 1: virtio-blk (1af4:1001, subsystem 1af4:0002), BAR 0 = 64 I/O ports, one
//   interrupt line (INTA#, line fixed by the kernel); every other bus, device and function
//   reads as absent (all ones); writes go only to the command register, BAR 0 and the
//   interrupt line register;
// - features: VIRTIO_BLK_F_BLK_SIZE only (4096-byte logical blocks, the kernel's unit of
//   encryption); one virtqueue of k_queue_size entries; no indirect descriptors, no event index,
//   no MSI-X, no flush (every write reaches the disk's image before it completes).
//
// A malformed request (a chain that loops, runs off the table, has no status byte or a data
// part that is not whole 4096-byte units) completes with VIRTIO_BLK_S_IOERR when its status byte
// is known and with nothing written otherwise: the device never stops, never reads or writes
// outside what the guest memory interface allows (its partition's own RAM).
// Pure and freestanding: the kernel and the unit tests use the same code.
#pragma once
#include <stdint.h>

namespace sk::virt {

// The partition's RAM as the device may touch it; false: not the partition's own RAM.
class Guest_ram {
 public:
  virtual bool read(uint64_t gpa, void* to, uint32_t size) = 0;
  virtual bool write(uint64_t gpa, const void* from, uint32_t size) = 0;

 protected:
  ~Guest_ram() = default;
};

// One request taken off the queue. Its data is `units` 4096-byte units, unit i at data_gpa(i).
struct Blk_request {
  static constexpr uint32_t k_max_segments = 4;
  uint32_t epoch;       // the device's reset count when taken; a reset drops the request
  uint16_t head;        // descriptor index of the chain's head (the used ring's id)
  uint32_t type;        // VIRTIO_BLK_T_IN (0, read), _OUT (1, write), other: unsupported
  uint64_t unit;        // first unit (the request's 512-byte sector / 8)
  uint32_t units;
  uint64_t segment_gpa[k_max_segments];
  uint32_t segment_units[k_max_segments];
  uint32_t segments;
  uint64_t status_gpa;  // 0: the chain has no usable status byte
  uint8_t status;       // what checking the chain decided: 0 ok, 1 IOERR, 2 UNSUPP

  uint64_t data_gpa(uint32_t i) const;
  bool read() const { return type == 0; }
};

class Virtio_blk {
 public:
  static constexpr uint16_t k_queue_size = 128;
  static constexpr uint16_t k_bar_size = 64;
  static constexpr uint32_t k_unit = 4096;
  static constexpr uint8_t k_ok = 0, k_ioerr = 1, k_unsupp = 2;

  // The disk's size in 4096-byte units, where BAR 0 starts and the interrupt line.
  void configure(uint64_t units, uint16_t io_base, uint8_t irq);

  // Port I/O of `size` bytes (1, 2, 4). Returns false if the port is not the device's (not
  // 0xCF8-0xCFF, not inside BAR 0 while I/O decoding is on): the caller treats it as absent.
  bool io_read(uint16_t port, uint8_t size, uint32_t& value);
  // `notified` is set when the write was a queue notification.
  bool io_write(uint16_t port, uint8_t size, uint32_t value, bool& notified);

  // Takes the next request off the available ring into r. False: none (or no queue set up).
  bool next(Guest_ram& ram, Blk_request& r);
  // Completes r: its status byte, the used ring entry, the interrupt status. Returns true if
  // the interrupt line should be raised (the guest has not asked for no interrupts).
  bool finish(Guest_ram& ram, const Blk_request& r, uint8_t status);

  uint8_t irq() const { return irq_; }
  bool interrupt_enabled() const { return !(command_ & 0x400); }

 private:
  uint32_t config_read(uint32_t address) const;  // one dword, address = CF8 value
  void config_write(uint32_t address, uint8_t offset_in_dword, uint8_t size, uint32_t value);
  uint32_t bar_read(uint16_t offset, uint8_t size);
  void bar_write(uint16_t offset, uint8_t size, uint32_t value, bool& notified);
  void reset();
  uint64_t ring_base() const { return uint64_t(queue_pfn_) << 12; }

  uint64_t units_ = 0;
  uint8_t irq_ = 11;
  uint32_t address_ = 0;  // 0xCF8
  uint16_t command_ = 0;
  uint16_t bar_ = 0;      // BAR 0's port base
  uint8_t line_ = 0;      // interrupt line register (the guest's to write; the kernel raises irq_)
  uint32_t guest_features_ = 0;
  uint32_t queue_pfn_ = 0;
  uint16_t queue_select_ = 0;
  uint8_t status_ = 0;
  uint8_t isr_ = 0;
  uint16_t last_avail_ = 0;
  uint16_t used_idx_ = 0;
  uint32_t epoch_ = 0;
};

}  // namespace sk::virt
