// SPDX-License-Identifier: Apache-2.0
// The policy image codec as a bijection, by property: for random canonical policies (every count
// up to its table size, every field over its C++ type) read_image(write_image(p)) == p; every
// image read_image accepts is exactly write_image of what it returns (one byte changed anywhere
// in the content, the digest made right again: refused, or decoded to a policy that encodes to
// those very bytes); a policy that is not canonical does not come back. The field codecs and the
// header are proved for all values by tests/proofs/z3/image_proof.py; proofs/README.md says
// which half is proved and which tested.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "sk/policy_image.hpp"
#include "sk/sha256.hpp"

namespace sp = sk::policy;

namespace {

// A canonical string field: text, then zeros to the end (at least one).
template <size_t N>
void random_text(std::mt19937_64& rng, char (&out)[N]) {
  std::memset(out, 0, N);
  const size_t length = rng() % 4 == 0 ? N - 1 : rng() % N;
  for (size_t i = 0; i < length; ++i) out[i] = static_cast<char>(1 + rng() % 255);
}

// Canonical: counts within their tables, entries past a count zero, strings canonical, enums
// and flags in range. Every other field over its whole type.
sp::Policy random_canonical(std::mt19937_64& rng) {
  static sp::Policy p;
  p = sp::Policy{};
  auto count = [&](uint32_t max) { return static_cast<uint32_t>(rng() % 3 == 0 ? max : rng() % (max + 1)); };
  p.platform = {rng(), {rng(), rng()}, static_cast<uint8_t>(rng() % (sp::k_max_cpus + 1))};
  p.label_count = count(sp::k_max_labels);
  for (uint32_t i = 0; i < p.label_count; ++i) {
    random_text(rng, p.labels[i].name.text);
    p.labels[i].level = static_cast<uint8_t>(rng());
    p.labels[i].colour_fg = static_cast<sp::Colour>(rng() % 16);
    p.labels[i].colour_bg = static_cast<sp::Colour>(rng() % 16);
  }
  p.partition_count = count(sp::k_max_partitions);
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    sp::Partition& q = p.partitions[i];
    random_text(rng, q.name.text);
    q.label = static_cast<uint16_t>(rng());
    q.cpu = static_cast<uint8_t>(rng());
    q.on_violation = static_cast<sp::On_violation>(rng() % 2);
    q.console = rng() & 1;
    q.attestation_agent = rng() & 1;
    q.debug_log = rng() & 1;
    q.virtual_pc = rng() & 1;
    q.memory = {rng(), rng()};
    q.kind = static_cast<sp::Image_kind>(rng() % 2);
    random_text(rng, q.image.text);
    for (auto& b : q.image_sha256) b = static_cast<uint8_t>(rng());
    random_text(rng, q.initramfs.text);
    for (auto& b : q.initramfs_sha256) b = static_cast<uint8_t>(rng());
    random_text(rng, q.cmdline.text);
    random_text(rng, q.disk.text);
    q.io_count = count(sp::k_max_io_ranges);
    for (uint32_t k = 0; k < q.io_count; ++k) q.io[k] = {static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())};
    q.mmio_count = count(sp::k_max_mmio_ranges);
    for (uint32_t k = 0; k < q.mmio_count; ++k) q.mmio[k] = {rng(), rng()};
    q.irq_count = count(sp::k_max_irqs);
    for (uint32_t k = 0; k < q.irq_count; ++k) q.irqs[k] = static_cast<uint8_t>(rng());
  }
  p.channel_count = count(sp::k_max_channels);
  for (uint32_t i = 0; i < p.channel_count; ++i) {
    sp::Channel& c = p.channels[i];
    random_text(rng, c.name.text);
    c.writer = static_cast<uint16_t>(rng());
    c.reader = static_cast<uint16_t>(rng());
    c.memory = {rng(), rng()};
    c.guest_address = rng();
  }
  for (uint32_t c = 0; c < p.platform.cpu_count; ++c) {
    p.cpus[c].major_frame_us = static_cast<uint32_t>(rng());
    p.cpus[c].frame_count = count(sp::k_max_frames_per_cpu);
    for (uint32_t f = 0; f < p.cpus[c].frame_count; ++f) {
      p.cpus[c].frames[f] = {static_cast<uint16_t>(rng()), static_cast<uint32_t>(rng())};
    }
  }
  return p;
}

std::vector<uint8_t> encode(const sp::Policy& p) {
  std::vector<uint8_t> image(sp::k_image_max_size);
  auto n = sp::write_image(p, image.data(), image.size());
  REQUIRE(n.ok());
  image.resize(n.value());
  return image;
}

void fix_digest(std::vector<uint8_t>& image) {
  sk::Sha256::digest(image.data() + sp::k_image_header_size, image.size() - sp::k_image_header_size, image.data() + 24);
}

}  // namespace

TEST_CASE("read_image(write_image(p)) == p for random canonical policies", "[policy][image][property]") {
  std::mt19937_64 rng(0x494D47);
  static sp::Policy back;
  for (int round = 0; round < 1000; ++round) {
    const sp::Policy& p = random_canonical(rng);
    const auto image = encode(p);
    back = sp::Policy{};
    INFO("round " << round);
    REQUIRE(sp::read_image(image.data(), image.size(), back).ok());
    REQUIRE(back == p);
    REQUIRE(encode(back) == image);
  }
}

TEST_CASE("every image read_image accepts is the encoding of what it returns", "[policy][image][property]") {
  // One byte changed at every content offset (to a random other value, and to one of 0, 1, 0xFF),
  // the digest recomputed so that only the content decides: refused, or a policy whose encoding
  // is exactly the changed bytes. Then every other length with a consistent header: refused.
  std::mt19937_64 rng(0x42494A);
  static sp::Policy back;
  size_t accepted = 0, refused = 0;
  // Each round hashes the whole image once per changed byte (quadratic in its size): six rounds
  // take seconds plain and minutes under ASan/UBSan, where one round checks the memory accesses.
#if defined(__SANITIZE_ADDRESS__)
  constexpr int k_rounds = 1;
#else
  constexpr int k_rounds = 6;
#endif
  for (int round = 0; round < k_rounds; ++round) {
    const auto image = encode(random_canonical(rng));
    for (size_t at = sp::k_image_header_size; at < image.size(); ++at) {
      const uint8_t edge[] = {0, 1, 0xFF};
      for (uint8_t value : {static_cast<uint8_t>(image[at] ^ (1 + rng() % 255)), edge[rng() % 3]}) {
        if (value == image[at]) continue;
        auto changed = image;
        changed[at] = value;
        fix_digest(changed);
        if (sp::read_image(changed.data(), changed.size(), back).ok()) {
          ++accepted;
          if (encode(back) != changed) FAIL("offset " << at << " value " << int(value) << ": accepted, not canonical");
        } else {
          ++refused;
        }
      }
    }
    for (size_t size = sp::k_image_header_size; size < image.size() + 64; ++size) {
      if (size == image.size()) continue;
      auto other = image;
      other.resize(size, 0);
      for (int i = 0; i < 4; ++i) other[16 + i] = static_cast<uint8_t>(size >> (8 * i));
      fix_digest(other);
      if (sp::read_image(other.data(), other.size(), back).ok()) {
        // Only if the shorter or longer content is itself an encoding (a count changed with it).
        if (encode(back) != other) FAIL("size " << size << ": accepted, not canonical");
      }
    }
  }
  CHECK(accepted > 0);  // both outcomes occur: the test exercises both sides
  CHECK(refused > 0);
}

TEST_CASE("a policy that is not canonical does not come back", "[policy][image]") {
  std::mt19937_64 rng(7);
  static sp::Policy p, back;
  auto differs = [&](void (*spoil)(sp::Policy&)) {
    for (;;) {
      p = random_canonical(rng);
      if (p.partition_count > 0 && p.channel_count > 0 && p.label_count > 0) break;
    }
    spoil(p);
    std::vector<uint8_t> image(sp::k_image_max_size);
    auto n = sp::write_image(p, image.data(), image.size());
    if (!n.ok()) return true;
    back = sp::Policy{};
    return !sp::read_image(image.data(), n.value(), back).ok() || !(back == p);
  };
  CHECK(differs([](sp::Policy& q) { std::memset(q.labels[0].name.text, 'a', sp::k_name_len); }));  // no NUL
  CHECK(differs([](sp::Policy& q) { q.partitions[0].disk.text[sp::k_path_len - 1] = 'x'; q.partitions[0].disk.text[0] = 0; }));
  CHECK(differs([](sp::Policy& q) { q.label_count = sp::k_max_labels + 1; }));
  CHECK(differs([](sp::Policy& q) { q.labels[0].colour_fg = static_cast<sp::Colour>(16); }));
  CHECK(differs([](sp::Policy& q) { q.labels[0].colour_bg = static_cast<sp::Colour>(16); }));
  CHECK(differs([](sp::Policy& q) { q.partitions[0].on_violation = static_cast<sp::On_violation>(2); }));
  CHECK(differs([](sp::Policy& q) { q.partitions[0].kind = static_cast<sp::Image_kind>(2); }));
  CHECK(differs([](sp::Policy& q) { std::memset(q.partitions[0].cmdline.text, 'c', sp::k_cmdline_len); }));
  CHECK(differs([](sp::Policy& q) { q.platform.cpu_count = sp::k_max_cpus + 1; }));
  CHECK(differs([](sp::Policy& q) { q.channel_count = 0; }));  // an entry past its count: not zero
}
