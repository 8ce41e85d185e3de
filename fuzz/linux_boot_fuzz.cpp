// SPDX-License-Identifier: Apache-2.0
// Fuzzes the bzImage checks and placement (sk/linux_boot.hpp): any bytes are refused or give a
// header whose kernel lies inside the input, a placement inside the partition's RAM with the
// kernel and initramfs apart, and a zero page built without reading outside the input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sk/linux_boot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace lb = sk::linux_boot;
  // The last 8 bytes choose the partition's RAM and the initramfs size; the rest is the bzImage.
  if (size < 8) return 0;
  const uint64_t ram = uint64_t(data[size - 8] | data[size - 7] << 8 | data[size - 6] << 16) << 12;
  const uint64_t initrd = uint64_t(data[size - 5] | data[size - 4] << 8 | data[size - 3] << 16) << 4;
  const size_t cmdline = size_t(data[size - 2] | data[size - 1] << 8) & 0xFFF;
  std::vector<uint8_t> bz(data, data + size - 8);  // exactly sized: ASan sees any overread
  lb::Parsed p = lb::parse(bz.data(), bz.size());
  if (p.refusal != lb::Refusal::none) return 0;
  if (uint64_t{p.header.setup_bytes} + p.header.kernel_bytes != bz.size()) __builtin_trap();
  lb::Plan plan = lb::place(p.header, ram, initrd, cmdline);
  if (plan.refusal != lb::Refusal::none) return 0;
  const uint64_t kernel_end = uint64_t{plan.kernel_at} + p.header.init_size;
  if (plan.kernel_at < lb::k_high_start || kernel_end > ram) __builtin_trap();
  if (plan.initrd_size &&
      (plan.initrd_at < kernel_end || uint64_t{plan.initrd_at} + plan.initrd_size > ram)) {
    __builtin_trap();
  }
  uint8_t zero_page[4096];
  lb::build_zero_page(zero_page, bz.data(), p.header, plan, ram);
  return 0;
}
