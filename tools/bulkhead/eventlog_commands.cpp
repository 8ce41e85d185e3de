// SPDX-License-Identifier: Apache-2.0
// `bulkhead eventlog show FILE [--json]`: prints a TCG crypto-agile event log and the PCR values
// its events replay to, per bank.
#include <botan/hash.h>
#include <botan/hex.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bh/cli/input_file.hpp"
#include "commands.hpp"
#include "sk/event_log.hpp"

namespace bh::cli {

namespace {

namespace el = sk::event_log;

const char* alg_name(uint16_t alg) {
  switch (alg) {
    case el::k_alg_sha1: return "sha1";
    case el::k_alg_sha256: return "sha256";
    case el::k_alg_sha384: return "sha384";
    case el::k_alg_sha512: return "sha512";
  }
  return "unknown";
}

const char* botan_name(uint16_t alg) {
  switch (alg) {
    case el::k_alg_sha1: return "SHA-1";
    case el::k_alg_sha256: return "SHA-256";
    case el::k_alg_sha384: return "SHA-384";
    default: return "SHA-512";
  }
}

std::string type_name(uint32_t type) {
  switch (type) {
    case el::k_ev_no_action: return "EV_NO_ACTION";
    case el::k_ev_separator: return "EV_SEPARATOR";
    case el::k_ev_action: return "EV_ACTION";
    case el::k_ev_event_tag: return "EV_EVENT_TAG";
    case el::k_ev_ipl: return "EV_IPL";
  }
  return fmt::format("0x{:08x}", type);
}

// Event data as text when it is printable (a trailing NUL allowed), else as hex.
std::string data_text(const uint8_t* d, uint32_t n) {
  uint32_t len = n;
  if (len > 0 && d[len - 1] == 0) --len;
  for (uint32_t i = 0; i < len; ++i) {
    if (d[i] < 0x20 || d[i] > 0x7e) return "hex:" + Botan::hex_encode(d, n, false);
  }
  return std::string(reinterpret_cast<const char*>(d), len);
}

struct Options {
  std::string file;
  bool json = false;
};

void run_show(const Options& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "bulkhead: {}: cannot read the event log\n", o.file);
    throw Exit{2};
  }
  std::ostringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  el::Reader reader;
  auto status = reader.open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!status) {
    fmt::print(stderr, "bulkhead: {}: event log rejected in its header: {}\n", o.file, sk::error_name(status.error()));
    throw Exit{1};
  }
  // PCR values replayed per bank: every PCR starts at zero (PCRs 0-16, 23; locality 0).
  std::map<uint16_t, std::map<uint32_t, std::vector<uint8_t>>> pcrs;
  nlohmann::json events = nlohmann::json::array();
  std::vector<std::string> lines;
  el::Event e{};
  for (uint32_t index = 0;; ++index) {
    size_t at = reader.offset();
    status = reader.next(e);
    if (status.error() == sk::Error::not_found) break;
    if (!status) {
      fmt::print(stderr, "bulkhead: {}: event log rejected at event {} (byte {}): {}\n", o.file, index, at,
                 sk::error_name(status.error()));
      throw Exit{1};
    }
    nlohmann::json digests = nlohmann::json::object();
    std::string digest_text;
    for (uint32_t i = 0; i < e.digest_count; ++i) {
      const uint16_t alg = e.digests[i].alg;
      const size_t size = el::digest_size(alg);
      const std::string hex = Botan::hex_encode(e.digests[i].bytes, size, false);
      digests[alg_name(alg)] = hex;
      digest_text += fmt::format(" {}:{}", alg_name(alg), hex);
      if (e.type == el::k_ev_no_action) continue;  // not extended into any PCR
      auto& value = pcrs[alg][e.pcr];
      if (value.empty()) value.assign(size, 0);
      auto h = Botan::HashFunction::create_or_throw(botan_name(alg));
      h->update(value);
      h->update(e.digests[i].bytes, size);
      auto out = h->final();
      value.assign(out.begin(), out.end());
    }
    const std::string data = data_text(e.data, e.data_size);
    events.push_back({{"index", index}, {"pcr", e.pcr}, {"type", type_name(e.type)}, {"digests", digests},
                      {"data", data}});
    lines.push_back(fmt::format("#{} PCR {} {}{} \"{}\"", index, e.pcr, type_name(e.type), digest_text, data));
  }
  if (o.json) {
    nlohmann::json banks = nlohmann::json::array();
    for (uint32_t i = 0; i < reader.bank_count(); ++i) banks.push_back(alg_name(reader.bank(i)));
    nlohmann::json replay = nlohmann::json::object();
    for (const auto& [alg, values] : pcrs) {
      for (const auto& [pcr, value] : values) {
        replay[alg_name(alg)][std::to_string(pcr)] = Botan::hex_encode(value, false);
      }
    }
    fmt::print("{}\n", nlohmann::json{{"banks", banks}, {"events", events}, {"pcrs", replay}}.dump(2));
    return;
  }
  std::string banks;
  for (uint32_t i = 0; i < reader.bank_count(); ++i) banks += std::string(" ") + alg_name(reader.bank(i));
  fmt::print("{}: TCG crypto-agile event log, banks:{}, {} events\n", o.file, banks, lines.size());
  for (const auto& l : lines) fmt::print("{}\n", l);
  fmt::print("replayed PCRs:\n");
  for (const auto& [alg, values] : pcrs) {
    for (const auto& [pcr, value] : values) {
      fmt::print("  {} PCR {:2}: {}\n", alg_name(alg), pcr, Botan::hex_encode(value, false));
    }
  }
}

}  // namespace

void add_eventlog_commands(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* log = app.add_subcommand("eventlog", "read TCG crypto-agile event logs");
  log->require_subcommand(1);
  CLI::App* show = log->add_subcommand("show", "print every event and the PCR values the log replays to");
  show->add_option("file", opts->file, "event log (binary, TCG PC Client crypto-agile format)")->required()->check(bh::cli::input_file());
  show->add_flag("--json", opts->json, "print as JSON");
  show->callback([opts] { run_show(*opts); });
}

}  // namespace bh::cli
