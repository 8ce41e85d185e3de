// SPDX-License-Identifier: Apache-2.0
// Two-CPU policies: the application processor is started and runs its own plan, partitions run
// on the CPU the policy gives them, a violation on one CPU leaves the other CPU's partition
// running, and a machine with fewer CPUs than the policy needs is refused at boot.
#include "kernel_fixture.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

namespace {

std::unique_ptr<harness::Qemu> boot_smp(const harness::Work_dir& dir, const fs::path& image, const fs::path& cpu0_image,
                                        unsigned cpus) {
  harness::Qemu_options o;
  o.kernel = harness::build_path("sepkernel/bulkhead.elf");
  o.modules = {{image, "policy"}, {cpu0_image, cpu0_image.filename().string()}, {guest("open.elf"), "open.elf"}};
  o.cpus = cpus;
  o.lifetime = Millis(120000);
  return harness::Qemu::start(dir, o);
}

fs::path policy_source(const std::string& name) {
  return harness::source_path("tests/integration/policies/" + name);
}

}  // namespace

TEST_CASE("two CPUs: each runs its own plan and the channel crosses CPUs", "[kernel][smp]") {
  harness::Work_dir dir("kernel-smp");
  fs::path image = compile_policy(dir, policy_source("two_cpus.toml"));
  auto q = boot_smp(dir, image, guest("classified.elf"), 2);
  q->wait_for_serial(std::regex("event=boot detail=\"cpu 1 started in [0-9]+ us\""), Millis(30000), false);
  q->wait_for_serial(std::regex("event=boot detail=\"schedule starting on cpu 1 "), Millis(30000), false);
  wait_heartbeat(*q, "classified", 3, Millis(30000));
  wait_heartbeat(*q, "open", 3, Millis(30000));
  // Each partition was built for the CPU the policy gives it.
  CHECK(q->serial_lines(std::regex("part=classified event=partition_started .* cpu=0\"")).size() == 1);
  CHECK(q->serial_lines(std::regex("part=open event=partition_started .* cpu=1\"")).size() == 1);
  // What open writes on CPU 1 arrives in classified on CPU 0.
  q->wait_for_serial(std::regex("^\\[classified\\] received [1-9][0-9]*"), Millis(30000), false);
  CHECK(q->serial_lines(std::regex("event=(npf|io|msr)_violation|event=partition_stopped|PANIC")).empty());
  // The audit sequence numbers on serial are strictly increasing: both CPUs audit, none is torn.
  uint64_t previous = 0;
  bool first = true;
  for (const auto& line : q->serial_lines(std::regex("^AUDIT seq=[0-9]+ "))) {
    uint64_t seq = std::stoull(line.substr(10));
    if (!first) CHECK(seq == previous + 1);
    previous = seq;
    first = false;
  }
}

TEST_CASE("two CPUs: a violation on CPU 0 stops only that partition; CPU 1 runs on", "[kernel][smp]") {
  harness::Work_dir dir("kernel-smp-attack");
  fs::path image = compile_policy(dir, policy_source("two_cpus_attack.toml"));
  auto q = boot_smp(dir, image, guest("attack_memory.elf"), 2);
  q->wait_for_serial(std::regex("part=classified event=npf_violation detail=\"gpa=0x1000000 write"), Millis(30000),
                     false);
  q->wait_for_serial(std::regex("part=classified event=partition_stopped"), Millis(30000), false);
  unsigned beat = last_heartbeat(*q, "open");
  wait_heartbeat(*q, "open", beat + 3, Millis(30000));
  CHECK(q->serial_lines(std::regex("part=open event=partition_stopped|PANIC")).empty());
}

TEST_CASE("a two-CPU policy on a one-CPU machine is refused before any partition is built", "[kernel][smp]") {
  harness::Work_dir dir("kernel-smp-missing");
  fs::path image = compile_policy(dir, policy_source("two_cpus.toml"));
  auto q = boot_smp(dir, image, guest("classified.elf"), 1);
  q->wait_for_serial(
      std::regex("^PANIC: policy needs 2 CPUs but cpu 1 did not start within 3000 ms \\(QEMU: -smp 2\\)"),
      Millis(30000));
  CHECK(q->serial_lines(std::regex("partition_started|heartbeat")).empty());
}
