// SPDX-License-Identifier: Apache-2.0
// Device rules SK-DEV-1 .. SK-DEV-3: ranges well-formed (MMIO between RAM and 4 GiB), at most one
// owner for every port, MMIO page and IRQ, and nothing the kernel drives or needs owned at all.
#include "validate_rules.hpp"

namespace sk::policy::rules {

namespace {

bool ports_overlap(const Io_range& a, const Io_range& b) {
  return overlaps(a.first, a.count, b.first, b.count);
}

Text& ports(Text& t, const Io_range& io) { return t.str("io ports ").range(io.first, io.count); }

// SK-DEV-3 for one partition. Marks which ranges are well-formed for the ownership rules.
void check_wellformed(const Policy& p, Reporter& r, uint32_t i, bool io_ok[], bool mmio_ok[]) {
  const Partition& part = p.partitions[i];
  for (uint32_t k = 0; k < part.io_count; ++k) {
    const Io_range& io = part.io[k];
    io_ok[k] = false;
    if (io.count == 0) {
      Message m = r.report(Rule::dev_wellformed, Subject::partition, i, k, "io");
      ports(m.str("partition ").quoted(part.name).str(" "), io).str(" is empty");
    } else if (uint32_t{io.first} + io.count > 0x10000) {
      Message m = r.report(Rule::dev_wellformed, Subject::partition, i, k, "io");
      ports(m.str("partition ").quoted(part.name).str(" "), io).str(" extend past port 0xffff");
    } else {
      io_ok[k] = true;
    }
  }
  for (uint32_t k = 0; k < part.mmio_count; ++k) {
    const Range& mm = part.mmio[k];
    mmio_ok[k] = false;
    auto report = [&]() { return r.report(Rule::dev_wellformed, Subject::partition, i, k, "mmio"); };
    auto prefix = [&](Text& t) -> Text& {
      return t.str("partition ").quoted(part.name).str(" mmio ").range(mm.base, mm.size);
    };
    if (mm.size == 0) {
      prefix(report().text()).str(" is empty");
    } else if (!page_aligned(mm.base) || !page_aligned(mm.size)) {
      prefix(report().text()).str(" is not page-aligned");
    } else if (mm.base + mm.size < mm.base) {
      prefix(report().text()).str(" wraps past the end of the address space");
    } else if (overlaps(mm.base, mm.size, 0, p.platform.ram_size)) {
      // A pass-through window over RAM would hand out memory behind SK-MEM-3's back; it would
      // also collide with the guest's own RAM, which starts at guest-physical 0.
      prefix(report().text()).str(" lies inside RAM ").range(0, p.platform.ram_size);
    } else if (mm.base + mm.size > k_kernel_map_end) {
      // The kernel maps [0, 4 GiB) and builds nothing above it; a window there is unreachable.
      prefix(report().text()).str(" reaches past the kernel's identity map ").range(0, k_kernel_map_end);
    } else {
      mmio_ok[k] = true;
    }
  }
  for (uint32_t k = 0; k < part.irq_count; ++k) {
    uint8_t irq = part.irqs[k];
    if (irq > k_max_irq) {
      r.report(Rule::dev_wellformed, Subject::partition, i, k, "irqs").str("partition ")
          .quoted(part.name).str(" irq ").dec(irq).str(" does not exist (IRQs are 0 to ").dec(k_max_irq)
          .str(")");
      continue;
    }
    for (uint32_t l = 0; l < k; ++l) {
      if (part.irqs[l] == irq) {
        r.report(Rule::dev_wellformed, Subject::partition, i, k, "irqs").str("partition ")
            .quoted(part.name).str(" lists irq ").dec(irq).str(" twice");
        break;
      }
    }
  }
}

// SK-DEV-2: nothing of the kernel's: each grant against the whole reserved list of its kind.
void check_reserved(const Policy& p, Reporter& r, uint32_t i, const bool io_ok[], const bool mmio_ok[]) {
  const Partition& part = p.partitions[i];
  for (uint32_t k = 0; k < part.io_count; ++k) {
    if (!io_ok[k]) continue;
    for (size_t d = 0; d < k_reserved_io_count; ++d) {
      if (!ports_overlap(part.io[k], k_reserved_io[d].ports)) continue;
      Message m = r.report(Rule::dev_reserved, Subject::partition, i, k, "io");
      ports(m.str("partition ").quoted(part.name).str(" "), part.io[k]).str(" overlap the kernel's ")
          .str(k_reserved_io[d].what).str(" ports ").range(k_reserved_io[d].ports.first,
                                                          k_reserved_io[d].ports.count);
    }
  }
  for (uint32_t k = 0; k < part.mmio_count; ++k) {
    if (!mmio_ok[k]) continue;
    for (size_t d = 0; d < k_reserved_memory_count; ++d) {
      const Reserved_memory& res = k_reserved_memory[d];
      if (!overlaps(part.mmio[k], res.range)) continue;
      r.report(Rule::dev_reserved, Subject::partition, i, k, "mmio").str("partition ").quoted(part.name)
          .str(" mmio ").range(part.mmio[k].base, part.mmio[k].size).str(" overlaps the kernel's ")
          .str(res.what).str(" ").range(res.range.base, res.range.size);
    }
  }
  for (uint32_t k = 0; k < part.irq_count; ++k) {
    for (size_t d = 0; d < k_reserved_irq_count; ++d) {
      if (part.irqs[k] != k_reserved_irqs[d].irq) continue;
      r.report(Rule::dev_reserved, Subject::partition, i, k, "irqs").str("partition ").quoted(part.name)
          .str(" irq ").dec(part.irqs[k]).str(" belongs to the kernel's ").str(k_reserved_irqs[d].what);
    }
  }
}

}  // namespace

void check_devices(const Policy& p, Reporter& r) {
  bool io_ok[k_max_partitions][k_max_io_ranges] = {};
  bool mmio_ok[k_max_partitions][k_max_mmio_ranges] = {};
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    check_wellformed(p, r, i, io_ok[i], mmio_ok[i]);
    check_reserved(p, r, i, io_ok[i], mmio_ok[i]);
  }
  // SK-DEV-1: pairwise between partitions, reported on the later owner.
  for (uint32_t j = 0; j < p.partition_count; ++j) {
    const Partition& b = p.partitions[j];
    for (uint32_t i = 0; i < j; ++i) {
      const Partition& a = p.partitions[i];
      for (uint32_t k = 0; k < b.io_count; ++k) {
        for (uint32_t l = 0; l < a.io_count; ++l) {
          if (!io_ok[j][k] || !io_ok[i][l] || !ports_overlap(b.io[k], a.io[l])) continue;
          Message m = r.report(Rule::dev_exclusive, Subject::partition, j, k, "io");
          ports(m.str("partition ").quoted(b.name).str(" "), b.io[k]).str(" overlap partition ")
              .quoted(a.name).str(" ");
          ports(m, a.io[l]);
        }
      }
      for (uint32_t k = 0; k < b.mmio_count; ++k) {
        for (uint32_t l = 0; l < a.mmio_count; ++l) {
          if (!mmio_ok[j][k] || !mmio_ok[i][l] || !overlaps(b.mmio[k], a.mmio[l])) continue;
          r.report(Rule::dev_exclusive, Subject::partition, j, k, "mmio").str("partition ").quoted(b.name)
              .str(" mmio ").range(b.mmio[k].base, b.mmio[k].size).str(" overlaps partition ")
              .quoted(a.name).str(" mmio ").range(a.mmio[l].base, a.mmio[l].size);
        }
      }
      for (uint32_t k = 0; k < b.irq_count; ++k) {
        for (uint32_t l = 0; l < a.irq_count; ++l) {
          if (b.irqs[k] != a.irqs[l]) continue;
          r.report(Rule::dev_exclusive, Subject::partition, j, k, "irqs").str("partition ")
              .quoted(b.name).str(" irq ").dec(b.irqs[k]).str(" is also owned by partition ")
              .quoted(a.name);
        }
      }
    }
  }
}

}  // namespace sk::policy::rules
