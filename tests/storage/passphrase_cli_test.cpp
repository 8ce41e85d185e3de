// SPDX-License-Identifier: Apache-2.0
// How `bulkhead disk` takes the recovery passphrase: a file read whole as `cryptsetup --key-file`
// reads it (the same file opens the disk with both tools), `-` for standard input, a prompt
// without echo on a terminal (driven through a pseudo-terminal), and one line with exit status 2
// for an input that cannot be used. Also the modes of the files it writes secrets to.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "pty_terminal.hpp"
#include "test_util.hpp"

using namespace bh::storage::test;

namespace {

const std::string k_cli = BH_DISK_CLI;
const std::string k_fast = " --size 1M --pbkdf pbkdf2 --pbkdf2-iterations 1000";

std::string quoted(const std::string& path) {
  return "'" + path + "'";
}

Split_result cli(const Scratch_dir& dir, const std::string& args) {
  return run_split(dir, k_cli + " " + args);
}

Command_result cryptsetup_opens(const std::string& disk, const std::string& key_file) {
  return run("cryptsetup open --test-passphrase --key-file " + quoted(key_file) + " " + quoted(disk));
}

// A disk for partition "open" with the passphrase in file `pass`.
std::string create(const Scratch_dir& dir, const std::string& name, const std::string& pass) {
  const std::string policy = write_disk_policy(dir.file(""));
  auto r = cli(dir, "disk create --policy " + quoted(policy) + " --partition open -o " +
                        quoted(dir.file(name)) + " --recovery-passphrase-file " + quoted(pass) + k_fast);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return dir.file(name);
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("a passphrase file opens the disk with bulkhead and with cryptsetup --key-file alike",
          "[storage][cli][passphrase]") {
  Scratch_dir dir;
  // Newlines inside and at the end and a NUL byte: every byte of the file is the passphrase.
  const std::string passphrase("recovery words\n\0second line\n", 28);
  write_file(dir.file("pass"), passphrase);
  const std::string disk = create(dir, "open.img", dir.file("pass"));
  CHECK(cryptsetup_opens(disk, dir.file("pass")).status == 0);

  // Without its final newline it is another passphrase, for both tools.
  write_file(dir.file("pass.short"), passphrase.substr(0, passphrase.size() - 1));
  CHECK(cryptsetup_opens(disk, dir.file("pass.short")).status != 0);
  auto shortened = cli(
      dir, "disk recover --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("pass.short")));
  CHECK(shortened.status == 1);
  CHECK(shortened.err ==
        "bulkhead disk recover: " + disk + ": wrong recovery passphrase (no keyslot opens with it)\n");

  // `-`: standard input to its end, as `cryptsetup --key-file -` reads it.
  auto piped =
      cli(dir, "disk recover --disk " + quoted(disk) + " --passphrase-file - < " + quoted(dir.file("pass")));
  CHECK(piped.status == 0);
  CHECK(piped.out == "recovered: the passphrase opens " + disk + " (volume key verified)\n");
  CHECK(
      run("cryptsetup open --test-passphrase --key-file - " + quoted(disk) + " < " + quoted(dir.file("pass")))
          .status == 0);
  CHECK(cli(dir, "disk recover --disk " + quoted(disk) + " --passphrase-file - < " +
                     quoted(dir.file("pass.short")))
            .status == 1);

  // The other way round: a passphrase cryptsetup sets from a key file opens the disk with bulkhead.
  write_file(dir.file("new"), "set by cryptsetup\n");
  REQUIRE(run("cryptsetup luksChangeKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file " +
              quoted(dir.file("pass")) + " " + quoted(disk) + " " + quoted(dir.file("new")))
              .status == 0);
  CHECK(cli(dir, "disk recover --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("new")))
            .status == 0);
  CHECK(cli(dir, "disk recover --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("pass")))
            .status == 1);
}

TEST_CASE("a passphrase input that cannot be used is one line and exit status 2, the disk unchanged",
          "[storage][cli][passphrase]") {
  Scratch_dir dir;
  write_file(dir.file("pass"), "recovery words\n");
  const std::string disk = create(dir, "open.img", dir.file("pass"));
  const std::string before = sha256_of_file(disk);
  write_file(dir.file("empty"), "");
  write_file(dir.file("8MiB"), std::string(8 << 20, 'x'));
  write_file(dir.file("8MiB+1"), std::string((8 << 20) + 1, 'x'));
  const std::string recover = "disk recover --disk " + quoted(disk);
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {recover + " --passphrase-file " + quoted(dir.file("empty")),
            "bulkhead disk recover: --passphrase-file: '" + dir.file("empty") +
                "' is empty (an empty passphrase is refused)"},
           {recover + " --passphrase-file " + quoted(dir.file("8MiB+1")),
            "bulkhead disk recover: --passphrase-file: '" + dir.file("8MiB+1") +
                "' is larger than 8 MiB, the most cryptsetup reads from a key file"},
           {recover + " --passphrase-file " + quoted(dir.file("missing")),
            "bulkhead: --passphrase-file: '" + dir.file("missing") + "' does not exist"},
           {recover + " --passphrase-file - < /dev/null",
            "bulkhead disk recover: --passphrase-file: standard input is empty (an empty passphrase is "
            "refused)"},
           {recover + " < /dev/null",
            "bulkhead disk recover: --passphrase-file: required: standard input is not a terminal to ask on "
            "(give a "
            "file, or - to read standard input)"},
           {"disk remove-seal --disk " + quoted(disk) + " < /dev/null",
            "bulkhead disk remove-seal: --passphrase-file: required: standard input is not a terminal to ask "
            "on "
            "(give a file, or - to read standard input)"},
           {"disk passphrase --disk " + quoted(disk) + " --passphrase-file - --new-passphrase-file - < " +
                quoted(dir.file("pass")),
            "bulkhead disk passphrase: --passphrase-file and --new-passphrase-file: both are - but standard "
            "input, "
            "not a terminal, can give only one of them"},
           {"disk passphrase --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("pass")) +
                " --new-passphrase-file " + quoted(dir.file("empty")),
            "bulkhead disk passphrase: --new-passphrase-file: '" + dir.file("empty") +
                "' is empty (an empty passphrase is refused)"},
           {"disk read --disk " + quoted(disk) + " -o " + quoted(dir.file("out")),
            "bulkhead disk read: --passphrase-file or --tcti: one is required to open the disk"},
       }) {
    auto r = cli(dir, args);
    INFO(args);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err == expected + "\n");
  }
  CHECK(sha256_of_file(disk) == before);
  CHECK(cryptsetup_opens(disk, dir.file("pass")).status == 0);  // the passphrase is still the old one

  // cryptsetup draws the line at the same size: 8 MiB is read (and is the wrong passphrase), one
  // byte more is refused.
  auto at_limit = cli(dir, recover + " --passphrase-file " + quoted(dir.file("8MiB")));
  CHECK(at_limit.status == 1);
  CHECK(at_limit.err.find("wrong recovery passphrase") != std::string::npos);
  auto over = cryptsetup_opens(disk, dir.file("8MiB+1"));
  CHECK(over.status != 0);
  CHECK(over.output.find("Maximum keyfile size exceeded") != std::string::npos);

  // Nothing is created from an empty passphrase.
  auto created = cli(dir, "disk create --policy " + quoted(dir.file("policy.toml")) +
                              " --partition open -o " + quoted(dir.file("new.img")) +
                              " --recovery-passphrase-file " + quoted(dir.file("empty")) + k_fast);
  CHECK(created.status == 2);
  CHECK(lines(created.err) == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file("new.img")));
}

TEST_CASE("a disk made when bulkhead dropped a passphrase file's final newline still opens, with a warning",
          "[storage][cli][passphrase]") {
  Scratch_dir dir;
  write_file(dir.file("pass"), "recovery words\n");
  write_file(dir.file("pass.dropped"), "recovery words");  // what bulkhead used to make of `pass`
  const std::string disk = create(dir, "old.img", dir.file("pass.dropped"));
  CHECK(cryptsetup_opens(disk, dir.file("pass")).status != 0);

  auto opened =
      cli(dir, "disk recover --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("pass")));
  CHECK(opened.status == 0);
  CHECK(opened.err ==
        "bulkhead disk recover: warning: '" + dir.file("pass") +
            "' opened the disk only without its final newline (how bulkhead read passphrase files "
            "before); cryptsetup --key-file reads the newline too and does not open it with this file "
            "(`bulkhead disk passphrase --passphrase-file F --new-passphrase-file F` makes the two "
            "agree)\n");

  // The step the warning names: afterwards the file opens the disk with both tools, silently.
  auto changed =
      cli(dir, "disk passphrase --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("pass")) +
                   " --new-passphrase-file " + quoted(dir.file("pass")));
  CHECK(changed.status == 0);
  CHECK(changed.err.empty());
  CHECK(cryptsetup_opens(disk, dir.file("pass")).status == 0);
  auto again =
      cli(dir, "disk recover --disk " + quoted(disk) + " --passphrase-file " + quoted(dir.file("pass")));
  CHECK(again.status == 0);
  CHECK(again.err.empty());
  CHECK(cryptsetup_opens(disk, dir.file("pass.dropped")).status != 0);
}

TEST_CASE("on a terminal the passphrase is asked for without echo, twice when it is new",
          "[storage][cli][passphrase]") {
  Scratch_dir dir;
  const std::string policy = write_disk_policy(dir.file(""));
  const std::string disk = dir.file("open.img");
  auto create_on_terminal = [&](const std::string& path) {
    return std::vector<std::string>{k_cli,    "disk",
                                    "create", "--policy",
                                    policy,   "--partition",
                                    "open",   "-o",
                                    path,     "--size",
                                    "1M",     "--pbkdf",
                                    "pbkdf2", "--pbkdf2-iterations",
                                    "1000",   "--recovery-passphrase-file",
                                    "-"};
  };
  {
    Pty_terminal t(create_on_terminal(disk));
    REQUIRE(t.wait_for("New recovery passphrase for " + disk + ": "));
    CHECK_FALSE(t.echo_on());
    t.type("typed words\n");
    REQUIRE(t.wait_for("Repeat the passphrase: "));
    t.type("typed words\n");
    CHECK(t.finish() == 0);
    INFO(t.screen());
    CHECK(t.screen().find("created " + disk + " for partition open") != std::string::npos);
    CHECK(t.screen().find("typed words") == std::string::npos);  // never echoed
  }
  // The typed line without its newline, as cryptsetup's own prompt reads it.
  write_file(dir.file("typed"), "typed words");
  CHECK(cryptsetup_opens(disk, dir.file("typed")).status == 0);

  {  // The two differ: one line, exit status 2, no disk.
    Pty_terminal t(create_on_terminal(dir.file("other.img")));
    REQUIRE(t.wait_for("New recovery passphrase for "));
    t.type("typed words\n");
    REQUIRE(t.wait_for("Repeat the passphrase: "));
    t.type("typed wordz\n");
    CHECK(t.finish() == 2);
    const std::string screen = t.screen();
    CHECK(screen.substr(screen.find("Repeat the passphrase: ")) ==
          "Repeat the passphrase: \r\nbulkhead disk create: --recovery-passphrase-file: the two passphrases "
          "typed "
          "differ\r\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("other.img")));
  }
  {  // Without --passphrase-file, recover asks.
    Pty_terminal t({k_cli, "disk", "recover", "--disk", disk});
    REQUIRE(t.wait_for("Recovery passphrase for " + disk + ": "));
    CHECK_FALSE(t.echo_on());
    t.type("typed words\n");
    CHECK(t.finish() == 0);
    CHECK(t.screen().find("recovered: the passphrase opens " + disk) != std::string::npos);
    CHECK(t.screen().find("typed words") == std::string::npos);
  }
  {  // A wrong one: one line, exit status 1.
    Pty_terminal t({k_cli, "disk", "recover", "--disk", disk});
    REQUIRE(t.wait_for("Recovery passphrase for " + disk + ": "));
    t.type("typed wordz\n");
    CHECK(t.finish() == 1);
    CHECK(t.screen() == "Recovery passphrase for " + disk + ": \r\nbulkhead disk recover: " + disk +
                            ": wrong recovery passphrase (no keyslot opens with it)\r\n");
  }
  {  // Ctrl-C at the prompt ends the program with the terminal's echo restored ...
    Pty_terminal t({k_cli, "disk", "recover", "--disk", disk});
    REQUIRE(t.wait_for("Recovery passphrase for "));
    CHECK_FALSE(t.echo_on());
    t.type("typed\x03");
    CHECK(t.finish() == 128 + SIGINT);
    CHECK(t.echo_on());
  }
  {  // ... which is the program's doing: killed where it cannot restore it, the echo stays off.
    Pty_terminal t({k_cli, "disk", "recover", "--disk", disk});
    REQUIRE(t.wait_for("Recovery passphrase for "));
    t.send_signal(SIGKILL);
    CHECK(t.finish() == 128 + SIGKILL);
    CHECK_FALSE(t.echo_on());
  }
}

TEST_CASE("the files bulkhead writes secrets to are mode 0600 whatever the umask",
          "[storage][cli][passphrase]") {
  Scratch_dir dir;
  write_file(dir.file("pass"), "recovery words\n");
  const std::string policy = write_disk_policy(dir.file(""));
  const std::string umask = "umask 000 && ";
  REQUIRE(run(umask + k_cli + " disk create --policy " + quoted(policy) + " --partition open -o " +
              quoted(dir.file("open.img")) + " --recovery-passphrase-file " + quoted(dir.file("pass")) +
              k_fast)
              .status == 0);
  CHECK(mode_of(dir.file("open.img")) == 0600);
  REQUIRE(run(umask + k_cli + " disk recover --disk " + quoted(dir.file("open.img")) + " --passphrase-file " +
              quoted(dir.file("pass")) + " --export-key " + quoted(dir.file("volume.key")))
              .status == 0);
  CHECK(mode_of(dir.file("volume.key")) == 0600);
  REQUIRE(run(umask + k_cli + " disk admin-key -o " + quoted(dir.file("admin.pem")) + " --public " +
              quoted(dir.file("admin.pub.pem")))
              .status == 0);
  CHECK(mode_of(dir.file("admin.pem")) == 0600);
}
