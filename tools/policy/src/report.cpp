// SPDX-License-Identifier: Apache-2.0
// Front-end reporting: validator findings mapped to source lines, the diagnostic line format,
// and the JSON form of the model shared by `policy show --json` and the round-trip tests.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "bh/policy_source.hpp"

namespace bh::policy {

namespace sp = sk::policy;

namespace {

class Collect final : public sp::Violation_sink {
 public:
  explicit Collect(std::vector<sp::Violation>& out) : out_(out) {}
  void report(const sp::Violation& v) override { out_.push_back(v); }

 private:
  std::vector<sp::Violation>& out_;
};

std::string text(const char* field, size_t n) { return std::string(field, strnlen(field, n)); }

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string digest_hex(const uint8_t* d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    s += k[d[i] >> 4];
    s += k[d[i] & 15];
  }
  return s;
}

}  // namespace

int Object_lines::line_of(const std::string& field, size_t element) const {
  if (auto e = elements.find(field); e != elements.end() && element < e->second.size()) return e->second[element];
  if (auto f = fields.find(field); f != fields.end()) return f->second;
  return line;
}

int Source_map::line_of(const sk::policy::Violation& v) const {
  const std::string field = text(v.field, sizeof v.field);
  auto pick = [&](const std::vector<Object_lines>& objects) -> int {
    if (v.index < objects.size()) return objects[v.index].line_of(field, v.sub_index);
    return 0;
  };
  int line = 0;
  switch (v.subject) {
    case sp::Subject::platform: line = platform.line_of(field, 0); break;
    case sp::Subject::label: line = pick(labels); break;
    case sp::Subject::partition: line = pick(partitions); break;
    case sp::Subject::channel: line = pick(channels); break;
    case sp::Subject::schedule: line = pick(cpus); break;
  }
  if (line == 0) line = top.line_of(field, 0);
  return line == 0 ? 1 : line;
}

std::vector<Diagnostic> check(const Source& source) {
  std::vector<Diagnostic> out = source.diagnostics;
  if (source.complete) {
    std::vector<sp::Violation> found;
    Collect sink(found);
    sp::validate(source.policy, sink);
    for (const auto& v : found) {
      out.push_back({source.map.line_of(v), sk::rule_id(v.rule), text(v.message, sizeof v.message)});
    }
  }
  // Causes before their consequences: a malformed file, a name used twice, or a table over its
  // limit make later rules report what follows from them (a partition "never scheduled" because
  // its name is another's), so those come first, then everything in file order.
  auto cause = [](const Diagnostic& d) {
    return d.rule.rfind("SK-SYN-", 0) == 0 || d.rule == "SK-NAME-1" || d.rule == "SK-LIM-1";
  };
  std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    if (cause(a) != cause(b)) return cause(a);
    return a.line != b.line ? a.line < b.line : a.rule < b.rule;
  });
  return out;
}

std::vector<Diagnostic> check_model(const sk::policy::Policy& policy) {
  std::vector<sp::Violation> found;
  Collect sink(found);
  sp::validate(policy, sink);
  std::vector<Diagnostic> out;
  for (const auto& v : found) out.push_back({0, sk::rule_id(v.rule), text(v.message, sizeof v.message)});
  return out;
}

std::string format(const std::string& path, const Diagnostic& d) {
  if (d.line == 0) return path + ": " + d.rule + ": " + d.message;
  return path + ":" + std::to_string(d.line) + ": " + d.rule + ": " + d.message;
}

const char* colour_name(sp::Colour c) {
  static const char* names[] = {"black",     "blue",       "green",       "cyan",       "red",       "magenta",
                                "brown",     "light_grey", "dark_grey",   "light_blue", "light_green", "light_cyan",
                                "light_red", "light_magenta", "yellow",   "white"};
  auto i = static_cast<unsigned>(c);
  return i < 16 ? names[i] : "?";
}

const char* on_violation_name(sp::On_violation v) {
  return v == sp::On_violation::inject_fault ? "inject_fault" : "stop";
}

nlohmann::json to_json(const sp::Policy& p) {
  using nlohmann::json;
  auto name = [](const sp::Name& n) { return text(n.text, sizeof n.text); };
  auto range = [](const sp::Range& r) { return json{{"base", hex(r.base)}, {"size", hex(r.size)}}; };
  auto partition_name = [&](uint16_t i) -> std::string {
    if (i == sp::k_idle) return "idle";
    // An index that names no partition (only in an invalid model): its 1-based number.
    return i < p.partition_count && i < sp::k_max_partitions ? name(p.partitions[i].name) : "#" + std::to_string(i + 1);
  };
  json j;
  j["platform"] = {{"ram", hex(p.platform.ram_size)},
                   {"kernel_reserved", range(p.platform.kernel_reserved)},
                   {"cpus", p.platform.cpu_count}};
  j["labels"] = json::array();
  for (uint32_t i = 0; i < p.label_count && i < sp::k_max_labels; ++i) {
    const sp::Label& l = p.labels[i];
    j["labels"].push_back({{"name", name(l.name)},
                           {"level", l.level},
                           {"colour", {{"fg", colour_name(l.colour_fg)}, {"bg", colour_name(l.colour_bg)}}}});
  }
  j["partitions"] = json::array();
  for (uint32_t i = 0; i < p.partition_count && i < sp::k_max_partitions; ++i) {
    const sp::Partition& q = p.partitions[i];
    json io = json::array(), mmio = json::array(), irqs = json::array();
    for (uint32_t k = 0; k < q.io_count && k < sp::k_max_io_ranges; ++k) {
      io.push_back({{"first", hex(q.io[k].first)}, {"count", q.io[k].count}});
    }
    for (uint32_t k = 0; k < q.mmio_count && k < sp::k_max_mmio_ranges; ++k) mmio.push_back(range(q.mmio[k]));
    for (uint32_t k = 0; k < q.irq_count && k < sp::k_max_irqs; ++k) irqs.push_back(q.irqs[k]);
    json part = {
        {"name", name(q.name)},
        {"label", q.label < p.label_count && q.label < sp::k_max_labels ? name(p.labels[q.label].name) : "?"},
        {"cpu", q.cpu},
        {"memory", range(q.memory)},
        {"image", text(q.image.text, sizeof q.image.text)},
        {"image_sha256", digest_hex(q.image_sha256)},
        {"disk", text(q.disk.text, sizeof q.disk.text)},
        {"console", q.console},
        {"debug_log", q.debug_log},
        {"virtual_pc", q.virtual_pc},
        {"attestation_agent", q.attestation_agent},
        {"on_violation", on_violation_name(q.on_violation)},
        {"io", io},
        {"mmio", mmio},
        {"irqs", irqs},
    };
    if (q.kind == sp::Image_kind::linux_bzimage) {
      part["linux"] = {{"kernel", text(q.image.text, sizeof q.image.text)},
                       {"kernel_sha256", digest_hex(q.image_sha256)},
                       {"initramfs", text(q.initramfs.text, sizeof q.initramfs.text)},
                       {"initramfs_sha256", digest_hex(q.initramfs_sha256)},
                       {"cmdline", text(q.cmdline.text, sizeof q.cmdline.text)}};
    }
    j["partitions"].push_back(part);
  }
  j["channels"] = json::array();
  for (uint32_t i = 0; i < p.channel_count && i < sp::k_max_channels; ++i) {
    const sp::Channel& c = p.channels[i];
    j["channels"].push_back({{"name", name(c.name)},
                             {"writer", partition_name(c.writer)},
                             {"reader", partition_name(c.reader)},
                             {"memory", range(c.memory)},
                             {"guest_address", hex(c.guest_address)}});
  }
  j["schedule"] = json::array();
  for (uint32_t c = 0; c < p.platform.cpu_count && c < sp::k_max_cpus; ++c) {
    json frames = json::array();
    for (uint32_t f = 0; f < p.cpus[c].frame_count && f < sp::k_max_frames_per_cpu; ++f) {
      frames.push_back({{"partition", partition_name(p.cpus[c].frames[f].partition)},
                        {"us", p.cpus[c].frames[f].duration_us}});
    }
    j["schedule"].push_back({{"cpu", c}, {"major_frame_us", p.cpus[c].major_frame_us}, {"frames", frames}});
  }
  return j;
}

}  // namespace bh::policy
