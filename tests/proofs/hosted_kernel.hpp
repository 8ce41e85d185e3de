// SPDX-License-Identifier: Apache-2.0
// The kernel's exit dispatch, hypercall handlers and audit path (sepkernel/kernel/exits.cpp,
// hypercalls.cpp, audit.cpp, and arch/x86_64/svm.cpp for the initial guest state: the same
// files the kernel links) compiled hosted, against a fake of what they call: the partition and
// channel tables and VMCBs of kernel.hpp as host arrays, guest RAM as host bytes, a counting
// clock, the serial log captured as lines, and inert virtual devices, disk and TPM. The
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
// 0), its RAM zero but for a VMMCALL at guest-physical 0; channel counters zero; audit log empty.
void reset(const sk::policy::Policy& policy);

// What the caller of a hypercall finds after it: whether it may continue in this frame
// (handle_exit's result), EAX (an sk::Error, 0 = none), EBX, and RIP (3, past the VMMCALL, unless
// the call was deferred to the next frame).
struct Call {
  bool continues;
  uint32_t eax;
  uint32_t ebx;
  uint64_t rip;
};

// One #VMEXIT of part for a VMMCALL at guest-physical 0 with EAX = number, EBX = a0, ECX = a1,
// at privilege level cpl, handled by the kernel's handle_exit.
Call vmmcall(uint16_t part, uint32_t number, uint32_t a0, uint32_t a1, uint8_t cpl);

// One nested page fault exit of part at guest-physical gpa (a write; present: the page is mapped,
// read-only), handled by the kernel's handle_exit.
bool nested_page_fault(uint16_t part, uint64_t gpa, bool present);

// What part reads with the read_status hypercall (EBX, ECX): its index and its refused calls.
struct Status {
  uint32_t index;
  uint32_t refused;
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
