// SPDX-License-Identifier: Apache-2.0
// State-probe writer: every frame it fills every piece of CPU state a 32-bit partition can
// write with its own pattern (x87 stack and control word, a pending unmasked x87 exception,
// XMM0-7, YMM0-7 upper halves, MXCSR, XCR0 (every other frame with AVX switched off), DR0-DR3,
// DR6, DR7, CR0.AM/WP, CR2, CR3, CR4.DE/PCE, GDTR, IDTR), then checks at its next frame that all
// of it is still its own. A value lost is printed as "probe: LOST ...".
#include "probe.hpp"

namespace {

alignas(64) probe::Snapshot g_expected, g_now;
alignas(16) uint8_t g_vectors[8][32];
const uint8_t k_gdtr[6] = {0x57, 0x13, 0x00, 0xA0, 0xC1, 0x5E};  // limit 0x1357, base 0x5EC1A000
const uint8_t k_idtr[6] = {0x9B, 0x02, 0x00, 0xD0, 0x7E, 0x5A};
const uint32_t k_x87[7] = {0x13572468, 0x2468ACE0, 0x0BADF00D, 0x600DCAFE, 0x31415926, 0x27182818, 0x16180339};
const uint16_t k_fcw = 0x0B7E;     // round up, invalid-operation unmasked
const uint32_t k_mxcsr = 0x5F80 | 0x0C;  // round toward zero, FTZ off... plus sticky flags
bool g_avx;

void write_state(uint32_t frame) {
  asm volatile("fninit");
  for (uint32_t i = 0; i < 7; ++i) asm volatile("fildl %0" ::"m"(k_x87[i]));
  asm volatile("fld1; fchs");
  asm volatile("fldcw %0" ::"m"(k_fcw));
  asm volatile("fsqrt");  // sqrt(-1) with IM clear: an x87 exception left pending (FSW.ES)
  for (uint32_t r = 0; r < 8; ++r) {
    for (uint32_t b = 0; b < 32; ++b) g_vectors[r][b] = uint8_t(0xA0 + r * 8 + b + frame % 3);
  }
  // All eight vector registers in one statement: ymm (upper halves too) with AVX, else xmm.
#define SK_LOAD8(op, reg)                                                                              \
  asm volatile(op " 0(%0), %%" reg "0; " op " 32(%0), %%" reg "1; " op " 64(%0), %%" reg "2; "           \
               op " 96(%0), %%" reg "3; " op " 128(%0), %%" reg "4; " op " 160(%0), %%" reg "5; "        \
               op " 192(%0), %%" reg "6; " op " 224(%0), %%" reg "7" ::"r"(g_vectors)                    \
               : "memory")
  if (g_avx) {
    SK_LOAD8("vmovdqu", "ymm");
  } else {
    SK_LOAD8("movdqu", "xmm");
  }
#undef SK_LOAD8
  asm volatile("ldmxcsr %0" ::"m"(k_mxcsr));
  const uint32_t dr[4] = {0xDEAD0000 + frame % 5, 0xBEEF1110, 0xCAFE2220, 0xF00D3330};
  asm volatile("mov %0, %%dr0" ::"r"(dr[0]));
  asm volatile("mov %0, %%dr1" ::"r"(dr[1]));
  asm volatile("mov %0, %%dr2" ::"r"(dr[2]));
  asm volatile("mov %0, %%dr3" ::"r"(dr[3]));
  asm volatile("mov %0, %%dr6" ::"r"(0xFFFF0FF5u));  // B0, B2
  asm volatile("mov %0, %%dr7" ::"r"(0x55550700u));  // LE, GE, R/W and LEN fields; nothing enabled
  probe::write_cr0(probe::read_cr0() | (1u << 18) | (1u << 16));  // AM, WP
  asm volatile("mov %0, %%cr2" ::"r"(0x12345000u + frame));
  asm volatile("mov %0, %%cr3" ::"r"(0x00ABC000u));
  probe::write_cr4(probe::read_cr4() | (1u << 3) | (1u << 8));     // DE, PCE
  asm volatile("lgdt %0" ::"m"(k_gdtr));
  asm volatile("lidt %0" ::"m"(k_idtr));
  if (g_avx && frame % 2 == 1) probe::xsetbv(3);  // AVX off: the next partition must keep its own XCR0
}

// Compares the parts a frame boundary must keep (XSAVE header and the x87 pointers aside).
void compare(uint32_t frame, bool with_ymm, uint32_t& lost) {
  auto report = [&](const char* what, uint32_t offset) {
    if (lost++ < 8) guest::log("probe: LOST %s at frame %u (offset %u)", what, frame, offset);
  };
  for (uint32_t i = 0; i < 512; ++i) {
    if (i >= 6 && i < 24) continue;          // FOP, FIP, FDP: where the last x87 instruction was
    if (i >= 28 && i < 32) continue;         // MXCSR_MASK: constant
    if (g_now.xsave[i] != g_expected.xsave[i]) return report(i < 32 ? "x87/MXCSR control" : i < 160 ? "x87 register" : "XMM register", i);
  }
  if (with_ymm) {
    for (uint32_t i = 576; i < 832; ++i) {
      if (g_now.xsave[i] != g_expected.xsave[i]) return report("YMM upper half", i);
    }
  }
  if (g_now.cr0 != g_expected.cr0) report("CR0", 0);
  if (g_now.cr2 != g_expected.cr2) report("CR2", 0);
  if (g_now.cr3 != g_expected.cr3) report("CR3", 0);
  if (g_now.cr4 != g_expected.cr4) report("CR4", 0);
  for (uint32_t d = 0; d < 4; ++d) {
    if (g_now.dr[d] != g_expected.dr[d]) report("DR0-DR3", d);
  }
  if (g_now.dr6 != g_expected.dr6) report("DR6", 0);
  if (g_now.dr7 != g_expected.dr7) report("DR7", 0);
  if (g_now.xcr0 != g_expected.xcr0) report("XCR0", 0);
  for (uint32_t i = 0; i < 6; ++i) {
    if (g_now.gdtr[i] != g_expected.gdtr[i] || g_now.idtr[i] != g_expected.idtr[i]) return report("GDTR/IDTR", i);
  }
}

}  // namespace

extern "C" void guest_main() {
  probe::enable_own_fpu();
  const bool xsave = probe::has_xsave();
  g_avx = xsave && probe::has_avx();
  if (xsave) probe::xsetbv(g_avx ? 7 : 3);
  const uint64_t per_ms = probe::tsc_per_ms();
  guest::log("probe: writer starts (xsave %u, avx %u)", xsave, g_avx);
  uint32_t lost = 0;
  for (uint32_t frame = 1;; ++frame) {
    if (g_avx) probe::xsetbv(7);
    write_state(frame);
    const uint64_t mask = xsave ? probe::xgetbv() : 0;
    probe::snapshot(g_expected, mask);
    probe::wait_next_frame(per_ms);
    probe::snapshot(g_now, mask);
    compare(frame, g_avx && frame % 2 == 0, lost);
    if (frame % 25 == 0) guest::log("probe: writer frames=%u lost=%u", frame, lost);
  }
}
