// SPDX-License-Identifier: Apache-2.0
// Differential test: the Coq model (extracted to OCaml, proofs/driver) against the C++ on random
// valid policies and random traces. The C++ side builds each partition's nested page table with
// the kernel's own builder (sk::npt::build, over fake memory) from a policy the real validator
// accepted, decides every access by walking that table (sk::npt::translate) as the hardware
// would, and keeps memory by host-physical page. A write the table refuses is a nested page
// fault, and every hypercall a VMMCALL exit, handled by the kernel's own handle_exit and
// handle_hypercall (exits.cpp, hypercalls.cpp, audit.cpp built hosted, hosted_kernel.hpp): what
// a partition observes of its status, counters and channels, and the audit log, is the state
// those handlers leave in the kernel's tables. So is what its CPUID, HLT, XSETBV, denied port
// and denied MSR exits and its read_time calls leave: what it reads in its registers (CPUID's
// against the filter docs/kernel.md documents, read_time's against the model's frame start plus
// its own exits in the frame), its exit count (read_status EDX), its XCR0, and the #GP the
// kernel injects (a value XSETBV refuses; a violation when the policy says on_violation =
// inject_fault). Disk requests go through the block ring and doorbell to the kernel's
// block.cpp, against a fake medium. Half the policies run on two CPUs, each with its own plan:
// each CPU's timer tick steps that CPU's Frame_cursor (the scheduler's), and starts the next
// frame with the kernel's world switch (switch_context, context_switch.cpp) on that CPU; a
// partition writes its registers as a guest does, into its CPU's registers, and finds its own
// context there or in its saved record (hosted_kernel.hpp). Keys
// and the secure attention key go through the trusted path's real keyboard router
// (sk::tp::Keyboard_router) as scancodes. A wrong grant, a wrong or missing mapping, a page
// shared where the model shares none, a validator that lets an overlapping policy through, or a
// handler that decides otherwise than the model (a violation that does not stop, a refused call
// that changes a counter, a signal from the reader counted) shows up as a diverging
// observation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "arch/x86_64/cpu.hpp"
#include "hosted_kernel.hpp"
#include "kernel/frame_cursor.hpp"
#include "random_policy.hpp"
#include "sk/access.hpp"
#include "sk/hypercall_abi.hpp"
#include "sk/npt_builder.hpp"
#include "sk/tp/keyboard.hpp"
#include "sk/validate.hpp"

namespace sp = sk::policy;
namespace hosted = bh::test::hosted;

namespace {

struct Count final : sp::Violation_sink {
  std::vector<std::string> lines;
  void report(const sp::Violation& v) override { lines.emplace_back(v.message); }
};

constexpr uint64_t k_page = sp::k_page_size;
using bh::test::random_policy;

// Half the policies run on two CPUs (SK-SCHED-3): each partition bound to CPU 0 or 1 at random,
// each CPU's plan its own partitions once each in random order, then up to two more frames (one
// of its partitions, or idle); a CPU no partition is bound to idles. The other half keep
// random_policy's one CPU.
void spread_over_cpus(sp::Policy& policy, std::mt19937_64& rng) {
  if (rng() % 2) return;
  policy.platform.cpu_count = 2;
  std::vector<uint16_t> bound[2];
  for (uint16_t i = 0; i < policy.partition_count; ++i) {
    policy.partitions[i].cpu = static_cast<uint8_t>(rng() % 2);
    bound[policy.partitions[i].cpu].push_back(i);
  }
  for (uint32_t c = 0; c < 2; ++c) {
    std::shuffle(bound[c].begin(), bound[c].end(), rng);
    std::vector<uint16_t> owners = bound[c];
    const size_t extra = rng() % 3 + (owners.empty() ? 1 : 0);
    for (size_t e = 0; e < extra; ++e) {
      const size_t who = rng() % (bound[c].size() + 1);
      owners.push_back(who == bound[c].size() ? sp::k_idle : bound[c][who]);
    }
    sp::Cpu_plan& plan = policy.cpus[c];
    plan = {};
    plan.frame_count = static_cast<uint32_t>(owners.size());
    for (uint32_t f = 0; f < plan.frame_count; ++f) plan.frames[f] = {owners[f], sp::k_min_frame_us};
  }
}

// Frames of different lengths (random_policy gives every frame the minimum), still tiling each
// CPU's major frame (SK-SCHED-1), so that each frame's start time depends on which frames came
// before.
void vary_durations(sp::Policy& policy, std::mt19937_64& rng) {
  for (uint32_t c = 0; c < policy.platform.cpu_count; ++c) {
    sp::Cpu_plan& plan = policy.cpus[c];
    plan.major_frame_us = 0;
    for (uint32_t f = 0; f < plan.frame_count; ++f) {
      plan.frames[f].duration_us = sp::k_min_frame_us + 1000 * static_cast<uint32_t>(rng() % 8);
      plan.major_frame_us += plan.frames[f].duration_us;
    }
  }
}

struct Action {
  char kind;  // W B G K S Y R C H D X T, P (disk write: the model's DW), F (disk read: DR), V (SR)
  uint32_t a = 0, b = 0, c = 0;
};

constexpr auto k_channel_signal = uint32_t(sk::hypercall::Number::channel_signal);
constexpr auto k_yield = uint32_t(sk::hypercall::Number::yield);
constexpr auto k_channel_wait = uint32_t(sk::hypercall::Number::channel_wait);
constexpr auto k_debug_log = uint32_t(sk::hypercall::Number::debug_log);
constexpr auto k_read_time = uint32_t(sk::hypercall::Number::read_time);

// The model's Deny p is one of these exits, each of which the permission maps give a partition
// the policy grants no port and no MSR to (every partition here: random_policy grants none).
enum Deny : uint32_t { k_port_in, k_port_out, k_rdmsr, k_wrmsr, k_deny_kinds };
// MSRs the maps never pass through, EFER (emulated, the partition's own) excepted: the TSC, the
// APIC base, SYSENTER_CS, STAR, FS.base, PAT, the microcode patch level.
constexpr uint32_t k_denied_msrs[] = {0x10, 0x1B, 0x174, 0xC0000081, 0xC0000100, 0x277, 0x8B};

// CPUID leaves a partition asks for: the filtered ones, the kernel's own and plain ones. Not the
// leaves whose host answer differs between the host's CPUs (APIC IDs: 0xB, 0x1F, 0x8000001E).
constexpr uint32_t k_leaves[] = {
    0, 1, 6, 7, 0xA, 0xD, 0x40000000, 0x40000001, 0x4FFFFFFF, 0x80000000, 0x80000001, 0x80000008, 0x8000000A};

// What docs/kernel.md promises a partition reads for CPUID leaf (sub-leaf 0): the host's answer
// with the features that would reach shared or kernel-owned state hidden, the kernel's signature
// at 0x40000000, nothing at the kernel's other leaves. Written from the documentation, not from
// exits.cpp: a filter that leaks a hidden feature, or answers from another partition's state,
// reads otherwise. In leaf 1, EBX's top byte is the initial APIC ID of the host CPU the
// test runs on at that moment, so it is not compared.
sk::arch::Cpuid expected_cpuid(uint32_t leaf, uint64_t cr4) {
  if (leaf == 0x40000000) return {0x40000000, 0x6B6C7542, 0x64616568, 0x00004B53};  // "BulkheadSK"
  if (leaf >> 28 == 4 || leaf == 6 || leaf == 0xA || leaf == 0x8000000A) return {0, 0, 0, 0};
  sk::arch::Cpuid r = sk::arch::cpuid(leaf, 0);
  if (leaf == 1) {
    r.ecx = (r.ecx | 1u << 31) & ~(1u << 3 | 1u << 5 | 1u << 15 | 1u << 21 | 1u << 24 | 1u << 27);
    if (cr4 & (1u << 18)) r.ecx |= 1u << 27;  // OSXSAVE: the partition's own CR4
    r.edx &= ~(1u << 7 | 1u << 9 | 1u << 12 | 1u << 14);
    r.ebx &= 0x00FFFFFF;
  }
  if (leaf == 0x80000001) r.ecx &= ~(1u << 2 | 1u << 23 | 1u << 24 | 1u << 28);
  if (leaf == 0x80000008) r.ebx &= ~(1u << 4);
  return r;
}

// The model's Bad_call p is one of these calls, each of which the ABI (sk/hypercall_abi.hpp)
// says the kernel refuses, whatever the policy.
enum Bad_call : uint32_t {
  k_unknown_number,   // EAX = count + c
  k_from_user_mode,   // EAX = c % count (any call, yield included) at CPL 3
  k_wait_not_reader,  // channel_wait on channel c, which does not exist or p does not read
  k_log_bad_length,   // debug_log with length c (0 or more than k_max_log): refused granted or not
  k_bad_call_kinds
};

// Page-table memory for the NPT builder: pages at fake physical addresses above 4 GiB.
struct Fake_memory {
  std::vector<std::vector<uint64_t>> pages;
  static constexpr uint64_t k_base = 0x100000000ull;
  sk::Result<uint64_t> allocate() {
    pages.emplace_back(512, 0);
    return k_base + (pages.size() - 1) * k_page;
  }
  uint64_t* table(uint64_t physical) { return pages.at((physical - k_base) / k_page).data(); }
};

// Model key k (0..25) is a letter key; its set-1 make code.
constexpr uint8_t k_letter_make[26] = {0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
                                       0x31, 0x18, 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C};

// Collects, per console, the letter keys the router delivers (make codes). Modifier bytes
// (Ctrl, Alt and their releases around a SAK) are not keys of the model and are left out.
struct Key_inbox final : sk::tp::Keyboard_sink {
  std::vector<uint32_t> keys[sp::k_max_partitions];
  void deliver(uint32_t console, uint8_t byte) override {
    for (uint32_t k = 0; k < 26; ++k) {
      if (byte == k_letter_make[k]) keys[console].push_back(k);
    }
  }
  void on_focus_changed(uint32_t, uint32_t) override {}
};

// The C++ side: memory by host-physical page, every access decided by walking the partition's
// nested page table built by the kernel's builder; faults and hypercalls through the kernel's
// handle_exit (hosted_kernel.hpp); frames by the scheduler's cursor; keys through the router.
struct Cxx_model {
  const sp::Policy& policy;
  Fake_memory& memory;
  const std::vector<uint64_t>& roots;
  bool writable_read_only;  // the deliberately broken variant: lets a reader write its channel
  std::map<uint64_t, uint32_t> store;
  sk::tp::Keyboard_router router{policy.partition_count};
  Key_inbox inbox;
  // Each CPU's place in its own plan, made as the kernel's scheduler makes it (first_frame) and
  // stepped by that CPU's ticks only, from its schedule's start (the model's first frame starts
  // there too).
  const uint64_t* start_us;
  sk::kernel::Frame_cursor cursor[sp::k_max_cpus] = {sk::kernel::first_frame(policy, 0, start_us[0]),
                                                     sk::kernel::first_frame(policy, 1, start_us[1])};

  // A frame of CPU cpu starts: the clock, and the world switch to its partition if that one is
  // runnable (run_frame: an idle frame or a stopped partition switches nothing).
  void start_frame(uint32_t cpu) {
    const uint16_t part = cursor[cpu].partition();
    hosted::start_frame(cpu, cursor[cpu].start_us, part);
    if (part < policy.partition_count && !hosted::stopped(part)) hosted::switch_to(part);
  }

  // What each partition read with its last read_time and CPUID, and the #GP faults the kernel
  // injected into it (taken from its VMCB after every exit, as its next VMRUN would take them).
  uint64_t time_read[sp::k_max_partitions] = {};
  std::string cpuid_read[sp::k_max_partitions];
  uint32_t faults[sp::k_max_partitions] = {};
  uint32_t disk_read[sp::k_max_partitions] = {};
  void take_fault(uint16_t p) { faults[p] += hosted::take_injected_gp(p) ? 1 : 0; }

  // The frame's partition runs. The kernel's run_frame also skips a stopped partition; the model
  // still counts a stopped partition's calls (proofs/CAVEATS.md), so only writes check the
  // kernel's run state, below.
  bool running(uint32_t p) const { return cursor[policy.partitions[p].cpu].partition() == p; }

  // What a call's caller finds in its registers that the model does not say but its counts
  // imply; a wrong one is added to p's observation, so that it diverges at this step.
  std::string wrong_return[sp::k_max_partitions];
  void check_return(uint16_t p, const hosted::Call& r, bool as_promised, const char* promise) {
    if (as_promised && r.rip == 3) return;  // 3: past the VMMCALL (no call here is deferred)
    std::ostringstream o;
    o << " (" << promise << ": continues=" << r.continues << " EAX=" << r.eax << " EBX=" << r.ebx
      << " RIP=" << r.rip << ')';
    wrong_return[p] += o.str();
  }

  void step(const Action& x) {
    switch (x.kind) {
      case 'W': {  // the CPU writes through the NPT; what it refuses is the kernel's exit handler's
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        auto g = sk::npt::translate(memory, roots[x.a], uint64_t{x.b} * k_page);
        bool may_write = g.access == sp::Access::read_write || (writable_read_only && g.access == sp::Access::read);
        if (may_write) {
          store[g.host_address] = x.c;
        } else {
          const bool continues =
              hosted::nested_page_fault(part, uint64_t{x.b} * k_page, g.access != sp::Access::none);
          take_fault(part);
          if (continues == hosted::stopped(part))
            wrong_return[part] += " (a violation: runs on iff not stopped)";
        }
        return;
      }
      case 'B': {  // a call the kernel must refuse (Bad_call), as a VMMCALL exit
        if (!running(x.a)) return;
        constexpr auto count = uint32_t(sk::hypercall::Number::count);
        const auto part = static_cast<uint16_t>(x.a);
        hosted::Call r{};
        switch (x.b) {
          case k_unknown_number: r = hosted::vmmcall(part, count + x.c, 0, 0, 0); break;
          case k_from_user_mode: r = hosted::vmmcall(part, x.c % count, 0, 0, 3); break;
          case k_wait_not_reader: r = hosted::vmmcall(part, k_channel_wait, x.c, 0, 0); break;
          case k_log_bad_length: r = hosted::vmmcall(part, k_debug_log, 0x100, x.c, 0); break;
        }
        take_fault(part);
        check_return(part, r, r.eax != 0 && r.continues, "refused: an error, and the caller runs on");
        return;
      }
      case 'G': {  // channel_signal (the kernel refuses it unless p is the channel's writer)
        if (!running(x.a)) return;
        const auto part = static_cast<uint16_t>(x.a);
        const uint32_t refused = hosted::read_status(part).refused;
        const hosted::Call r = hosted::vmmcall(part, k_channel_signal, x.b, 0, 0);
        // What the caller reads agrees with what the model counts: an error exactly when the
        // call was counted as refused, else the channel's new event count in EBX.
        take_fault(part);
        const bool was_refused = hosted::read_status(part).refused != refused;
        check_return(part, r,
                     r.continues && (was_refused ? r.eax != 0 : r.eax == 0 && r.ebx == hosted::events(uint16_t(x.b))),
                     "signal: error iff refused, else EBX the new count");
        return;
      }
      case 'Y': {  // yield: the kernel ends p's run in this frame; nothing observable changes
        if (!running(x.a)) return;
        const hosted::Call r = hosted::vmmcall(static_cast<uint16_t>(x.a), k_yield, 0, 0, 0);
        take_fault(static_cast<uint16_t>(x.a));
        check_return(static_cast<uint16_t>(x.a), r, r.eax == 0 && !r.continues, "yield: no error, the run ends");
        return;
      }
      case 'R': {  // read_time: EBX:ECX, the clock the handler reads (hosted: the frame's start plus
                   // the partition's exits in it)
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        const hosted::Call r = hosted::vmmcall(part, k_read_time, 0, 0, 0);
        take_fault(part);
        time_read[part] = (uint64_t{r.ecx} << 32) | r.ebx;
        check_return(part, r, r.eax == 0 && r.continues, "read_time: no error, the caller runs on");
        return;
      }
      case 'C': {  // CPUID: the registers as docs/kernel.md promises, past the instruction
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        const hosted::Cpuid r = hosted::cpuid(part, x.b, 0);
        take_fault(part);
        const sk::arch::Cpuid want = expected_cpuid(x.b, 0);
        const uint32_t ebx = x.b == 1 ? r.ebx & 0x00FFFFFF : r.ebx;
        std::ostringstream o;
        o << x.b;
        if (!r.continues || r.rip != 5 || r.eax != want.eax || ebx != want.ebx || r.ecx != want.ecx ||
            r.edx != want.edx) {
          o << std::hex << "(read " << r.eax << ' ' << r.ebx << ' ' << r.ecx << ' ' << r.edx
            << " RIP=" << r.rip << " continues=" << r.continues << ')';
        }
        cpuid_read[part] = o.str();
        return;
      }
      case 'H': {  // HLT: the rest of the frame idles (no virtual PC here), past the instruction
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        uint64_t rip = 0;
        const bool continues = hosted::hlt(part, rip);
        take_fault(part);
        if (continues || rip != 6)
          wrong_return[part] += " (hlt: the run ends, RIP past it; RIP=" + std::to_string(rip) + ')';
        return;
      }
      case 'D': {  // a port or MSR the policy does not grant: a violation
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        bool continues = false;
        switch (x.b) {
          case k_port_in:
            continues = hosted::io(part, static_cast<uint16_t>(x.c), true, 1);
            break;
          case k_port_out:
            continues = hosted::io(part, static_cast<uint16_t>(x.c), false, 4);
            break;
          case k_rdmsr:
            continues = hosted::msr(part, k_denied_msrs[x.c % std::size(k_denied_msrs)], false);
            break;
          case k_wrmsr:
            continues = hosted::msr(part, k_denied_msrs[x.c % std::size(k_denied_msrs)], true);
            break;
        }
        take_fault(part);
        if (continues == hosted::stopped(part))
          wrong_return[part] += " (a violation: runs on iff not stopped)";
        return;
      }
      case 'P':
      case 'F': {  // block_doorbell with one request on the partition's own disk, through block.cpp
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        const bool write = x.kind == 'P';
        const hosted::Block_call b = hosted::block_request(part, write, x.b, x.c);
        take_fault(part);
        if (!write) disk_read[part] = b.value;
        if (!b.call.continues || b.call.eax != 0 || b.call.ebx != 1 || b.call.rip != 3 ||
            b.status != uint32_t(sk::hypercall::Block_status::ok) || (!write && !b.read_marked)) {
          wrong_return[part] += " (doorbell: one request completed, status ok, the sector whole; EAX=" +
                                std::to_string(b.call.eax) + " EBX=" + std::to_string(b.call.ebx) +
                                " status=" + std::to_string(b.status) + ')';
        }
        return;
      }
      case 'X': {  // XSETBV: the value becomes the partition's own XCR0 if the CPU accepts it, else #GP
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        uint64_t rip = 0;
        const bool continues = hosted::xsetbv(part, x.b, rip);
        const bool fault = hosted::take_injected_gp(part);
        faults[part] += fault ? 1 : 0;
        if (!continues || rip != (fault ? 6u : 9u)) {
          wrong_return[part] += " (xsetbv: runs on, past it or #GP on it; RIP=" + std::to_string(rip) + ')';
        }
        return;
      }
      case 'T':  // CPU a's next frame starts at its absolute deadline, as run_schedule advances it
        cursor[x.a].advance();
        start_frame(x.a);
        return;
      case 'V': {  // the partition's guest code writes its register b (no exit)
        const auto part = static_cast<uint16_t>(x.a);
        if (!running(x.a) || hosted::stopped(part)) return;
        hosted::set_register(part, x.b, x.c);
        return;
      }
      case 'K':  // press and release the letter
        router.feed(k_letter_make[x.a], inbox);
        router.feed(static_cast<uint8_t>(k_letter_make[x.a] | 0x80), inbox);
        return;
      case 'S':  // Ctrl+Alt+Del, digit t+1 while held, release
        for (uint8_t b : {0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3}) router.feed(b, inbox);
        router.feed(static_cast<uint8_t>(0x02 + x.a), inbox);
        router.feed(static_cast<uint8_t>(0x82 + x.a), inbox);
        router.feed(0xB8, inbox);
        router.feed(0x9D, inbox);
        return;
    }
  }

  // The partition's refused calls as it reads them (read_status), its run state, its channels'
  // counters and the audit log (the partitions of its partition_stopped lines, newest first) as
  // the kernel's handlers left them.
  std::string observe(uint32_t part, const std::vector<uint32_t>& probes) {
    std::ostringstream o;
    const auto& keys = inbox.keys[part];
    const hosted::Status status = hosted::read_status(static_cast<uint16_t>(part));
    o << part << ' ' << (hosted::stopped(static_cast<uint16_t>(part)) ? 1 : 0) << ' ' << status.refused << ' '
      << router.focus() << ' ';
    for (uint32_t c = 0; c < policy.platform.cpu_count; ++c)
      o << cursor[c].index << ' ' << cursor[c].start_us << ' ';
    std::string stops;
    const auto& lines = hosted::audit_lines();
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->event != "partition_stopped") continue;
      stops += (stops.empty() ? "" : ",") + std::to_string(it->partition);
    }
    o << (stops.empty() ? "-" : stops) << ' ' << keys.size() << ' '
      << (keys.empty() ? -1 : static_cast<int64_t>(keys.back()));
    if (status.index != part) o << " (read_status names partition " << status.index << ')';
    o << wrong_return[part];
    wrong_return[part].clear();
    for (uint32_t g : probes) {
      auto grant = sk::npt::translate(memory, roots[part], uint64_t{g} * k_page);
      if (grant.access == sp::Access::none) {
        o << " -";
      } else {
        auto it = store.find(grant.host_address);
        o << ' ' << (it == store.end() ? 0 : it->second);
      }
    }
    o << " e";
    for (uint32_t c = 0; c < policy.channel_count; ++c) {
      if (policy.channels[c].writer == part || policy.channels[c].reader == part) {
        o << ' ' << hosted::events(static_cast<uint16_t>(c));
      }
    }
    o << " c " << status.exits << ' ' << time_read[part] << ' '
      << (cpuid_read[part].empty() ? "0" : cpuid_read[part]) << ' ' << faults[part] << ' ' << disk_read[part]
      << ' ' << hosted::xcr0(static_cast<uint16_t>(part)) << " r";
    for (uint32_t r = 0; r < hosted::k_registers; ++r)
      o << ' ' << hosted::context_register(static_cast<uint16_t>(part), r);
    return o.str();
  }
};

// A random Bad_call of a random partition, with its argument.
Action bad_call(const sp::Policy& policy, std::mt19937_64& rng) {
  const auto p = static_cast<uint32_t>(rng() % policy.partition_count);
  const auto kind = static_cast<uint32_t>(rng() % k_bad_call_kinds);
  uint32_t arg = static_cast<uint32_t>(rng() % 1000);
  if (kind == k_wait_not_reader) {  // channel 3 never exists (at most 3 channels): one always qualifies
    do arg = static_cast<uint32_t>(rng() % 4);
    while (arg < policy.channel_count && policy.channels[arg].reader == p);
  }
  if (kind == k_log_bad_length) arg = rng() % 2 ? 0 : sk::hypercall::k_max_log + 1 + arg;
  return {'B', p, kind, arg};
}

struct Case {
  sp::Policy policy;
  uint64_t start_us[sp::k_max_cpus];
  std::vector<uint32_t> probes;
  std::vector<Action> trace;
};

std::string describe(const Action& x) {
  std::ostringstream o;
  if (x.kind == 'P')
    return "DW " + std::to_string(x.a) + ' ' + std::to_string(x.b) + ' ' + std::to_string(x.c);
  if (x.kind == 'F') return "DR " + std::to_string(x.a) + ' ' + std::to_string(x.b);
  if (x.kind == 'V')
    return "SR " + std::to_string(x.a) + ' ' + std::to_string(x.b) + ' ' + std::to_string(x.c);
  o << x.kind << ' ' << x.a;
  if (x.kind == 'W' || x.kind == 'B' || x.kind == 'D') o << ' ' << x.b << ' ' << x.c;
  if (x.kind == 'G' || x.kind == 'C' || x.kind == 'X') o << ' ' << x.b;
  return o.str();
}

struct Result {
  uint64_t steps = 0;
  std::string divergence;  // empty: none
};

Result run_differential(uint64_t seed, size_t cases, size_t length, bool broken) {
  std::mt19937_64 rng(seed);
  std::vector<Case> all;
  const std::string input = "/tmp/bh-diff-" + std::to_string(getpid()) + ".in";
  const std::string output = "/tmp/bh-diff-" + std::to_string(getpid()) + ".out";
  {
    std::ofstream in(input);
    for (size_t n = 0; n < cases; ++n) {
      Case k{random_policy(rng), {}, {}, {}};
      spread_over_cpus(k.policy, rng);
      vary_durations(k.policy, rng);
      for (uint32_t p = 0; p < k.policy.partition_count; ++p) {
        k.policy.partitions[p].debug_log = rng() % 2;
        k.policy.partitions[p].on_violation =
            rng() % 2 ? sp::On_violation::inject_fault : sp::On_violation::stop;
      }
      // Each CPU's schedule starts less than a minute of frames before 2^32 us, so that the time
      // read crosses into read_time's high word (ECX) in most traces.
      for (uint64_t& start : k.start_us) start = (uint64_t{1} << 32) - rng() % 60000;
      const uint32_t cpus = k.policy.platform.cpu_count;
      Count sink;
      sp::validate(k.policy, sink);
      INFO("generated policy " << n << ": " << (sink.lines.empty() ? "" : sink.lines.front()));
      REQUIRE(sink.lines.empty());
      in << "policy " << k.policy.partition_count << ' ' << k.policy.channel_count << ' ' << cpus << '\n';
      for (uint32_t i = 0; i < k.policy.partition_count; ++i) {
        in << "part " << k.policy.partitions[i].memory.size / k_page << ' '
           << (k.policy.partitions[i].on_violation == sp::On_violation::inject_fault ? 1 : 0) << ' '
           << unsigned(k.policy.partitions[i].cpu) << '\n';
      }
      for (uint32_t c = 0; c < k.policy.channel_count; ++c) {
        const auto& ch = k.policy.channels[c];
        in << "chan " << ch.writer << ' ' << ch.reader << ' ' << ch.guest_address / k_page << ' '
           << ch.memory.size / k_page << '\n';
      }
      for (uint32_t c = 0; c < cpus; ++c) {
        const sp::Cpu_plan& plan = k.policy.cpus[c];
        in << "sched " << c << ' ' << k.start_us[c];
        for (uint32_t f = 0; f < plan.frame_count; ++f) in << ' ' << plan.frames[f].partition;
        in << "\ndurations " << c;
        for (uint32_t f = 0; f < plan.frame_count; ++f) in << ' ' << plan.frames[f].duration_us;
        in << '\n';
      }
      k.probes = {0, 1, 2, 3, 4000};
      for (uint32_t c = 0; c < k.policy.channel_count; ++c) {
        uint32_t base = static_cast<uint32_t>(k.policy.channels[c].guest_address / k_page);
        k.probes.push_back(base);
        k.probes.push_back(base + 1);
      }
      in << "probe";
      for (auto g : k.probes) in << ' ' << g;
      in << '\n';
      const uint32_t parts = k.policy.partition_count;
      for (size_t i = 0; i < length; ++i) {
        Action x;
        const auto who = static_cast<uint32_t>(rng() % parts);
        // A disk request only from a partition with room for its ring and buffer (3 pages).
        const bool disk = k.policy.partitions[who].memory.size >= 3 * k_page;
        switch (rng() % 17) {
          case 0: x = bad_call(k.policy, rng); break;
          case 6:
            x = {'R', who};
            break;
          case 7:
            x = {'C', who, k_leaves[rng() % std::size(k_leaves)]};
            break;
          case 8:
            x = {'H', who};
            break;
          case 9:
            x = {'D', who, static_cast<uint32_t>(rng() % k_deny_kinds),
                 static_cast<uint32_t>(rng() % 0x10000)};
            break;
          case 11:
            x = {'X', who, static_cast<uint32_t>(rng() % 9 == 8 ? 0x207 : rng() % 8)};
            break;
          case 10:
            if (!disk)
              x = {'H', who};
            else if (rng() % 2)
              x = {'P', who, static_cast<uint32_t>(rng() % hosted::k_disk_sectors),
                   static_cast<uint32_t>(rng() % 1000)};
            else
              x = {'F', who, static_cast<uint32_t>(rng() % hosted::k_disk_sectors)};
            break;
          case 3: x = {'T', static_cast<uint32_t>(rng() % cpus)}; break;
          case 16:
            x = {'V', who, static_cast<uint32_t>(rng() % hosted::k_registers),
                 static_cast<uint32_t>(rng() % 1000)};
            break;
          case 4: x = {'G', static_cast<uint32_t>(rng() % parts), static_cast<uint32_t>(rng() % 4)}; break;
          case 1: x = {'K', static_cast<uint32_t>(rng() % 26)}; break;
          case 2: x = {'S', static_cast<uint32_t>(rng() % parts)}; break;
          case 5: x = {'Y', static_cast<uint32_t>(rng() % parts)}; break;
          default:
            x = {'W', static_cast<uint32_t>(rng() % parts), k.probes[rng() % k.probes.size()],
                 static_cast<uint32_t>(rng() % 1000)};
        }
        k.trace.push_back(x);
        in << describe(x) << '\n';
      }
      all.push_back(std::move(k));
    }
  }
  const std::string cmd = std::string(BH_MODEL_DRIVER) + " <" + input + " >" + output;
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream out(output);
  Result r;
  for (size_t n = 0; n < all.size() && r.divergence.empty(); ++n) {
    const Case& k = all[n];
    Fake_memory memory;
    std::vector<uint64_t> roots;
    for (uint16_t p = 0; p < k.policy.partition_count; ++p) {
      auto root = sk::npt::build(k.policy, p, memory);
      REQUIRE(root.ok());
      roots.push_back(root.value());
    }
    hosted::reset(k.policy);
    Cxx_model cxx{.policy = k.policy,
                  .memory = memory,
                  .roots = roots,
                  .writable_read_only = broken,
                  .start_us = k.start_us};
    for (uint32_t c = 0; c < k.policy.platform.cpu_count; ++c) cxx.start_frame(c);
    for (size_t i = 0; i < k.trace.size() && r.divergence.empty(); ++i) {
      cxx.step(k.trace[i]);
      ++r.steps;
      std::string header;
      std::getline(out, header);
      if (header != "step " + std::to_string(i + 1)) {
        r.divergence = "model output out of step at case " + std::to_string(n) + ": " + header;
        break;
      }
      for (uint32_t p = 0; p < k.policy.partition_count; ++p) {
        std::string model_line;
        std::getline(out, model_line);
        std::string cxx_line = cxx.observe(p, k.probes);
        if (model_line != cxx_line) {
          // The shortest failing trace is the prefix up to this step: every earlier step agreed.
          std::ostringstream d;
          d << "case " << n << ", step " << i + 1 << ", partition " << p << ": model \"" << model_line
            << "\" C++ \"" << cxx_line << "\"; shortest failing trace:";
          for (size_t j = 0; j <= i; ++j) d << " [" << describe(k.trace[j]) << "]";
          r.divergence = d.str();
          break;
        }
      }
    }
  }
  std::remove(input.c_str());
  std::remove(output.c_str());
  return r;
}

}  // namespace

// 10^6 steps in the plain build; under ASan/UBSan (the disk's AES-XTS in a Debug build is most of
// its time) a quarter of them, for the memory checks.
#if defined(__SANITIZE_ADDRESS__)
constexpr uint32_t k_policies = 2500;
#else
constexpr uint32_t k_policies = 10000;
#endif

TEST_CASE("the extracted model agrees with the kernel's NPT and its exit and hypercall handlers on 10^6 random steps", "[proofs][differential]") {
  auto r = run_differential(0xB01D, k_policies, 100, false);
  INFO(r.divergence);
  CHECK(r.divergence.empty());
  CHECK(r.steps == uint64_t{k_policies} * 100);
}

TEST_CASE("a C++ variant that lets a reader write its channel diverges from the model", "[proofs][differential]") {
  auto r = run_differential(0xBAD, 2000, 100, true);
  REQUIRE_FALSE(r.divergence.empty());
  CHECK(r.divergence.find("shortest failing trace") != std::string::npos);
  CHECK(r.steps < 200000);
}
