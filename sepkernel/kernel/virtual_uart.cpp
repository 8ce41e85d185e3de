// SPDX-License-Identifier: Apache-2.0
// The partitions' virtual serial ports (see virtual_uart.hpp).
#include "kernel/virtual_uart.hpp"

#include "arch/x86_64/svm.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/virtual_pc.hpp"
#include "sk/hypercall_abi.hpp"
#include "virt/uart16550.hpp"

namespace sk::kernel::uart {
namespace {

namespace svm = arch::svm;

constexpr uint16_t k_base = 0x3F8;

struct Port {
  virt::Uart16550 chip;
  char line[hypercall::k_max_log + 1];
  uint32_t length;
};
Port g_ports[policy::k_max_partitions];  // each used only on its partition's CPU

void flush(uint16_t part, Port& p) {
  const policy::Partition& q = policy().partitions[part];
  char name[policy::k_name_len + 1];
  for (uint32_t i = 0; i < policy::k_name_len; ++i) name[i] = q.name.text[i];
  name[policy::k_name_len] = '\0';
  p.line[p.length] = '\0';
  log::print("[%s] %s\n", name, p.line);
  p.length = 0;
}

void send(uint16_t part, Port& p, uint8_t byte) {
  if (byte == '\r') return;
  if (byte == '\n') {
    flush(part, p);
    return;
  }
  if (byte == '\t') byte = ' ';
  // Printable ASCII only: a partition cannot forge kernel lines or control the console.
  p.line[p.length++] = (byte < 0x20 || byte > 0x7E) ? '.' : char(byte);
  if (p.length == hypercall::k_max_log) flush(part, p);
}

}  // namespace

bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip) {
  if (part >= policy::k_max_partitions || !policy().partitions[part].debug_log) return false;
  const bool in = info1 & 1, string = info1 & 4, one_byte = info1 & 0x10;
  const uint16_t port = uint16_t(info1 >> 16);
  if (string || !one_byte || port < k_base || port > k_base + 7) return false;
  Port& p = g_ports[part];
  svm::Vmcb& v = vmcb(part);
  uint64_t& rax = v.at<uint64_t>(svm::k_rax);
  if (in) {
    rax = (rax & ~0xFFull) | p.chip.read(uint8_t(port - k_base));
  } else {
    uint8_t sent = 0;
    if (p.chip.write(uint8_t(port - k_base), uint8_t(rax), sent)) send(part, p, sent);
    // On a virtual PC the THR-empty interrupt is IRQ 4: an edge whenever the guest sends a
    // byte or enables it (the transmitter is empty again at once).
    const uint8_t offset = uint8_t(port - k_base);
    if (p.chip.thre_interrupt() && (offset == 0 || offset == 1)) pc::raise(part, 4);
  }
  v.at<uint64_t>(svm::k_rip) = next_rip;
  return true;
}

}  // namespace sk::kernel::uart
