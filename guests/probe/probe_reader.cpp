// SPDX-License-Identifier: Apache-2.0
// State-probe reader: never writes the state the writer writes; reads all of it continually
// and compares it with the state of a CPU after RESET (its own XCR0 and CR0/CR4 FPU bits
// aside). Any difference is printed as "probe: LEAK ...". It also executes FWAIT, so an x87
// exception left pending by another partition would be taken here (and stop it).
#include "probe.hpp"

namespace {

alignas(64) probe::Snapshot g_now;

bool all_zero(const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (p[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" void guest_main() {
  const bool xsave = probe::has_xsave(), avx = xsave && probe::has_avx();
  probe::enable_own_fpu();
  const uint32_t cr0 = probe::read_cr0(), cr4 = probe::read_cr4();
  uint64_t xcr0 = 0;
  if (xsave) {
    const uint64_t first = probe::xgetbv();
    if (first != 1) guest::log("probe: LEAK XCR0 at start 0x%x", uint32_t(first));
    xcr0 = avx ? 7 : 3;
    probe::xsetbv(xcr0);
  }
  probe::snapshot(g_now, xcr0);
  const uint32_t tsc_aux = g_now.tsc_aux;
  const uint64_t per_ms = probe::tsc_per_ms();
  guest::log("probe: reader starts (xsave %u, avx %u)", xsave, avx);
  uint32_t leaks = 0, frames = 0, checks = 0;
  uint64_t last = probe::rdtsc();
  auto leak = [&](const char* what, uint32_t value) {
    if (leaks++ < 8) guest::log("probe: LEAK %s value=0x%x at frame %u", what, value, frames);
  };
  for (;;) {
    asm volatile("fwait");
    probe::snapshot(g_now, xcr0);
    ++checks;
    const uint8_t* x = g_now.xsave;
    const uint16_t fcw = uint16_t(x[0] | x[1] << 8), fsw = uint16_t(x[2] | x[3] << 8);
    const uint32_t mxcsr = uint32_t(x[24] | x[25] << 8 | x[26] << 16 | x[27] << 24);
    if (fcw != 0x037F) leak("x87 control word", fcw);
    if (fsw != 0 || x[4] != 0) leak("x87 status or tags", fsw);
    if (mxcsr != 0x1F80) leak("MXCSR", mxcsr);
    if (!all_zero(x + 32, 128)) leak("x87 register", x[32]);
    if (!all_zero(x + 160, 128)) leak("XMM register", x[160]);
    if (avx && !all_zero(x + 576, 256)) leak("YMM upper half", x[576]);
    if (xsave && g_now.xcr0 != xcr0) leak("XCR0", uint32_t(g_now.xcr0));
    if (g_now.cr0 != cr0) leak("CR0", g_now.cr0);
    if (g_now.cr2 != 0) leak("CR2", g_now.cr2);
    if (g_now.cr3 != 0) leak("CR3", g_now.cr3);
    if (g_now.cr4 != cr4) leak("CR4", g_now.cr4);
    for (uint32_t d = 0; d < 4; ++d) {
      if (g_now.dr[d] != 0) leak("DR0-DR3", g_now.dr[d]);
    }
    if ((g_now.dr6 & 0xE00F) != 0) leak("DR6", g_now.dr6);
    if (g_now.dr7 != 0x400) leak("DR7", g_now.dr7);
    if (!all_zero(g_now.gdtr, 6) || !all_zero(g_now.idtr, 6)) leak("GDTR/IDTR", g_now.gdtr[0]);
    if (g_now.tsc_aux != tsc_aux) leak("TSC_AUX", g_now.tsc_aux);
    const uint64_t now = probe::rdtsc();
    if (now - last > per_ms / 2 && ++frames % 25 == 0) {
      guest::log("probe: reader frames=%u checks=%u leaks=%u", frames, checks, leaks);
    }
    last = now;
  }
}
