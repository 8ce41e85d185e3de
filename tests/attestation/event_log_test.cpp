// SPDX-License-Identifier: Apache-2.0
// The crypto-agile event log: what the writer writes the reader reads back; damaged logs are
// refused, never over-read; tpm2-tools' tpm2_eventlog reads our logs and replays them to the same
// PCR values as `bulkhead eventlog show`.
#include <sys/wait.h>
#include <unistd.h>

#include <botan/hash.h>
#include <botan/hex.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "sk/event_log.hpp"

namespace el = sk::event_log;

namespace {

struct Logged {
  uint32_t pcr, type;
  std::vector<uint8_t> sha1, sha256, data;
};

std::vector<uint8_t> make_log(const std::vector<Logged>& events) {
  std::vector<uint8_t> buf(1 << 20);
  el::Writer w(buf.data(), buf.size());
  const uint16_t algs[] = {el::k_alg_sha1, el::k_alg_sha256};
  REQUIRE(w.begin(algs, 2).ok());
  for (const auto& e : events) {
    el::Digest d[] = {{el::k_alg_sha1, e.sha1.data()}, {el::k_alg_sha256, e.sha256.data()}};
    REQUIRE(w.append(e.pcr, e.type, d, 2, e.data.data(), static_cast<uint32_t>(e.data.size())).ok());
  }
  buf.resize(w.size());
  return buf;
}

std::vector<Logged> bulkhead_like_events() {
  std::vector<Logged> out;
  const char* names[] = {"bulkhead policy image", "partition classified image classified.elf",
                         "partition open image open.elf"};
  uint32_t pcrs[] = {8, 9, 9};
  for (int i = 0; i < 3; ++i) {
    std::string text = names[i];
    auto s1 = Botan::HashFunction::create_or_throw("SHA-1")->process(text);
    auto s256 = Botan::HashFunction::create_or_throw("SHA-256")->process(text);
    out.push_back({pcrs[i], el::k_ev_ipl, {s1.begin(), s1.end()}, {s256.begin(), s256.end()},
                   {text.begin(), text.end()}});
  }
  return out;
}

std::string run(const std::string& cmd, int& status) {
  const std::string out = "/tmp/bh-evlog-" + std::to_string(getpid()) + ".out";
  int raw = std::system((cmd + " >" + out + " 2>&1").c_str());
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(out);
  std::ostringstream s;
  s << in.rdbuf();
  std::remove(out.c_str());
  return s.str();
}

}  // namespace

TEST_CASE("event log: what the writer writes the reader reads back", "[attestation][event-log][property]") {
  std::mt19937 rng(1);
  for (int round = 0; round < 50; ++round) {
    std::vector<Logged> events;
    for (int n = rng() % 20; n > 0; --n) {
      Logged e{static_cast<uint32_t>(rng() % 24), static_cast<uint32_t>(rng()), std::vector<uint8_t>(20), std::vector<uint8_t>(32), std::vector<uint8_t>(rng() % 300)};
      for (auto* v : {&e.sha1, &e.sha256, &e.data}) {
        for (auto& b : *v) b = uint8_t(rng());
      }
      events.push_back(e);
    }
    auto log = make_log(events);
    el::Reader r;
    REQUIRE(r.open(log.data(), log.size()).ok());
    REQUIRE(r.bank_count() == 2);
    el::Event e{};
    for (const auto& want : events) {
      REQUIRE(r.next(e).ok());
      CHECK(e.pcr == want.pcr);
      CHECK(e.type == want.type);
      CHECK(std::vector<uint8_t>(e.digests[1].bytes, e.digests[1].bytes + 32) == want.sha256);
      CHECK(std::vector<uint8_t>(e.data, e.data + e.data_size) == want.data);
    }
    CHECK(r.next(e).error() == sk::Error::not_found);
  }
}

TEST_CASE("event log: damaged logs are refused without reading past the end", "[attestation][event-log]") {
  auto log = make_log(bulkhead_like_events());
  el::Reader r;
  el::Event e{};
  // Every truncation fails somewhere: in the header or at an event, never a clean end early.
  for (size_t n = 0; n < log.size(); ++n) {
    std::vector<uint8_t> cut(log.begin(), log.begin() + static_cast<long>(n));  // exact size for ASan
    bool failed = !r.open(cut.data(), cut.size()).ok();
    int events = 0;
    while (!failed) {
      auto s = r.next(e);
      if (s.error() == sk::Error::not_found) break;
      failed = !s.ok();
      ++events;
    }
    INFO("cut at " << n);
    CHECK((failed || events < 3));
  }
  auto bad = log;
  bad[32] = 'X';  // the Spec ID signature
  CHECK(r.open(bad.data(), bad.size()).error() == sk::Error::bad_magic);
  REQUIRE(r.open(log.data(), log.size()).ok());
  bad = log;
  const size_t first_event = r.offset();
  bad[first_event + 8] = 1;  // digest count 1 where the header declares 2 banks
  REQUIRE(r.open(bad.data(), bad.size()).ok());
  CHECK(r.next(e).error() == sk::Error::out_of_range);
  bad = log;
  bad[first_event] = 24;  // PCR 24 does not exist
  REQUIRE(r.open(bad.data(), bad.size()).ok());
  CHECK(r.next(e).error() == sk::Error::out_of_range);
}

TEST_CASE("event log: tpm2_eventlog reads our log and replays it to the PCRs bulkhead shows", "[attestation][interop]") {
  auto log = make_log(bulkhead_like_events());
  const std::string file = "/tmp/bh-evlog-" + std::to_string(getpid()) + ".bin";
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(log.data()), static_cast<long>(log.size()));

  int status = -1;
  std::string ours = run(std::string(BULKHEAD_BIN) + " eventlog show --json " + file, status);
  REQUIRE(status == 0);
  auto j = nlohmann::json::parse(ours);
  REQUIRE(j["events"].size() == 3);
  CHECK(j["events"][0]["type"] == "EV_IPL");
  CHECK(j["events"][1]["data"] == "partition classified image classified.elf");

  std::string theirs = run("tpm2_eventlog " + file, status);
  INFO(theirs);
  REQUIRE(status == 0);
  // tpm2_eventlog ends with the replayed PCRs: "pcrs:", "  sha256:", "    8  : 0x...".
  auto at = theirs.find("sha256:", theirs.find("pcrs:"));
  REQUIRE(at != std::string::npos);
  std::regex line(R"(^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]+))");
  std::istringstream rest(theirs.substr(at));
  std::string l;
  std::getline(rest, l);
  int compared = 0;
  while (std::getline(rest, l)) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) break;
    std::string hex = m[2];
    for (auto& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(j["pcrs"]["sha256"][m[1].str()] == hex);
    ++compared;
  }
  CHECK(compared == 2);  // PCRs 8 and 9
  std::remove(file.c_str());
}

TEST_CASE("eventlog show refuses a damaged log with one line", "[attestation][cli]") {
  auto log = make_log(bulkhead_like_events());
  el::Reader r;
  el::Event e{};
  REQUIRE(r.open(log.data(), log.size()).ok());
  REQUIRE(r.next(e).ok());
  REQUIRE(r.next(e).ok());
  const size_t third = r.offset();
  log.resize(log.size() - 5);
  const std::string file = "/tmp/bh-evlog-cut-" + std::to_string(getpid()) + ".bin";
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(log.data()), static_cast<long>(log.size()));
  int status = -1;
  std::string out = run(std::string(BULKHEAD_BIN) + " eventlog show " + file, status);
  CHECK(status == 1);
  CHECK(out == "bulkhead: " + file + ": event log rejected at event 2 (byte " + std::to_string(third) +
                   "): truncated\n");
  std::remove(file.c_str());
}

TEST_CASE("event log: a writer resumes a firmware log in a zero-filled area and appends after its last event",
          "[attestation][event-log]") {
  // A "firmware" log of two SHA-256 events, as the ACPI log area holds it: followed by zeros.
  std::vector<uint8_t> area(8192, 0);
  el::Writer fw(area.data(), area.size());
  const uint16_t banks[] = {el::k_alg_sha256};
  REQUIRE(fw.begin(banks, 1));
  uint8_t d1[32] = {1}, d2[32] = {2}, d3[32] = {3};
  el::Digest e1{el::k_alg_sha256, d1}, e2{el::k_alg_sha256, d2}, e3{el::k_alg_sha256, d3};
  REQUIRE(fw.append(0, 8, &e1, 1, "crtm", 4));
  REQUIRE(fw.append(4, 13, &e2, 1, "boot", 4));
  const size_t firmware_size = fw.size();

  el::Writer w(area.data(), area.size());
  REQUIRE(w.resume(area.size()));
  CHECK(w.size() == firmware_size);  // the zeros after the last event are not events
  CHECK(w.bank_count() == 1);
  CHECK(w.bank(0) == el::k_alg_sha256);
  REQUIRE(w.append(9, el::k_ev_ipl, &e3, 1, "ours", 4));

  el::Reader r;
  REQUIRE(r.open(area.data(), w.size()));
  el::Event e{};
  std::vector<uint32_t> pcrs;
  while (r.next(e)) pcrs.push_back(e.pcr);
  CHECK(pcrs == std::vector<uint32_t>{0, 4, 9});

  // Not a log at all: refused, nothing adopted.
  std::vector<uint8_t> junk(256, 0xAB);
  el::Writer bad(junk.data(), junk.size());
  CHECK_FALSE(bad.resume(junk.size()));
}
