// SPDX-License-Identifier: Apache-2.0
// The integration-test harness: starts swtpm and QEMU (TCG, -cpu EPYC) as child processes,
// reads the serial log with deadlines, drives QMP (keys, screen, guest memory), and always
// tears every child down by PID, whether the test passes, fails or throws.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace bh::harness {

using Millis = std::chrono::milliseconds;

// A deadline passed; what() carries the reason and the whole serial log so far.
class Timeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Any other harness failure (a process did not start, QMP said error, ...).
class Harness_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A fresh directory for one test. Removed on destruction unless an exception is in flight or
// BH_KEEP_WORK is set in the environment; then its path is printed on stderr.
class Work_dir {
 public:
  explicit Work_dir(const std::string& tag);
  ~Work_dir();
  Work_dir(const Work_dir&) = delete;
  Work_dir& operator=(const Work_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// A child process with stdout and stderr in files. The destructor sends SIGTERM, waits up to
// two seconds, then SIGKILL, and reaps it: no child outlives its owner.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::filesystem::path& stdout_file,
          const std::filesystem::path& stderr_file);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it if it has).
  bool running();
  // Exit status once it has exited; nullopt while running.
  std::optional<int> exit_status();
  void stop();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs argv to completion with a deadline; returns {exit status, stdout + stderr}.
struct Command_result {
  int status;
  std::string output;
};
Command_result run_command(const std::vector<std::string>& argv, Millis deadline);

// A software TPM 2.0 with a fresh state directory.
class Swtpm {
 public:
  // TCP socket mode for host tools (TPM2-TSS): tcti() is "swtpm:host=127.0.0.1,port=P".
  // keep_state: reuse the TPM state already in dir (e.g. one QEMU used) instead of a fresh one.
  // pcr_banks: for a fresh state, the banks to allocate ("sha1,sha256,sha384"); empty: swtpm's
  // default (sha256 alone).
  // ek_ca_dir: for a fresh state, also an EK certificate (RSA 2048 EK, NV 0x01c00002) and a
  // platform certificate from swtpm_localca, whose CA lives in ek_ca_dir (swtpm-localca-rootca-
  // cert.pem, issuercert.pem; made on first use); empty: no certificates.
  static std::unique_ptr<Swtpm> start_socket(const Work_dir& dir, bool keep_state = false,
                                             const std::string& pcr_banks = "",
                                             const std::filesystem::path& ek_ca_dir = {});
  // Control-socket mode for QEMU's tpm-tis; qemu_args() are the -chardev/-tpmdev/-device args.
  // The state directory persists across QEMU runs of the same Swtpm object only if the caller
  // starts a new one on the same dir with keep_state = true.
  // traffic_log non-empty: swtpm writes every command and response it exchanges (hex, its
  // --log level 20) to that file; read_tpm_traffic() decodes it.
  static std::unique_ptr<Swtpm> start_for_qemu(const Work_dir& dir, bool keep_state = false,
                                               const std::filesystem::path& traffic_log = {});
  const std::string& tcti() const { return tcti_; }
  std::vector<std::string> qemu_args() const;
  const std::filesystem::path& state_dir() const { return state_; }
  pid_t pid() const { return process_->pid(); }

 private:
  std::filesystem::path state_;
  std::filesystem::path ctrl_socket_;
  std::string tcti_;
  std::unique_ptr<Process> process_;
};

// One TPM command (from the TPM's side: read) or response (written), as swtpm's traffic log has
// it: the bytes that crossed the TPM's interface.
struct Tpm_message {
  bool command;
  std::vector<uint8_t> bytes;
};
std::vector<Tpm_message> read_tpm_traffic(const std::filesystem::path& traffic_log);

// One QMP connection (JSON over a unix socket).
class Qmp {
 public:
  Qmp(const std::filesystem::path& socket, Millis deadline);
  ~Qmp();
  // Runs a command; returns its "return" value, throws Harness_error with QMP's text on "error".
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments = nlohmann::json::object());
  // Waits for an event by name; returns the event object.
  nlohmann::json wait_for_event(const std::string& name, Millis deadline);

 private:
  nlohmann::json read_message(Millis deadline);
  int fd_ = -1;
  std::string buffer_;
  std::vector<nlohmann::json> events_;
};

struct Module {
  std::filesystem::path file;
  std::string cmdline;  // the string the kernel sees for this module (QEMU prepends nothing)
};

struct Qemu_options {
  std::filesystem::path kernel;        // multiboot image for -kernel (empty: none)
  std::vector<Module> modules;         // multiboot modules (-initrd)
  std::string kernel_cmdline;          // -append
  unsigned memory_mb = 512;
  unsigned cpus = 1;
  const Swtpm* tpm = nullptr;          // adds a tpm-tis device backed by this swtpm
  std::vector<std::string> extra;      // appended verbatim
  Millis lifetime = Millis(300000);    // QEMU is killed by `timeout` after this, whatever happens
};

// A VGA text cell.
struct Cell {
  char ch;
  uint8_t attribute;
};

class Qemu {
 public:
  // Starts QEMU (-accel tcg -cpu EPYC -display none, VGA kept, COM1 captured to a file, QMP on a
  // unix socket) and connects QMP. Throws Harness_error if QEMU exits or QMP does not answer.
  static std::unique_ptr<Qemu> start(const Work_dir& dir, const Qemu_options& options);
  ~Qemu();

  // Returns the first serial line (from the start of the log, or after the previous match if
  // from_last_match) that matches pattern; throws Timeout, with the serial log, at the deadline
  // or if QEMU exits first.
  std::string wait_for_serial(const std::regex& pattern, Millis deadline, bool from_last_match = true);
  // Every serial line seen so far that matches pattern.
  std::vector<std::string> serial_lines(const std::regex& pattern);
  std::string serial_log() const;
  // Qemu process's exit status once it has ended.
  std::optional<int> exit_status() { return process_->exit_status(); }

  Qmp& qmp() { return *qmp_; }
  // Presses and releases the keys together (QEMU qcodes: "a", "ctrl", "alt", "delete", ...).
  void send_key(const std::vector<std::string>& qcodes, unsigned hold_ms = 50);
  // Types text key by key (lower-case letters, digits, space, newline).
  void type_text(const std::string& text);
  std::vector<uint8_t> read_physical(uint64_t address, size_t size);
  // The 80x25 VGA text screen at physical 0xB8000.
  std::vector<std::vector<Cell>> read_vga_text();
  static std::string row_text(const std::vector<Cell>& row);
  // Screendump as RGB pixels.
  struct Picture {
    unsigned width = 0, height = 0;
    std::vector<uint8_t> rgb;
  };
  Picture screendump();
  pid_t pid() const { return process_->pid(); }

 private:
  Qemu() = default;
  std::filesystem::path serial_file_;
  std::filesystem::path work_;
  size_t search_from_ = 0;
  std::unique_ptr<Process> process_;
  std::unique_ptr<Qmp> qmp_;
};

// A text screen read back from a screendump of a framebuffer on which Bulkhead paints 8x16 cells
// at the top left: each cell's character (matched against the font's glyphs, printable ASCII
// first) and its two colours as 0xRRGGBB (a blank cell: fg == bg).
struct Pixel_cell {
  char ch;
  uint32_t fg, bg;
};
// Reads rows x columns cells from picture with the PSF font at font_path (Debian's
// console-data font the build uses, read here independently of the kernel's table). A cell
// whose pixels have more than two colours, or match no glyph, reads as '?', fg = bg = 0xFFFFFFFF.
std::vector<std::vector<Pixel_cell>> read_pixel_text(const Qemu::Picture& picture,
                                                     const std::filesystem::path& font_path, unsigned rows = 25,
                                                     unsigned columns = 80);
std::string pixel_row_text(const std::vector<Pixel_cell>& row);

// The path of a build output or source file, from compile definitions of the test binaries.
std::filesystem::path build_path(const std::string& relative);
std::filesystem::path source_path(const std::string& relative);

}  // namespace bh::harness
