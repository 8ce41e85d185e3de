// SPDX-License-Identifier: Apache-2.0
// Generic kernel state shared by boot, exit handling, hypercalls and the scheduler: the
// validated policy and the run-time record of each partition. Fixed-size, no allocation.
#pragma once
#include <stdint.h>

#include "arch/x86_64/cpu_context.hpp"
#include "arch/x86_64/svm.hpp"
#include "sk/audit_ring.hpp"
#include "sk/policy.hpp"

namespace sk::kernel {

enum class Run_state : uint8_t { absent, runnable, waiting, stopped };

struct Partition_runtime {
  Run_state state;
  uint16_t index;
  uint32_t asid;
  bool flush_tlb;              // first VMRUN with this ASID flushes its TLB entries
  uint64_t npt_root;
  arch::svm::Guest_registers regs;
  uint64_t exits;              // exits the partition caused itself (never interrupts: SK-TIME-2)
  uint64_t refused_hypercalls;
  uint16_t wait_channel;       // valid in Run_state::waiting
  uint32_t wait_seen;
  uint64_t call_rip;           // RIP of the VMMCALL being handled (a deferred call runs again)
};

struct Channel_runtime {
  volatile uint32_t events;    // signal count (SK-FLOW-1: only the writer increments it)
};

// The policy after read_image + validate: read-only after boot.
const policy::Policy& policy();
Partition_runtime& partition(uint16_t index);
arch::svm::Vmcb& vmcb(uint16_t index);
Channel_runtime& channel(uint16_t index);
// The partition's x87/SSE/AVX state, XCR0 and DR0-DR3 while it is not on its CPU.
arch::context::Extended& cpu_context(uint16_t index);

// Records an audit event and prints it as one `AUDIT ...` serial line.
void audit(uint16_t partition, audit::Event event, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t audit_count(uint16_t partition);

// Stops a partition for good (SK: a violation stops only the violator).
void stop(uint16_t partition, const char* why);

// Marks a partition as locked before build_partitions: it is not built or started, and the
// indicator shows `LOCKED: reason` (reason: a static string).
void lock_partition(uint16_t partition, const char* reason);
// The reason a partition is locked, or null.
const char* locked_reason(uint16_t partition);

// The boot modules that hold one partition's pieces (null where missing): its image (the ELF32
// image, or a Linux partition's bzImage) and, for Linux, its initramfs.
struct Partition_modules {
  const uint8_t* image;
  uint64_t image_size;
  const uint8_t* initramfs;
  uint64_t initramfs_size;
  // SHA-256 of each, computed once per boot module (a module two partitions share is hashed
  // once; the measurement and the check against the policy's digest both use it).
  uint8_t image_sha256[32];
  uint8_t initramfs_sha256[32];
};

// Builds every partition (memory, image, NPT, permission maps, VMCB) from the policy.
// modules[i]: partition i's pieces.
void build_partitions(const Partition_modules* modules);

// Handles one #VMEXIT of partition part. Returns true if the partition may continue in this
// frame, false if its frame ends (yield, halt, wait, stop, or the timer fired).
bool handle_exit(uint16_t part);

// Handles a VMMCALL (the RIP is already advanced, call_rip is the call's own). Returns false if
// the frame ends; a call deferred to the next frame has its RIP set back to call_rip.
bool handle_hypercall(uint16_t part);

// Runs this CPU's cyclic schedule forever.
[[noreturn]] void run_schedule(uint32_t cpu);
// Microseconds left of the running partition's own time in this frame (0 in the kernel's
// window). Work done for a partition that may not fit is deferred to its next frame.
uint64_t own_time_left_us();

// The longest a kind of kernel work done for a partition (a disk request, a TPM command) has
// taken so far. Such work starts only if it fits in the partition's own time left (or most of
// its frame is still ahead, so that work longer than any frame still progresses); otherwise it
// is deferred to the partition's next frame (SK-TIME-1).
struct Work_cost {
  uint64_t worst_us;
  bool fits() const;
  void record(uint64_t took_us) {
    if (took_us > worst_us) worst_us = took_us;
  }
};

}  // namespace sk::kernel
