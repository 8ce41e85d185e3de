// SPDX-License-Identifier: Apache-2.0
// ATA PIO driver (see ata.hpp): polled, interrupts disabled on the device (nIEN).
#include "drivers/ata.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/timer.hpp"

namespace sk::drivers::ata {
namespace {

constexpr uint8_t k_bsy = 0x80, k_drq = 0x08, k_err = 0x01, k_df = 0x20;
constexpr uint64_t k_deadline_us = 2000000;

struct Channel {
  uint16_t base, control;
};
constexpr Channel k_channels[2] = {{0x1F0, 0x3F6}, {0x170, 0x376}};

// Waits until BSY clears; then, if want_drq, until DRQ or an error. false on timeout or error.
bool wait_ready(const Channel& c, bool want_drq) {
  uint64_t end = timer::now_us() + k_deadline_us;
  for (;;) {
    uint8_t s = arch::inb(uint16_t(c.base + 7));
    if (s == 0xFF) return false;  // floating bus: no device
    if (!(s & k_bsy)) {
      if (s & (k_err | k_df)) return false;
      if (!want_drq || (s & k_drq)) return true;
    }
    if (timer::now_us() > end) return false;
    arch::cpu_relax();
  }
}

void select(const Channel& c, uint32_t disk, uint64_t lba) {
  arch::outb(c.control, 0x02);  // nIEN: no interrupts, the kernel polls
  arch::outb(uint16_t(c.base + 6), uint8_t(0xE0 | ((disk & 1) << 4) | ((lba >> 24) & 0x0F)));
  for (int i = 0; i < 4; ++i) (void)arch::inb(c.control);  // ~400 ns for the select to settle
}

}  // namespace

Status identify(uint32_t disk, uint64_t& sectors) {
  if (disk >= k_max_disks) return Error::bad_argument;
  const Channel& c = k_channels[disk / 2];
  select(c, disk, 0);
  arch::outb(uint16_t(c.base + 7), 0xEC);
  if (arch::inb(uint16_t(c.base + 7)) == 0) return Error::not_found;
  if (!wait_ready(c, true)) return Error::not_found;
  uint16_t id[256];
  for (auto& w : id) w = arch::inw(c.base);
  sectors = uint64_t(id[60]) | uint64_t(id[61]) << 16;
  return sectors ? Status{} : Status{Error::not_found};
}

Progress run(Transfer& t, uint64_t until_us) {
  if (t.disk >= k_max_disks || t.count == 0 || t.count > 256 || t.lba + t.count > (1ull << 28)) return Progress::failed;
  const Channel& c = k_channels[t.disk / 2];
  // Waits as wait_ready() does, but gives up at until_us (pending) and fails only after 2 s
  // without progress since the wait began.
  auto wait = [&](bool want_drq) {
    for (;;) {
      uint8_t s = arch::inb(uint16_t(c.base + 7));
      if (s == 0xFF) return Progress::failed;
      if (!(s & k_bsy)) {
        if (s & (k_err | k_df)) return Progress::failed;
        if (!want_drq || (s & k_drq)) return Progress::done;
      }
      const uint64_t now = timer::now_us();
      if (now - t.waiting_us > k_deadline_us) return Progress::failed;
      if (now >= until_us) return Progress::pending;
      arch::cpu_relax();
    }
  };
  for (;;) {
    Progress p = Progress::done;
    switch (t.phase) {
      case 0:
        t.waiting_us = timer::now_us();
        t.sector = 0;
        select(c, t.disk, t.lba);
        if (!wait_ready(c, false)) return Progress::failed;  // idle before a command: no wait
        arch::outb(uint16_t(c.base + 2), uint8_t(t.count));  // 256 is written as 0
        arch::outb(uint16_t(c.base + 3), uint8_t(t.lba));
        arch::outb(uint16_t(c.base + 4), uint8_t(t.lba >> 8));
        arch::outb(uint16_t(c.base + 5), uint8_t(t.lba >> 16));
        arch::outb(uint16_t(c.base + 7), t.write ? 0x30 : 0x20);  // WRITE SECTORS / READ SECTORS
        t.phase = 1;
        t.waiting_us = timer::now_us();
        break;
      case 1:
        if ((p = wait(true)) != Progress::done) return p;
        for (uint32_t i = 0; i < k_sector / 2; ++i) {
          uint8_t* b = t.data + t.sector * k_sector + 2 * i;
          if (t.write) {
            arch::outw(c.base, uint16_t(b[0] | b[1] << 8));
          } else {
            const uint16_t w = arch::inw(c.base);
            b[0] = uint8_t(w);
            b[1] = uint8_t(w >> 8);
          }
        }
        t.waiting_us = timer::now_us();
        if (++t.sector == t.count) {
          if (!t.write) return Progress::done;
          t.phase = 2;
        }
        break;
      case 2:
        if ((p = wait(false)) != Progress::done) return p;
        arch::outb(uint16_t(c.base + 7), 0xE7);  // FLUSH CACHE
        t.phase = 3;
        t.waiting_us = timer::now_us();
        break;
      default:
        return wait(false);
    }
  }
}

Status read(uint32_t disk, uint64_t lba, uint32_t count, uint8_t* out) {
  Transfer t{disk, lba, count, out, false, 0, 0, 0};
  return run(t, ~uint64_t{0}) == Progress::done ? Status{} : Status{Error::denied};
}

Status write(uint32_t disk, uint64_t lba, uint32_t count, const uint8_t* in) {
  Transfer t{disk, lba, count, const_cast<uint8_t*>(in), true, 0, 0, 0};
  return run(t, ~uint64_t{0}) == Progress::done ? Status{} : Status{Error::denied};
}

}  // namespace sk::drivers::ata
