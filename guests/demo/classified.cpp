// SPDX-License-Identifier: Apache-2.0
// Demo guest of the classified domain: a heartbeat, whatever the open partition last wrote into
// the one-way channel (read-only here), and its console (demo::Terminal). Waits on the channel
// event without blocking: it passes the count it has already seen, so the call returns at once.
#include "block.hpp"
#include "guest.hpp"
#include "terminal.hpp"

namespace {

alignas(4096) uint8_t g_sector[sk::hypercall::k_block_sector];
constexpr char k_magic[8] = {'B', 'H', 'B', 'O', 'O', 'T', '0', '1'};

// With an encrypted disk (policies/default-disk.toml, scripts/run.sh): counts this domain's
// boots in sector 0, so a reboot shows the data survived. Returns the count, 0 without a disk.
uint32_t count_boot() {
  using sk::hypercall::Block_op;
  uint32_t error = 0;
  if (!guest::block::open(&error)) return 0;
  if (guest::block::request(Block_op::read, 0, g_sector) != 1) return 0;
  uint32_t count = 0;
  bool ours = true;
  for (int i = 0; i < 8; ++i) ours = ours && g_sector[i] == uint8_t(k_magic[i]);
  if (ours) count = *reinterpret_cast<uint32_t*>(g_sector + 8);
  for (auto& b : g_sector) b = 0;
  for (int i = 0; i < 8; ++i) g_sector[i] = uint8_t(k_magic[i]);
  *reinterpret_cast<uint32_t*>(g_sector + 8) = ++count;
  return guest::block::request(Block_op::write, 0, g_sector) == 1 ? count : 0;
}

}  // namespace

extern "C" void guest_main() {
  auto* channel = reinterpret_cast<volatile const uint32_t*>(guest::k_channel_base);
  demo::Terminal term("CLASSIFIED workstation (Bulkhead demo guest)", 0x07);
  guest::log("started");
  if (uint32_t boots = count_boot()) {
    char line[64];
    guest::format(line, sizeof line, "encrypted disk: boot count %u", boots);
    guest::screen_write(6, 2, line, 0x07);
    guest::log("disk: boot count %u", boots);
  }
  uint32_t seen_events = 0, last = 0;
  uint64_t next = guest::now_us();
  for (uint32_t beat = 1;;) {
    term.poll();
    if (guest::now_us() >= next) {
      guest::Hypercall_result r = guest::hypercall(sk::hypercall::Number::channel_wait, 0, ~0u);
      if (r.error == 0 && r.ebx != seen_events) {
        seen_events = r.ebx;
        if (channel[0] != last) {
          last = channel[0];
          guest::log("received %u (events %u)", last, seen_events);
        }
      }
      guest::log("heartbeat %u", beat);
      term.heartbeat(beat++);
      next = guest::now_us() + 200000;
    }
    guest::yield();
  }
}
