// SPDX-License-Identifier: Apache-2.0
// Runs the kernel's own bit-level code on cases the Z3 proofs under tests/proofs/z3/ send on
// stdin, one per line, so that each proof's Python transcription is compared with the C++:
//   npt PART MEM_BASE MEM_SIZE N [WRITER READER BASE SIZE GUEST]*N M [BASE SIZE]*M | GPA...
//     -> "ok ACCESS,HOST,GRANT_ACCESS,GRANT_HOST ..." (sk::npt::build over fake memory, then
//        sk::npt::translate and sk::policy::guest_page at each GPA), or "error NAME"
//   insn KIND AVAILABLE HEXBYTES
//     -> "ok LENGTH" or "error NAME" (sk::insn::decode_length; KIND is the Skipped value)
// Numbers are C integers (0x... accepted). A line it cannot read ends it with exit status 2.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sk/access.hpp"
#include "sk/insn_length.hpp"
#include "sk/npt_builder.hpp"

namespace sp = sk::policy;

namespace {

// Fake memory: any page address allocate() hands out, zeroed; nothing else readable.
struct Fake_memory {
  std::map<uint64_t, std::vector<uint64_t>> pages;
  uint64_t next = 0x10000000;
  sk::Result<uint64_t> allocate() {
    pages[next] = std::vector<uint64_t>(sk::npt::k_entries, 0);
    next += sp::k_page_size;
    return next - sp::k_page_size;
  }
  uint64_t* table(uint64_t physical) {
    auto it = pages.find(physical);
    if (it == pages.end()) {
      std::fprintf(stderr, "bitlevel_helper: the walk read page %#llx, which was never allocated\n",
                   static_cast<unsigned long long>(physical));
      std::exit(3);
    }
    return it->second.data();
  }
};

[[noreturn]] void unreadable(const std::string& line) {
  std::fprintf(stderr, "bitlevel_helper: cannot read: %s\n", line.c_str());
  std::exit(2);
}

uint64_t number(std::istringstream& in, const std::string& line) {
  std::string word;
  if (!(in >> word)) unreadable(line);
  try {
    size_t used = 0;
    uint64_t v = std::stoull(word, &used, 0);
    if (used != word.size()) unreadable(line);
    return v;
  } catch (...) {
    unreadable(line);
  }
}

std::string npt(std::istringstream& in, const std::string& line) {
  sp::Policy p{};
  p.partition_count = 2;
  const auto part = static_cast<uint16_t>(number(in, line));
  sp::Partition& me = p.partitions[part & 1];
  me.memory = {number(in, line), number(in, line)};
  p.channel_count = static_cast<uint32_t>(number(in, line));
  if (p.channel_count > sp::k_max_channels) unreadable(line);
  for (uint32_t c = 0; c < p.channel_count; ++c) {
    sp::Channel& ch = p.channels[c];
    ch.writer = static_cast<uint16_t>(number(in, line));
    ch.reader = static_cast<uint16_t>(number(in, line));
    ch.memory = {number(in, line), number(in, line)};
    ch.guest_address = number(in, line);
  }
  me.mmio_count = static_cast<uint32_t>(number(in, line));
  if (me.mmio_count > sp::k_max_mmio_ranges) unreadable(line);
  for (uint32_t m = 0; m < me.mmio_count; ++m) me.mmio[m] = {number(in, line), number(in, line)};
  std::string bar;
  if (!(in >> bar) || bar != "|") unreadable(line);
  Fake_memory memory;
  auto root = sk::npt::build(p, part, memory);
  if (!root) return std::string("error ") + sk::error_name(root.error());
  std::ostringstream out;
  out << "ok" << std::hex;
  std::string word;
  while (in >> word) {
    std::istringstream one(word);
    const uint64_t gpa = number(one, line);
    const sp::Page_grant walk = sk::npt::translate(memory, root.value(), gpa);
    const sp::Page_grant grant = sp::guest_page(p, part, gpa);
    out << ' ' << unsigned(walk.access) << ',' << walk.host_address << ',' << unsigned(grant.access) << ','
        << grant.host_address;
  }
  return out.str();
}

std::string insn(std::istringstream& in, const std::string& line) {
  const auto kind = static_cast<sk::insn::Skipped>(number(in, line));
  const uint64_t available = number(in, line);
  std::string hex;
  in >> hex;  // may be empty
  std::vector<uint8_t> bytes;
  if (hex.size() % 2 != 0 || hex.size() > 2 * sk::insn::k_max_length) unreadable(line);
  for (size_t i = 0; i < hex.size(); i += 2) bytes.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  // Bytes past what the caller gives are 0xCC (INT3): the decoder must never need them.
  bytes.resize(sk::insn::k_max_length, 0xCC);
  auto r = sk::insn::decode_length(bytes.data(), available, kind);
  if (!r) return std::string("error ") + sk::error_name(r.error());
  return "ok " + std::to_string(r.value());
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string what;
    if (!(in >> what)) continue;
    if (what == "npt") {
      std::cout << npt(in, line) << '\n';
    } else if (what == "insn") {
      std::cout << insn(in, line) << '\n';
    } else {
      unreadable(line);
    }
  }
  return 0;
}
