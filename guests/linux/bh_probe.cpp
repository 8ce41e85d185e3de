// SPDX-License-Identifier: Apache-2.0
// bh-probe: what a root shell in a partition's Linux can reach for, one try per run (the
// initramfs's /bin/bh-probe; tests/integration/kernel_linux_test.cpp). A static x86-64 Linux
// program with no C library: raw system calls only. Each try prints one line
// "bh-probe: <try> -> <result>" if the program survives it; the kernel's answer to a violation
// (a #GP into the guest) ends it with SIGSEGV instead, which the shell reports.
//   bh-probe mem ADDR     read a byte of guest-physical ADDR through /dev/mem (mmap)
//   bh-probe port PORT    read a byte of an I/O port (iopl 3, inb)
//   bh-probe msr MSR      read an MSR through /dev/cpu/0/msr (the msr module)
//   bh-probe vmmcall N    hypercall N from user mode (RAX = N), print RAX
#include "nolibc.hpp"

namespace {

using namespace bh::nolibc;

void report(const char* what, uint64_t arg, const char* result, long value, bool hex) {
  put("bh-probe: ");
  put(what);
  put(" ");
  put_hex(arg);
  put(" -> ");
  put(result);
  if (hex) put_hex(uint64_t(value)); else put_signed(value);
  put("\n");
}

}  // namespace

int run(int argc, char** argv) {
  if (argc != 3) {
    put("usage: bh-probe mem|port|msr|vmmcall NUMBER\n");
    return 2;
  }
  const uint64_t arg = number(argv[2]);
  if (same(argv[1], "mem")) {
    const long fd = syscall6(k_open, long("/dev/mem"), 0x101000 /* O_RDONLY | O_SYNC */);
    if (fd < 0) return report("mem", arg, "open /dev/mem failed: ", fd, false), 1;
    const long page = syscall6(k_mmap, 0, 4096, 1 /* PROT_READ */, 1 /* MAP_SHARED */, fd, long(arg & ~0xFFFull));
    if (page < 0 && page > -4096) return report("mem", arg, "mmap failed: ", page, false), 1;
    const uint8_t byte = *reinterpret_cast<volatile uint8_t*>(page + long(arg & 0xFFF));
    return report("mem", arg, "read ", byte, true), 0;
  }
  if (same(argv[1], "port")) {
    const long r = syscall6(k_iopl, 3);
    if (r < 0) return report("port", arg, "iopl failed: ", r, false), 1;
    uint8_t value;
    asm volatile("inb %w1, %0" : "=a"(value) : "Nd"(uint16_t(arg)));
    return report("port", arg, "read ", value, true), 0;
  }
  if (same(argv[1], "msr")) {
    const long fd = syscall6(k_open, long("/dev/cpu/0/msr"), 0);
    if (fd < 0) return report("msr", arg, "open /dev/cpu/0/msr failed: ", fd, false), 1;
    uint64_t value = 0;
    const long r = syscall6(k_pread, fd, long(&value), 8, long(arg));
    if (r != 8) return report("msr", arg, "refused: ", r, false), 1;
    return report("msr", arg, "read ", long(value), true), 0;
  }
  if (same(argv[1], "vmmcall")) {
    uint64_t rax = arg, rbx = 0, rcx = 0;
    asm volatile("vmmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx) : : "rdx", "memory");
    return report("vmmcall", arg, "rax ", long(rax), true), 0;
  }
  put("bh-probe: unknown try\n");
  return 2;
}

BH_NOLIBC_MAIN
