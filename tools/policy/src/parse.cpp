// SPDX-License-Identifier: Apache-2.0
// The TOML front end: reads a policy source into the model, with SK-SYN-* and SK-IMG-1 findings
// and the line of every object and field, so validator findings can name a line.
#include <fstream>
#include <sstream>

#include "bh/policy_source.hpp"
#include "parse_table.hpp"
#include "sk/linux_boot.hpp"
#include "sk/sha256.hpp"

namespace bh::policy {

namespace {

using detail::copy_text;
using detail::Findings;
using detail::line_of;
using detail::Table;
namespace sp = sk::policy;

// Index a reference resolves to when it names nothing: the validator reports it
// (SK-LABEL-1, SK-FLOW-2, SK-SCHED-1) with its own message.
constexpr uint16_t k_unresolved = 0xFFFE;

constexpr const char* k_colour_names[] = {
    "black",     "blue",       "green",       "cyan",      "red",         "magenta",       "brown",  "light_grey",
    "dark_grey", "light_blue", "light_green", "light_cyan", "light_red", "light_magenta", "yellow", "white",
};

struct Parser {
  Source& src;
  Findings f;
  std::filesystem::path image_dir;
  // Every label's and partition's name as written, in order: references resolve against these, so
  // a name too long for the model (SK-NAME-1) is reported once and what names it still finds it.
  std::vector<std::string> label_names, partition_names;

  // A name field: SK-NAME-1 when too long (the validator checks characters and uniqueness).
  // Returns the name as written.
  std::string name(Table& t, sp::Name& out, const std::string& kind) {
    auto v = t.string("name", true);
    if (!v) return {};
    if (v->size() >= sp::k_name_len) {
      f.add(t.line(), sk::Rule::name_unique,
            kind + " name \"" + v->substr(0, 40) + "...\" is not valid: use 1 to " +
                std::to_string(sp::k_name_len - 1) + " characters from a-z, 0-9, '_' and '-'");
    }
    copy_text(out.text, *v);
    if (kind == "partition") t.set_where("partition \"" + *v + "\"");
    if (kind == "channel") t.set_where("channel \"" + *v + "\"");
    return *v;
  }

  // A file name looked up in the image directory (SK-IMG-1); returns true if present. content:
  // where the file's bytes go, if wanted.
  bool file(Table& t, Object_lines& lines, const char* key, bool required, sp::Path& out, uint8_t* sha256,
            std::string* content = nullptr, const std::string& prefix = {}) {
    auto v = t.string(key, required);
    if (!v) return false;
    const int line = lines.fields.count(key) ? lines.fields[key] : t.line();
    if (v->empty() || v->size() >= sp::k_path_len || v->find('/') != std::string::npos) {
      f.add(line, sk::Rule::syn_type,
            t.where() + ": \"" + prefix + key + "\" must be a plain file name of 1 to " +
                std::to_string(sp::k_path_len - 1) + " characters");
      return false;
    }
    copy_text(out.text, *v);
    std::ifstream in(image_dir / *v, std::ios::binary);
    if (!in) {
      f.add(line, sk::Rule::image_present,
            t.where() + " " + prefix + key + " \"" + *v + "\" is not present in " + image_dir.string());
      return false;
    }
    if (sha256 != nullptr || content != nullptr) {
      std::ostringstream bytes;
      bytes << in.rdbuf();
      const std::string s = bytes.str();
      if (sha256 != nullptr) sk::Sha256::digest(s.data(), s.size(), sha256);
      if (content != nullptr) *content = s;
    }
    return true;
  }

  // `image = FILE` or `linux = { kernel, initramfs, cmdline }`: exactly one (SK-SYN-3). A Linux
  // kernel must be a bzImage the kernel can boot in this partition's memory with its initramfs
  // and command line (SK-LINUX-2, the checks the kernel makes again at boot: sk/linux_boot.hpp).
  void image(Table& t, Object_lines& lines, sp::Partition& p) {
    const toml::table* linux_table = t.table("linux", false);
    if (linux_table == nullptr) {
      file(t, lines, "image", true, p.image, p.image_sha256);
      return;
    }
    if (t.take("image", false) != nullptr) {
      f.add(lines.fields.count("image") ? lines.fields["image"] : t.line(), sk::Rule::syn_type,
            t.where() + ": give either \"image\" or \"linux\", not both");
    }
    p.kind = sp::Image_kind::linux_bzimage;
    Table lt(f, *linux_table, t.where(), nullptr, "linux.");
    std::string kernel, initramfs;
    const bool have_kernel = file(lt, lines, "kernel", true, p.image, p.image_sha256, &kernel, "linux.");
    const bool have_initramfs = file(lt, lines, "initramfs", true, p.initramfs, p.initramfs_sha256, &initramfs, "linux.");
    auto cmdline = lt.string("cmdline", true);
    lt.finish();
    if (cmdline && cmdline->size() >= sp::k_cmdline_len) {
      f.add(lt.line(), sk::Rule::linux_cmdline,
            t.where() + ": linux.cmdline has " + std::to_string(cmdline->size()) + " characters; at most " +
                std::to_string(sp::k_cmdline_len - 1));
    } else if (cmdline) {
      copy_text(p.cmdline.text, *cmdline);
    }
    if (!have_kernel || !have_initramfs || !cmdline) return;
    namespace lb = sk::linux_boot;
    const lb::Parsed parsed = lb::parse(reinterpret_cast<const uint8_t*>(kernel.data()), kernel.size());
    const std::string what = t.where() + ": linux.kernel \"" + std::string(p.image.text) + "\" ";
    if (parsed.refusal != lb::Refusal::none) {
      f.add(lt.line(), sk::Rule::linux_fits, what + "cannot be booted: " + lb::reason(parsed.refusal));
      return;
    }
    const lb::Plan plan = lb::place(parsed.header, p.memory.size, initramfs.size(), cmdline->size() + lb::k_appended_max);
    if (plan.refusal == lb::Refusal::memory_too_small) {
      const lb::Header& h = parsed.header;
      const uint64_t at = h.relocatable ? (lb::k_high_start + h.alignment - 1) & ~uint64_t{h.alignment - 1} : h.pref_address;
      const uint64_t need = (at + h.init_size + ((initramfs.size() + 0xFFF) & ~uint64_t{0xFFF}) + 0xFFFFF) >> 20;
      f.add(lt.line(), sk::Rule::linux_fits,
            what + "and its initramfs need " + std::to_string(need) + " MiB of memory (init_size " +
                std::to_string(parsed.header.init_size) + " bytes, initramfs " + std::to_string(initramfs.size()) +
                " bytes); memory.size is " + std::to_string(p.memory.size >> 20) + " MiB");
    } else if (plan.refusal != lb::Refusal::none) {
      f.add(lt.line(), sk::Rule::linux_fits, what + "cannot be booted: " + lb::reason(plan.refusal));
    }
  }

  // The top-level table under key; SK-SYN-3 if it is something else (absence is reported by run()).
  const toml::table* table_or_error(const toml::table& root, const char* key) {
    const toml::node* n = root.get(key);
    if (n == nullptr) return nullptr;
    if (const toml::table* t = n->as_table()) return t;
    f.add(line_of(*n), sk::Rule::syn_type, std::string("policy: \"") + key + "\" must be a table");
    return nullptr;
  }

  sp::Colour colour(Table& t, const char* key) {
    auto v = t.string(key, true);
    if (!v) return sp::Colour::black;
    for (size_t i = 0; i < std::size(k_colour_names); ++i) {
      if (*v == k_colour_names[i]) return static_cast<sp::Colour>(i);
    }
    f.add(t.line(), sk::Rule::syn_type,
          t.where() + ": \"colour." + key + "\" must be a VGA colour name (black, blue, ..., white), not \"" + *v +
              "\"");
    return sp::Colour::black;
  }

  // The first of names that is n, or k_unresolved.
  static uint16_t index_in(const std::vector<std::string>& names, const std::string& n, uint32_t max) {
    for (size_t i = 0; i < names.size() && i < max; ++i) {
      if (names[i] == n) return static_cast<uint16_t>(i);
    }
    return k_unresolved;
  }
  uint16_t label_index(const std::string& n) { return index_in(label_names, n, sp::k_max_labels); }
  uint16_t partition_index(const std::string& n) { return index_in(partition_names, n, sp::k_max_partitions); }

  void platform(const toml::table& root) {
    const toml::table* t = table_or_error(root, "platform");
    if (t == nullptr) return;
    Table pt(f, *t, "platform", &src.map.platform);
    auto ram = pt.integer("ram", true, 0, INT64_MAX);
    auto reserved = pt.range("kernel_reserved", true);
    auto cpus = pt.integer("cpus", false, 0, 255);
    pt.finish();
    src.policy.platform.ram_size = ram.value_or(0);
    if (reserved) src.policy.platform.kernel_reserved = *reserved;
    src.policy.platform.cpu_count = static_cast<uint8_t>(cpus.value_or(1));
  }

  void labels(const toml::table& root) {
    const toml::table* t = table_or_error(root, "labels");
    if (t == nullptr) return;
    Object_lines lines;
    Table lt(f, *t, "labels", &lines);
    const toml::array* order = lt.array("order", true);
    const toml::table* colours = lt.table("colour", true);
    lt.finish();
    if (order == nullptr) return;
    src.policy.label_count = static_cast<uint32_t>(order->size());
    for (size_t i = 0; i < order->size(); ++i) {
      const auto* s = (*order)[i].as_string();
      Object_lines one;
      one.line = line_of((*order)[i]);
      src.map.labels.push_back(one);
      label_names.push_back(s == nullptr ? std::string() : s->get());
      if (s == nullptr) {
        lt.type_error((*order)[i], "order", "an array of label names");
        continue;
      }
      if (i >= sp::k_max_labels) continue;  // SK-LIM-1 from the validator
      if (s->get().size() >= sp::k_name_len) {
        f.add(one.line, sk::Rule::name_unique, "label name \"" + s->get().substr(0, 40) + "...\" is not valid: use 1 to " +
                                                    std::to_string(sp::k_name_len - 1) +
                                                    " characters from a-z, 0-9, '_' and '-'");
      }
      copy_text(src.policy.labels[i].name.text, s->get());
      src.policy.labels[i].level = static_cast<uint8_t>(i);
    }
    if (colours == nullptr) return;
    // The indicator's colours belong to the label: `colour.NAME = { fg, bg }` for every label in
    // `order` (SK-SYN-3 if one is missing, SK-SYN-2 for a label `order` does not declare).
    Table all(f, *colours, "labels", nullptr, "colour.");
    for (size_t i = 0; i < order->size() && i < sp::k_max_labels; ++i) {
      const std::string& label = label_names[i];
      if (label.empty()) continue;
      const toml::table* c = all.table(label, true);
      if (c == nullptr) continue;
      src.map.labels[i].fields["colour"] = line_of(*c);
      Table ct(f, *c, "label \"" + label + "\"", nullptr, "colour.");
      src.policy.labels[i].colour_fg = colour(ct, "fg");
      src.policy.labels[i].colour_bg = colour(ct, "bg");
      ct.finish();
    }
    all.finish();
  }

  void io_ranges(Table& t, sp::Partition& p) {
    const toml::array* a = t.array("io", false);
    if (a == nullptr) return;
    p.io_count = static_cast<uint32_t>(a->size());
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* e = (*a)[i].as_table();
      if (e == nullptr) {
        t.type_error((*a)[i], "io", "an array of { first, count } tables");
        continue;
      }
      Table et(f, *e, t.where(), nullptr, "io.");
      auto first = et.integer("first", true, 0, 0xFFFF);
      auto count = et.integer("count", true, 0, 0x10000);
      et.finish();
      if (i < sp::k_max_io_ranges && first && count) {
        // A count that runs past port 0xFFFF is kept as given (clamped to 16 bits) and
        // refused by SK-DEV-3 through its first + count check.
        p.io[i] = {static_cast<uint16_t>(*first), static_cast<uint16_t>(*count > 0xFFFF ? 0xFFFF : *count)};
        if (*first + *count > 0x10000) p.io[i].count = 0xFFFF;
      }
    }
  }

  void mmio_ranges(Table& t, sp::Partition& p) {
    const toml::array* a = t.array("mmio", false);
    if (a == nullptr) return;
    p.mmio_count = static_cast<uint32_t>(a->size());
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* e = (*a)[i].as_table();
      if (e == nullptr) {
        t.type_error((*a)[i], "mmio", "an array of { base, size } tables");
        continue;
      }
      Table et(f, *e, t.where(), nullptr, "mmio.");
      auto base = et.integer("base", true, 0, INT64_MAX);
      auto size = et.integer("size", true, 0, INT64_MAX);
      et.finish();
      if (i < sp::k_max_mmio_ranges && base && size) p.mmio[i] = {*base, *size};
    }
  }

  void irqs(Table& t, sp::Partition& p) {
    const toml::array* a = t.array("irqs", false);
    if (a == nullptr) return;
    p.irq_count = static_cast<uint32_t>(a->size());
    for (size_t i = 0; i < a->size(); ++i) {
      const auto* v = (*a)[i].as_integer();
      if (v == nullptr || v->get() < 0 || v->get() > 255) {
        t.type_error((*a)[i], "irqs", "an array of integers from 0 to 255");
        continue;
      }
      if (i < sp::k_max_irqs) p.irqs[i] = static_cast<uint8_t>(v->get());
    }
  }

  void partition(const toml::table& pt, uint32_t index) {
    Object_lines lines;
    lines.line = line_of(pt);
    src.map.partitions.push_back(lines);
    sp::Partition scratch{};
    sp::Partition& p = index < sp::k_max_partitions ? src.policy.partitions[index] : scratch;
    // Until its name is read, a partition is named by its number, 1-based as the indicator's.
    Table t(f, pt, "partition " + std::to_string(index + 1), &src.map.partitions.back());
    partition_names.push_back(name(t, p.name, "partition"));
    if (auto label = t.string("label", true)) p.label = label_index(*label);
    if (const toml::node* c = t.take("colour", false)) {  // where colours were before policy image revision 4
      f.add(line_of(*c), sk::Rule::syn_unknown_key,
            t.where() + ": unknown key \"colour\": the indicator's colours belong to the label ([labels] colour.LABEL = { fg, bg })");
    }
    p.cpu = static_cast<uint8_t>(t.integer("cpu", false, 0, 255).value_or(0));
    if (auto m = t.range("memory", true)) p.memory = *m;
    image(t, src.map.partitions.back(), p);
    file(t, src.map.partitions.back(), "disk", false, p.disk, nullptr);
    p.console = t.boolean("console", false);
    p.debug_log = t.boolean("debug_log", false);
    p.virtual_pc = t.boolean("virtual_pc", false);
    p.attestation_agent = t.boolean("attestation_agent", false);
    if (auto v = t.string("on_violation", false)) {
      if (*v == "stop") {
        p.on_violation = sp::On_violation::stop;
      } else if (*v == "inject_fault") {
        p.on_violation = sp::On_violation::inject_fault;
      } else {
        f.add(src.map.partitions.back().fields["on_violation"], sk::Rule::syn_type,
              t.where() + ": \"on_violation\" must be \"stop\" or \"inject_fault\", not \"" + *v + "\"");
      }
    }
    io_ranges(t, p);
    mmio_ranges(t, p);
    irqs(t, p);
    t.finish();
  }

  void channel(const toml::table& ct, uint32_t index) {
    Object_lines lines;
    lines.line = line_of(ct);
    src.map.channels.push_back(lines);
    sp::Channel scratch{};
    sp::Channel& c = index < sp::k_max_channels ? src.policy.channels[index] : scratch;
    Table t(f, ct, "channel " + std::to_string(index + 1), &src.map.channels.back());
    name(t, c.name, "channel");
    if (auto w = t.string("writer", true)) c.writer = partition_index(*w);
    if (auto r = t.string("reader", true)) c.reader = partition_index(*r);
    if (auto m = t.range("memory", true)) c.memory = *m;
    c.guest_address = t.integer("guest_address", true, 0, INT64_MAX).value_or(0);
    t.finish();
  }

  void schedule(const toml::table& root) {
    src.map.cpus.assign(sp::k_max_cpus, Object_lines{});
    const toml::table* st = table_or_error(root, "schedule");
    if (st == nullptr) return;
    Table t(f, *st, "schedule", nullptr);
    const toml::array* cpus = t.array("cpu", true);
    t.finish();
    if (cpus == nullptr) return;
    bool seen[sp::k_max_cpus] = {};
    for (const auto& node : *cpus) {
      const toml::table* ct = node.as_table();
      if (ct == nullptr) {
        t.type_error(node, "cpu", "an array of tables ([[schedule.cpu]])");
        continue;
      }
      Object_lines lines;
      lines.line = line_of(*ct);
      Table c(f, *ct, "schedule.cpu", &lines);
      auto id = c.integer("id", true, 0, sp::k_max_cpus - 1);
      c.set_where(id ? "schedule.cpu " + std::to_string(*id) : "schedule.cpu");
      auto major = c.integer("major_frame_us", true, 0, UINT32_MAX);
      const toml::array* frames = c.array("frames", true);
      c.finish();
      if (!id) continue;
      if (seen[*id]) {
        f.add(lines.line, sk::Rule::syn_type, "schedule.cpu " + std::to_string(*id) + " is declared twice");
        continue;
      }
      seen[*id] = true;
      src.map.cpus[*id] = lines;
      sp::Cpu_plan& plan = src.policy.cpus[*id];
      plan.major_frame_us = static_cast<uint32_t>(major.value_or(0));
      if (frames == nullptr) continue;
      plan.frame_count = static_cast<uint32_t>(frames->size());
      for (size_t i = 0; i < frames->size(); ++i) {
        const toml::table* ft = (*frames)[i].as_table();
        if (ft == nullptr) {
          c.type_error((*frames)[i], "frames", "an array of { partition, us } tables");
          continue;
        }
        Table fr(f, *ft, c.where(), nullptr, "frames.");
        auto who = fr.string("partition", true);
        auto us = fr.integer("us", true, 0, UINT32_MAX);
        fr.finish();
        if (i >= sp::k_max_frames_per_cpu) continue;  // SK-LIM-1 from the validator
        plan.frames[i].partition = !who ? k_unresolved : *who == "idle" ? sp::k_idle : partition_index(*who);
        plan.frames[i].duration_us = static_cast<uint32_t>(us.value_or(0));
      }
    }
  }

  void run(const toml::table& root) {
    Table top(f, root, "policy", &src.map.top);
    auto version = top.integer("version", true, 0, INT64_MAX);
    if (version && *version != 1) {
      f.add(src.map.top.fields["version"], sk::Rule::syn_type,
            "policy: \"version\" must be 1 (this bulkhead reads policy language version 1)");
    }
    (void)top.take("platform", true);
    (void)top.take("labels", true);
    (void)top.take("schedule", true);
    const toml::array* parts = top.array("partition", true);
    const toml::array* chans = top.array("channel", false);
    top.finish();
    platform(root);
    labels(root);
    if (parts != nullptr) {
      src.policy.partition_count = static_cast<uint32_t>(parts->size());
      for (size_t i = 0; i < parts->size(); ++i) {
        if (const toml::table* pt = (*parts)[i].as_table()) {
          partition(*pt, static_cast<uint32_t>(i));
        } else {
          partition_names.emplace_back();  // keeps the names in step with the partitions' numbers
          top.type_error((*parts)[i], "partition", "an array of tables ([[partition]])");
        }
      }
    }
    if (chans != nullptr) {
      src.policy.channel_count = static_cast<uint32_t>(chans->size());
      for (size_t i = 0; i < chans->size(); ++i) {
        if (const toml::table* ct = (*chans)[i].as_table()) {
          channel(*ct, static_cast<uint32_t>(i));
        } else {
          top.type_error((*chans)[i], "channel", "an array of tables ([[channel]])");
        }
      }
    }
    schedule(root);
  }
};

}  // namespace

Source parse_text(std::string_view text, const std::string& path, const std::filesystem::path& image_dir) {
  Source src;
  src.path = path;
  src.complete = true;
  Parser parser{src, Findings(src), image_dir};
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    parser.f.add(static_cast<int>(err.source().begin.line), sk::Rule::syn_parse,
                 std::string("not valid TOML: ") + std::string(err.description()));
    return src;
  }
  parser.run(root);
  return src;
}

Source parse_file(const std::string& path, const std::filesystem::path& image_dir) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Unreadable_input(path + ": cannot read the policy file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Unreadable_input(path + ": cannot read the policy file");
  std::filesystem::path dir = image_dir;
  if (dir.empty()) {
    dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
  }
  return parse_text(text.str(), path, dir);
}

}  // namespace bh::policy
