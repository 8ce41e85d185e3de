// SPDX-License-Identifier: Apache-2.0
// Boot measurements through the kernel's TIS driver (see measure.hpp).
#include "kernel/measure.hpp"

#include "drivers/tpm_tis.hpp"
#include "kernel/acpi.hpp"
#include "kernel/init.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "sk/event_log.hpp"
#include "sk/panic.hpp"
#include "sk/policy_image.hpp"
#include "sk/sha256.hpp"
#include "sk/tpm_marshal.hpp"

namespace sk::kernel::measure {
namespace {

namespace el = event_log;

uint8_t g_log[65536];
constexpr size_t k_room_for_ours = 4096;  // the kernel's own events after the firmware's
size_t g_log_size;
bool g_measured;
uint8_t g_command[512];
uint8_t g_response[1024];
uint8_t g_policy_form[policy::k_image_max_size];  // the policy's measured form (PCR 8)

[[noreturn]] void refuse(const char* what, Error e) {
  char line[128];
  log::format(line, sizeof line, "tpm: %s failed (%s): boot refused", what, error_name(e));
  panic(line);
}

// One command whose response has no parameters; the TPM's response code is checked.
SK_INIT uint32_t run(size_t length, const char* what) {
  Result<size_t> n = drivers::tis::transact_retrying(g_command, length, g_response, sizeof g_response);
  if (!n) refuse(what, n.error());
  tpm::Response r{};
  if (Status s = tpm::parse_response(g_response, n.value(), r); !s) refuse(what, s.error());
  return r.code;
}

SK_INIT void extend(uint32_t pcr, const uint8_t digest[32], const char* description, size_t length,
                    el::Writer& writer) {
  tpm::Bank_digest d{tpm::k_alg_sha256, digest};
  Result<size_t> n = tpm::build_pcr_extend(g_command, sizeof g_command, pcr, &d, 1);
  if (!n) refuse("PCR_Extend (build)", n.error());
  Result<size_t> got = drivers::tis::transact_retrying(g_command, n.value(), g_response, sizeof g_response);
  if (!got) refuse("PCR_Extend", got.error());
  if (Status s = tpm::parse_empty(g_response, got.value()); !s) refuse("PCR_Extend", s.error());
  el::Digest ed{el::k_alg_sha256, digest};
  if (Status s = writer.append(pcr, el::k_ev_ipl, &ed, 1, description, uint32_t(length)); !s) refuse("event log", s.error());
}

SK_INIT void print_pcr(uint32_t pcr) {
  Result<size_t> n = tpm::build_pcr_read(g_command, sizeof g_command, tpm::k_alg_sha256, pcr);
  if (!n) refuse("PCR_Read (build)", n.error());
  Result<size_t> got = drivers::tis::transact_retrying(g_command, n.value(), g_response, sizeof g_response);
  if (!got) refuse("PCR_Read", got.error());
  tpm::Span digest{};
  if (Status s = tpm::parse_pcr_read(g_response, got.value(), tpm::k_alg_sha256, pcr, digest); !s) refuse("PCR_Read", s.error());
  char hex[65];
  for (size_t i = 0; i < 32; ++i) {
    hex[2 * i] = "0123456789abcdef"[digest.bytes[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[digest.bytes[i] & 15];
  }
  hex[64] = '\0';
  log::print("measure: PCR %u sha256 = %s\n", pcr, hex);
}

// PCR 8 and each partition's own PCR.
SK_INIT void print_pcrs() {
  print_pcr(el::k_pcr_policy);
  for (uint32_t i = 0; i < policy().partition_count; ++i) print_pcr(el::pcr_of_partition(i));
}

}  // namespace

SK_INIT void boot_measurements(const Partition_modules* modules, const uint8_t* boot_log,
                               uint64_t boot_log_size) {
  Status s = drivers::tis::init();
  if (boot_log) {
    // UEFI path: the firmware measured the boot stage (PCR 4), the boot stage the kernel (PCR 4),
    // the policy's measured form (PCR 8) and each partition's pieces (its own PCR); its log is the whole
    // story. Nothing to extend.
    if (!s) panic("UEFI boot stage measured this boot but the kernel finds no TPM");
    if (boot_log_size > sizeof g_log) panic("the boot stage's event log is larger than the kernel's copy");
    for (uint64_t i = 0; i < boot_log_size; ++i) g_log[i] = boot_log[i];
    g_log_size = boot_log_size;
    g_measured = true;
    print_pcr(el::k_pcr_kernel);  // the boot stage and this kernel: what disks are sealed to
    print_pcrs();
    audit(audit::k_kernel, audit::Event::boot, "measured by the UEFI boot stage: event log %lu bytes", g_log_size);
    return;
  }
  if (!s) {
    audit(audit::k_kernel, audit::Event::boot, "tpm: none at 0xfed40000 (%s): nothing measured, no quote, no disk keys",
          error_name(s.error()));
    return;
  }
  // A TPM nobody started (no firmware measured anything): start it; PCRs are then all zero.
  Result<size_t> n = tpm::build_startup_clear(g_command, sizeof g_command);
  if (!n) refuse("Startup (build)", n.error());
  uint32_t code = run(n.value(), "Startup");
  const bool started_by_us = code == 0;
  if (code != 0 && code != 0x100) {  // TPM_RC_INITIALIZE (0x100): already started by firmware
    char what[48];
    log::format(what, sizeof what, "Startup (response code 0x%x)", code);
    refuse(what, Error::denied);
  }
  audit(audit::k_kernel, audit::Event::boot, "tpm: TIS locality 0, DID_VID 0x%x, %s", drivers::tis::did_vid(),
        started_by_us ? "started by the kernel (firmware did not)" : "started by firmware");

  // Keep the firmware's log (its events for PCRs 0-7) and append ours to it, so a verifier can
  // replay every quoted PCR; without one, start a log of our own.
  el::Writer writer(g_log, sizeof g_log);
  acpi::Area area = acpi::tpm2_log_area();
  bool firmware_log = false;
  if (area.address && area.length >= 32 && area.address + area.length <= (1ull << 32)) {
    // The area is larger than its events (QEMU reserves 64 KiB); resume() finds where they end.
    // A log longer than the copy is cut at its last whole event and the verifier will say so.
    size_t copy = area.length < sizeof g_log - k_room_for_ours ? area.length : sizeof g_log - k_room_for_ours;
    const auto* src = reinterpret_cast<const uint8_t*>(area.address);
    for (size_t i = 0; i < copy; ++i) g_log[i] = src[i];
    firmware_log = bool(writer.resume(copy));
  }
  if (firmware_log && (writer.bank_count() != 1 || writer.bank(0) != el::k_alg_sha256)) {
    // The firmware logs banks the kernel cannot hash (only SHA-256 is implemented): say so.
    refuse("event log (firmware allocated PCR banks other than SHA-256 alone)", Error::bad_argument);
  }
  if (!firmware_log) {
    writer = el::Writer(g_log, sizeof g_log);
    const uint16_t banks[] = {el::k_alg_sha256};
    if (Status b = writer.begin(banks, 1); !b) refuse("event log", b.error());
  }
  log::print("measure: firmware event log %s (%lu bytes kept)\n", firmware_log ? "found in ACPI TPM2" : "absent",
             firmware_log ? writer.size() : 0ul);
  char text[160];
  uint8_t digest[32];
  // PCR 8 holds the policy without its image digests (sk/policy_image.hpp): each image is bound
  // by its partition's PCR below, and by the digest check against the policy before it runs.
  Result<size_t> form = policy::write_measured_form(policy(), g_policy_form, sizeof g_policy_form);
  if (!form) refuse("the policy's measured form", form.error());
  Sha256::digest(g_policy_form, form.value(), digest);
  size_t length = el::describe_policy(text, sizeof text);
  extend(el::k_pcr_policy, digest, text, length, writer);
  const policy::Policy& p = policy();
  uint32_t events = 0;
  // One event per piece, in the order manifest build predicts (sk/event_log.hpp).
  uint32_t pcr = 0;
  auto piece = [&](const char* name, const char* what, const char* file, const uint8_t* data,
                   const uint8_t* sha256) {
    if (!data) return;  // refused later as missing; its PCR then differs from any manifest
    length = el::describe_piece(name, what, file, text, sizeof text);
    extend(pcr, sha256, text, length, writer);
    ++events;
  };
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    const policy::Partition& q = p.partitions[i];
    const Partition_modules& m = modules[i];
    pcr = el::pcr_of_partition(i);  // each partition's pieces into a PCR of its own
    if (q.kind != policy::Image_kind::linux_bzimage) {
      piece(q.name.text, "image", q.image.text, m.image, m.image_sha256);
      continue;
    }
    piece(q.name.text, "linux", q.image.text, m.image, m.image_sha256);
    piece(q.name.text, "initramfs", q.initramfs.text, m.initramfs, m.initramfs_sha256);
    size_t n = 0;
    while (n < policy::k_cmdline_len && q.cmdline.text[n]) ++n;
    Sha256::digest(reinterpret_cast<const uint8_t*>(q.cmdline.text), n, digest);
    piece(q.name.text, "cmdline", nullptr, reinterpret_cast<const uint8_t*>(q.cmdline.text), digest);
  }
  g_log_size = writer.size();
  g_measured = true;
  print_pcrs();
  audit(audit::k_kernel, audit::Event::boot,
        "measured: policy into PCR 8, %u partition pieces into PCRs 9-%u (one per partition), event log %lu "
        "bytes "
        "(the kernel itself is not measured on this path)",
        events, el::pcr_of_partition(p.partition_count - 1), g_log_size);
}

const uint8_t* log_data() { return g_log; }
size_t log_size() { return g_log_size; }
bool measured() { return g_measured; }

}  // namespace sk::kernel::measure
