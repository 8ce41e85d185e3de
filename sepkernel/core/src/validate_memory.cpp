// SPDX-License-Identifier: Apache-2.0
// Memory rules SK-MEM-1 .. SK-MEM-6: host-physical regions well-formed, inside RAM and the kernel's
// map, disjoint, clear of the kernel and its devices; channel pages private to the channel; guest
// windows non-overlapping.
#include "validate_rules.hpp"

namespace sk::policy::rules {

namespace {

// Names the owner of a region in a message: `partition "x" memory` / `channel "c" memory`.
struct Region {
  Subject subject;
  uint32_t index;
  const Name* name;
  Range range;
};

Text& describe(Text& t, const Region& g) {
  t.str(g.subject == Subject::partition ? "partition " : "channel ").quoted(*g.name).str(" memory ");
  return t.range(g.range.base, g.range.size);
}

// SK-MEM-1, SK-MEM-2, SK-MEM-4 for one region (partition or channel memory alike). Returns true
// if it is well-formed, in RAM and in the kernel's map, so the pairwise rules can trust it.
bool check_region(const Policy& p, Reporter& r, const Region& g) {
  const Range& m = g.range;
  if (m.size == 0 || !page_aligned(m.base) || !page_aligned(m.size)) {
    Message msg = r.report(Rule::mem_aligned, g.subject, g.index, 0, "memory");
    describe(msg, g).str(m.size == 0 ? " is empty" : " is not page-aligned");
    return false;
  }
  if (end_of(m.base, m.size) > p.platform.ram_size || m.base + m.size < m.base) {
    Message msg = r.report(Rule::mem_in_ram, g.subject, g.index, 0, "memory");
    describe(msg, g).str(" lies outside RAM ").range(0, p.platform.ram_size);
    return false;
  }
  if (end_of(m.base, m.size) > k_kernel_map_end) {
    // The kernel loads images and zeroes pages through its identity map, which ends at 4 GiB.
    Message msg = r.report(Rule::mem_in_ram, g.subject, g.index, 0, "memory");
    describe(msg, g).str(" reaches past the kernel's identity map ").range(0, k_kernel_map_end);
    return false;
  }
  const Range& k = p.platform.kernel_reserved;
  if (overlaps(m, k)) {
    Message msg = r.report(Rule::mem_kernel, g.subject, g.index, 0, "memory");
    describe(msg, g).str(" overlaps kernel-reserved memory ").range(k.base, k.size);
  }
  // Whatever kernel_reserved says: the devices and low pages the kernel drives or reads.
  for (size_t d = 0; d < k_reserved_memory_count; ++d) {
    const Reserved_memory& res = k_reserved_memory[d];
    if (!overlaps(m, res.range)) continue;
    Message msg = r.report(Rule::mem_kernel, g.subject, g.index, 0, "memory");
    describe(msg, g).str(" overlaps the kernel's ").str(res.what).str(" ")
        .range(res.range.base, res.range.size);
  }
  return true;
}

void check_platform(const Policy& p, Reporter& r) {
  const Platform& pf = p.platform;
  if (pf.ram_size == 0 || !page_aligned(pf.ram_size)) {
    r.report(Rule::mem_aligned, Subject::platform, 0, 0, "ram").str("platform ram ").hex(pf.ram_size)
        .str(" is not a non-zero multiple of the page size");
  }
  const Range& k = pf.kernel_reserved;
  if (k.size == 0 || !page_aligned(k.base) || !page_aligned(k.size)) {
    r.report(Rule::mem_aligned, Subject::platform, 0, 0, "kernel_reserved").str("kernel_reserved ")
        .range(k.base, k.size).str(k.size == 0 ? " is empty" : " is not page-aligned");
  } else if (end_of(k.base, k.size) > pf.ram_size || k.base + k.size < k.base) {
    r.report(Rule::mem_in_ram, Subject::platform, 0, 0, "kernel_reserved").str("kernel_reserved ")
        .range(k.base, k.size).str(" lies outside RAM ").range(0, pf.ram_size);
  } else if (end_of(k.base, k.size) > k_kernel_map_end) {
    r.report(Rule::mem_in_ram, Subject::platform, 0, 0, "kernel_reserved").str("kernel_reserved ")
        .range(k.base, k.size).str(" reaches past the kernel's identity map ").range(0, k_kernel_map_end);
  }
}

// SK-MEM-6 for channel c seen from partition part: its guest window must not overlap that
// partition's guest RAM [0, size), its MMIO windows, or its earlier channels' windows.
void check_guest_window(const Policy& p, Reporter& r, uint32_t c, uint32_t part) {
  const Channel& ch = p.channels[c];
  const Partition& me = p.partitions[part];
  auto start = [&](Text& t) -> Text& {
    return t.str("channel ").quoted(ch.name).str(" guest window ").range(ch.guest_address,
                                                                          ch.memory.size);
  };
  auto report = [&]() { return r.report(Rule::mem_guest_layout, Subject::channel, c, 0, "guest_address"); };
  if (overlaps(ch.guest_address, ch.memory.size, 0, me.memory.size)) {
    start(report().text()).str(" overlaps partition ").quoted(me.name).str(" guest RAM ").range(0, me.memory.size);
  }
  for (uint32_t m = 0; m < me.mmio_count; ++m) {
    if (overlaps(ch.guest_address, ch.memory.size, me.mmio[m].base, me.mmio[m].size)) {
      start(report().text()).str(" overlaps partition ").quoted(me.name).str(" mmio ").range(me.mmio[m].base,
                                                                               me.mmio[m].size);
    }
  }
  for (uint32_t d = 0; d < c; ++d) {
    const Channel& other = p.channels[d];
    if (other.writer != part && other.reader != part) continue;
    if (overlaps(ch.guest_address, ch.memory.size, other.guest_address, other.memory.size)) {
      start(report().text()).str(" overlaps channel ").quoted(other.name).str(" guest window ")
          .range(other.guest_address, other.memory.size).str(" in partition ").quoted(me.name);
    }
  }
}

}  // namespace

void check_memory(const Policy& p, Reporter& r) {
  check_platform(p, r);

  bool part_ok[k_max_partitions] = {};
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    const Partition& part = p.partitions[i];
    part_ok[i] = check_region(p, r, {Subject::partition, i, &part.name, part.memory});
  }
  // SK-MEM-3: partitions pairwise disjoint (reported on the later one).
  for (uint32_t j = 0; j < p.partition_count; ++j) {
    for (uint32_t i = 0; i < j; ++i) {
      if (!part_ok[i] || !part_ok[j] || !overlaps(p.partitions[i].memory, p.partitions[j].memory)) {
        continue;
      }
      Message msg = r.report(Rule::mem_disjoint, Subject::partition, j, 0, "memory");
      describe(msg, {Subject::partition, j, &p.partitions[j].name, p.partitions[j].memory})
          .str(" overlaps ");
      describe(msg, {Subject::partition, i, &p.partitions[i].name, p.partitions[i].memory});
    }
  }

  bool chan_ok[k_max_channels] = {};
  for (uint32_t c = 0; c < p.channel_count; ++c) {
    const Channel& ch = p.channels[c];
    Region g{Subject::channel, c, &ch.name, ch.memory};
    chan_ok[c] = check_region(p, r, g);
    if (!page_aligned(ch.guest_address)) {
      r.report(Rule::mem_aligned, Subject::channel, c, 0, "guest_address").str("channel ")
          .quoted(ch.name).str(" guest_address ").hex(ch.guest_address).str(" is not page-aligned");
      chan_ok[c] = false;
    } else if (ch.guest_address + ch.memory.size < ch.guest_address) {
      r.report(Rule::mem_guest_layout, Subject::channel, c, 0, "guest_address").str("channel ")
          .quoted(ch.name).str(" guest window ").range(ch.guest_address, ch.memory.size)
          .str(" wraps past the end of the address space");
      chan_ok[c] = false;
    } else if (ch.guest_address + ch.memory.size > k_guest_physical_end) {
      r.report(Rule::mem_guest_layout, Subject::channel, c, 0, "guest_address").str("channel ")
          .quoted(ch.name).str(" guest window ").range(ch.guest_address, ch.memory.size)
          .str(" ends past ").hex(k_guest_physical_end).str(", where nested paging ends");
      chan_ok[c] = false;
    }
    if (!chan_ok[c]) continue;
    // SK-MEM-5: the channel's pages belong to the channel alone.
    for (uint32_t i = 0; i < p.partition_count; ++i) {
      if (!part_ok[i] || !overlaps(ch.memory, p.partitions[i].memory)) continue;
      Message msg = r.report(Rule::mem_channel, Subject::channel, c, 0, "memory");
      describe(msg, g).str(" overlaps ");
      describe(msg, {Subject::partition, i, &p.partitions[i].name, p.partitions[i].memory});
    }
    for (uint32_t d = 0; d < c; ++d) {
      if (!chan_ok[d] || !overlaps(ch.memory, p.channels[d].memory)) continue;
      Message msg = r.report(Rule::mem_channel, Subject::channel, c, 0, "memory");
      describe(msg, g).str(" overlaps ");
      describe(msg, {Subject::channel, d, &p.channels[d].name, p.channels[d].memory});
    }
    // SK-MEM-6: the guest window, in each endpoint that exists (SK-FLOW-2 reports the rest).
    if (partition_exists(p, ch.writer)) check_guest_window(p, r, c, ch.writer);
    if (partition_exists(p, ch.reader) && ch.reader != ch.writer) check_guest_window(p, r, c, ch.reader);
  }
}

}  // namespace sk::policy::rules
