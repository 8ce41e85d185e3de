// SPDX-License-Identifier: Apache-2.0
// The hosted kernel environment (see hosted_kernel.hpp): definitions of what exits.cpp,
// hypercalls.cpp and audit.cpp call outside themselves. Test code only, never in the kernel.
#include "hosted_kernel.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "arch/x86_64/svm.hpp"
#include "drivers/ata.hpp"
#include "kernel/attest.hpp"
#include "kernel/block.hpp"
#include "kernel/console.hpp"
#include "kernel/context_switch.hpp"
#include "kernel/cpu_local.hpp"
#include "kernel/disk_keys.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"
#include "kernel/virtual_disk.hpp"
#include "kernel/virtual_pc.hpp"
#include "kernel/virtual_uart.hpp"
#include "sk/sealed_key.hpp"

namespace svm = sk::arch::svm;
namespace sp = sk::policy;

namespace {

const sp::Policy* g_policy;
sk::kernel::Partition_runtime g_runtime[sp::k_max_partitions];
svm::Vmcb g_vmcb[sp::k_max_partitions];
sk::kernel::Channel_runtime g_channels[sp::k_max_channels];
sk::arch::context::Extended g_context[sp::k_max_partitions];
std::vector<uint8_t> g_ram[sp::k_max_partitions];  // each partition's RAM, guest-physical 0 up
std::vector<bh::test::hosted::Audit_line> g_audit;
// Per CPU: its current frame's start, its partition, that partition's exits when it started;
// its kernel-local record (context_owner) and its registers. g_cpu: the CPU an exit is on.
uint64_t g_frame_start_us[sp::k_max_cpus];
uint16_t g_running[sp::k_max_cpus];
uint64_t g_exits_at_start[sp::k_max_cpus];
sk::cpu::Local g_local[sp::k_max_cpus];
sk::arch::context::Extended g_live[sp::k_max_cpus];
uint32_t g_cpu;

// Where register r of a context lives (hosted_kernel.hpp, k_registers): its low 32 bits.
uint8_t* register_bytes(sk::arch::context::Extended& c, uint32_t r) {
  constexpr uint32_t k_xmm0 = 160, k_ymm0_high = 576;
  switch (r) {
    case 0:
      return reinterpret_cast<uint8_t*>(&c.dr[0]);
    case 1:
      return reinterpret_cast<uint8_t*>(&c.dr[3]);
    case 2:
      return c.area + k_xmm0;
    default:
      return c.area + k_ymm0_high;
  }
}

// At guest-physical 0: VMMCALL; 3: CPUID; 5: HLT; 6: XSETBV.
constexpr uint8_t k_code[] = {0x0F, 0x01, 0xD9, 0x0F, 0xA2, 0xF4, 0x0F, 0x01, 0xD1};

// Each partition's disk: ATA position = its index, a data segment of k_disk_sectors sectors
// after 2 sectors of header, its own XTS key. The medium (ciphertext) by ATA position; a sector
// not written since reset holds the ciphertext of zeros, made when first read.
namespace hc = sk::hypercall;
constexpr uint64_t k_data_offset = 2 * hc::k_block_sector;
constexpr uint32_t k_ring = 0x1000, k_buffer = 0x2000;
sk::kernel::disk_keys::Disk g_disks[sp::k_max_partitions];
bool g_disks_keyed;
std::vector<uint8_t> g_medium[sp::k_max_partitions];
bool g_written[sp::k_max_partitions][bh::test::hosted::k_disk_sectors];

void key_disks() {
  if (g_disks_keyed) return;
  for (uint16_t i = 0; i < sp::k_max_partitions; ++i) {
    uint8_t key[64];
    for (uint32_t b = 0; b < sizeof key; ++b) key[b] = uint8_t(0x40 + 7 * i + 13 * b);
    sk::kernel::disk_keys::Disk& d = g_disks[i];
    d.ata = i;
    d.data_offset = k_data_offset;
    d.data_size = uint64_t{bh::test::hosted::k_disk_sectors} * hc::k_block_sector;
    d.use_aesni = false;
    (void)d.xts.set_key(key);
    g_medium[i].assign(k_data_offset + d.data_size, 0);
  }
  g_disks_keyed = true;
}

void mark(uint8_t* sector, uint32_t value) {
  std::memcpy(sector, &value, sizeof value);
  for (uint32_t i = sizeof value; i < hc::k_block_sector; ++i) sector[i] = uint8_t(value * 31 + i);
}

// The partition an audit line names (audit.cpp prints the policy's name), or k_kernel.
uint16_t partition_named(const char* name, size_t length) {
  for (uint16_t i = 0; i < g_policy->partition_count; ++i) {
    const char* own = g_policy->partitions[i].name.text;
    if (std::strlen(own) == length && std::memcmp(own, name, length) == 0) return i;
  }
  return sk::audit::k_kernel;
}

// Keeps the partition and event of an `AUDIT seq=.. t=.. part=NAME event=EVENT detail=".."` line.
void capture(const char* line) {
  if (std::strncmp(line, "AUDIT ", 6) != 0) return;
  const char* part = std::strstr(line, " part=");
  const char* event = std::strstr(line, " event=");
  if (!part || !event) return;
  part += 6;
  event += 7;
  g_audit.push_back(
      {partition_named(part, std::strcspn(part, " ")), std::string(event, std::strcspn(event, " "))});
}

void prepare_exit(uint16_t part, uint64_t code, uint64_t info1, uint64_t info2) {
  g_cpu = g_policy->partitions[part].cpu;  // the exit happens on the partition's own CPU
  svm::Vmcb& v = g_vmcb[part];
  v.at<uint64_t>(svm::k_exit_code) = code;
  v.at<uint64_t>(svm::k_exit_info1) = info1;
  v.at<uint64_t>(svm::k_exit_info2) = info2;
  v.at<uint64_t>(svm::k_exit_int_info) = 0;
  v.at<uint64_t>(svm::k_rip) = 0;
}

}  // namespace

namespace bh::test::hosted {

void reset(const sp::Policy& policy) {
  g_policy = &policy;
  for (uint16_t i = 0; i < sp::k_max_partitions; ++i) {
    g_runtime[i] = {};
    g_runtime[i].index = i;
    g_runtime[i].asid = i + 1u;
    g_runtime[i].state =
        i < policy.partition_count ? sk::kernel::Run_state::runnable : sk::kernel::Run_state::absent;
    for (auto& b : g_vmcb[i].bytes) b = 0;
    svm::init_guest_flat32(g_vmcb[i], 0, 0);
    g_ram[i].assign(i < policy.partition_count ? policy.partitions[i].memory.size : 0, 0);
    if (g_ram[i].size() >= sizeof k_code) std::memcpy(g_ram[i].data(), k_code, sizeof k_code);
    g_context[i] = {};
    g_context[i].xcr0 = 1;
  }
  for (auto& c : g_channels) c.events = 0;
  g_audit.clear();
  for (uint32_t c = 0; c < sp::k_max_cpus; ++c) {
    g_local[c] = {};
    g_local[c].index = c;
    g_local[c].context_owner = sk::cpu::k_no_owner;
    g_live[c] = {};
    g_live[c].xcr0 = 1;
    start_frame(c, 0, sp::k_idle);
  }
  g_cpu = 0;
  key_disks();
  for (auto& w : g_written) {
    for (bool& b : w) b = false;
  }
  for (uint16_t i = 0; i < policy.partition_count; ++i) {
    if (g_ram[i].size() >= 3 * sp::k_page_size) {
      const sk::Error e = sk::kernel::block::info(i, k_ring);
      if (e != sk::Error::none) std::abort();  // the kernel refused a ring in the partition's own RAM
    }
  }
}

Block_call block_request(uint16_t part, bool write, uint64_t sector, uint32_t value) {
  std::vector<uint8_t>& ram = g_ram[part];
  uint32_t tail;
  std::memcpy(&tail, ram.data() + k_ring + 4, sizeof tail);
  const hc::Block_request r{uint32_t(write ? hc::Block_op::write : hc::Block_op::read), 0, sector, k_buffer,
                            0};
  const size_t at = k_ring + 8 + size_t(tail % hc::k_block_ring_entries) * sizeof r;
  std::memcpy(ram.data() + at, &r, sizeof r);
  const uint32_t head = tail + 1;
  std::memcpy(ram.data() + k_ring, &head, sizeof head);
  if (write)
    mark(ram.data() + k_buffer, value);
  else
    std::memset(ram.data() + k_buffer, 0xEE, hc::k_block_sector);
  Block_call b{};
  b.call = vmmcall(part, uint32_t(sk::hypercall::Number::block_doorbell), 0, 0, 0);
  std::memcpy(&b.status, ram.data() + at + 4, sizeof b.status);
  if (!write) {
    std::memcpy(&b.value, ram.data() + k_buffer, sizeof b.value);
    uint8_t want[hc::k_block_sector];
    mark(want, b.value);
    b.read_marked = std::memcmp(want, ram.data() + k_buffer, sizeof want) == 0 ||
                    std::all_of(ram.data() + k_buffer, ram.data() + k_buffer + hc::k_block_sector,
                                [](uint8_t x) { return x == 0; });
  }
  return b;
}

void start_frame(uint32_t cpu, uint64_t start_us, uint16_t running) {
  g_frame_start_us[cpu] = start_us;
  g_running[cpu] = running;
  g_exits_at_start[cpu] = running < sp::k_max_partitions ? g_runtime[running].exits : 0;
}

void switch_to(uint16_t part) {
  g_cpu = g_policy->partitions[part].cpu;
  sk::kernel::switch_context(part);
}

void set_register(uint16_t part, uint32_t r, uint32_t value) {
  std::memcpy(register_bytes(g_live[g_policy->partitions[part].cpu], r), &value, sizeof value);
}

// Where part's context is now: its CPU's registers while they hold it, else its saved record.
static sk::arch::context::Extended& current_context(uint16_t part) {
  const uint32_t cpu = g_policy->partitions[part].cpu;
  return g_local[cpu].context_owner == part ? g_live[cpu] : g_context[part];
}

uint32_t context_register(uint16_t part, uint32_t r) {
  uint32_t value;
  std::memcpy(&value, register_bytes(current_context(part), r), sizeof value);
  return value;
}

Cpuid cpuid(uint16_t part, uint32_t leaf, uint32_t sub) {
  prepare_exit(part, svm::k_exit_cpuid, 0, 0);
  svm::Vmcb& v = g_vmcb[part];
  v.at<uint64_t>(svm::k_rip) = 3;
  v.at<uint64_t>(svm::k_rax) = leaf;
  g_runtime[part].regs.rcx = sub;
  const bool continues = sk::kernel::handle_exit(part);
  const auto& r = g_runtime[part].regs;
  return {continues,       uint32_t(v.at<uint64_t>(svm::k_rax)),
          uint32_t(r.rbx), uint32_t(r.rcx),
          uint32_t(r.rdx), v.at<uint64_t>(svm::k_rip)};
}

bool hlt(uint16_t part, uint64_t& rip) {
  prepare_exit(part, svm::k_exit_hlt, 0, 0);
  g_vmcb[part].at<uint64_t>(svm::k_rip) = 5;
  const bool continues = sk::kernel::handle_exit(part);
  rip = g_vmcb[part].at<uint64_t>(svm::k_rip);
  return continues;
}

bool io(uint16_t part, uint16_t port, bool in, uint8_t size) {
  // EXITINFO1 as the CPU reports it: the port in bits 31:16, SZ8/SZ16/SZ32 in bits 4-6, bit 0
  // an IN; EXITINFO2 the RIP of the next instruction.
  const uint64_t sz = size == 1 ? 0x10 : size == 2 ? 0x20 : 0x40;
  prepare_exit(part, svm::k_exit_ioio, (uint64_t{port} << 16) | sz | (in ? 1u : 0u), 1);
  return sk::kernel::handle_exit(part);
}

bool msr(uint16_t part, uint32_t msr, bool write) {
  prepare_exit(part, svm::k_exit_msr, write ? 1 : 0, 0);
  g_runtime[part].regs.rcx = msr;
  return sk::kernel::handle_exit(part);
}

bool xsetbv(uint16_t part, uint64_t value, uint64_t& rip) {
  prepare_exit(part, svm::k_exit_xsetbv, 0, 0);
  svm::Vmcb& v = g_vmcb[part];
  v.at<uint64_t>(svm::k_rip) = 6;
  v.at<uint64_t>(svm::k_rax) = uint32_t(value);
  v.at<uint8_t>(svm::k_cpl) = 0;
  g_runtime[part].regs.rdx = value >> 32;
  g_runtime[part].regs.rcx = 0;
  const bool continues = sk::kernel::handle_exit(part);
  rip = v.at<uint64_t>(svm::k_rip);
  return continues;
}

uint64_t xcr0(uint16_t part) {
  return current_context(part).xcr0;
}

bool take_injected_gp(uint16_t part) {
  uint64_t& event = g_vmcb[part].at<uint64_t>(svm::k_event_inject);
  const bool gp = event == (13u | (3u << 8) | (1u << 11) | (1u << 31));
  event = 0;
  return gp;
}

Call vmmcall(uint16_t part, uint32_t number, uint32_t a0, uint32_t a1, uint8_t cpl) {
  prepare_exit(part, svm::k_exit_vmmcall, 0, 0);
  svm::Vmcb& v = g_vmcb[part];
  v.at<uint64_t>(svm::k_rax) = number;
  v.at<uint8_t>(svm::k_cpl) = cpl;
  g_runtime[part].regs.rbx = a0;
  g_runtime[part].regs.rcx = a1;
  const bool continues = sk::kernel::handle_exit(part);
  return {continues, uint32_t(v.at<uint64_t>(svm::k_rax)), uint32_t(g_runtime[part].regs.rbx),
          uint32_t(g_runtime[part].regs.rcx), v.at<uint64_t>(svm::k_rip)};
}

bool nested_page_fault(uint16_t part, uint64_t gpa, bool present) {
  // EXITINFO1 as the CPU reports it: bit 0 the page was present, bit 1 a write; EXITINFO2 the GPA.
  prepare_exit(part, svm::k_exit_npf, (present ? 1u : 0u) | 2u, gpa);
  g_vmcb[part].at<uint8_t>(svm::k_cpl) = 0;
  return sk::kernel::handle_exit(part);
}

Status read_status(uint16_t part) {
  // The call itself, without the exit around it: observing does not count as one of p's exits.
  svm::Vmcb& v = g_vmcb[part];
  v.at<uint64_t>(svm::k_rax) = uint32_t(sk::hypercall::Number::read_status);
  v.at<uint8_t>(svm::k_cpl) = 0;
  (void)sk::kernel::handle_hypercall(part);
  return {uint32_t(g_runtime[part].regs.rbx), uint32_t(g_runtime[part].regs.rcx),
          uint32_t(g_runtime[part].regs.rdx)};
}

bool stopped(uint16_t part) { return g_runtime[part].state == sk::kernel::Run_state::stopped; }
uint32_t events(uint16_t channel) { return g_channels[channel].events; }
const std::vector<Audit_line>& audit_lines() { return g_audit; }

}  // namespace bh::test::hosted

// ---- What the kernel's files call, hosted -------------------------------------------------------

namespace sk::kernel {

const policy::Policy& policy() { return *g_policy; }
Partition_runtime& partition(uint16_t index) { return g_runtime[index]; }
svm::Vmcb& vmcb(uint16_t index) { return g_vmcb[index]; }
Channel_runtime& channel(uint16_t index) { return g_channels[index]; }
arch::context::Extended& cpu_context(uint16_t index) { return g_context[index]; }

// The schedule's clock (schedule.cpp) is not hosted: every partition has a whole frame left.
uint64_t own_time_left_us() { return sp::k_min_frame_us; }
bool Work_cost::fits() const { return true; }

// Own RAM only, as the kernel's write_guest.
Status write_guest(uint16_t part, uint64_t gpa, const void* in, size_t n) {
  std::vector<uint8_t>& ram = g_ram[part];
  if (gpa + n < gpa || gpa + n > ram.size()) return Error::denied;
  std::memcpy(ram.data() + gpa, in, n);
  return {};
}

// Own RAM only (what the exit handlers read: instruction bytes and hypercall buffers); the kernel's
// read_guest also reads channel pages, through guest_page.
Status read_guest(uint16_t part, uint64_t gpa, void* out, size_t n, bool) {
  const std::vector<uint8_t>& ram = g_ram[part];
  if (gpa + n < gpa || gpa + n > ram.size()) return Error::denied;
  std::memcpy(out, ram.data() + gpa, n);
  return {};
}

// The virtual devices, the disk and the TPM are not hosted: no port is theirs, every call fails.
namespace console {
bool emulate_io(uint16_t, uint64_t, uint64_t) { return false; }
}  // namespace console
namespace uart {
bool emulate_io(uint16_t, uint64_t, uint64_t) { return false; }
}  // namespace uart
namespace pc {
bool emulate_io(uint16_t, uint64_t, uint64_t) { return false; }
bool idle_until(uint16_t, uint64_t) { return false; }
}  // namespace pc
namespace vdisk {
bool emulate_io(uint16_t, uint64_t, uint64_t) { return false; }
bool busy(uint16_t) { return false; }
}  // namespace vdisk
namespace disk_keys {
const Disk* disk(uint16_t part) {
  return part < g_policy->partition_count ? &g_disks[part] : nullptr;
}
}  // namespace disk_keys
namespace attest {
Error quote(uint16_t, uint32_t, uint32_t, bool&) { return Error::denied; }
Error read_log(uint16_t, uint32_t, uint32_t, uint32_t) { return Error::denied; }
}  // namespace attest

}  // namespace sk::kernel

// The fake ATA medium: every transfer completes at once. A sector of the data segment not
// written since reset reads as the ciphertext of zeros under its partition's key.
namespace sk::drivers::ata {
Progress run(Transfer& t, uint64_t) {
  std::vector<uint8_t>& medium = g_medium[t.disk];
  const uint64_t begin = t.lba * k_sector, size = uint64_t{t.count} * k_sector;
  if (begin + size > medium.size() || begin < k_data_offset ||
      (begin - k_data_offset) % hc::k_block_sector != 0 || size != hc::k_block_sector) {
    return Progress::failed;  // block.cpp asks for whole 4096-byte sectors of the data segment only
  }
  const uint64_t sector = (begin - k_data_offset) / hc::k_block_sector;
  if (t.write) {
    std::memcpy(medium.data() + begin, t.data, size);
    g_written[t.disk][sector] = true;
  } else {
    if (!g_written[t.disk][sector]) {
      std::memset(medium.data() + begin, 0, size);
      (void)g_disks[t.disk].xts.encrypt(sk::storage::xts_tweak_for_sector(sector, hc::k_block_sector),
                                        medium.data() + begin, size);
    }
    std::memcpy(t.data, medium.data() + begin, size);
  }
  t.sector = t.count;
  return Progress::done;
}
}  // namespace sk::drivers::ata

// Never called (every hosted disk has use_aesni false); disk_keys.hpp's Disk names them.
namespace sk::arch {
Status Aesni_xts::encrypt(uint64_t, uint8_t*, size_t) const {
  return Error::denied;
}
Status Aesni_xts::decrypt(uint64_t, uint8_t*, size_t) const {
  return Error::denied;
}
}  // namespace sk::arch

namespace sk::arch::context {
bool xcr0_valid(uint64_t value) {
  return (value & 1) && (value & ~uint64_t{7}) == 0 && (!(value & 4) || (value & 2));
}
// The live XCR0 is the current CPU's registers'.
void set_xcr0(uint64_t value) {
  g_live[g_cpu].xcr0 = value;
}
// What the kernel's XSAVE/XRSTOR and DR moves do, on the current CPU's registers: every register
// of the context, XCR0 included, from the registers into c, or from c into the registers.
void save(Extended& c) {
  c = g_live[g_cpu];
}
void load(const Extended& c) {
  g_live[g_cpu] = c;
}
}  // namespace sk::arch::context

namespace sk::cpu {
Local& local() {
  return g_local[g_cpu];
}
}  // namespace sk::cpu

namespace sk::timer {
uint64_t now_us() {
  const uint16_t running = g_running[g_cpu];
  const uint64_t spent =
      running < sp::k_max_partitions ? g_runtime[running].exits - g_exits_at_start[g_cpu] : 0;
  return g_frame_start_us[g_cpu] + spent;
}
bool fired() { return false; }
}  // namespace sk::timer

namespace sk::log {

size_t vformat(char* buf, size_t capacity, const char* fmt, va_list ap) {
  int n = std::vsnprintf(buf, capacity, fmt, ap);
  return n < 0 ? 0 : size_t(n) < capacity ? size_t(n) : capacity - 1;
}

size_t format(char* buf, size_t capacity, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(buf, capacity, fmt, ap);
  va_end(ap);
  return n;
}

void print(const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vformat(line, sizeof line, fmt, ap);
  va_end(ap);
  capture(line);
}

}  // namespace sk::log
