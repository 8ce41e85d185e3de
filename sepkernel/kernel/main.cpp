// SPDX-License-Identifier: Apache-2.0
// Boot sequence of the bootstrap CPU: serial, descriptors, timer, SVM, then the policy image
// (read_image + validate before anything runs), the partitions, and the schedule.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpu_context.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/svm.hpp"
#include "drivers/serial.hpp"
#include "kernel/console.hpp"
#include "kernel/disk_keys.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/init.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/measure.hpp"
#include "kernel/multiboot.hpp"
#include "kernel/smp.hpp"
#include "kernel/timer.hpp"
#include "sk/panic.hpp"
#include "sk/policy_image.hpp"
#include "sk/sha256.hpp"
#include "sk/validate.hpp"

extern "C" void* memcpy(void*, const void*, size_t);

extern "C" uint8_t sk_image_start[], sk_image_end[], sk_init_start[], sk_init_end[];

namespace sk::kernel {
namespace {

policy::Policy g_policy;
multiboot::Boot_info g_boot;
cpu::Local g_cpus[policy::k_max_cpus];
alignas(4096) uint8_t g_host_save[policy::k_max_cpus][2][4096];

// Prints each violated rule on its own line and remembers their IDs for the panic line.
class Panic_sink final : public policy::Violation_sink {
 public:
  void report(const policy::Violation& v) override {
    log::print("policy violation %s: %s\n", rule_id(v.rule), v.message);
    text_length_ += log::format(text_ + text_length_, sizeof text_ - text_length_, "%s%s",
                                text_length_ ? " " : "", rule_id(v.rule));
  }
  const char* ids() const { return text_; }

 private:
  char text_[160] = {};
  size_t text_length_ = 0;
};

const char* image_error_text(Error e) {
  switch (e) {
    case Error::bad_digest: return "digest mismatch";
    case Error::bad_magic: return "bad magic";
    case Error::bad_revision: return "unsupported revision";
    case Error::bad_size: return "size mismatch";
    case Error::truncated: return "truncated";
    case Error::out_of_range: return "field out of range";
    default: return error_name(e);
  }
}

SK_INIT void load_policy() {
  const multiboot::Module* m = multiboot::find(g_boot, "policy");
  if (!m) panic("policy image rejected: no multiboot module named \"policy\"");
  Status s = policy::read_image(m->data, m->size, g_policy);
  if (!s) {
    char line[96];
    log::format(line, sizeof line, "policy image rejected: %s", image_error_text(s.error()));
    panic(line);
  }
  Panic_sink sink;
  if (policy::validate(g_policy, sink) != 0) {
    char line[200];
    log::format(line, sizeof line, "policy image rejected: %s", sink.ids());
    panic(line);
  }
  // Facts only the machine can tell (SK-MEM-2, SK-MEM-4): the kernel and every module lie
  // inside kernel_reserved, and every partition and channel inside the RAM we were given.
  const policy::Range& kr = g_policy.platform.kernel_reserved;
  auto inside_reserved = [&](uint64_t a, uint64_t b) { return a >= kr.base && b <= kr.base + kr.size; };
  if (!inside_reserved(uint64_t(sk_image_start), uint64_t(sk_image_end))) panic("policy image rejected: kernel image outside platform.kernel_reserved");
  for (uint32_t i = 0; i < g_boot.module_count; ++i) {
    if (!inside_reserved(g_boot.modules[i].start, g_boot.modules[i].end)) panic("policy image rejected: a boot module lies outside platform.kernel_reserved");
  }
  uint64_t ram_end = g_boot.memory_end;
  for (uint32_t i = 0; i < g_policy.partition_count; ++i) {
    const policy::Range& r = g_policy.partitions[i].memory;
    if (ram_end && r.base + r.size > ram_end) panic("policy image rejected: partition memory beyond the machine's RAM");
    if (r.base + r.size > (1ull << 32)) panic("policy image rejected: partition memory above 4 GiB (not identity mapped)");
  }
  for (uint32_t i = 0; i < g_policy.channel_count; ++i) {
    const policy::Range& r = g_policy.channels[i].memory;
    if ((ram_end && r.base + r.size > ram_end) || r.base + r.size > (1ull << 32)) panic("policy image rejected: channel memory outside RAM");
  }
  audit(audit::k_kernel, audit::Event::policy_accepted, "partitions=%u channels=%u image_bytes=%lu",
        g_policy.partition_count, g_policy.channel_count, m->size);
}

SK_INIT void start_svm(uint32_t cpu) {
  cpu::Local& l = g_cpus[cpu];
  l.index = cpu;
  l.context_owner = cpu::k_no_owner;
  l.host_save_pa = reinterpret_cast<uint64_t>(g_host_save[cpu][0]);
  l.vmsave_pa = reinterpret_cast<uint64_t>(g_host_save[cpu][1]);
  Status s = arch::svm::enable(l.host_save_pa);
  if (s.error() == Error::not_found) panic("CPU lacks AMD SVM with nested paging (use -cpu EPYC)");
  if (!s) panic("SVM disabled by firmware (VM_CR.SVMDIS)");
  // x87/SSE/AVX for the world switch (and the kernel's AES-NI): XSAVE over every component.
  if (!arch::context::init_cpu()) panic("CPU needs a larger XSAVE area than the kernel reserves per partition");
}

SK_INIT void boot(uint32_t magic, uint32_t info) {
  serial::init();
  log::print("\nBulkhead separation kernel 0.1\n");
  arch::load_descriptors(0);
  if (magic != multiboot::k_loader_magic) panic("not started by a multiboot loader");

  timer::init_bsp();
  start_svm(0);
  log::print("svm: enabled, %u ASIDs, nested paging\n", arch::svm::asid_count());
  log::print("cpu: per-partition state: XSAVE components 0x%lx (%u bytes), XCR0 and DR0-DR3\n",
             arch::context::supported_xcr0(), arch::context::area_size());
  multiboot::read(info, g_boot);
  const multiboot::Module* boot_log = multiboot::find(g_boot, "eventlog");
  if (boot_log) {
    log::print(
        "boot: UEFI path: MEASURED (firmware measured the boot stage, the boot stage this kernel into PCR 4, "
        "the policy into PCR 8, each partition into its own PCR from 9)\n");
  } else {
    log::print(
        "boot: multiboot path: this kernel is UNMEASURED (no firmware measured it); the policy and the "
        "images "
        "are measured into PCR 8 and each partition's own PCR from 9 only if a TPM answers\n");
  }
  load_policy();
  // Every CPU the policy names must be up before any partition is built: a machine that cannot
  // keep the schedule is refused at boot (the APs wait for release_application_processors).
  smp::start_application_processors(g_policy.platform.cpu_count);
  // Each partition's pieces, by the file names the policy gives (modules are named so), with
  // their digests: each module hashed once, however many partitions name it.
  Partition_modules modules[policy::k_max_partitions] = {};
  uint8_t module_sha256[multiboot::k_max_modules][32];
  bool hashed[multiboot::k_max_modules] = {};
  auto take = [&](const char* name, const uint8_t*& data, uint64_t& size, uint8_t* sha256) {
    const multiboot::Module* m = multiboot::find(g_boot, name);
    if (!m) return;
    const uint32_t k = uint32_t(m - g_boot.modules);
    if (!hashed[k]) Sha256::digest(m->data, m->size, module_sha256[k]);
    hashed[k] = true;
    data = m->data;
    size = m->size;
    memcpy(sha256, module_sha256[k], 32);
  };
  for (uint32_t i = 0; i < g_policy.partition_count; ++i) {
    const policy::Partition& p = g_policy.partitions[i];
    Partition_modules& m = modules[i];
    take(p.image.text, m.image, m.image_size, m.image_sha256);
    if (p.kind == policy::Image_kind::linux_bzimage) take(p.initramfs.text, m.initramfs, m.initramfs_size, m.initramfs_sha256);
  }
  measure::boot_measurements(modules, boot_log ? boot_log->data : nullptr, boot_log ? boot_log->size : 0);
  disk_keys::unlock_all([](const char* name, uint64_t* size) -> const uint8_t* {
    const multiboot::Module* m = multiboot::find(g_boot, name);
    if (!m) return nullptr;
    *size = m->size;
    return m->data;
  });
  console::claim_framebuffer(g_boot.framebuffer);
  build_partitions(modules);
  console::start();
}

}  // namespace

const policy::Policy& policy() { return g_policy; }

void drop_init_sections() {
  for (uint8_t* p = sk_init_start; p < sk_init_end; ++p) *p = 0xCC;
}

void start_cpu_svm(uint32_t cpu) { start_svm(cpu); }

}  // namespace sk::kernel

namespace sk::cpu {
Local& local() {
  uint32_t i = index();
  if (i >= policy::k_max_cpus) panic("CPU index beyond k_max_cpus");
  return kernel::g_cpus[i];
}
}  // namespace sk::cpu

extern "C" [[noreturn]] void sk_kernel_main(uint32_t magic, uint32_t info) {
  sk::kernel::boot(magic, info);
  uint64_t init_bytes = uint64_t(sk_init_end - sk_init_start);
  sk::kernel::drop_init_sections();
  sk::log::print("boot: dropped %lu bytes of boot-only code and data\n", init_bytes);
  sk::smp::release_application_processors();
  sk::kernel::audit(sk::audit::k_kernel, sk::audit::Event::boot, "schedule starting on cpu 0 at t=%lu us",
                    sk::timer::now_us());
  sk::kernel::run_schedule(0);
}
