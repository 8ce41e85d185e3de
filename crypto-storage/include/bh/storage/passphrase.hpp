// SPDX-License-Identifier: Apache-2.0
// Recovery passphrases as the `bulkhead disk` commands take them: from a file, read exactly as
// `cryptsetup --key-file FILE` reads it; from standard input (`-`), read as `--key-file -` reads
// it; or typed at a terminal prompt without echo, read as cryptsetup's own prompt reads it. So the
// same file, the same input or the same typed line opens a disk with both tools.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "bh/storage/luks_disk.hpp"
#include "bh/storage/secret.hpp"

namespace bh::storage {

// The most cryptsetup 2.6 reads from a key file (its compiled-in default, `cryptsetup --help`:
// "Maximum keyfile size: 8192kB"); it refuses a larger file, and so does bulkhead.
inline constexpr size_t k_max_key_file_size = 8192 * 1024;
// The longest passphrase cryptsetup takes at its prompt ("Maximum interactive passphrase length
// 512 (characters)").
inline constexpr size_t k_max_typed_passphrase = 512;

// An input that cannot be read or used: a passphrase file that is empty, too large or unreadable,
// two typed passphrases that differ, a passphrase asked for where there is no terminal. The CLI
// reports it as a usage-level failure (exit status 2), not as a refused operation.
class Input_error : public Storage_error {
 public:
  using Storage_error::Storage_error;
};

struct Passphrase {
  Secret text;         // byte for byte what cryptsetup takes from the same input
  std::string origin;  // for messages: "'FILE'", "standard input" or "the terminal"
  // Files only: the content without its final newline (and a carriage return before it), which
  // is how bulkhead read passphrase files before it read them as cryptsetup does. Tried only if
  // `text` opens no keyslot, so that a disk made that way from this file still opens; nullopt if
  // it equals `text`.
  std::optional<Secret> without_final_newline;
  // Called when only that older reading opened the disk (the CLI prints a warning).
  std::function<void(const Passphrase&)> on_older_reading;
};

// A passphrase asked for only when it is needed, after every check that needs none (so a
// refusal comes before the prompt, not after the typing).
using Passphrase_source = std::function<Passphrase()>;

// The whole file, as `cryptsetup --key-file FILE` reads it: every byte, newlines included, at
// most k_max_key_file_size bytes. Throws Input_error ("'FILE' is empty (...)", "... is larger
// than 8 MiB ...", "... cannot be read: ...").
Passphrase read_passphrase_file(const std::string& path);

// A source that reads the file when asked (tests and scripts).
Passphrase_source passphrase_file(const std::string& path);

// Standard input to its end, as `cryptsetup --key-file -` reads it (newlines included).
Passphrase read_passphrase_stdin();

// True if standard input is a terminal (a prompt can be shown there).
bool stdin_is_terminal();

// Asks on the terminal: `prompt` on standard error, then a line read from standard input with
// echo off (termios; the settings are restored afterwards, also when a signal ends the program).
// The passphrase is the line without its newline, as cryptsetup's prompt reads it: not empty, at
// most k_max_typed_passphrase characters. confirm: asked a second time ("Repeat ...") and refused
// if the two differ. Throws Input_error with one line.
Passphrase prompt_passphrase(const std::string& prompt, bool confirm);

// The value of a passphrase option (`option`, for messages) as the disk commands take it: a
// file, or `-` for standard input, which on a terminal means the prompt (confirm: asked twice).
// Errors are Input_error lines starting with the option's name.
Passphrase read_passphrase_option(const std::string& option, const std::string& value,
                                  const std::string& prompt, bool confirm);

}  // namespace bh::storage
