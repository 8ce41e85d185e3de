// SPDX-License-Identifier: Apache-2.0
// Loads a Linux partition (see linux_partition.hpp); the checks and the zero page are the
// shared core's (sk/linux_boot.hpp), this file only copies into the partition's memory.
#include "kernel/linux_partition.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/init.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"
#include "sk/linux_boot.hpp"

extern "C" void* memcpy(void*, const void*, size_t);

namespace sk::kernel::linux_partition {
namespace {

namespace lb = linux_boot;

}  // namespace

SK_INIT uint32_t load(uint16_t i, const Partition_modules& m) {
  const policy::Partition& p = policy().partitions[i];
  const lb::Parsed parsed = lb::parse(m.image, m.image_size);
  if (parsed.refusal != lb::Refusal::none) {
    audit(i, audit::Event::partition_refused, "linux %s: %s", p.image.text, lb::reason(parsed.refusal));
    return 0;
  }
  // The command line: the policy's (measured), then what only this machine knows.
  static char line[lb::k_cmdline_room];
  size_t n = 0;
  for (; n < policy::k_cmdline_len && p.cmdline.text[n]; ++n) line[n] = p.cmdline.text[n];
  line[n] = '\0';
  n = lb::append_tsc_khz(line, sizeof line, timer::tsc_khz());
  const lb::Header& h = parsed.header;
  const lb::Plan plan = lb::place(h, p.memory.size, m.initramfs_size, n);
  if (plan.refusal != lb::Refusal::none) {
    log::print(
        "linux: %s: memory 0x%lx, bzImage init_size 0x%x at 0x%lx or above 1 MiB (alignment 0x%x), "
        "initramfs 0x%lx bytes, command line %lu of %u characters\n",
        p.name.text, p.memory.size, h.init_size, h.pref_address, h.alignment, m.initramfs_size, n,
        h.cmdline_size);
    audit(i, audit::Event::partition_refused, "linux %s: %s", p.image.text, lb::reason(plan.refusal));
    return 0;
  }
  const uint64_t base = p.memory.base;
  arch::zero_memory(base, p.memory.size);  // SK-MEM-3: nothing of a previous owner or boot remains
  memcpy(reinterpret_cast<void*>(base + plan.kernel_at), m.image + h.setup_bytes, h.kernel_bytes);
  if (plan.initrd_size) memcpy(reinterpret_cast<void*>(base + plan.initrd_at), m.initramfs, plan.initrd_size);
  lb::build_zero_page(reinterpret_cast<uint8_t*>(base + lb::k_zero_page), m.image, h, plan, p.memory.size);
  memcpy(reinterpret_cast<void*>(base + lb::k_gdt), lb::k_boot_gdt, sizeof lb::k_boot_gdt);
  memcpy(reinterpret_cast<void*>(base + lb::k_cmdline), line, n + 1);
  log::print(
      "linux: %s: bzImage %s (boot protocol %u.%u) at 0x%x, initramfs %s (%lu bytes) at 0x%x, the "
      "policy's command line and tsc_early_khz=%u\n",
      p.name.text, p.image.text, h.protocol >> 8, h.protocol & 0xFF, plan.kernel_at, p.initramfs.text,
      m.initramfs_size, plan.initrd_at, timer::tsc_khz());
  return plan.kernel_at;
}

}  // namespace sk::kernel::linux_partition
