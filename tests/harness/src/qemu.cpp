// SPDX-License-Identifier: Apache-2.0
// QEMU under TCG with SVM (-cpu EPYC): serial log, QMP, keys, guest memory and the VGA screen.
#include <fstream>
#include <sstream>
#include <thread>

#include "bh/harness.hpp"

namespace bh::harness {

namespace fs = std::filesystem;

namespace {
std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// QEMU option values escape commas by doubling them.
std::string escape_commas(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}
}  // namespace

std::unique_ptr<Qemu> Qemu::start(const Work_dir& dir, const Qemu_options& o) {
  auto q = std::unique_ptr<Qemu>(new Qemu);
  q->work_ = dir.path();
  q->serial_file_ = dir / "serial.log";
  const fs::path qmp_socket = dir / "qmp.sock";
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(o.lifetime).count();
  std::vector<std::string> argv = {"timeout", "-s", "KILL", std::to_string(seconds), "qemu-system-x86_64",
                                   "-accel", "tcg", "-cpu", "EPYC", "-m", std::to_string(o.memory_mb), "-smp",
                                   std::to_string(o.cpus), "-display", "none", "-vga", "std", "-no-reboot",
                                   "-chardev", "file,id=com1,path=" + q->serial_file_.string(), "-serial",
                                   "chardev:com1", "-qmp", "unix:" + qmp_socket.string() + ",server=on,wait=off",
                                   "-monitor", "none"};
  if (!o.kernel.empty()) {
    argv.insert(argv.end(), {"-kernel", o.kernel.string()});
    if (!o.kernel_cmdline.empty()) argv.insert(argv.end(), {"-append", o.kernel_cmdline});
    if (!o.modules.empty()) {
      std::string initrd;
      for (const auto& m : o.modules) {
        if (!initrd.empty()) initrd += ",";
        initrd += escape_commas(m.file.string());
        if (!m.cmdline.empty()) initrd += " " + escape_commas(m.cmdline);
      }
      argv.insert(argv.end(), {"-initrd", initrd});
    }
  }
  if (o.tpm != nullptr) {
    auto t = o.tpm->qemu_args();
    argv.insert(argv.end(), t.begin(), t.end());
  }
  argv.insert(argv.end(), o.extra.begin(), o.extra.end());
  std::ofstream(dir / "qemu.cmdline") << [&] {
    std::string s;
    for (const auto& a : argv) s += "'" + a + "' ";
    return s;
  }() << "\n";
  q->process_ = std::make_unique<Process>(argv, dir / "qemu.out", dir / "qemu.err");
  try {
    q->qmp_ = std::make_unique<Qmp>(qmp_socket, Millis(30000));
  } catch (const std::exception& e) {
    throw Harness_error(std::string("QEMU did not come up: ") + e.what() + "\n" + read_all(dir / "qemu.err"));
  }
  return q;
}

Qemu::~Qemu() {
  qmp_.reset();
  if (process_) process_->stop();
}

std::string Qemu::serial_log() const { return read_all(serial_file_); }

std::string Qemu::wait_for_serial(const std::regex& pattern, Millis deadline, bool from_last_match) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    const std::string log = serial_log();
    size_t pos = from_last_match ? search_from_ : 0;
    // Only complete lines are matched; a partial last line waits for its newline.
    while (pos < log.size()) {
      size_t nl = log.find('\n', pos);
      if (nl == std::string::npos) break;
      std::string line = log.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pos = nl + 1;
      if (std::regex_search(line, pattern)) {
        search_from_ = pos;
        return line;
      }
    }
    if (!process_->running()) {
      throw Timeout("QEMU exited (status " + std::to_string(process_->exit_status().value_or(-1)) +
                    ") before the serial line was seen; serial log:\n" + log + "\nqemu stderr:\n" +
                    read_all(work_ / "qemu.err"));
    }
    if (std::chrono::steady_clock::now() > end) {
      throw Timeout("deadline of " + std::to_string(deadline.count()) + " ms passed before the serial line was seen; serial log:\n" + log);
    }
    std::this_thread::sleep_for(Millis(20));  // polling the log file under a deadline
  }
}

std::vector<std::string> Qemu::serial_lines(const std::regex& pattern) {
  std::vector<std::string> out;
  std::istringstream in(serial_log());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::regex_search(line, pattern)) out.push_back(line);
  }
  return out;
}

void Qemu::send_key(const std::vector<std::string>& qcodes, unsigned hold_ms) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : qcodes) keys.push_back({{"type", "qcode"}, {"data", k}});
  qmp_->execute("send-key", {{"keys", keys}, {"hold-time", hold_ms}});
}

void Qemu::type_text(const std::string& text) {
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') {
      send_key({"shift", std::string(1, char(c - 'A' + 'a'))});
      continue;
    }
    std::string code;
    switch (c) {
      case ' ': code = "spc"; break;
      case '\n': code = "ret"; break;
      case '-': code = "minus"; break;
      case ';': code = "semicolon"; break;
      case '.': code = "dot"; break;
      case '/': code = "slash"; break;
      case ',': code = "comma"; break;
      case '=': code = "equal"; break;
      case ':': send_key({"shift", "semicolon"}); continue;
      case '>': send_key({"shift", "dot"}); continue;
      case '|': send_key({"shift", "backslash"}); continue;
      case '&': send_key({"shift", "7"}); continue;
      default:
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
          throw Harness_error(std::string("type_text: no key for '") + c + "'");
        }
        code = std::string(1, c);
    }
    send_key({code});
  }
}

std::vector<uint8_t> Qemu::read_physical(uint64_t address, size_t size) {
  static int counter = 0;
  fs::path file = work_ / ("pmem-" + std::to_string(counter++) + ".bin");
  qmp_->execute("pmemsave", {{"val", address}, {"size", size}, {"filename", file.string()}});
  std::string bytes = read_all(file);
  fs::remove(file);
  if (bytes.size() != size) throw Harness_error("pmemsave returned " + std::to_string(bytes.size()) + " bytes");
  return {bytes.begin(), bytes.end()};
}

std::vector<std::vector<Cell>> Qemu::read_vga_text() {
  auto bytes = read_physical(0xB8000, 80 * 25 * 2);
  std::vector<std::vector<Cell>> rows(25, std::vector<Cell>(80));
  for (size_t r = 0; r < 25; ++r) {
    for (size_t c = 0; c < 80; ++c) {
      rows[r][c] = {static_cast<char>(bytes[2 * (80 * r + c)]), bytes[2 * (80 * r + c) + 1]};
    }
  }
  return rows;
}

std::string Qemu::row_text(const std::vector<Cell>& row) {
  std::string s;
  for (const auto& c : row) s += (c.ch >= 0x20 && c.ch < 0x7f) ? c.ch : ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

Qemu::Picture Qemu::screendump() {
  static int counter = 0;
  fs::path file = work_ / ("screen-" + std::to_string(counter++) + ".ppm");
  qmp_->execute("screendump", {{"filename", file.string()}});
  std::string data = read_all(file);
  std::istringstream in(data);
  std::string magic;
  unsigned maxval = 0;
  Picture p;
  in >> magic >> p.width >> p.height >> maxval;
  in.get();
  if (magic != "P6" || maxval != 255) throw Harness_error("screendump: not a P6 PPM");
  p.rgb.resize(size_t(p.width) * p.height * 3);
  in.read(reinterpret_cast<char*>(p.rgb.data()), static_cast<std::streamsize>(p.rgb.size()));
  return p;
}

}  // namespace bh::harness
