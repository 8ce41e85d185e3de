#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# The mutation gate (DESIGN.md "Mutation"): each mutant below breaks one security rule in the
# kernel, the validator or the trusted path's router; the named tests must then fail. The script
# applies one mutant at a time to the source tree, rebuilds what it needs, runs the tests,
# restores the file (also on interruption), and fails if a mutant no longer applies (the code it
# targets moved: update the mutant) or survives (the tests no longer see the break).
# Usage: tests/mutation/mutants.py BUILD_DIR [NAME ...]
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]

# name, file, text, replacement, build targets, test command (run in BUILD_DIR; must fail).
INTEGRATION = "tests/integration/integration_tests"
DIFFERENTIAL = "tests/proofs/differential_tests"
DIFFERENTIAL_AGREES = "the extracted model agrees with the kernel*"
MUTANTS = [
    ("FPU/SSE/AVX, XCR0 and DR0-DR3 not switched (SK-CPU-1)", "sepkernel/kernel/context_switch.cpp",
     "  if (l.context_owner == part) return;\n", "  return;\n",
     ["bulkhead_kernel"], [INTEGRATION, "world switch: no CPU state crosses between partitions on one CPU"]),
    ("R8 not reloaded for the guest (SK-CPU-1, 64-bit state)", "sepkernel/arch/x86_64/vmrun.S",
     "  mov 48(%rsi), %r8\n", "",
     ["bulkhead_kernel"], [INTEGRATION, "world switch: 64-bit state*"]),
    ("EFER.SVME settable by a partition (SK-CPU-1)", "sepkernel/kernel/exits.cpp",
     "if ((value & ~(k_sce | k_lme | k_nxe | k_lma)) != 0", "if ((value & ~(k_sce | k_lme | k_nxe | k_lma | k_svme)) != 0",
     ["bulkhead_kernel"], [INTEGRATION, "attack: EFER*"]),
    ("frame armed from now instead of its deadline (SK-TIME-1)", "sepkernel/kernel/schedule.cpp",
     "    cursor.advance();\n", "    cursor.advance();\n    cursor.start_us = timer::now_us() + 600;\n",
     ["bulkhead_kernel"], [INTEGRATION, "time: a partition flooding the kernel*"]),
    # Two edits (text and replacement may be lists): the disk work's CPU part never deferred and
    # the device waited for past the caller's own time. Either alone stays within the 1 ms guard
    # under the flood (the other bounds it), so neither alone fails the test.
    ("disk work for a partition not bounded by its own time (SK-TIME-1)", "sepkernel/kernel/block.cpp",
     ["  if (!g_request_cost.fits()) return Served::pending;",
      "  const uint64_t until = t1 + (left > g_request_cost.worst_us ? left - g_request_cost.worst_us : 0);"],
     ["  if (false) return Served::pending;", "  const uint64_t until = ~uint64_t{0} + 0 * left;"],
     ["bulkhead_kernel"], [INTEGRATION, "time: a partition flooding the kernel*"]),
    ("foreign interrupts counted for the running partition (SK-TIME-2)", "sepkernel/kernel/exits.cpp",
     "    arch::take_pending_interrupts();", "    ++rt.exits;\n    arch::take_pending_interrupts();",
     ["bulkhead_kernel"], [INTEGRATION, "trusted path: keys typed into one domain change nothing*"]),
    ("disk identity from the TPM not checked (issue 12, class 5)", "sepkernel/kernel/disk_keys.cpp",
     "      } else if (!same_bytes(data.bytes + st::k_volume_key_size",
     "      } else if (false && !same_bytes(data.bytes + st::k_volume_key_size",
     ["bulkhead_kernel"], [INTEGRATION, "disk identity: swapped*"]),
    # Issue 14, item 3: per-partition sealing. Every partition measured into one PCR again, or
    # the image digests kept in PCR 8's form: another domain's update then locks this disk.
    ("every partition measured into PCR 9 (issue 14, per-partition PCRs)", "sepkernel/kernel/measure.cpp",
     "    pcr = el::pcr_of_partition(i);", "    pcr = el::pcr_of_partition(0);",
     ["bulkhead_kernel"], [INTEGRATION, "disk keys: an updated image of one domain*"]),
    ("image digests kept in the policy's measured form (issue 14, PCR 8)", "sepkernel/core/src/policy_image.cpp",
     "  return write(p, out, capacity, false);", "  return write(p, out, capacity, true);",
     ["bulkhead_kernel", "bulkhead"], [INTEGRATION, "disk keys: an updated image of one domain*"]),
    ("reader's channel page writable (SK-FLOW-1)", "sepkernel/core/src/access.cpp",
     "emit({ch.guest_address, ch.memory.base, ch.memory.size, Access::read});",
     "emit({ch.guest_address, ch.memory.base, ch.memory.size, Access::read_write});",
     ["bulkhead_kernel", "unit_tests"], [INTEGRATION, "attack: the reader writing its read-only channel page faults"]),
    ("a Linux partition's bzImage signature not checked (SK-LINUX-2)", "sepkernel/core/src/linux_boot.cpp",
     "  if (get16(bz, 0x1FE) != 0xAA55 || get32(bz, 0x202) != 0x53726448) return {Refusal::no_signature, h};\n", "",
     ["bulkhead_kernel"], [INTEGRATION, "linux refused: a bzImage with a wrong signature*"]),
    # The kernel's handlers as the differential test runs them hosted against the Coq model.
    ("a signal from a channel's reader counted as an event (SK-FLOW-1)", "sepkernel/kernel/hypercalls.cpp",
     "if (p.channels[a0].writer != part) return refuse(",
     "if (p.channels[a0].writer != part && p.channels[a0].reader != part) return refuse(",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a violation that does not stop the partition", "sepkernel/kernel/exits.cpp",
     "  stop(part, audit::event_name(event));\n  return false;\n", "  return false;\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a hypercall from user mode (CPL 3) served", "sepkernel/kernel/hypercalls.cpp",
     "  if (v.at<uint8_t>(svm::k_cpl) != 0) return refuse(", "  if (false && v.at<uint8_t>(svm::k_cpl) != 0) return refuse(",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("refused calls counted against partition 0 (a counter another domain reads)", "sepkernel/kernel/hypercalls.cpp",
     "  ++partition(part).refused_hypercalls;\n", "  ++partition(0).refused_hypercalls;\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a refused call reports success to its caller (EAX = 0)", "sepkernel/kernel/hypercalls.cpp",
     "  set_result(part, e);\n", "  set_result(part, Error::none);\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("the plan's last minor frame skipped (SK-SCHED-1)", "sepkernel/kernel/frame_cursor.hpp",
     "index = index + 1 == count ? 0 : index + 1;", "index = index + 2 >= count ? 0 : index + 1;",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    # The exits and calls the differential test drives since issue 15 item 1's model extension.
    ("read_time's high word (ECX) lost", "sepkernel/kernel/hypercalls.cpp",
     "      rt.regs.rcx = uint32_t(t >> 32);\n", "      rt.regs.rcx = 0;\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("read_status reports partition 0's exits (SK-TIME-2)", "sepkernel/kernel/hypercalls.cpp",
     "      rt.regs.rdx = uint32_t(rt.exits);\n", "      rt.regs.rdx = uint32_t(partition(0).exits);\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("an exit a partition causes not counted (SK-TIME-2)", "sepkernel/kernel/exits.cpp",
     "  ++rt.exits;  // only what the partition itself did\n", "",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    # Killed where the host CPU has a local APIC (CPUID.1:EDX[9]), as every x86-64 machine here does.
    ("CPUID shows the local APIC (the kernel's)", "sepkernel/kernel/exits.cpp",
     "      r.edx &= ~(1u << 9);", "      r.edx &= ~(0u << 9);",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("HLT lets the partition run on in its frame", "sepkernel/kernel/exits.cpp",
     "      return pc::idle_until(part, timer::now_us() + own_time_left_us());",
     "      return !pc::idle_until(part, timer::now_us() + own_time_left_us());",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("on_violation = inject_fault ignored (the partition stopped)", "sepkernel/kernel/exits.cpp",
     "  if (can_inject && policy().partitions[part].on_violation == policy::On_violation::inject_fault) {",
     "  if (false && can_inject && policy().partitions[part].on_violation == policy::On_violation::inject_fault) {",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a violation that injects a fault whatever the policy says", "sepkernel/kernel/exits.cpp",
     "  if (can_inject && policy().partitions[part].on_violation == policy::On_violation::inject_fault) {",
     "  if (can_inject) {",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a denied MSR access ignored (no violation)", "sepkernel/kernel/exits.cpp",
     '"msr=0x%x %s", unsigned(rt.regs.rcx), info1 ? "write" : "read");\n      return violation(part, audit::Event::msr_violation, true, detail);',
     '"msr=0x%x %s", unsigned(rt.regs.rcx), info1 ? "write" : "read");\n      return true;',
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("every partition's denied ports read as absent (a virtual PC's floating bus)", "sepkernel/kernel/exits.cpp",
     "  if (!policy().partitions[part].virtual_pc || (info1 & 4)) return false;", "  if ((info1 & 4)) return false;",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a disk read's sector delivered into partition 0's memory", "sepkernel/kernel/block.cpp",
     "  } else if (!write_guest(part, f.r.buffer, buffer, hc::k_block_sector)) {",
     "  } else if (!write_guest(0, f.r.buffer, buffer, hc::k_block_sector)) {",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("every partition's requests served on partition 0's disk", "sepkernel/kernel/block.cpp",
     "  const disk_keys::Disk* d = disk_keys::disk(part);\n  In_flight& f = g_flight[part];\n  if (!d) {",
     "  const disk_keys::Disk* d = disk_keys::disk(0);\n  In_flight& f = g_flight[part];\n  if (!d) {",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("XSETBV sets partition 0's XCR0 (SK-CPU-1)", "sepkernel/kernel/exits.cpp",
     "  cpu_context(part).xcr0 = value;", "  cpu_context(0).xcr0 = value;",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    # The world switch's C++ half (context_switch.cpp, hosted) against the model's per-partition
    # register context, and the per-CPU schedules (issue 15 item 1's remaining part).
    ("registers not switched between partitions, seen by the differential test (SK-CPU-1)",
     "sepkernel/kernel/context_switch.cpp", "  if (l.context_owner == part) return;\n", "  return;\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("the outgoing partition's registers not saved at a switch (SK-CPU-1)", "sepkernel/kernel/context_switch.cpp",
     "  if (l.context_owner != cpu::k_no_owner) arch::context::save(cpu_context(l.context_owner));\n", "",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("the incoming partition's registers not loaded at a switch (SK-CPU-1)", "sepkernel/kernel/context_switch.cpp",
     "  arch::context::load(cpu_context(part));\n", "",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    ("a CPU walks CPU 0's plan, not its own (SK-SCHED-3)", "sepkernel/kernel/frame_cursor.hpp",
     "  const policy::Cpu_plan& plan = p.cpus[cpu];", "  const policy::Cpu_plan& plan = p.cpus[0 * cpu];",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    # The hosted path's loop, not the kernel: each CPU's run_schedule keeps its own cursor, stepped
    # by its own timer, so the kernel has no line to break this way; the mutant shows the test
    # sees one CPU's frames move with another's ticks.
    ("a tick of CPU 1 advances CPU 0's frame cursor (hosted path)", "tests/proofs/differential_test.cpp",
     "        cursor[x.a].advance();\n", "        cursor[0].advance();\n",
     ["differential_tests"], [DIFFERENTIAL, DIFFERENTIAL_AGREES]),
    # The validator against the model's policy hypotheses (policy_check_test.cpp).
    ("validator lets a channel flow down one label level (SK-FLOW-1)", "sepkernel/core/src/validate.cpp",
     "    if (wl.level > rl.level) {", "    if (wl.level > rl.level + 1) {",
     ["differential_tests"], [DIFFERENTIAL, "the validator accepts exactly*"]),
    ("validator lets two partitions' MMIO windows overlap (SK-DEV-1)", "sepkernel/core/src/validate_devices.cpp",
     "if (!mmio_ok[j][k] || !mmio_ok[i][l] || !overlaps(b.mmio[k], a.mmio[l])) continue;",
     "if (!mmio_ok[j][k] || !mmio_ok[i][l] || !overlaps(b.mmio[k], a.mmio[l]) || true) continue;",
     ["differential_tests"], [DIFFERENTIAL, "the validator accepts exactly*"]),
    ("validator without the SK-MEM rules", "sepkernel/core/src/validate.cpp",
     "  rules::check_memory(p, r);\n", "",
     ["policy_tests"], ["tests/policy/policy_tests"]),
    ("the kernel's ATA ports grantable (SK-DEV-2)", "sepkernel/core/src/policy.cpp",
     "0x1F0", "0x9F0",
     ["policy_tests"], ["tests/policy/policy_tests"]),
    ("a guest's own row 0 painted as the framebuffer's indicator (SK-DEV-2, UEFI path)", "sepkernel/kernel/console.cpp",
     "    g_painter.paint_indicator(g_screen);", "    g_painter.paint_indicator(focused_screen());",
     ["bulkhead_kernel"], [INTEGRATION, "uefi: the trusted path on the firmware's framebuffer*"]),
    ("a partition granted the display adapter still built (SK-DEV-2, UEFI path)", "sepkernel/kernel/console.cpp",
     "    if (hit) {\n      lock_partition(i, k_reason);", "    if (false) {\n      lock_partition(i, k_reason);",
     ["bulkhead_kernel"], [INTEGRATION, "uefi: a partition granted the display adapter*"]),
    ("key releases broadcast to every console", "trusted-path/src/keyboard.cpp",
     "  } else if (pressed(focus_, key)) {\n    send(focus_, key, false, sink);\n  }",
     "  } else {\n    for (uint32_t c = 0; c < count_; ++c) send(c, key, false, sink);\n  }",
     ["unit_tests"], ["tests/unit/unit_tests", "[trusted-path]"]),
    ("the SAK's digit delivered to the old owner", "trusted-path/src/keyboard.cpp",
     "    swallow_ = key;\n", "    send(focus_, key, true, sink);\n    swallow_ = key;\n",
     ["unit_tests"], ["tests/unit/unit_tests", "[trusted-path]"]),
]


def run(cmd, cwd, log):
    return subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT).returncode


def main():
    build = pathlib.Path(sys.argv[1]).resolve()
    wanted = sys.argv[2:]
    env_log = open(build / "mutants.log", "w")
    failures = killed = 0
    for name, path, text, replacement, targets, test in MUTANTS:
        if wanted and not any(w in name for w in wanted):
            continue
        source = ROOT / path
        original = source.read_text()
        texts = text if isinstance(text, list) else [text]
        replacements = replacement if isinstance(replacement, list) else [replacement]
        counts = [original.count(t) for t in texts]
        if any(c != 1 for c in counts):
            print(f"mutant does not apply ({path}: target text found {counts} times): {name}")
            failures += 1
            continue
        mutated = original
        for t, r in zip(texts, replacements):
            mutated = mutated.replace(t, r)
        started = time.monotonic()
        try:
            source.write_text(mutated)
            env_log.write(f"=== {name}\n")
            env_log.flush()
            if run(["cmake", "--build", str(build), "--target", *targets], ROOT, env_log) != 0:
                print(f"mutant does not build (fix the mutant): {name}")
                failures += 1
                continue
            # -a: a Catch2 binary stops at the first failed assertion (the mutant is killed then).
            status = run([str(build / test[0]), "-a", *test[1:]], build, env_log)
        finally:
            source.write_text(original)
            os.utime(source)  # newer than the mutant's objects: the next build restores them
        seconds = time.monotonic() - started
        if status == 0:
            print(f"SURVIVED ({seconds:.0f} s): {name}: {' '.join(test[1:]) or test[0]} still passes")
            failures += 1
        else:
            print(f"killed ({seconds:.0f} s): {name}")
            killed += 1
    rebuilt = run(["cmake", "--build", str(build)], ROOT, env_log)
    print(f"mutants: {killed} killed, {failures} survived or did not apply")
    return 1 if failures or rebuilt != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
