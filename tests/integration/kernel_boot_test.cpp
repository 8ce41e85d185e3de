// SPDX-License-Identifier: Apache-2.0
// Kernel boots of the default policy and of damaged inputs: both partitions run and interleave,
// the channel carries data one way, and a bad policy image or partition image is refused.
#include <algorithm>
#include <chrono>

#include "kernel_fixture.hpp"
#include "sk/policy_image.hpp"

using namespace bh::kernel_test;
namespace harness = bh::harness;

TEST_CASE("default policy: both partitions heartbeat, interleaved, and the channel carries data", "[kernel]") {
  harness::Work_dir dir("kernel-default");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto start = std::chrono::steady_clock::now();
  auto q = boot(dir, image, guest("classified.elf"), guest("open.elf"));
  wait_heartbeat(*q, "classified", 1, Millis(30000));
  auto first = std::chrono::steady_clock::now();
  WARN("wall time from QEMU start to the first heartbeat: "
       << std::chrono::duration_cast<Millis>(first - start).count() << " ms");
  wait_heartbeat(*q, "classified", 4, Millis(30000));
  wait_heartbeat(*q, "open", 4, Millis(30000));

  const std::string log = q->serial_log();
  CHECK(log.find("UNMEASURED") != std::string::npos);
  CHECK(q->serial_lines(std::regex("event=policy_accepted")).size() == 1);
  CHECK(q->serial_lines(std::regex("event=partition_started")).size() == 2);
  CHECK(q->serial_lines(std::regex("event=(npf|io|msr)_violation|event=partition_stopped|PANIC")).empty());

  // Interleaving: the two equal-rate partitions never get more than two beats ahead of each
  // other (a partition that ran alone would race ahead).
  int classified = 0, open = 0, max_lead = 0;
  for (const auto& line : q->serial_lines(std::regex("^\\[(classified|open)\\] heartbeat"))) {
    (line.rfind("[open]", 0) == 0 ? open : classified)++;
    max_lead = std::max(max_lead, std::abs(classified - open));
  }
  CHECK(classified >= 4);
  CHECK(open >= 4);
  CHECK(max_lead <= 2);

  // One way: what open wrote arrives in classified; classified's side is read-only (its write
  // attempt is the attack_channel test).
  std::string received = q->wait_for_serial(std::regex("^\\[classified\\] received [0-9]+"), Millis(20000), false);
  INFO(received);
  std::vector<uint8_t> page = q->read_physical(0x4000000, 4);  // the channel's host page
  uint32_t counter = page[0] | (page[1] << 8) | (page[2] << 16) | (uint32_t(page[3]) << 24);
  CHECK(counter >= 1);

  // The kernel's indicator row names the focused domain (the first console partition) in the
  // policy's colours, white on red, across the whole row.
  auto screen = q->read_vga_text();
  CHECK(harness::Qemu::row_text(screen[0]) == " [1] classified | classified | RUNNING");
  CHECK(std::all_of(screen[0].begin(), screen[0].end(), [](const harness::Cell& c) { return c.attribute == 0x4F; }));
}

TEST_CASE("the indicator shows the focused domain LOCKED when its image is refused", "[kernel][trusted-path]") {
  harness::Work_dir dir("kernel-indicator-locked");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto q = boot(dir, image, guest("attack_memory.elf"), guest("open.elf"), Millis(120000), "classified.elf",
                "open.elf");
  q->wait_for_serial(std::regex("part=classified event=partition_refused"), Millis(30000), false);
  wait_heartbeat(*q, "open", 2, Millis(30000));
  auto screen = q->read_vga_text();
  CHECK(harness::Qemu::row_text(screen[0]) == " [1] classified | classified | LOCKED: image refused");
}

TEST_CASE("a policy image with a damaged byte is refused before anything runs", "[kernel]") {
  harness::Work_dir dir("kernel-corrupt");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto bytes = read_file(image);
  REQUIRE(bytes.size() > sk::policy::k_image_header_size + 40);
  bytes[sk::policy::k_image_header_size + 33] ^= 0x01;  // one bit inside the content
  write_file(image, bytes);
  auto q = boot(dir, image, guest("classified.elf"), guest("open.elf"));
  q->wait_for_serial(std::regex("^PANIC: policy image rejected: digest mismatch"), Millis(30000));
  CHECK(q->serial_lines(std::regex("heartbeat|partition_started")).empty());
}

namespace {
// The default policy compiled, then changed behind the compiler's back and written again as a
// well-formed image (magic, sizes, digest right): what only the kernel's own validation can stop.
template <typename Edit>
fs::path invalid_default_image(const harness::Work_dir& dir, Edit edit) {
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  auto bytes = read_file(image);
  sk::policy::Policy p{};
  REQUIRE(sk::policy::read_image(bytes.data(), bytes.size(), p).ok());
  edit(p);
  std::vector<uint8_t> out(sk::policy::k_image_max_size);
  auto size = sk::policy::write_image(p, out.data(), out.size());
  REQUIRE(size.ok());
  out.resize(size.value());
  write_file(image, out);
  return image;
}
}  // namespace

TEST_CASE("a well-formed image of an invalid policy is refused with the violated rule", "[kernel]") {
  harness::Work_dir dir("kernel-invalid");
  fs::path image = invalid_default_image(dir, [](sk::policy::Policy& p) {
    p.partitions[1].memory.base = p.partitions[0].memory.base + 0x1000;  // open overlaps classified
  });
  auto q = boot(dir, image, guest("classified.elf"), guest("open.elf"));
  std::string line = q->wait_for_serial(std::regex("^PANIC: policy image rejected: .*SK-MEM-3"), Millis(30000));
  INFO(line);
  CHECK(q->serial_lines(std::regex("^policy violation SK-MEM-3: ")).size() >= 1);
  CHECK(q->serial_lines(std::regex("heartbeat|partition_started")).empty());
}

// Issue 12, class 4: an image that grants a partition the kernel's own devices (here the ATA
// ports that carry the other partition's disk) is refused by the kernel too, not only by the
// compiler: the kernel re-runs the same validator at boot.
TEST_CASE("a well-formed image granting the kernel's disk controller ports is refused (SK-DEV-2)", "[kernel]") {
  harness::Work_dir dir("kernel-reserved-io");
  fs::path image = invalid_default_image(dir, [](sk::policy::Policy& p) {
    p.partitions[1].io[0] = {0x1F0, 8};  // "open" gets the primary ATA command block
    p.partitions[1].io_count = 1;
  });
  auto q = boot(dir, image, guest("classified.elf"), guest("open.elf"));
  std::string line = q->wait_for_serial(std::regex("^PANIC: policy image rejected: .*SK-DEV-2"), Millis(30000));
  INFO(line);
  CHECK(q->serial_lines(std::regex("heartbeat|partition_started")).empty());
}

TEST_CASE("a partition image whose digest differs from the policy is refused; the other runs", "[kernel]") {
  harness::Work_dir dir("kernel-image-digest");
  fs::path image = compile_policy(dir, harness::source_path("policies/default.toml"));
  // The module is named open.elf, but holds another image than the one the policy measured.
  auto q = boot(dir, image, guest("classified.elf"), guest("attack_memory.elf"), Millis(120000), "classified.elf",
                "open.elf");
  q->wait_for_serial(std::regex("part=open event=partition_refused detail=\"image open.elf digest mismatch\""),
                     Millis(30000), false);
  wait_heartbeat(*q, "classified", 3, Millis(30000));
  CHECK(q->serial_lines(std::regex("^\\[open\\]")).empty());
}
