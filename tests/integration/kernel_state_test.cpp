// SPDX-License-Identifier: Apache-2.0
// The world switch (issue 12, docs/kernel.md "The world switch"): a writer partition fills
// every piece of CPU state a 32-bit guest can write with its own pattern every frame (and
// leaves an unmasked x87 exception pending); a reader partition reads all of it continually.
// The reader must never see anything but the state of a CPU after RESET, the writer must find
// its own state intact at each of its frames, and the pending exception must never fire in
// the reader (it executes FWAIT with CR0.NE set: a leaked one would triple-fault it).
#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

void run_probe(const std::string& policy, unsigned cpus) {
  harness::Work_dir dir("kernel-state-" + policy);
  fs::path image = compile_policy(dir, harness::source_path("tests/integration/policies/" + policy + ".toml"));
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{image, "policy"}, {guest("probe_writer.elf"), "probe_writer.elf"}, {guest("probe_reader.elf"), "probe_reader.elf"}};
  o.cpus = cpus;
  o.lifetime = Millis(120000);
  auto q = harness::Qemu::start(dir, o);
  // A leak, a stop or a panic ends the waits too: the checks below then fail at once.
  const std::string ended = "|probe: (LEAK|LOST)|event=(partition_stopped|shutdown)|PANIC";
  q->wait_for_serial(std::regex("^\\[open\\] probe: reader frames=50 " + ended), Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] probe: writer frames=50 " + ended), Millis(30000), false);
  // The writer really changed its state (the probes ran with XSAVE and, where the CPU has it, AVX).
  CHECK(q->serial_lines(std::regex("^\\[classified\\] probe: writer starts \\(xsave 1")).size() == 1);
  CHECK(q->serial_lines(std::regex("probe: (LEAK|LOST)")).empty());
  CHECK(q->serial_lines(std::regex("^\\[open\\] probe: reader frames=50 checks=[0-9]+ leaks=0$")).size() == 1);
  CHECK(q->serial_lines(std::regex("^\\[classified\\] probe: writer frames=50 lost=0$")).size() == 1);
  CHECK(q->serial_lines(std::regex("event=(partition_stopped|shutdown|.*_violation)|PANIC")).empty());
}

}  // namespace

TEST_CASE("world switch: no CPU state crosses between partitions on one CPU", "[kernel][state]") {
  run_probe("probe_one_cpu", 1);
}

TEST_CASE("world switch: no CPU state crosses between partitions on two CPUs", "[kernel][state]") {
  run_probe("probe_two_cpus", 2);
}

// The state only 64-bit code reaches (SK-CPU-1, docs/kernel.md "The world switch"): both probes
// put themselves into long mode (EFER.LME through the kernel's EFER emulation); the writer
// writes R8-R15, XMM8-15, the MSRs VMLOAD/VMSAVE switch (which partitions reach without an
// exit), CR8 and EFER.SCE with a new pattern every frame, the reader its own values once. The
// reader must only ever read its own, the writer find its own at each of its frames.
TEST_CASE("world switch: 64-bit state (R8-R15, XMM8-15, switched MSRs, CR8, EFER) stays with its partition",
          "[kernel][state]") {
  harness::Work_dir dir("kernel-state-64");
  std::string text = slurp(harness::source_path("tests/integration/policies/probe_one_cpu.toml"));
  for (const std::string role : {"writer", "reader"}) {
    const std::string from = "\"probe_" + role + ".elf\"", to = "\"probe64_" + role + ".elf\"";
    REQUIRE(text.find(from) != std::string::npos);
    text.replace(text.find(from), from.size(), to);
  }
  const fs::path policy = dir / "probe64.toml";
  std::ofstream(policy) << text;
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{compile_policy(dir, policy), "policy"},
               {guest("probe64_writer.elf"), "probe64_writer.elf"},
               {guest("probe64_reader.elf"), "probe64_reader.elf"}};
  o.lifetime = Millis(120000);
  auto q = harness::Qemu::start(dir, o);
  q->wait_for_serial(std::regex("^\\[open\\] probe64: reader frames=50 "), Millis(60000), false);
  q->wait_for_serial(std::regex("^\\[classified\\] probe64: writer frames=50 "), Millis(30000), false);
  // Both are in long mode (EFER.LME and LMA; SVME, the kernel's, not shown).
  CHECK(q->serial_lines(std::regex("^\\[(classified|open)\\] probe64: (writer|reader) starts \\(EFER 0x500\\)$")).size() == 2);
  CHECK(q->serial_lines(std::regex("probe64: (LEAK|LOST)")).empty());
  CHECK(q->serial_lines(std::regex("^\\[open\\] probe64: reader frames=50 checks=[0-9]+ leaks=0$")).size() == 1);
  CHECK(q->serial_lines(std::regex("^\\[classified\\] probe64: writer frames=50 lost=0$")).size() == 1);
  CHECK(q->serial_lines(std::regex("event=(partition_stopped|shutdown|.*_violation)|PANIC")).empty());
}
