// SPDX-License-Identifier: Apache-2.0
// Computing, writing and reading the reference manifest (see manifest.hpp).
#include "bh/attest/manifest.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "sk/event_log.hpp"
#include "sk/policy.hpp"
#include "sk/policy_image.hpp"

namespace bh::attest {

namespace {

using nlohmann::json;
namespace el = sk::event_log;

const std::vector<uint16_t> k_all_banks = {k_sha1, k_sha256, k_sha384, k_sha512};

std::string c_text(const char* text, size_t capacity) { return std::string(text, strnlen(text, capacity)); }

Manifest_event event_for(uint32_t pcr, const Bytes& measured, const std::string& description) {
  Manifest_event e;
  e.pcr = pcr;
  e.type = el::k_ev_ipl;
  for (uint16_t bank : k_all_banks) e.digests[bank] = hash(bank, measured);
  e.description = description;
  return e;
}

// A disk's PCRs (docs/attestation.md, "PCR map"): PCR 4 (the boot stage and the kernel) when it
// is predicted or recorded, PCR 7 (Secure Boot state) when recorded, PCR 8 (the policy's
// structure) and its own partition's PCR; never another partition's.
std::vector<uint32_t> disk_pcrs_for(bool kernel_known, bool firmware_recorded, uint32_t partition_pcr) {
  std::vector<uint32_t> out;
  if (kernel_known) out.push_back(el::k_pcr_kernel);
  if (firmware_recorded) out.push_back(7);
  out.push_back(el::k_pcr_policy);
  out.push_back(partition_pcr);
  return out;
}

constexpr char k_ovmf_calling[] = "Calling EFI Application from Boot Option";

}  // namespace

Pcr_bank_values ovmf_pcr4_prefix(const std::vector<uint16_t>& banks) {
  Manifest_event calling, separator;
  calling.pcr = separator.pcr = el::k_pcr_kernel;
  const Bytes text(k_ovmf_calling, k_ovmf_calling + sizeof k_ovmf_calling - 1);
  const Bytes zero(4, 0);
  for (uint16_t bank : banks) {
    calling.digests[bank] = hash(bank, text);
    separator.digests[bank] = hash(bank, zero);
  }
  return replay({calling, separator}, banks);
}

Build_inputs load_inputs(const std::string& policy_image_path, const std::string& image_dir,
                         const std::string& firmware_pcrs_path) {
  Build_inputs in;
  in.policy_image = read_file(policy_image_path, "the compiled policy image");
  auto policy = std::make_unique<sk::policy::Policy>();
  auto status = sk::policy::read_image(in.policy_image.data(), in.policy_image.size(), *policy);
  if (!status) {
    throw Input_error(policy_image_path + ": not a valid policy image (" + sk::error_name(status.error()) + ")");
  }
  in.policy_measured_form.resize(sk::policy::k_image_max_size);
  auto form = sk::policy::write_measured_form(*policy, in.policy_measured_form.data(),
                                              in.policy_measured_form.size());
  if (!form) throw Input_error(policy_image_path + ": cannot write its measured form");
  in.policy_measured_form.resize(form.value());
  for (uint32_t i = 0; i < policy->partition_count; ++i) {
    const auto& p = policy->partitions[i];
    Partition_input part;
    part.name = c_text(p.name.text, sizeof p.name.text);
    part.image = c_text(p.image.text, sizeof p.image.text);
    // A file the policy names, read from image_dir; its digest must be the one the policy records.
    auto piece = [&](const std::string& file, const uint8_t* sha256, const char* field, const char* what) {
      const std::string path = (std::filesystem::path(image_dir) / file).string();
      Bytes bytes = read_file(path, std::string(what) + " of partition " + part.name);
      Bytes digest = hash(k_sha256, bytes);
      if (!std::equal(digest.begin(), digest.end(), sha256)) {
        // Partition numbers in messages are 1-based, as the indicator numbers domains.
        throw Input_error(path + ": SHA-256 differs from the " + field + " of partition " + std::to_string(i + 1) + " (" +
                          part.name + ") in " + policy_image_path + " (recompile the policy)");
      }
      return bytes;
    };
    part.is_linux = p.kind == sk::policy::Image_kind::linux_bzimage;
    part.memory_size = p.memory.size;
    part.bytes = piece(part.image, p.image_sha256, "image_sha256", part.is_linux ? "the Linux kernel" : "the image");
    if (part.is_linux) {
      part.initramfs = c_text(p.initramfs.text, sizeof p.initramfs.text);
      part.initramfs_bytes = piece(part.initramfs, p.initramfs_sha256, "initramfs_sha256", "the initramfs");
      part.cmdline = c_text(p.cmdline.text, sizeof p.cmdline.text);
    }
    in.partitions.push_back(std::move(part));
  }
  if (!firmware_pcrs_path.empty()) {
    Bytes text = read_file(firmware_pcrs_path, "the recorded firmware PCRs");
    in.firmware = firmware_pcrs_from_json(std::string(text.begin(), text.end()), firmware_pcrs_path);
  }
  return in;
}

Pcr_bank_values replay(const std::vector<Manifest_event>& events, const std::vector<uint16_t>& banks) {
  Pcr_bank_values out;
  for (const auto& e : events) {
    for (uint16_t bank : banks) {
      auto& value = out[bank][e.pcr];
      if (value.empty()) value.assign(bank_size(bank), 0);
      value = extend(bank, value, e.digests.at(bank).data());
    }
  }
  return out;
}

Manifest compute_manifest(const Build_inputs& in) {
  Manifest m;
  m.banks = k_all_banks;
  char text[el::k_max_event_data];
  size_t n = el::describe_policy(text, sizeof text);
  m.events.push_back(event_for(el::k_pcr_policy, in.policy_measured_form, std::string(text, n)));
  m.firmware_recorded = !in.firmware.empty();
  m.boot_stage = in.boot_stage;
  const bool predict_kernel = !in.boot_stage.file.empty() && !in.kernel_file.empty();
  uint32_t pcr = 0;
  auto piece = [&](const Partition_input& p, const char* what, const char* file, const Bytes& measured) {
    n = el::describe_piece(p.name.c_str(), what, file, text, sizeof text);
    m.events.push_back(event_for(pcr, measured, std::string(text, n)));
  };
  if (in.partitions.size() > sk::policy::k_max_partitions)
    throw Input_error("more partitions than PCRs 9-15");
  for (const auto& p : in.partitions) {
    pcr = el::pcr_of_partition(uint32_t(m.partitions.size()));
    if (p.is_linux) {
      piece(p, "linux", p.image.c_str(), p.bytes);
      piece(p, "initramfs", p.initramfs.c_str(), p.initramfs_bytes);
      piece(p, "cmdline", nullptr, Bytes(p.cmdline.begin(), p.cmdline.end()));
    } else {
      piece(p, "image", p.image.c_str(), p.bytes);
    }
    m.partitions.push_back({p.name, p.image,
                            disk_pcrs_for(predict_kernel || m.firmware_recorded, m.firmware_recorded, pcr),
                            pcr});
  }
  m.pcrs = replay(m.events, m.banks);
  // The partition PCRs no partition uses must stay as reset.
  for (uint32_t unused = el::pcr_of_partition(uint32_t(in.partitions.size()));
       unused <= el::k_pcr_last_partition; ++unused) {
    for (uint16_t bank : m.banks) m.pcrs[bank][unused] = Bytes(bank_size(bank), 0);
  }
  if (predict_kernel) {
    // PCR 4: OVMF's events before the boot application, the boot stage (Authenticode), the kernel.
    m.kernel.file = std::filesystem::path(in.kernel_file).filename().string();
    Pcr_bank_values pcr4 = ovmf_pcr4_prefix(m.banks);
    for (uint16_t bank : m.banks) {
      m.kernel.digests[bank] = hash(bank, in.kernel_bytes);
      Bytes& value = pcr4[bank][el::k_pcr_kernel];
      value = extend(bank, value, in.boot_stage.digests.at(bank).data());
      value = extend(bank, value, m.kernel.digests[bank].data());
      m.pcrs[bank][el::k_pcr_kernel] = value;
    }
  }
  for (const auto& [bank, values] : in.firmware) {
    for (const auto& [pcr, value] : values) m.pcrs[bank][pcr] = value;
  }
  for (uint32_t pcr = 0; pcr <= el::k_pcr_last_partition; ++pcr) m.quote_pcrs.push_back(pcr);
  m.policy_image_sha256 = to_hex(hash(k_sha256, in.policy_image));
  return m;
}

std::string pcrs_to_json(const Pcr_bank_values& v) {
  json out = json::object();
  for (const auto& [bank, values] : v) {
    for (const auto& [pcr, value] : values) out[bank_name(bank)][std::to_string(pcr)] = to_hex(value);
  }
  return out.dump(2);
}

namespace {

Pcr_bank_values pcrs_from(const json& j, const std::string& where, uint32_t max_pcr) {
  if (!j.is_object()) throw Input_error(where + ": not an object of banks");
  Pcr_bank_values out;
  for (const auto& [bank_text, values] : j.items()) {
    uint16_t bank = bank_from_name(bank_text);
    if (bank == 0) throw Input_error(where + "." + bank_text + ": unknown bank");
    if (!values.is_object()) throw Input_error(where + "." + bank_text + ": not an object of PCRs");
    for (const auto& [pcr_text, value] : values.items()) {
      const std::string field = where + "." + bank_text + "." + pcr_text;
      uint32_t pcr = 0;
      try {
        size_t used = 0;
        pcr = uint32_t(std::stoul(pcr_text, &used));
        if (used != pcr_text.size()) throw Input_error("");
      } catch (const std::exception&) {
        throw Input_error(field + ": not a PCR number");
      }
      if (pcr > 23) throw Input_error(field + ": not a PCR 0..23");
      if (pcr > max_pcr) continue;
      if (!value.is_string()) throw Input_error(field + ": not a hex string");
      Bytes b = from_hex(value.get<std::string>(), field);
      if (b.size() != bank_size(bank)) throw Input_error(field + ": wrong digest size for " + bank_text);
      out[bank][pcr] = b;
    }
  }
  return out;
}

const json& field(const json& j, const char* name, const std::string& where) {
  if (!j.is_object() || !j.contains(name)) throw Input_error(where + ": field \"" + name + "\" missing");
  return j[name];
}

}  // namespace

Pcr_bank_values firmware_pcrs_from_json(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    throw Input_error(where + ": not valid JSON");
  }
  if (j.is_object() && j.contains("pcrs")) return pcrs_from(j["pcrs"], where + ": pcrs", k_firmware_pcr_count - 1);
  return pcrs_from(j, where + ": ", k_firmware_pcr_count - 1);
}

std::string manifest_to_json(const Manifest& m) {
  json banks = json::array();
  for (uint16_t b : m.banks) banks.push_back(bank_name(b));
  json events = json::array();
  for (size_t i = 0; i < m.events.size(); ++i) {
    const auto& e = m.events[i];
    json digests = json::object();
    for (const auto& [bank, d] : e.digests) digests[bank_name(bank)] = to_hex(d);
    events.push_back({{"index", i}, {"pcr", e.pcr}, {"type", event_type_name(e.type)}, {"digests", digests},
                      {"description", e.description}});
  }
  json partitions = json::object();
  json layout_partitions = json::object();
  for (const auto& p : m.partitions) {
    partitions[p.name] = {{"image", p.image}, {"pcr", p.pcr}, {"disk_pcrs", p.disk_pcrs}};
    layout_partitions[p.name] = p.pcr;
  }
  json out = {
      {"format", "bulkhead-reference-manifest"},
      {"version", 1},
      {"banks", banks},
      {"quote", {{"bank", bank_name(k_quote_bank)}, {"pcrs", m.quote_pcrs}}},
      {"firmware_recorded", m.firmware_recorded},
      {"policy_image_sha256", m.policy_image_sha256},
      {"events", events},
      {"pcrs", json::parse(pcrs_to_json(m.pcrs))},
      {"partitions", partitions},
      {"pcr_layout",
       {{"kernel", el::k_pcr_kernel},
        {"policy", el::k_pcr_policy},
        {"policy_measured", "the policy image with every image and initramfs digest zeroed"},
        {"partitions", layout_partitions},
        {"disk", "PCR 4 if the kernel is predicted or recorded, 7 if recorded, 8, the partition's own"}}}};
  if (!m.kernel.file.empty()) {
    json digests = json::object();
    for (const auto& [bank, d] : m.kernel.digests) digests[bank_name(bank)] = to_hex(d);
    out["kernel"] = {{"file", m.kernel.file},
                     {"pcr", el::k_pcr_kernel},
                     {"type", "EV_IPL"},
                     {"digests", digests},
                     {"pcr4_predicted_from",
                      "OVMF's 'Calling EFI Application from Boot Option' and separator, the "
                      "boot stage's Authenticode digest, the kernel"}};
  }
  if (!m.boot_stage.file.empty()) {
    json digests = json::object();
    for (const auto& [bank, d] : m.boot_stage.digests) digests[bank_name(bank)] = to_hex(d);
    out["boot_stage"] = {{"file", m.boot_stage.file},
                         {"pcr", 4},
                         {"type", "EV_EFI_BOOT_SERVICES_APPLICATION"},
                         {"authenticode", digests}};
  }
  return out.dump(2) + "\n";
}

Manifest manifest_from_json(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    throw Input_error(where + ": not valid JSON");
  }
  const std::string w = where + ": ";
  try {
    if (field(j, "format", where) != "bulkhead-reference-manifest") throw Input_error(w + "format: not a manifest");
    if (field(j, "version", where) != 1) throw Input_error(w + "version: only version 1 is known");
    Manifest m;
    for (const auto& b : field(j, "banks", where)) {
      uint16_t bank = bank_from_name(b.get<std::string>());
      if (bank == 0) throw Input_error(w + "banks: unknown bank " + b.dump());
      m.banks.push_back(bank);
    }
    const json& quote = field(j, "quote", where);
    if (field(quote, "bank", where + ": quote") != bank_name(k_quote_bank)) {
      throw Input_error(w + "quote.bank: only sha256 is supported");
    }
    for (const auto& p : field(quote, "pcrs", where + ": quote")) m.quote_pcrs.push_back(p.get<uint32_t>());
    m.firmware_recorded = field(j, "firmware_recorded", where).get<bool>();
    m.policy_image_sha256 = field(j, "policy_image_sha256", where).get<std::string>();
    const json& events = field(j, "events", where);
    for (size_t i = 0; i < events.size(); ++i) {
      const std::string ew = where + ": events[" + std::to_string(i) + "]";
      Manifest_event e;
      e.pcr = field(events[i], "pcr", ew).get<uint32_t>();
      if (e.pcr > 23) throw Input_error(ew + ".pcr: not a PCR 0..23");
      e.type = event_type_from_name(field(events[i], "type", ew).get<std::string>(), ew + ".type");
      e.description = field(events[i], "description", ew).get<std::string>();
      const json& digests = field(events[i], "digests", ew);
      for (uint16_t bank : m.banks) {
        const std::string dw = ew + ".digests." + bank_name(bank);
        Bytes d = from_hex(field(digests, bank_name(bank), ew + ".digests").get<std::string>(), dw);
        if (d.size() != bank_size(bank)) throw Input_error(dw + ": wrong digest size");
        e.digests[bank] = d;
      }
      m.events.push_back(std::move(e));
    }
    m.pcrs = pcrs_from(field(j, "pcrs", where), where + ": pcrs", 23);
    for (const auto& [name, p] : field(j, "partitions", where).items()) {
      Manifest_partition part{
          name, field(p, "image", where + ": partitions." + name).get<std::string>(), {}, 0};
      if (p.contains("pcr")) part.pcr = p["pcr"].get<uint32_t>();
      for (const auto& pcr : field(p, "disk_pcrs", where + ": partitions." + name)) {
        part.disk_pcrs.push_back(pcr.get<uint32_t>());
      }
      m.partitions.push_back(std::move(part));
    }
    if (j.contains("boot_stage")) {
      const std::string bw = where + ": boot_stage";
      const json& b = j["boot_stage"];
      m.boot_stage.file = field(b, "file", bw).get<std::string>();
      if (m.boot_stage.file.empty()) throw Input_error(bw + ".file: empty");
      const json& digests = field(b, "authenticode", bw);
      for (uint16_t bank : m.banks) {
        const std::string dw = bw + ".authenticode." + bank_name(bank);
        Bytes d = from_hex(field(digests, bank_name(bank), bw + ".authenticode").get<std::string>(), dw);
        if (d.size() != bank_size(bank)) throw Input_error(dw + ": wrong digest size");
        m.boot_stage.digests[bank] = d;
      }
    }
    return m;
  } catch (const json::exception& e) {
    throw Input_error(w + "field of the wrong type (" + e.what() + ")");
  }
}

}  // namespace bh::attest
