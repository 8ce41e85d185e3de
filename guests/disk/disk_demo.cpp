// SPDX-License-Identifier: Apache-2.0
// A partition that keeps records on its encrypted disk through the paravirtual block device
// (hypercalls 7 and 8). At every boot it: reads its boot counter from sector 0, checks the
// record stream the previous boot wrote (sectors 1..n, each tagged with that boot and its
// sequence number) and reports how far it is intact, writes the new counter, then writes a new
// stream of records, logging `ACK n` after the kernel acknowledged record n (the power-cut test
// kills the machine somewhere in that stream). It also checks that out-of-range requests fail.
#include "block.hpp"
#include "console.hpp"
#include "guest.hpp"

namespace {

namespace hc = sk::hypercall;

alignas(4096) uint8_t g_buffer[hc::k_block_sector];
constexpr char k_magic[8] = {'B', 'H', 'R', 'E', 'C', '0', '0', '1'};
constexpr uint32_t k_stream = 200;

struct Record {
  char magic[8];
  uint32_t boot;
  uint32_t seq;
  uint32_t checksum;
  char text[44];
};

uint32_t checksum(const Record& r) {
  uint32_t h = 2166136261u;  // FNV-1a over everything but the checksum
  const auto* p = reinterpret_cast<const uint8_t*>(&r);
  for (uint32_t i = 0; i < sizeof r; ++i) {
    if (i >= 16 && i < 20) continue;
    h = (h ^ p[i]) * 16777619u;
  }
  return h;
}

uint32_t request(hc::Block_op op, uint64_t sector, uint32_t buffer) {
  return guest::block::request(op, sector, reinterpret_cast<void*>(uintptr_t(buffer)));
}

bool read_record(uint64_t sector, Record& out) {
  if (request(hc::Block_op::read, sector, uint32_t(reinterpret_cast<uintptr_t>(g_buffer))) != 1) return false;
  const auto* r = reinterpret_cast<const Record*>(g_buffer);
  for (int i = 0; i < 8; ++i) {
    if (r->magic[i] != k_magic[i]) return false;
  }
  if (checksum(*r) != r->checksum) return false;
  out = *r;
  return true;
}

bool write_record(uint64_t sector, uint32_t boot, uint32_t seq, const char* text) {
  for (auto& b : g_buffer) b = 0;
  auto* r = reinterpret_cast<Record*>(g_buffer);
  for (int i = 0; i < 8; ++i) r->magic[i] = k_magic[i];
  r->boot = boot;
  r->seq = seq;
  for (int i = 0; text[i] && i < 43; ++i) r->text[i] = text[i];
  r->checksum = checksum(*r);
  return request(hc::Block_op::write, sector, uint32_t(reinterpret_cast<uintptr_t>(g_buffer))) == 1;
}

}  // namespace

extern "C" void guest_main() {
  uint32_t error = 0;
  const uint32_t sectors = guest::block::open(&error);
  if (!sectors) {
    guest::log("disk: no block device (error %u)", error);
    for (;;) guest::yield();
  }
  Record r{};
  const uint32_t boot = read_record(0, r) ? r.boot + 1 : 1;
  // The previous boot's stream: how many records, from sector 1 on, are whole and in order.
  uint32_t intact = 0;
  if (boot > 1) {
    while (intact < k_stream && read_record(1 + intact, r) && r.boot == boot - 1 && r.seq == intact + 1) ++intact;
    guest::log("disk: stream of boot %u intact up to %u", boot - 1, intact);
  }
  if (!write_record(0, boot, 0, "Bulkhead disk demo: boot counter")) {
    guest::log("disk: writing the boot counter failed");
    for (;;) guest::yield();
  }
  Record check{};
  guest::log("disk: boot count %u (%s), %u sectors", boot, read_record(0, check) && check.boot == boot ? "read back" : "NOT read back", sectors);
  // Bounds: past the disk's end, and a buffer outside this partition's memory.
  uint32_t past = request(hc::Block_op::read, sectors, uint32_t(reinterpret_cast<uintptr_t>(g_buffer)));
  uint32_t outside = request(hc::Block_op::read, 1, 0x1000000u);
  guest::log("disk: past the end -> status %u, foreign buffer -> status %u", past, outside);
  for (uint32_t seq = 1; seq <= k_stream && seq < sectors; ++seq) {
    if (!write_record(seq, boot, seq, "a record of the stream")) {
      guest::log("disk: write %u failed", seq);
      break;
    }
    guest::log("ACK %u", seq);
  }
  guest::log("disk: stream written");
  for (;;) guest::yield();
}
