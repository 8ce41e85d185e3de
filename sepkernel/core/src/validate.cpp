// SPDX-License-Identifier: Apache-2.0
// The validator's driver and its object rules: limits, names, labels, capabilities, flows.
// Memory, device and schedule rules live in validate_memory/devices/schedule.cpp.
#include "sk/validate.hpp"

#include "validate_rules.hpp"

namespace sk::policy {
namespace rules {

Message::Message(Reporter& reporter, Violation& v)
    : Text(v.message, sizeof v.message), reporter_(reporter) {}
Message::~Message() { reporter_.send(); }

Message Reporter::report(Rule rule, Subject subject, uint32_t index, uint32_t sub_index,
                         const char* field) {
  current_ = Violation{};
  current_.rule = rule;
  current_.subject = subject;
  current_.index = static_cast<uint16_t>(index);
  current_.sub_index = static_cast<uint16_t>(sub_index);
  Text(current_.field, sizeof current_.field).str(field);
  return Message(*this, current_);
}

void Reporter::send() {
  ++count_;
  sink_.report(current_);
}

bool same_name(const Name& a, const Name& b) {
  for (uint32_t i = 0; i < k_name_len; ++i) {
    if (a.text[i] != b.text[i]) return false;
    if (a.text[i] == '\0') return true;
  }
  return true;
}

namespace {

// SK-LIM-1: every count within its fixed table. Returns false if any is not; the other rules
// index the tables by these counts, so they must not run then.
bool check_limits(const Policy& p, Reporter& r) {
  uint32_t before = r.count();
  auto over = [&](const char* field, const char* noun, uint32_t n, uint32_t max) {
    if (n <= max) return;
    r.report(Rule::limits, Subject::platform, 0, 0, field).str("the policy declares ").dec(n).str(" ")
        .str(noun).str("; the kernel's table holds ").dec(max);
  };
  over("labels", "labels", p.label_count, k_max_labels);
  over("partition", "partitions", p.partition_count, k_max_partitions);
  over("channel", "channels", p.channel_count, k_max_channels);
  if (p.platform.cpu_count == 0 || p.platform.cpu_count > k_max_cpus) {
    r.report(Rule::limits, Subject::platform, 0, 0, "cpus").str("the platform declares ")
        .dec(p.platform.cpu_count).str(" CPUs; the kernel supports 1 to ").dec(k_max_cpus);
  }
  if (p.partition_count == 0) {
    r.report(Rule::limits, Subject::platform, 0, 0, "partition").str("the policy declares no partition");
  }
  uint32_t disks = 0;
  for (uint32_t i = 0; i < p.partition_count && i < k_max_partitions; ++i) {
    const Partition& part = p.partitions[i];
    if (part.disk.text[0] != '\0' && ++disks > k_max_disks) {
      r.report(Rule::limits, Subject::partition, i, 0, "disk").str("partition ").quoted(part.name)
          .str(" declares disk number ").dec(disks).str("; each disk has an IDE channel of its own and there are ")
          .dec(k_max_disks);
    }
    auto per = [&](const char* field, const char* noun, uint32_t n, uint32_t max) {
      if (n <= max) return;
      r.report(Rule::limits, Subject::partition, i, 0, field).str("partition ").quoted(part.name)
          .str(" declares ").dec(n).str(" ").str(noun).str("; the limit is ").dec(max);
    };
    per("io", "I/O port ranges", part.io_count, k_max_io_ranges);
    per("mmio", "MMIO ranges", part.mmio_count, k_max_mmio_ranges);
    per("irqs", "IRQs", part.irq_count, k_max_irqs);
  }
  for (uint32_t c = 0; c < k_max_cpus; ++c) {
    if (p.cpus[c].frame_count > k_max_frames_per_cpu) {
      r.report(Rule::limits, Subject::schedule, c, 0, "frames").str("CPU ").dec(c).str(" declares ")
          .dec(p.cpus[c].frame_count).str(" minor frames; the limit is ").dec(k_max_frames_per_cpu);
    }
  }
  return r.count() == before;
}

// SK-NAME-1: 1..k_name_len-1 characters from [a-z0-9_-], NUL-terminated inside the field.
bool name_valid(const Name& n) {
  if (n.text[0] == '\0') return false;
  for (uint32_t i = 0; i < k_name_len; ++i) {
    char c = n.text[i];
    if (c == '\0') return true;
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return false;  // no terminating NUL inside the field
}

// Checks one kind of object's names: validity and uniqueness among that kind.
template <typename Get>
void check_name_table(Reporter& r, Subject subject, const char* kind, uint32_t count, Get name_of) {
  for (uint32_t i = 0; i < count; ++i) {
    const Name& n = name_of(i);
    if (!name_valid(n)) {
      r.report(Rule::name_unique, subject, i, 0, "name").str(kind).str(" name ").quoted(n)
          .str(" is not valid: use 1 to ").dec(k_name_len - 1)
          .str(" characters from a-z, 0-9, '_' and '-'");
      continue;
    }
    for (uint32_t j = 0; j < i; ++j) {
      if (same_name(n, name_of(j))) {
        r.report(Rule::name_unique, subject, i, 0, "name").str(kind).str(" name ").quoted(n)
            .str(" is already used by ").str(kind).str(" ").dec(j + 1);  // 1-based, as the indicator numbers domains
        break;
      }
    }
  }
}

}  // namespace

void check_names(const Policy& p, Reporter& r) {
  check_name_table(r, Subject::label, "label", p.label_count,
                   [&](uint32_t i) -> const Name& { return p.labels[i].name; });
  check_name_table(r, Subject::partition, "partition", p.partition_count,
                   [&](uint32_t i) -> const Name& { return p.partitions[i].name; });
  check_name_table(r, Subject::channel, "channel", p.channel_count,
                   [&](uint32_t i) -> const Name& { return p.channels[i].name; });
  // Schedules say "idle" for a frame that runs nobody: no partition may take that name.
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    if (name_equals(p.partitions[i].name, "idle")) {
      r.report(Rule::name_unique, Subject::partition, i, 0, "name")
          .str("partition name \"idle\" is reserved for frames that run no partition");
    }
  }
}

void check_labels(const Policy& p, Reporter& r) {
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    if (!label_exists(p, p.partitions[i].label)) {
      r.report(Rule::label_known, Subject::partition, i, 0, "label").str("partition ")
          .quoted(p.partitions[i].name).str(" names no declared label");
    }
  }
}

// SK-TP-1, SK-TP-2: a label's indicator colours must be readable, and no label may pass for
// another. Relative luminance x 10000 of the 16 VGA text colours (the standard palette, sRGB, as
// WCAG 2 defines it); a contrast ratio is (L1 + 0.05) / (L2 + 0.05), compared here in integers
// against 4.5:1, WCAG 2's minimum for text (level AA).
constexpr uint32_t k_luminance[16] = {0, 290, 2875, 3165, 855, 1145, 1504, 4020,
                                      908, 1565, 7411, 8067, 2841, 3498, 9344, 10000};
constexpr const char* k_colour_names[16] = {"black", "blue", "green", "cyan", "red", "magenta", "brown",
                                            "light_grey", "dark_grey", "light_blue", "light_green", "light_cyan",
                                            "light_red", "light_magenta", "yellow", "white"};

// VGA colours c and c + 8 are one hue at two intensities (red and light_red, black and dark_grey,
// brown and yellow): as the background that fills the indicator's row, they look alike.
constexpr uint32_t hue(Colour c) { return uint32_t(c) & 7; }

void check_colours(const Policy& p, Reporter& r) {
  for (uint32_t i = 0; i < p.label_count; ++i) {
    const Label& l = p.labels[i];
    const uint32_t fg = uint32_t(l.colour_fg) & 15, bg = uint32_t(l.colour_bg) & 15;
    uint32_t hi = k_luminance[fg] + 500, lo = k_luminance[bg] + 500;
    if (hi < lo) {
      const uint32_t t = hi;
      hi = lo;
      lo = t;
    }
    if (fg == bg) {
      r.report(Rule::tp_readable, Subject::label, i, 0, "colour").str("label ").quoted(l.name)
          .str(": foreground and background are both ").str(k_colour_names[fg])
          .str(" (the indicator's text would not show)");
    } else if (2 * hi < 9 * lo) {  // hi / lo < 4.5
      const uint32_t tenths = hi * 10 / lo;
      r.report(Rule::tp_readable, Subject::label, i, 0, "colour").str("label ").quoted(l.name)
          .str(": ").str(k_colour_names[fg]).str(" on ").str(k_colour_names[bg]).str(" contrasts ")
          .dec(tenths / 10).str(".").dec(tenths % 10).str(":1, below 4.5:1 (the indicator would be hard to read)");
    }
    for (uint32_t j = 0; j < i; ++j) {
      const Label& o = p.labels[j];
      if (hue(o.colour_bg) != hue(l.colour_bg)) continue;
      Message m = r.report(Rule::tp_distinct, Subject::label, i, 0, "colour");
      m.str("label ").quoted(l.name).str(" has the background ").str(k_colour_names[bg]);
      if (o.colour_bg == l.colour_bg) {
        m.str(" of label ").quoted(o.name);
      } else {
        m.str(", a shade of label ").quoted(o.name).str("'s ").str(k_colour_names[uint32_t(o.colour_bg) & 15]);
      }
      m.str(": the two labels would look alike on the indicator");
      break;
    }
  }
}

// SK-TP-3: the indicator numbers the console partitions 1, 2, ... and every message and `policy
// show` number partitions 1, 2, ... in policy order; the two agree because no console comes after
// a partition without one.
void check_console_order(const Policy& p, Reporter& r) {
  uint32_t first_other = k_none;
  uint32_t consoles = 0;
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    const Partition& q = p.partitions[i];
    if (!q.console) {
      if (first_other == k_none) first_other = i;
      continue;
    }
    ++consoles;
    if (first_other == k_none) continue;
    r.report(Rule::tp_numbers, Subject::partition, i, 0, "console").str("partition ").quoted(q.name)
        .str(" has a console but comes after partition ").quoted(p.partitions[first_other].name)
        .str(", which has none: the indicator would number it ").dec(consoles).str(", not ").dec(i + 1)
        .str(" (declare console partitions first)");
  }
}

// SK-LINUX-1: a Linux partition's command line is printable ASCII (no control character can
// end or split it in the zero page, BOOT.LST or the event log) and at most k_cmdline_len - 1
// characters; an ELF32 partition has no initramfs or command line.
void check_linux(const Policy& p, Reporter& r) {
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    const Partition& q = p.partitions[i];
    if (q.kind != Image_kind::linux_bzimage) {
      if (q.initramfs.text[0] != '\0' || q.cmdline.text[0] != '\0') {
        r.report(Rule::linux_cmdline, Subject::partition, i, 0, "image").str("partition ").quoted(q.name)
            .str(" has an initramfs or a command line but no Linux kernel");
      }
      continue;
    }
    uint32_t n = 0;
    while (n < k_cmdline_len && q.cmdline.text[n] != '\0') ++n;
    if (n == k_cmdline_len) {
      r.report(Rule::linux_cmdline, Subject::partition, i, 0, "linux").str("partition ").quoted(q.name)
          .str(": the command line is longer than ").dec(k_cmdline_len - 1).str(" characters");
      continue;
    }
    for (uint32_t k = 0; k < n; ++k) {
      const char c = q.cmdline.text[k];
      if (c < 0x20 || c > 0x7E) {
        r.report(Rule::linux_cmdline, Subject::partition, i, 0, "linux").str("partition ").quoted(q.name)
            .str(": the command line has a character that is not printable ASCII at position ").dec(k + 1);
        break;
      }
    }
  }
}

void check_capabilities(const Policy& p, Reporter& r) {
  uint32_t holder = k_none;
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    if (!p.partitions[i].attestation_agent) continue;
    if (holder == k_none) {
      holder = i;
      continue;
    }
    r.report(Rule::cap_attest, Subject::partition, i, 0, "attestation_agent").str("partition ")
        .quoted(p.partitions[i].name).str(" holds the attestation capability, which partition ")
        .quoted(p.partitions[holder].name).str(" already holds");
  }
}

void check_flows(const Policy& p, Reporter& r) {
  for (uint32_t c = 0; c < p.channel_count; ++c) {
    const Channel& ch = p.channels[c];
    // SK-FLOW-2: both ends exist and differ.
    bool ends_ok = true;
    if (!partition_exists(p, ch.writer)) {
      r.report(Rule::flow_endpoints, Subject::channel, c, 0, "writer").str("channel ").quoted(ch.name)
          .str(" writer names no declared partition");
      ends_ok = false;
    }
    if (!partition_exists(p, ch.reader)) {
      r.report(Rule::flow_endpoints, Subject::channel, c, 0, "reader").str("channel ").quoted(ch.name)
          .str(" reader names no declared partition");
      ends_ok = false;
    }
    if (!ends_ok) continue;
    if (ch.writer == ch.reader) {
      r.report(Rule::flow_endpoints, Subject::channel, c, 0, "reader").str("channel ").quoted(ch.name)
          .str(" has partition ").quoted(p.partitions[ch.writer].name).str(" as both writer and reader");
      continue;
    }
    // SK-FLOW-1: information moves from writer to reader; never down the label order.
    const Partition& w = p.partitions[ch.writer];
    const Partition& rd = p.partitions[ch.reader];
    if (!label_exists(p, w.label) || !label_exists(p, rd.label)) continue;  // SK-LABEL-1 reports
    const Label& wl = p.labels[w.label];
    const Label& rl = p.labels[rd.label];
    if (wl.level > rl.level) {
      r.report(Rule::flow_order, Subject::channel, c, 0, "writer").str("channel ").quoted(ch.name)
          .str(" flows down from partition ").quoted(w.name).str(" (label ").quoted(wl.name)
          .str(") to partition ").quoted(rd.name).str(" (label ").quoted(rl.name).str(")");
    }
  }
}

}  // namespace rules

uint32_t validate(const Policy& p, Violation_sink& sink) {
  rules::Reporter r(sink);
  if (!rules::check_limits(p, r)) return r.count();
  rules::check_names(p, r);
  rules::check_labels(p, r);
  rules::check_colours(p, r);
  rules::check_console_order(p, r);
  rules::check_capabilities(p, r);
  rules::check_linux(p, r);
  rules::check_memory(p, r);
  rules::check_devices(p, r);
  rules::check_flows(p, r);
  rules::check_schedule(p, r);
  return r.count();
}

}  // namespace sk::policy
