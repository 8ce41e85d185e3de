// SPDX-License-Identifier: Apache-2.0
// The validator against the model's policy hypotheses (issue 15 item 3): random policies, valid
// ones and ones with one rule the model cites broken, go through the real C++ validator
// (sk::policy::validate) and through the model's check of its hypotheses (proofs/PolicyCheck.v,
// hypotheses_b, extracted and run by proofs/driver). The check's input is the grant table the
// kernel's own code gives each policy: every guest page of every partition as
// sk::policy::guest_page maps it, and which cells of the model's store (a partition's memory or
// MMIO window, a channel's memory) the host bytes behind it belong to, or that they belong to
// kernel-reserved memory or to nothing. The validator must accept exactly the policies whose
// table the check accepts: one it accepts meets every hypothesis the proofs assume
// (PolicyCheck.v: hypotheses_b_sound), one it refuses breaks one (hypotheses_b_complete).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "random_policy.hpp"
#include "sk/access.hpp"
#include "sk/validate.hpp"

namespace sp = sk::policy;

namespace {

constexpr uint64_t k_page = sp::k_page_size;

struct Rules final : sp::Violation_sink {
  std::set<std::string> ids;
  std::string first;
  void report(const sp::Violation& v) override {
    ids.insert(sk::rule_id(v.rule));
    if (first.empty()) first = v.message;
  }
};

bool overlaps(uint64_t base, uint64_t size, uint64_t other_base, uint64_t other_size) {
  return size && other_size && base < other_base + other_size && other_base < base + size;
}

// The cells of the model's store the host bytes [host, host + page) belong to, in the driver's
// notation: m.Q.OFFSET (partition Q's memory or one of its MMIO windows: its own memory in the
// model), c.C.OFFSET (channel C's memory), k (kernel-reserved memory, or memory nobody owns).
std::vector<std::string> cells(const sp::Policy& p, uint64_t host) {
  std::vector<std::string> out;
  bool outside = overlaps(host, k_page, p.platform.kernel_reserved.base, p.platform.kernel_reserved.size);
  for (size_t i = 0; i < sp::k_reserved_memory_count; ++i) {
    const sp::Range& r = sp::k_reserved_memory[i].range;
    outside = outside || overlaps(host, k_page, r.base, r.size);
  }
  auto cell = [&](const char* kind, uint32_t index, const sp::Range& r) {
    if (overlaps(host, k_page, r.base, r.size)) {
      const uint64_t offset = host > r.base ? (host - r.base) / k_page : 0;
      out.push_back(std::string(kind) + '.' + std::to_string(index) + '.' + std::to_string(offset));
    }
  };
  for (uint32_t q = 0; q < p.partition_count; ++q) {
    cell("m", q, p.partitions[q].memory);
    for (uint32_t m = 0; m < p.partitions[q].mmio_count; ++m) cell("m", q, p.partitions[q].mmio[m]);
  }
  for (uint32_t c = 0; c < p.channel_count; ++c) cell("c", c, p.channels[c].memory);
  if (outside || out.empty()) out.push_back("k");
  return out;
}

// The driver's "hyp" block for p: its channels, levels and the grant table of every guest page
// a partition may be granted (its RAM, every channel window, every MMIO window, one page past
// each).
std::string grant_table(const sp::Policy& p) {
  std::ostringstream o;
  o << "hyp " << p.channel_count << ' ' << p.partition_count << '\n';
  for (uint32_t q = 0; q < p.partition_count; ++q)
    o << "level " << unsigned{p.labels[p.partitions[q].label].level} << '\n';
  for (uint32_t c = 0; c < p.channel_count; ++c)
    o << "chan " << p.channels[c].writer << ' ' << p.channels[c].reader << '\n';
  std::set<uint64_t> pages;
  auto window = [&](uint64_t base, uint64_t size) {
    for (uint64_t g = base / k_page; g <= (base + size) / k_page; ++g) pages.insert(g);
  };
  for (uint32_t q = 0; q < p.partition_count; ++q) {
    window(0, p.partitions[q].memory.size);
    for (uint32_t m = 0; m < p.partitions[q].mmio_count; ++m)
      window(p.partitions[q].mmio[m].base, p.partitions[q].mmio[m].size);
  }
  for (uint32_t c = 0; c < p.channel_count; ++c)
    window(p.channels[c].guest_address, p.channels[c].memory.size);
  for (uint16_t q = 0; q < p.partition_count; ++q) {
    for (uint64_t g : pages) {
      const sp::Page_grant grant = sp::guest_page(p, q, g * k_page);
      if (grant.access == sp::Access::none) continue;
      o << "entry " << q << ' ' << g << ' ' << (grant.access == sp::Access::read_write ? 'w' : 'r');
      for (const std::string& c : cells(p, grant.host_address)) o << ' ' << c;
      o << '\n';
    }
  }
  o << "end\n";
  return o.str();
}

// Gives partition q label l (the label's colours are the indicator's: SK-TP-1, SK-TP-2 hold).
void relabel(sp::Policy& p, uint16_t q, uint16_t l) { p.partitions[q].label = l; }

// One rule the model cites broken in p, so that the policy breaks a hypothesis of the model, or
// (touch = true) the same objects moved to touch without overlapping, which breaks nothing.
// Returns the rule's ID, or "" when p has nothing to break it with (p is left valid).
std::string break_rule(sp::Policy& p, std::mt19937_64& rng, bool devices, bool& touch) {
  const uint32_t n = p.partition_count;
  const auto i = static_cast<uint16_t>(rng() % n);
  const auto j = static_cast<uint16_t>((i + 1 + rng() % (n - 1)) % n);
  sp::Range& mine = p.partitions[j].memory;
  const sp::Range& other = p.partitions[i].memory;
  touch = rng() % 4 == 0;
  switch (rng() % 8) {
    case 0:  // SK-MEM-3: j's memory overlaps i's by a page, or ends where i's begins
      mine.base = touch ? other.base - mine.size : other.base + other.size - k_page;
      return "SK-MEM-3";
    case 1:  // SK-MEM-1: j's memory unaligned and overlapping i's (the pairwise checks skip it)
      touch = false;
      mine.base = other.base + 0x800;
      return "SK-MEM-1";
    case 2:  // SK-MEM-4: j's memory in kernel-reserved memory
      touch = false;
      mine.base = p.platform.kernel_reserved.base + p.platform.kernel_reserved.size - k_page;
      return "SK-MEM-4";
    case 3: {  // SK-MEM-5: a channel's memory over a partition's memory, or another channel's
      if (p.channel_count == 0) return "";
      const auto c = static_cast<uint32_t>(rng() % p.channel_count);
      const sp::Range target =
          p.channel_count > 1 && rng() % 2 ? p.channels[(c + 1) % p.channel_count].memory : other;
      p.channels[c].memory.base = touch ? target.base + target.size : target.base;
      return "SK-MEM-5";
    }
    case 4: {  // SK-FLOW-1: a channel from the higher label to the lower
      touch = false;
      if (p.channel_count == 0) return "";
      sp::Channel& ch = p.channels[rng() % p.channel_count];
      relabel(p, ch.writer, 2);
      relabel(p, ch.reader, static_cast<uint16_t>(rng() % 2));
      return "SK-FLOW-1";
    }
    case 5: {  // SK-FLOW-2: a channel whose writer is its reader
      touch = false;
      if (p.channel_count == 0) return "";
      sp::Channel& ch = p.channels[rng() % p.channel_count];
      ch.reader = ch.writer;
      return "SK-FLOW-2";
    }
    case 6:  // SK-DEV-3: j's MMIO window on i's memory (in RAM)
      touch = false;
      if (!devices) return "";
      p.partitions[j].mmio[0] = {other.base, k_page};
      return "SK-DEV-3";
    default:  // SK-DEV-1: j's MMIO window is i's, or ends where i's begins
      if (!devices) return "";
      p.partitions[j].mmio[0] = {p.partitions[i].mmio[0].base - (touch ? k_page : 0), k_page};
      return "SK-DEV-1";
  }
}

struct Generated {
  sp::Policy policy;
  std::string broken;  // the rule broken, "" if none
  bool touch;          // moved to touch only: valid
  Rules rules;         // what the validator reported
};

}  // namespace

TEST_CASE("the validator accepts exactly the random policies that meet the model's policy hypotheses",
          "[proofs][differential][policy]") {
  std::mt19937_64 rng(0x5EC);
  std::vector<Generated> all(20000);
  const std::string input = "/tmp/bh-hyp-" + std::to_string(getpid()) + ".in";
  const std::string output = "/tmp/bh-hyp-" + std::to_string(getpid()) + ".out";
  {
    std::ofstream in(input);
    for (Generated& k : all) {
      const bool devices = rng() % 2;
      k.policy = bh::test::random_policy(rng, devices);
      k.touch = false;
      if (rng() % 3 != 0) k.broken = break_rule(k.policy, rng, devices, k.touch);
      sp::validate(k.policy, k.rules);
      in << grant_table(k.policy);
    }
  }
  const std::string cmd = std::string(BH_MODEL_DRIVER) + " <" + input + " >" + output;
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream out(output);
  std::map<std::string, int> refused_by;
  int accepted = 0;
  for (size_t n = 0; n < all.size(); ++n) {
    const Generated& k = all[n];
    std::string line;
    std::getline(out, line);
    REQUIRE((line == "hyp 1" || line == "hyp 0"));
    const bool model = line == "hyp 1";
    const bool validator = k.rules.ids.empty();
    INFO("policy " << n << " (broken: " << (k.broken.empty() ? "none" : k.broken)
                   << (k.touch ? ", touching" : "") << "): the validator "
                   << (validator ? "accepts it" : "refuses it: " + k.rules.first)
                   << "; the model's hypotheses " << (model ? "hold" : "do not hold") << "\n"
                   << grant_table(k.policy));
    REQUIRE(validator == model);
    // A policy broken on purpose is refused for the rule broken (not only for another).
    if (!k.broken.empty() && !k.touch) CHECK(k.rules.ids.count(k.broken) == 1);
    if (validator)
      ++accepted;
    else
      ++refused_by[k.broken];
  }
  std::remove(input.c_str());
  std::remove(output.c_str());
  // Every kind of break occurred, and so did valid policies.
  for (const char* id :
       {"SK-MEM-1", "SK-MEM-3", "SK-MEM-4", "SK-MEM-5", "SK-FLOW-1", "SK-FLOW-2", "SK-DEV-1", "SK-DEV-3"}) {
    INFO(id);
    CHECK(refused_by[id] > 500);
  }
  CHECK(accepted > 5000);
  std::printf("validator and model agree on %zu random policies: %d accepted, refused:", all.size(),
              accepted);
  for (const auto& [rule, count] : refused_by)
    std::printf(" %s %d", rule.empty() ? "(touching)" : rule.c_str(), count);
  std::printf("\n");
}
