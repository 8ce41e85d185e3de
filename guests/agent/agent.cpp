// SPDX-License-Identifier: Apache-2.0
// The attestation agent: the partition the policy grants the attestation capability (SK-CAP-1)
// and the second UART (COM2, ports 0x2F8-0x2FF), which QEMU connects to the verifier. Protocol,
// one line each way per request (docs/attestation.md):
//   verifier -> agent: "NONCE <hex, 1..64 bytes>"
//   agent -> verifier: "QUOTE <hex attest> <hex signature>", "LOG <hex event log>", "END"
//   or "ERROR <error code> <what>".
// It holds no key and no secret: the kernel quotes with the TPM's AK; the agent only relays.
#include "console.hpp"
#include "guest.hpp"

namespace {

constexpr uint16_t k_com2 = 0x2F8;
constexpr uint32_t k_max_log = 32768;

uint8_t g_buffer[4096];
uint8_t g_log[k_max_log];

void uart_init() {
  guest::outb(k_com2 + 1, 0x00);
  guest::outb(k_com2 + 3, 0x80);
  guest::outb(k_com2 + 0, 0x01);
  guest::outb(k_com2 + 1, 0x00);
  guest::outb(k_com2 + 3, 0x03);
  guest::outb(k_com2 + 2, 0xC7);
  guest::outb(k_com2 + 4, 0x03);
}

void put(char c) {
  while (!(guest::inb(k_com2 + 5) & 0x20)) {
  }
  guest::outb(k_com2, uint8_t(c));
}
void put(const char* s) {
  while (*s) put(*s++);
}
void put_hex(const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    put("0123456789abcdef"[p[i] >> 4]);
    put("0123456789abcdef"[p[i] & 15]);
  }
}

// Reads one line (without the newline), giving up its frames while nothing arrives.
uint32_t read_line(char* out, uint32_t capacity) {
  uint32_t n = 0;
  for (;;) {
    if (!(guest::inb(k_com2 + 5) & 0x01)) {
      guest::yield();
      continue;
    }
    char c = char(guest::inb(k_com2));
    if (c == '\n') break;
    if (c != '\r' && n + 1 < capacity) out[n++] = c;
  }
  out[n] = '\0';
  return n;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void error(uint32_t code, const char* what) {
  char line[96];
  guest::format(line, sizeof line, "ERROR %u %s\n", code, what);
  put(line);
}

void serve(const char* line) {
  const char* prefix = "NONCE ";
  for (int i = 0; prefix[i]; ++i) {
    if (line[i] != prefix[i]) return error(11, "expected NONCE <hex>");
  }
  const char* hex = line + 6;
  uint32_t size = 0;
  for (; hex[2 * size] && hex[2 * size + 1] && size < 64; ++size) {
    int hi = hex_value(hex[2 * size]), lo = hex_value(hex[2 * size + 1]);
    if (hi < 0 || lo < 0) return error(11, "nonce is not hex");
    g_buffer[4 + size] = uint8_t(hi << 4 | lo);
  }
  if (size == 0 || hex[2 * size] != '\0') return error(11, "nonce must be 1..64 bytes of hex");
  g_buffer[0] = uint8_t(size);
  g_buffer[1] = g_buffer[2] = g_buffer[3] = 0;
  guest::Hypercall_result q = guest::hypercall(sk::hypercall::Number::tpm_quote,
                                               uint32_t(reinterpret_cast<uintptr_t>(g_buffer)), sizeof g_buffer);
  if (q.error) return error(q.error, "the kernel refused the quote");
  uint32_t attest_size = *reinterpret_cast<uint32_t*>(g_buffer);
  uint32_t signature_size = *reinterpret_cast<uint32_t*>(g_buffer + 4 + attest_size);
  uint32_t log_size = 0;
  for (;;) {
    guest::Hypercall_result r = guest::hypercall(sk::hypercall::Number::event_log_read, log_size,
                                                 uint32_t(reinterpret_cast<uintptr_t>(g_log + log_size)),
                                                 k_max_log - log_size);
    if (r.error) return error(r.error, "the kernel refused the event log");
    log_size += r.ebx;
    if (r.ebx == 0 || log_size >= r.ecx) break;
  }
  put("QUOTE ");
  put_hex(g_buffer + 4, attest_size);
  put(" ");
  put_hex(g_buffer + 8 + attest_size, signature_size);
  put("\nLOG ");
  put_hex(g_log, log_size);
  put("\nEND\n");
  guest::log("answered a nonce of %u bytes: attest %u, signature %u, log %u bytes", size, attest_size,
             signature_size, log_size);
}

}  // namespace

extern "C" void guest_main() {
  uart_init();
  guest::log("agent ready on COM2");
  static char line[160];
  for (;;) {
    read_line(line, sizeof line);
    serve(line);
  }
}
