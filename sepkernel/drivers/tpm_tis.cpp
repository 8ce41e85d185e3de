// SPDX-License-Identifier: Apache-2.0
// TIS FIFO transport at locality 0 (TCG PC Client Platform TPM Profile, FIFO interface): request
// the locality, commandReady, write the command within burstCount, check Expect, tpmGo, wait for
// dataAvail, read the header then the rest within burstCount, check nothing is left, idle.
#include "drivers/tpm_tis.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/timer.hpp"

namespace sk::drivers::tis {
namespace {

constexpr uint64_t k_base = 0xFED40000;  // locality 0 (uncached: the boot map's MMIO range)
constexpr uint32_t k_access = 0x00, k_sts = 0x18, k_fifo = 0x24, k_did_vid = 0xF00;
constexpr uint8_t k_access_valid = 0x80, k_access_active = 0x20, k_access_request = 0x02;
constexpr uint8_t k_sts_valid = 0x80, k_sts_ready = 0x40, k_sts_go = 0x20, k_sts_avail = 0x10, k_sts_expect = 0x08;
constexpr uint64_t k_short_us = 750000;   // locality, commandReady, FIFO progress
constexpr uint64_t k_command_us = 30000000;  // a command's execution (key creation included)

bool g_present;
uint32_t g_did_vid;

volatile uint8_t& reg8(uint32_t offset) { return *reinterpret_cast<volatile uint8_t*>(k_base + offset); }
uint32_t sts() { return arch::mmio32(k_base + k_sts); }
void write_sts(uint8_t v) { reg8(k_sts) = v; }
uint32_t burst() { return (sts() >> 8) & 0xFFFF; }

// Waits until (status & mask) == value; false at the deadline.
bool wait_sts(uint8_t mask, uint8_t value, uint64_t deadline_us) {
  uint64_t end = timer::now_us() + deadline_us;
  for (;;) {
    if ((uint8_t(sts()) & mask) == value) return true;
    if (timer::now_us() > end) return false;
    arch::cpu_relax();
  }
}

// Waits for a non-zero burstCount (the FIFO can take or give that many bytes).
uint32_t wait_burst() {
  uint64_t end = timer::now_us() + k_short_us;
  for (;;) {
    uint32_t b = burst();
    if (b) return b;
    if (timer::now_us() > end) return 0;
    arch::cpu_relax();
  }
}

Error abort(Error e) {
  write_sts(k_sts_ready);  // the TPM drops the command or response
  return e;
}

}  // namespace

Status init() {
  g_did_vid = arch::mmio32(k_base + k_did_vid);
  if (g_did_vid == 0xFFFFFFFF || g_did_vid == 0) return Error::not_found;
  reg8(k_access) = k_access_request;
  uint64_t end = timer::now_us() + k_short_us;
  while ((reg8(k_access) & (k_access_valid | k_access_active)) != (k_access_valid | k_access_active)) {
    if (timer::now_us() > end) return Error::denied;
    arch::cpu_relax();
  }
  g_present = true;
  return {};
}

bool present() { return g_present; }
uint32_t did_vid() { return g_did_vid; }

Status start(const uint8_t* cmd, size_t cmd_len) {
  if (!g_present) return Error::not_found;
  if (cmd_len < 10) return Error::bad_argument;
  write_sts(k_sts_ready);
  if (!wait_sts(k_sts_ready, k_sts_ready, k_short_us)) return abort(Error::denied);

  // Command: all bytes but the last, Expect must stay set; after the last it must clear.
  size_t sent = 0;
  while (sent < cmd_len) {
    uint32_t b = wait_burst();
    if (!b) return abort(Error::denied);
    for (; b && sent < cmd_len; --b) reg8(k_fifo) = cmd[sent++];
    if (!wait_sts(k_sts_valid, k_sts_valid, k_short_us)) return abort(Error::denied);
    bool expect = uint8_t(sts()) & k_sts_expect;
    if (sent < cmd_len && !expect) return abort(Error::bad_size);  // the TPM stopped early
    if (sent == cmd_len && expect) return abort(Error::bad_size);  // the TPM wants more
  }
  write_sts(k_sts_go);
  return {};
}

bool done() { return (uint8_t(sts()) & (k_sts_valid | k_sts_avail)) == (k_sts_valid | k_sts_avail); }

void cancel() { (void)abort(Error::denied); }

Result<size_t> finish(uint8_t* rsp, size_t rsp_capacity) {
  if (rsp_capacity < 10) return abort(Error::bad_argument);
  // Response: the header first (its size field says how much follows), then the rest.
  size_t got = 0, total = 10;
  while (got < total) {
    uint32_t b = wait_burst();
    if (!b) return abort(Error::truncated);
    for (; b && got < total; --b) rsp[got++] = reg8(k_fifo);
    if (got == 10 && total == 10) {
      total = (size_t(rsp[2]) << 24) | (size_t(rsp[3]) << 16) | (size_t(rsp[4]) << 8) | rsp[5];
      if (total < 10) return abort(Error::bad_size);
      if (total > rsp_capacity) return abort(Error::no_space);
    }
  }
  // Nothing may be left in the FIFO.
  if (!wait_sts(k_sts_valid, k_sts_valid, k_short_us)) return abort(Error::denied);
  if (uint8_t(sts()) & k_sts_avail) return abort(Error::bad_size);
  write_sts(k_sts_ready);
  return total;
}

bool is_busy_code(const uint8_t* rsp, size_t size) {
  if (size < 10) return false;
  const uint32_t code = uint32_t(rsp[6]) << 24 | uint32_t(rsp[7]) << 16 | uint32_t(rsp[8]) << 8 | rsp[9];
  return code == 0x922 || code == 0x908 || code == 0x90A;  // RETRY, YIELDED, TESTING
}

Result<size_t> transact(const uint8_t* cmd, size_t cmd_len, uint8_t* rsp, size_t rsp_capacity) {
  if (rsp_capacity < 10) return Error::bad_argument;
  if (Status s = start(cmd, cmd_len); !s) return s.error();
  if (!wait_sts(k_sts_valid | k_sts_avail, k_sts_valid | k_sts_avail, k_command_us)) return abort(Error::denied);
  return finish(rsp, rsp_capacity);
}

Result<size_t> transact_retrying(const uint8_t* cmd, size_t cmd_len, uint8_t* rsp, size_t rsp_capacity) {
  for (int attempt = 0;; ++attempt) {
    Result<size_t> n = transact(cmd, cmd_len, rsp, rsp_capacity);
    if (!n) return n;
    if (!is_busy_code(rsp, n.value()) || attempt == 99) return n;
  }
}

}  // namespace sk::drivers::tis
