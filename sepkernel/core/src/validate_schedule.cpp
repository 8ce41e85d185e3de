// SPDX-License-Identifier: Apache-2.0
// Schedule rules SK-SCHED-1 .. SK-SCHED-3: each CPU's minor frames tile its major frame,
// every partition runs at least once, and only on the one CPU it is bound to.
#include "validate_rules.hpp"

namespace sk::policy::rules {

void check_schedule(const Policy& p, Reporter& r) {
  const uint32_t cpus = p.platform.cpu_count;  // 1..k_max_cpus: SK-LIM-1 passed
  bool scheduled[k_max_partitions] = {};

  // SK-SCHED-3: each partition's CPU exists.
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    if (p.partitions[i].cpu >= cpus) {
      r.report(Rule::sched_cpu, Subject::partition,
               i, 0, "cpu")
          .str("partition ").quoted(p.partitions[i].name).str(" cpu ").dec(p.partitions[i].cpu)
          .str(" does not exist (the platform has ").dec(cpus).str(cpus == 1 ? " CPU)" : " CPUs)");
    }
  }

  for (uint32_t c = 0; c < k_max_cpus; ++c) {
    const Cpu_plan& plan = p.cpus[c];
    if (c >= cpus) {
      if (plan.frame_count != 0) {
        r.report(Rule::sched_cpu, Subject::schedule, c, 0, "id").str("CPU ").dec(c)
            .str(" has a schedule but the platform has ").dec(cpus).str(cpus == 1 ? " CPU" : " CPUs");
      }
      continue;
    }
    // SK-SCHED-1: a non-empty major frame, tiled exactly by non-empty minor frames.
    if (plan.frame_count == 0) {
      r.report(Rule::sched_tiling, Subject::schedule, c, 0, "frames").str("CPU ").dec(c)
          .str(" has no minor frames");
      continue;
    }
    uint64_t total = 0;
    bool frames_ok = true;
    for (uint32_t f = 0; f < plan.frame_count; ++f) {
      const Frame& fr = plan.frames[f];
      total += fr.duration_us;
      if (fr.duration_us < k_min_frame_us) {
        r.report(Rule::sched_tiling, Subject::schedule, c, f, "frames").str("CPU ").dec(c)
            .str(" frame ").dec(f).str(" lasts ").dec(fr.duration_us).str(" us; a frame lasts at least ")
            .dec(k_min_frame_us).str(" us (the kernel keeps the last ").dec(k_frame_guard_us).str(" us of each)");
        frames_ok = false;
      }
      if (fr.partition == k_idle) continue;
      if (!partition_exists(p, fr.partition)) {
        r.report(Rule::sched_tiling, Subject::schedule, c, f, "frames").str("CPU ").dec(c)
            .str(" frame ").dec(f).str(" names no declared partition");
        frames_ok = false;
        continue;
      }
      const Partition& part = p.partitions[fr.partition];
      scheduled[fr.partition] = true;
      // SK-SCHED-3: a partition's vCPU state lives on one CPU; running it elsewhere would
      // run it twice at once. (A partition whose own cpu does not exist is reported above.)
      if (part.cpu != c && part.cpu < cpus) {
        r.report(Rule::sched_cpu, Subject::schedule, c, f, "frames").str("CPU ").dec(c).str(" frame ")
            .dec(f).str(" runs partition ").quoted(part.name).str(", which is bound to CPU ").dec(part.cpu);
      }
    }
    if (plan.major_frame_us == 0) {
      r.report(Rule::sched_tiling, Subject::schedule, c, 0, "major_frame_us").str("CPU ").dec(c)
          .str(" major frame is 0 us");
    } else if (frames_ok && total != plan.major_frame_us) {
      r.report(Rule::sched_tiling, Subject::schedule, c, 0, "major_frame_us").str("CPU ").dec(c)
          .str(" minor frames add up to ").dec(total).str(" us but the major frame is ")
          .dec(plan.major_frame_us).str(" us");
    }
  }

  // SK-SCHED-2: every partition gets time.
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    if (!scheduled[i]) {
      r.report(Rule::sched_coverage, Subject::partition, i, 0, "").str("partition ")
          .quoted(p.partitions[i].name).str(" is never scheduled");
    }
  }
}

}  // namespace sk::policy::rules
