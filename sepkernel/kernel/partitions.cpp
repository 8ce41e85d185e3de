// SPDX-License-Identifier: Apache-2.0
// Builds each partition from the validated policy: image digest check, memory zeroed and
// loaded, nested page table, I/O and MSR permission maps, VMCB. A partition that cannot be
// built is refused and audited; the others still start.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/svm.hpp"
#include "kernel/init.hpp"
#include "kernel/console.hpp"
#include "kernel/kernel.hpp"
#include "kernel/linux_partition.hpp"
#include "kernel/log.hpp"
#include "sk/elf32.hpp"
#include "sk/linux_boot.hpp"
#include "sk/npt_builder.hpp"
#include "sk/panic.hpp"
#include "sk/permission_maps.hpp"

extern "C" void* memcpy(void*, const void*, size_t);
extern "C" int memcmp(const void*, const void*, size_t);

namespace sk::kernel {
namespace {

namespace svm = arch::svm;
constexpr uint32_t k_parts = policy::k_max_partitions;
// NPT pool: 1024 pages map up to ~2 GiB of guest memory in 4 KiB pages across all partitions;
// boot checks the policy's need (npt::pages_needed) against it before building anything.
constexpr uint32_t k_pool_pages = 1024;

alignas(4096) uint8_t g_pool[k_pool_pages][4096];
alignas(4096) svm::Vmcb g_vmcb[k_parts];
alignas(4096) uint8_t g_iopm[k_parts][permission::k_iopm_size];
alignas(4096) uint8_t g_msrpm[k_parts][permission::k_msrpm_size];
Partition_runtime g_runtime[k_parts];
arch::context::Extended g_context[k_parts];
Channel_runtime g_channels[policy::k_max_channels];

struct Pool {
  uint32_t used = 0;
  Result<uint64_t> allocate() {
    if (used == k_pool_pages) return Error::no_space;
    uint8_t* page = g_pool[used++];
    for (int i = 0; i < 4096; ++i) page[i] = 0;
    return reinterpret_cast<uint64_t>(page);
  }
  uint64_t* table(uint64_t physical) { return reinterpret_cast<uint64_t*>(physical); }
};
Pool g_npt_pool;
const char* g_locked[policy::k_max_partitions];

// Checks that a piece's module is there and that its digest (computed once at boot) is the one
// the policy records; audits the refusal.
SK_INIT bool piece_present(uint16_t i, const char* what, const char* file, const uint8_t* data, const uint8_t* digest,
                           const uint8_t* policy_sha256) {
  if (!data) {
    audit(i, audit::Event::partition_refused, "%s %s not among the boot modules", what, file);
    return false;
  }
  if (memcmp(digest, policy_sha256, 32) != 0) {
    audit(i, audit::Event::partition_refused, "%s %s digest mismatch", what, file);
    return false;
  }
  return true;
}

// Loads an ELF32 partition image and sets entry; false after auditing the refusal.
SK_INIT bool load_elf(uint16_t i, const uint8_t* image, uint64_t size, uint32_t& entry) {
  const policy::Partition& p = policy().partitions[i];
  Result<elf32::Plan> plan = elf32::plan(image, size, p.memory.size);
  if (!plan) {
    audit(i, audit::Event::partition_refused, "image %s is not a loadable ELF32 image (%s)", p.image.text,
          error_name(plan.error()));
    return false;
  }
  arch::zero_memory(p.memory.base, p.memory.size);  // SK-MEM-3: nothing of a previous owner or boot remains
  for (uint32_t s = 0; s < plan.value().segment_count; ++s) {
    const elf32::Segment& seg = plan.value().segments[s];
    memcpy(reinterpret_cast<void*>(p.memory.base + seg.guest_address), image + seg.file_offset, seg.file_size);
  }
  entry = plan.value().entry;
  return true;
}

SK_INIT bool build_one(uint16_t i, const Partition_modules& m) {
  const policy::Partition& p = policy().partitions[i];
  Partition_runtime& rt = g_runtime[i];
  const bool is_linux = p.kind == policy::Image_kind::linux_bzimage;
  if (!piece_present(i, is_linux ? "linux" : "image", p.image.text, m.image, m.image_sha256, p.image_sha256)) return false;
  if (is_linux && !piece_present(i, "initramfs", p.initramfs.text, m.initramfs, m.initramfs_sha256, p.initramfs_sha256)) {
    return false;
  }
  uint32_t entry = 0;
  if (is_linux) {
    entry = linux_partition::load(i, m);  // never 0: a Linux kernel lies above 1 MiB
    if (entry == 0) return false;
  } else if (!load_elf(i, m.image, m.image_size, entry)) {
    return false;
  }
  Result<uint64_t> root = npt::build(policy(), i, g_npt_pool);
  if (!root) panic("NPT pool exhausted after the size check");
  permission::build_iopm(policy(), i, g_iopm[i]);
  permission::build_msrpm(g_msrpm[i]);

  svm::Vmcb& v = g_vmcb[i];
  for (auto& b : v.bytes) b = 0;
  rt.regs = {};
  if (is_linux) {
    // Linux's 32-bit entry: its boot GDT's selectors, ESI = the zero page (boot.rst, "32-bit
    // boot protocol").
    svm::init_guest_boot32(v, entry, linux_boot::k_boot_cs, linux_boot::k_boot_ds, linux_boot::k_gdt,
                           sizeof linux_boot::k_boot_gdt - 1);
    rt.regs.rsi = linux_boot::k_zero_page;
  } else {
    svm::init_guest_flat32(v, entry, 0);
  }
  // docs/kernel.md, "The world switch": what is intercepted and why.
  v.at<uint32_t>(svm::k_intercept_misc1) = svm::k_i1_intr | svm::k_i1_nmi | svm::k_i1_rdpmc | svm::k_i1_cpuid |
                                           svm::k_i1_invd | svm::k_i1_hlt | svm::k_i1_invlpga | svm::k_i1_ioio |
                                           svm::k_i1_msr | svm::k_i1_task_switch | svm::k_i1_shutdown;
  v.at<uint32_t>(svm::k_intercept_misc2) = svm::k_i2_vmrun | svm::k_i2_vmmcall | svm::k_i2_vmload |
                                           svm::k_i2_vmsave | svm::k_i2_stgi | svm::k_i2_clgi | svm::k_i2_skinit |
                                           svm::k_i2_wbinvd | svm::k_i2_monitor | svm::k_i2_mwait |
                                           svm::k_i2_mwait_armed | svm::k_i2_xsetbv | svm::k_i2_rdpru;
  v.at<uint64_t>(svm::k_iopm_pa) = reinterpret_cast<uint64_t>(g_iopm[i]);
  v.at<uint64_t>(svm::k_msrpm_pa) = reinterpret_cast<uint64_t>(g_msrpm[i]);
  v.at<uint32_t>(svm::k_asid) = i + 1u;        // one ASID per partition, never reused
  v.at<uint8_t>(svm::k_tlb_control) = 1;        // flush this ASID on the first VMRUN
  v.at<uint32_t>(svm::k_vintr) = 1u << 24;      // V_INTR_MASKING: guest IF never masks host interrupts
  v.at<uint64_t>(svm::k_np_enable) = 1;
  v.at<uint64_t>(svm::k_n_cr3) = root.value();
  rt.index = i;
  rt.asid = i + 1u;
  rt.npt_root = root.value();
  arch::context::reset(g_context[i]);  // as after RESET: nothing of the boot or another partition
  rt.state = Run_state::runnable;
  audit(i, audit::Event::partition_started, "entry=0x%x memory=0x%lx+0x%lx asid=%u cpu=%u", entry,
        p.memory.base, p.memory.size, rt.asid, p.cpu);
  return true;
}

}  // namespace

Partition_runtime& partition(uint16_t index) { return g_runtime[index]; }
svm::Vmcb& vmcb(uint16_t index) { return g_vmcb[index]; }
Channel_runtime& channel(uint16_t index) { return g_channels[index]; }
arch::context::Extended& cpu_context(uint16_t index) { return g_context[index]; }

SK_INIT void build_partitions(const Partition_modules* modules) {
  const policy::Policy& pol = policy();
  if (arch::svm::asid_count() <= pol.partition_count) panic("not enough ASIDs for one per partition");
  uint64_t need = 0;
  for (uint16_t i = 0; i < pol.partition_count; ++i) need += npt::pages_needed(pol, i);
  if (need > k_pool_pages) panic("policy needs more NPT pages than the kernel's static pool");
  for (uint32_t c = 0; c < pol.channel_count; ++c) arch::zero_memory(pol.channels[c].memory.base, pol.channels[c].memory.size);
  for (uint16_t i = 0; i < pol.partition_count; ++i) {
    g_runtime[i].index = i;
    g_runtime[i].state = Run_state::absent;
    if (g_locked[i]) continue;  // its disk key did not unseal: never built, never run
    (void)build_one(i, modules[i]);
  }
  log::print("npt: %u of %u pool pages used\n", g_npt_pool.used, k_pool_pages);
}

void lock_partition(uint16_t part, const char* reason) {
  if (part < policy::k_max_partitions) g_locked[part] = reason;
}

const char* locked_reason(uint16_t part) { return part < policy::k_max_partitions ? g_locked[part] : nullptr; }

}  // namespace sk::kernel
