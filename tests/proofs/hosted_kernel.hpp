// SPDX-License-Identifier: Apache-2.0
// The kernel's exit dispatch, hypercall handlers, audit path, block device and the world
// switch's C++ half (sepkernel/kernel/exits.cpp, hypercalls.cpp, audit.cpp, block.cpp,
// context_switch.cpp, and arch/x86_64/svm.cpp for the initial guest state: the same files the
// kernel links) compiled hosted, against a fake of what they call: the partition and
// channel tables and VMCBs of kernel.hpp as host arrays, guest RAM as host bytes, a counting
// clock (the current frame's start plus one microsecond for each exit its partition made in
// it, per CPU), each CPU's registers and kernel-local record (what arch::context's save and
// load move: see set_register), the serial log captured as lines, a disk of 8 sectors per
// partition (block.cpp's requests served by a fake ATA medium that completes every transfer at
// once, keys fixed per partition), and inert virtual devices and TPM. The
// differential test drives them step for step from the extracted model
// (tests/proofs/differential_test.cpp). One kernel per process, not thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sk/audit_ring.hpp"
#include "sk/policy.hpp"

namespace bh::test::hosted {

// A fresh kernel for policy (which must outlive its use): every partition runnable with no
// refused calls and no exits, its VMCB set up as build_partitions does (init_guest_flat32, entry
// 0), its RAM zero but for a VMMCALL at guest-physical 0, a CPUID at 3, a HLT at 5 and an XSETBV
// at 6, its XCR0 1 (x87 only: what build_partitions gives a partition); channel
// counters zero; audit log empty; every partition's disk reads zeros (its medium holds the
// ciphertext of zeros), and a partition with 3 pages of RAM or more has its block ring at
// guest-physical 0x1000 registered (block::info), with buffer page 0x2000. Every saved context
// and every CPU's registers zero (XCR0 1), no CPU's registers holding anyone's context.
void reset(const sk::policy::Policy& policy);

// A minor frame of CPU cpu starts at start_us and runs partition running (sk::policy::k_idle:
// none): the clock the handlers read on that CPU (timer::now_us) is start_us plus the exits
// running has made since.
void start_frame(uint32_t cpu, uint64_t start_us, uint16_t running);

// The world switch at the start of part's frame, on part's CPU: the kernel's switch_context
// (context_switch.cpp), whose arch::context save and load copy between the CPU's registers and
// the partition's record (cpu_context) here.
void switch_to(uint16_t part);

// The registers of a partition's context the test writes and compares (the model's registers
// 0 .. k_registers - 1): DR0, DR3, the low 32 bits of XMM0 and of YMM0's upper half, in the
// XSAVE standard format.
inline constexpr uint32_t k_registers = 4;
// part, running on its CPU, writes value into register r: into that CPU's registers, as a guest
// instruction does (no exit), whatever context the kernel left in them.
void set_register(uint16_t part, uint32_t r, uint32_t value);
// Register r of part's context as part finds it when it runs: in its CPU's registers if the
// kernel's bookkeeping (cpu::Local::context_owner) says they hold part's context, else in part's
// saved record.
uint32_t context_register(uint16_t part, uint32_t r);

// What the caller of a hypercall finds after it: whether it may continue in this frame
// (handle_exit's result), EAX (an sk::Error, 0 = none), EBX, ECX, and RIP (3, past the VMMCALL,
// unless the call was deferred to the next frame).
struct Call {
  bool continues;
  uint32_t eax;
  uint32_t ebx;
  uint32_t ecx;
  uint64_t rip;
};

// One #VMEXIT of part for a VMMCALL at guest-physical 0 with EAX = number, EBX = a0, ECX = a1,
// at privilege level cpl, handled by the kernel's handle_exit.
Call vmmcall(uint16_t part, uint32_t number, uint32_t a0, uint32_t a1, uint8_t cpl);

// What the caller of CPUID finds: EAX, EBX, ECX, EDX, RIP (5, past the CPUID at 3), and
// whether it may continue.
struct Cpuid {
  bool continues;
  uint32_t eax, ebx, ecx, edx;
  uint64_t rip;
};
// One #VMEXIT of part for the CPUID at guest-physical 3 with EAX = leaf, ECX = sub.
Cpuid cpuid(uint16_t part, uint32_t leaf, uint32_t sub);

// One #VMEXIT of part for the HLT at guest-physical 5. Returns handle_exit's result; rip: RIP after.
bool hlt(uint16_t part, uint64_t& rip);

// One #VMEXIT of part for an IN (in) or OUT of size bytes at port, or for RDMSR/WRMSR (write) of
// msr, at guest-physical 0: the permission maps deny it (the hosted partition is granted none).
bool io(uint16_t part, uint16_t port, bool in, uint8_t size);
bool msr(uint16_t part, uint32_t msr, bool write);

// Whether the kernel left an exception for part to take at its next VMRUN that is #GP(0) (the
// fault on_violation = inject_fault injects), and clears it, as the world switch delivers it.
bool take_injected_gp(uint16_t part);

// Sectors of each partition's disk, and the marker of a sector's contents: the 4096 bytes a
// request writes for value v are v (little endian) then byte i = (v * 31 + i) & 0xFF.
inline constexpr uint32_t k_disk_sectors = 8;

// One block_doorbell of part (a VMMCALL exit) with one new request in its ring: a write of the
// sector marked with value, or a read. What the caller finds: the call's registers, the request's
// status in the ring, and for a read the value its buffer holds (read_marked: the whole sector
// is that value's marking).
struct Block_call {
  Call call;
  uint32_t status;
  uint32_t value;
  bool read_marked;
};
Block_call block_request(uint16_t part, bool write, uint64_t sector, uint32_t value);

// One #VMEXIT of part for the XSETBV at guest-physical 6 with EDX:EAX = value, ECX = 0. What
// the caller finds: whether it may continue, and RIP (9 past the instruction, 6 if refused).
// The hosted CPU accepts (xcr0_valid) an XCR0 with x87, nothing above AVX, and AVX only with SSE.
bool xsetbv(uint16_t part, uint64_t value, uint64_t& rip);
// part's XCR0 as part finds it (XGETBV): in its CPU's registers if they hold part's context,
// else in its saved record (cpu_context().xcr0, what the world switch loads).
uint64_t xcr0(uint16_t part);

// One nested page fault exit of part at guest-physical gpa (a write; present: the page is mapped,
// read-only), handled by the kernel's handle_exit.
bool nested_page_fault(uint16_t part, uint64_t gpa, bool present);

// What part reads with the read_status hypercall (EBX, ECX, EDX): its index, its refused calls
// and its exits.
struct Status {
  uint32_t index;
  uint32_t refused;
  uint32_t exits;
};
Status read_status(uint16_t part);

bool stopped(uint16_t part);        // the kernel's run state says stopped
uint32_t events(uint16_t channel);  // the channel's event counter in the kernel's table

// An `AUDIT ...` serial line the kernel printed since reset: its partition (by name) and event.
struct Audit_line {
  uint16_t partition;  // sk::audit::k_kernel if the name is no partition's
  std::string event;
};
const std::vector<Audit_line>& audit_lines();

}  // namespace bh::test::hosted
