// SPDX-License-Identifier: Apache-2.0
// The compiled policy image: compile -> read -> the same model; `policy show --json` of the image
// equals the source's model; every header field, every truncation and any flipped content byte
// is refused with its own error; the validator stays inside its tables whatever the counts.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "bh/policy_source.hpp"
#include "sk/policy_image.hpp"
#include "sk/validate.hpp"
#include "support.hpp"

namespace sp = sk::policy;

namespace {
const std::string k_images = std::string(BH_SOURCE_DIR) + "/tests/policy/fixtures/images";

bh::policy::Source default_source() {
  auto src = bh::policy::parse_file(std::string(BH_SOURCE_DIR) + "/policies/default.toml", k_images);
  REQUIRE(bh::policy::check(src).empty());
  return src;
}

std::vector<uint8_t> compile(const sp::Policy& p) {
  std::vector<uint8_t> image(sp::k_image_max_size);
  auto n = sp::write_image(p, image.data(), image.size());
  REQUIRE(n.ok());
  image.resize(n.value());
  return image;
}

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
}  // namespace

TEST_CASE("compile then read gives back the same model", "[policy][image]") {
  auto src = default_source();
  auto image = compile(src.policy);
  static sp::Policy back;
  back = sp::Policy{};
  REQUIRE(sp::read_image(image.data(), image.size(), back).ok());
  CHECK(back == src.policy);
  CHECK(bh::policy::check_model(back).empty());
}

TEST_CASE("policy show --json of the compiled image equals the source model", "[policy][image][cli]") {
  auto src = default_source();
  const std::string out = "/tmp/bh-roundtrip-" + std::to_string(getpid()) + ".img";
  auto run = bh::test::bulkhead("policy compile policies/default.toml --image-dir tests/policy/fixtures/images -o " + out);
  REQUIRE(run.status == 0);
  auto show = bh::test::bulkhead("policy show --json " + out);
  REQUIRE(show.status == 0);
  CHECK(nlohmann::json::parse(show.out) == bh::policy::to_json(src.policy));
  auto text = bh::test::bulkhead("policy show " + out);
  CHECK(text.status == 0);
  CHECK(text.out.find("open-to-classified       open -> classified") != std::string::npos);
  CHECK(text.out.find(", 1 CPU\n") != std::string::npos);
  // Domain numbers as the indicator shows them, and every grant of each partition.
  CHECK(text.out.find("  [1] classified: label classified, colour white/red, cpu 0, memory [0x2000000, +0x1000000), "
                      "on_violation stop\n      image classified.elf sha256 ") != std::string::npos);
  CHECK(text.out.find("  [2] open: label open,") != std::string::npos);
  CHECK(text.out.find("      capabilities console, debug_log\n      io ports none; mmio none; irqs none\n") !=
        std::string::npos);
  // The source shows the same layout, checked as `policy check` checks it; a source not named
  // *.toml is refused as an image, saying what it is not.
  auto source = bh::test::bulkhead("policy show --json policies/default.toml --image-dir tests/policy/fixtures/images");
  INFO(source.err);
  CHECK(source.status == 0);
  CHECK(nlohmann::json::parse(source.out) == bh::policy::to_json(src.policy));
  auto broken = bh::test::bulkhead("policy show tests/policy/fixtures/sk-mem-3-overlap.toml --image-dir tests/policy/fixtures/images");
  CHECK(broken.status == 1);
  CHECK(broken.out.empty());
  CHECK(broken.err.find("SK-MEM-3") != std::string::npos);
  const std::string renamed = out + ".txt";
  std::ofstream(renamed) << bh::test::read_file(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
  auto not_image = bh::test::bulkhead("policy show " + renamed);
  CHECK(not_image.status == 1);
  CHECK(not_image.err == "bulkhead: " + renamed +
                             ": policy image rejected: bad magic (not a compiled policy image; a source must be named *.toml)\n");
  std::remove(renamed.c_str());
  std::remove(out.c_str());
}

TEST_CASE("policy show lists a partition's device grants, disk and capabilities", "[policy][image][cli]") {
  std::string text;
  {
    std::ifstream in(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string anchor = "image = \"open.elf\"\n";
  REQUIRE(text.find(anchor) != std::string::npos);
  text.replace(text.find(anchor), anchor.size(),
               anchor + "disk = \"classified.disk\"\nvirtual_pc = true\nio = [ { first = 0x2f8, count = 8 } ]\n"
                        "mmio = [ { base = 0xfe000000, size = 0x1000 } ]\nirqs = [ 3 ]\n");
  const std::string src = "/tmp/bh-show-" + std::to_string(getpid()) + ".toml", out = src + ".img";
  std::ofstream(src) << text;
  auto run = bh::test::bulkhead("policy compile " + src + " --image-dir tests/policy/fixtures/images -o " + out);
  INFO(run.err);
  REQUIRE(run.status == 0);
  auto show = bh::test::bulkhead("policy show " + out);
  CHECK(show.status == 0);
  CHECK(show.out.find("  [2] open:") != std::string::npos);
  CHECK(show.out.find("      disk classified.disk\n      capabilities console, debug_log, virtual_pc\n"
                      "      io ports 0x2f8+8; mmio [0xfe000000, +0x1000); irqs 3\n") != std::string::npos);
  std::remove(src.c_str());
  std::remove(out.c_str());
}

TEST_CASE("compile refuses an invalid policy and leaves no output", "[policy][image][cli]") {
  const std::string out = "/tmp/bh-refused-" + std::to_string(getpid()) + ".img";
  auto run = bh::test::bulkhead("policy compile tests/policy/fixtures/sk-flow-1-write-down.toml --image-dir "
                                "tests/policy/fixtures/images -o " + out);
  CHECK(run.status == 1);
  CHECK(run.err.find("SK-FLOW-1") != std::string::npos);
  CHECK_FALSE(std::ifstream(out).good());
}

TEST_CASE("the image reader refuses every damaged header field", "[policy][image]") {
  auto good = compile(default_source().policy);
  static sp::Policy out;
  auto refuse = [&](std::vector<uint8_t> b) { return sp::read_image(b.data(), b.size(), out).error(); };

  auto b = good;
  b[0] ^= 1;
  CHECK(refuse(b) == sk::Error::bad_magic);
  b = good;
  put_u32(b, 8, sp::k_image_revision + 1);
  CHECK(refuse(b) == sk::Error::bad_revision);
  b = good;
  put_u32(b, 12, sp::k_image_header_size + 4);
  CHECK(refuse(b) == sk::Error::bad_size);
  b = good;
  put_u32(b, 16, static_cast<uint32_t>(good.size() + 1));
  CHECK(refuse(b) == sk::Error::bad_size);
  b = good;
  b.push_back(0);
  CHECK(refuse(b) == sk::Error::bad_size);
  b = good;
  b[30] ^= 0x40;  // the stored digest
  CHECK(refuse(b) == sk::Error::bad_digest);
  for (size_t at = sp::k_image_header_size; at < good.size(); at += 7) {
    b = good;
    b[at] ^= 0x01;
    INFO("content byte " << at);
    CHECK(refuse(b) == sk::Error::bad_digest);
  }
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("truncated to " << n);
    CHECK_FALSE(sp::read_image(good.data(), n, out).ok());
  }
}

TEST_CASE("the validator stays inside its tables whatever the counts say", "[policy][validate]") {
  static sp::Policy p;
  p = default_source().policy;
  struct Sink final : sp::Violation_sink {
    std::vector<sk::Rule> rules;
    void report(const sp::Violation& v) override { rules.push_back(v.rule); }
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    static sp::Policy q;
    q = p;
    q.partition_count = rng();
    q.channel_count = rng() % 3 == 0 ? rng() : q.channel_count;
    q.label_count = rng() % 3 == 0 ? rng() : q.label_count;
    q.cpus[0].frame_count = rng() % 3 == 0 ? rng() : q.cpus[0].frame_count;
    Sink sink;
    uint32_t n = sp::validate(q, sink);
    CHECK(n == sink.rules.size());
    if (q.partition_count > sp::k_max_partitions) {
      REQUIRE(n > 0);
      CHECK(sink.rules.front() == sk::Rule::limits);
    }
  }
}

// Sizes in a policy take the same units as `disk create --size` (sk/size_text.hpp); a string
// size without a unit or with an unknown one is one SK-SYN-3 line.
TEST_CASE("policy sizes: integers in bytes or strings with a unit, one syntax with the disk tool", "[policy][size]") {
  std::string text;
  {
    std::ifstream in(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string from = "memory = { base = 0x3000000, size = 0x1000000 }";
  REQUIRE(text.find(from) != std::string::npos);
  const std::string src = std::string("/tmp/bh-size-") + std::to_string(getpid()) + ".toml";
  auto with = [&](const std::string& size) {
    std::string t = text;
    t.replace(t.find(from), from.size(), "memory = { base = 0x3000000, size = " + size + " }");
    std::ofstream(src) << t;
    return bh::test::bulkhead("policy check " + src + " --image-dir tests/policy/fixtures/images");
  };
  CHECK(with("\"16M\"").status == 0);
  CHECK(with("\"16MiB\"").status == 0);
  auto no_unit = with("\"16\"");
  CHECK(no_unit.status == 1);
  CHECK(no_unit.err.find("\"memory.size\" = \"16\" is not a size: no unit") != std::string::npos);
  auto bad_unit = with("\"16Q\"");
  CHECK(bad_unit.status == 1);
  CHECK(bad_unit.err.find("SK-SYN-3") != std::string::npos);
  CHECK(bad_unit.err.find("unknown unit") != std::string::npos);
  std::remove(src.c_str());
}
