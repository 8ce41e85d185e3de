// SPDX-License-Identifier: Apache-2.0
// bh-channel: the policy's one-way channel from a Linux shell (the initramfs's /bin/bh-channel;
// docs/linux.md). The channel is 4 KiB of memory the kernel maps into the writer read-write and
// into the reader read-only, at guest-physical 0x80000000 in the default policies; Linux reaches
// it through /dev/mem (it is not its RAM). The writer cannot learn anything from the reader:
// nothing flows back, so messages are never acknowledged, and a reader that falls more than
// k_slots messages behind loses the oldest (it says how many).
//   bh-channel send TEXT...   (writer) appends TEXT (at most 247 bytes) as one message
//   bh-channel receive        (reader) prints each new message as "channel: TEXT", polling
// Layout: u32 magic "BHC1", u32 count of messages written, then k_slots slots of 256 bytes at
// offset 256 each: u32 sequence number (1-based; 0 while being written), u32 length, text.
#include "nolibc.hpp"

namespace {

using namespace bh::nolibc;
constexpr uint64_t k_address = 0x80000000;
constexpr uint32_t k_magic = 0x31434842, k_slots = 15, k_slot = 256, k_text = k_slot - 8;

struct Slot {
  uint32_t seq, length;
  char text[k_text];
};
struct Window {
  uint32_t magic, count;
  uint8_t pad[k_slot - 8];
  Slot slots[k_slots];
};
static_assert(sizeof(Window) == 4096);

volatile Window* map(bool writable) {
  const long fd = syscall6(k_open, long("/dev/mem"), writable ? 0x101002 : 0x101000);  // O_RDWR/O_RDONLY | O_SYNC
  if (fd < 0) return nullptr;
  const long page = syscall6(k_mmap, 0, 4096, writable ? 3 : 1, 1 /* MAP_SHARED */, fd, long(k_address));
  if (page < 0 && page > -4096) return nullptr;
  return reinterpret_cast<volatile Window*>(page);
}

int send(int argc, char** argv) {
  char text[k_text];
  uint32_t n = 0;
  for (int i = 2; i < argc; ++i) {
    for (const char* s = argv[i]; *s; ++s) {
      if (n == k_text - 1) {
        put("bh-channel: message longer than 247 bytes\n");
        return 2;
      }
      text[n++] = *s;
    }
    if (i + 1 < argc && n < k_text - 1) text[n++] = ' ';
  }
  volatile Window* w = map(true);
  if (!w) {
    put("bh-channel: cannot map the channel at 0x80000000 through /dev/mem\n");
    return 1;
  }
  const uint32_t seq = (w->magic == k_magic ? w->count : 0) + 1;
  volatile Slot& slot = w->slots[(seq - 1) % k_slots];
  slot.seq = 0;
  for (uint32_t i = 0; i < n; ++i) slot.text[i] = text[i];
  slot.length = n;
  slot.seq = seq;
  w->magic = k_magic;
  w->count = seq;
  put("bh-channel: sent message ");
  put_signed(seq);
  put("\n");
  return 0;
}

int receive() {
  volatile const Window* w = map(false);
  if (!w) {
    put("bh-channel: cannot map the channel at 0x80000000 through /dev/mem\n");
    return 1;
  }
  uint32_t last = w->magic == k_magic ? w->count : 0;
  put("bh-channel: receiving\n");
  for (;;) {
    const uint32_t count = w->magic == k_magic ? w->count : 0;
    if (count < last) last = 0;  // the writer's Linux started over
    if (count - last > k_slots) {
      put("bh-channel: lost ");
      put_signed(long(count - last - k_slots));
      put(" messages\n");
      last = count - k_slots;
    }
    for (uint32_t seq = last + 1; seq <= count; ++seq) {
      volatile const Slot& slot = w->slots[(seq - 1) % k_slots];
      char line[k_text + 12] = "channel: ";
      uint32_t n = 9;
      const uint32_t length = slot.length < k_text ? slot.length : k_text - 1;
      for (uint32_t i = 0; i < length; ++i) {
        const char c = slot.text[i];
        line[n++] = c >= 0x20 && c < 0x7F ? c : '.';
      }
      line[n++] = '\n';
      line[n] = 0;
      if (slot.seq == seq) put(line); else put("bh-channel: a message was overwritten while read\n");
    }
    last = count;
    sleep_ms(100);
  }
}

}  // namespace

int run(int argc, char** argv) {
  if (argc >= 3 && same(argv[1], "send")) return send(argc, argv);
  if (argc == 2 && same(argv[1], "receive")) return receive();
  put("usage: bh-channel send TEXT... | bh-channel receive\n");
  return 2;
}

BH_NOLIBC_MAIN
