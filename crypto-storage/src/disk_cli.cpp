// SPDX-License-Identifier: Apache-2.0
// The `bulkhead disk` subcommands: argument parsing, progress display, one-line errors.
#include "bh/storage/disk_cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "bh/cli/input_file.hpp"
#include "bh/storage/disk.hpp"
#include "bh/storage/passphrase.hpp"
#include "bh/storage/sectors.hpp"

namespace bh::storage {

namespace {

struct Options {
  std::string policy, image_dir, partition, size, output, recovery_file, passphrase_file, disk, manifest, tcti;
  std::string authorize_key, signed_policy, export_key, key, public_key, input, pbkdf = "argon2id";
  std::string key_passphrase_file;  // admin-key, sign-policy: the administrator key's passphrase
  uint64_t sector = 0, count = 1;
  uint32_t pbkdf2_iterations = 0;
  uint64_t epoch = 0;  // sign-policy --epoch (0: not revocable)
  uint32_t sector_size = 4096;
  bool force = false;  // seal --force
  bool unmeasured_kernel = false;  // seal/reseal --unmeasured-kernel
  bool json = false;   // show --json
};

// Runs one command; a Storage_error becomes one line on stderr and exit status 1, an Input_error
// (an input that cannot be read or used) one line and exit status 2.
void guarded(const char* command, const std::function<void()>& body) {
  try {
    body();
  } catch (const Input_error& e) {
    std::cerr << "bulkhead disk " << command << ": " << e.what() << "\n";
    throw CLI::RuntimeError(2);
  } catch (const Storage_error& e) {
    std::cerr << "bulkhead disk " << command << ": " << e.what() << "\n";
    throw CLI::RuntimeError(1);
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "bulkhead disk " << command << ": " << e.path1().string() << ": " << e.code().message()
              << "\n";
    throw CLI::RuntimeError(1);
  }
}

// "\r writing data area  37% (379 of 1024 MiB)" on a terminal; quarter steps otherwise.
Progress progress_display() {
  bool tty = ::isatty(STDERR_FILENO) != 0;
  auto last = std::make_shared<int>(-1);
  return [tty, last](uint64_t done, uint64_t total) {
    int percent = total == 0 ? 100 : int(done * 100 / total);
    if (percent == *last || (!tty && percent % 25 != 0)) return;
    *last = percent;
    std::fprintf(stderr, "%swriting data area %3d%% (%llu of %llu MiB)%s", tty ? "\r" : "", percent,
                 static_cast<unsigned long long>(done >> 20), static_cast<unsigned long long>(total >> 20),
                 tty && percent < 100 ? "" : "\n");
  };
}

void export_if_asked(const Options& o, const Secret& key) {
  if (!o.export_key.empty()) write_secret_file(o.export_key, key);
}

// Where a command's passphrase comes from. The option's value is a file or `-` (standard input,
// which on a terminal is a prompt without echo; `confirm`: asked twice); an option not given means
// the prompt when standard input is a terminal (checked before anything runs: a usage error
// otherwise). Read only when the command needs it.
struct Passphrase_option {
  const char* command;
  std::string option;  // "--passphrase-file"
  std::string value;   // empty: not given
  std::string prompt;
  bool confirm = false;
};

// Refuses an option that is not given where no terminal can ask for it (exit status 2).
void require_passphrase(const Passphrase_option& p) {
  if (p.value.empty() && !stdin_is_terminal()) {
    throw Input_error(
        p.option +
        ": required: standard input is not a terminal to ask on (give a file, or - to read standard input)");
  }
}

Passphrase_source source_of(const Passphrase_option& p) {
  return [p] {
    Passphrase passphrase =
        read_passphrase_option(p.option, p.value.empty() ? "-" : p.value, p.prompt, p.confirm);
    // `disk passphrase` replaces the passphrase read that way: nothing to warn about there.
    if (std::string(p.command) == "passphrase") return passphrase;
    passphrase.on_older_reading = [command = std::string(p.command)](const Passphrase& read) {
      std::cerr
          << "bulkhead disk " << command << ": warning: " << read.origin
          << " opened the disk only without its final newline (how bulkhead read passphrase files "
             "before); cryptsetup --key-file reads the newline too and does not open it with this file "
             "(`bulkhead disk passphrase --passphrase-file F --new-passphrase-file F` makes the two agree)\n";
    };
    return passphrase;
  };
}

// The volume key from the recovery passphrase if given, else from the TPM.
Secret key_for(const Options& o, Luks_disk& disk, const char* command) {
  if (!o.passphrase_file.empty()) {
    return recover_volume_key(disk, source_of({command, "--passphrase-file", o.passphrase_file,
                                               "Recovery passphrase for " + o.disk + ": "})());
  }
  if (o.tcti.empty()) throw Input_error("--passphrase-file or --tcti: one is required to open the disk");
  return unseal_disk(o.disk, o.tcti,
                     o.signed_policy.empty() ? std::nullopt : std::optional<std::string>(o.signed_policy));
}

}  // namespace

void add_disk_commands(CLI::App& app, Policy_check policy_check) {
  auto o = std::make_shared<Options>();
  CLI::App* disk =
      app.add_subcommand("disk", "create, seal, unseal and recover per-partition encrypted disks");
  disk->require_subcommand(1);

  CLI::App* create = disk->add_subcommand("create", "create a LUKS2 disk for a partition of a policy");
  create->add_option("--policy", o->policy, "policy file (TOML)")->required()->check(bh::cli::input_file());
  create->add_option("--image-dir", o->image_dir, "where the policy's partition images are (default: the policy's folder)")
      ->check(bh::cli::input_directory());
  create->add_option("--partition", o->partition, "partition name")->required();
  create->add_option("--size", o->size, "data size, e.g. 64M, 2G")->required();
  create->add_option("-o,--output", o->output, "disk image to create")->required();
  create
      ->add_option(
          "--recovery-passphrase-file", o->recovery_file,
          "recovery passphrase: a file, read whole as cryptsetup --key-file does, or - (standard input; "
          "asked twice on a terminal); default: generate one")
      ->check(bh::cli::passphrase_input());
  create->add_option("--pbkdf", o->pbkdf, "argon2id (default) or pbkdf2")
      ->check(CLI::IsMember({"argon2id", "pbkdf2"}));
  create->add_option("--pbkdf2-iterations", o->pbkdf2_iterations, "PBKDF2 iterations (tests)");
  create->add_option("--sector-size", o->sector_size, "512 or 4096")->check(CLI::IsMember({512, 4096}));
  create->callback([o, policy_check] {
    guarded("create", [&] {
      if (policy_check) policy_check(o->policy, o->image_dir, o->partition);
      Create_request r;
      r.format.path = o->output;
      r.format.data_size = parse_size(o->size);
      r.format.sector_size = o->sector_size;
      r.format.pbkdf = o->pbkdf == "pbkdf2" ? Pbkdf::pbkdf2 : Pbkdf::argon2id;
      r.format.pbkdf2_iterations = o->pbkdf2_iterations;
      r.format.label = o->partition;
      if (!o->recovery_file.empty()) {
        r.recovery_passphrase = source_of({"create", "--recovery-passphrase-file", o->recovery_file,
                                           "New recovery passphrase for " + o->output + ": ", true});
      }
      auto generated = create_disk(r, progress_display());
      std::cout << "created " << o->output << " for partition " << o->partition << "\n";
      if (generated) std::cout << "recovery key (shown once, keep it offline): " << *generated << "\n";
    });
  });

  auto add_seal_options = [o](CLI::App* c) {
    c->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
    c->add_option("--manifest", o->manifest, "reference manifest of the build")->required()->check(bh::cli::input_file());
    auto* partition =
        c->add_option("--partition", o->partition, "partition name (reseal: default the sealed one)");
    if (std::string(c->get_name()) == "seal") {
      partition->required();
      c->add_flag("--force", o->force, "replace the disk's existing seal");
    }
    c->add_option("--tcti", o->tcti, "TPM, e.g. swtpm:host=127.0.0.1,port=2321")->required();
    c->add_option(
         "--passphrase-file", o->passphrase_file,
         std::string("recovery passphrase (source of the volume key): a file or - (standard input)") +
             (std::string(c->get_name()) == "seal" ? "; asked for on a terminal if not given" : ""))
        ->check(bh::cli::passphrase_input());
    c->add_option("--authorize-key", o->authorize_key,
                  "administrator public key (PEM): seal with PolicyAuthorize")
        ->check(bh::cli::input_file());
    c->add_flag("--unmeasured-kernel", o->unmeasured_kernel,
                "accept disk PCRs without PCR 4 (the kernel unmeasured: the multiboot path)");
  };
  auto seal_callback = [o](const char* name) {
    return [o, name] {
      guarded(name, [&] {
        Seal_request r;
        r.disk = o->disk;
        r.manifest = o->manifest;
        r.partition = o->partition;
        r.tcti = o->tcti;
        r.reseal = std::string(name) == "reseal";
        const Passphrase_option passphrase{name, "--passphrase-file", o->passphrase_file,
                                           "Recovery passphrase for " + o->disk + ": "};
        // seal always needs the passphrase; reseal only when given (else the TPM gives the key).
        if (!r.reseal) require_passphrase(passphrase);
        if (!r.reseal || !o->passphrase_file.empty()) r.passphrase = source_of(passphrase);
        if (!o->signed_policy.empty()) r.signed_policy = o->signed_policy;
        if (!o->authorize_key.empty()) r.authorize_key = o->authorize_key;
        r.force = o->force;
        r.unmeasured_kernel = o->unmeasured_kernel;
        std::string replaced;
        auto k = seal_disk(r, &replaced);
        if (!replaced.empty()) std::cout << "replaced " << replaced << "\n";
        std::cout << "sealed " << o->disk << " for partition " << k.partition << " ("
                  << (k.mode == sk::storage::Seal_mode::pcr ? "PolicyPCR" : "PolicyAuthorize")
                  << ", authPolicy " << hex(k.auth_policy, 32) << ")\n";
      });
    };
  };
  CLI::App* seal =
      disk->add_subcommand("seal", "seal the disk's volume key to the TPM under the manifest's PCRs");
  add_seal_options(seal);
  seal->callback(seal_callback("seal"));
  CLI::App* reseal =
      disk->add_subcommand("reseal", "seal again to a new manifest, replacing the current seal");
  add_seal_options(reseal);
  reseal->add_option("--signed-policy", o->signed_policy,
                     "approval to unseal the current seal (authorize mode)")
      ->check(bh::cli::input_file());
  reseal->callback(seal_callback("reseal"));

  CLI::App* unseal =
      disk->add_subcommand("unseal", "unseal through the TPM and check the key opens the disk");
  unseal->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
  unseal->add_option("--tcti", o->tcti, "TPM")->required();
  unseal->add_option("--signed-policy", o->signed_policy, "administrator-approved policy (authorize mode)")->check(bh::cli::input_file());
  unseal->add_option("--export-key", o->export_key, "write the volume key to this new file (mode 0600)");
  unseal->callback([o] {
    guarded("unseal", [&] {
      Secret key =
          unseal_disk(o->disk, o->tcti,
                      o->signed_policy.empty() ? std::nullopt : std::optional<std::string>(o->signed_policy));
      export_if_asked(*o, key);
      std::cout << "unsealed: the TPM released the volume key of " << o->disk
                << " and it matches the LUKS2 digest\n";
    });
  });

  CLI::App* recover = disk->add_subcommand("recover", "open the disk with the recovery passphrase");
  recover->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
  recover
      ->add_option("--passphrase-file", o->passphrase_file,
                   "recovery passphrase: a file or - (standard input); asked for on a terminal if not given")
      ->check(bh::cli::passphrase_input());
  recover->add_option("--export-key", o->export_key, "write the volume key to this new file (mode 0600)");
  recover->callback([o] {
    guarded("recover", [&] {
      const Passphrase_option passphrase{"recover", "--passphrase-file", o->passphrase_file,
                                         "Recovery passphrase for " + o->disk + ": "};
      require_passphrase(passphrase);
      Luks_disk d(o->disk);
      Secret key = recover_volume_key(d, source_of(passphrase)());
      export_if_asked(*o, key);
      std::cout << "recovered: the passphrase opens " << o->disk << " (volume key verified)\n";
    });
  });

  CLI::App* epoch = disk->add_subcommand("epoch", "the approval epoch: revoke every approval signed before");
  epoch->require_subcommand(1);
  for (const char* action : {"init", "revoke", "show"}) {
    CLI::App* a = epoch->add_subcommand(action, std::string(action) == "init"     ? "define the counter (epoch 1)"
                                                : std::string(action) == "revoke" ? "count it up: older approvals stop"
                                                                                  : "print the current epoch");
    a->add_option("--tcti", o->tcti, "TPM")->required();
    if (std::string(action) == "show") a->add_flag("--json", o->json, "print the epoch as JSON");
    a->callback([o, action] {
      guarded("epoch", [&] {
        const std::string what = action;
        const uint64_t value = what == "init" ? epoch_init(o->tcti) : what == "revoke" ? epoch_revoke(o->tcti)
                                                                                      : epoch_read(o->tcti);
        if (o->json) {
          std::cout << "{\"epoch\": " << value << "}\n";
          return;
        }
        std::cout << "approval epoch " << value << "\n";
      });
    });
  }

  CLI::App* admin = disk->add_subcommand("admin-key", "generate an administrator signing key (ECDSA P-256)");
  admin->add_option("-o,--output", o->key, "private key (PEM, created mode 0600)")->required();
  admin->add_option("--public", o->public_key, "public key (PEM)")->required();
  admin->add_option("--key-passphrase-file", o->key_passphrase_file,
                    "encrypt the private key with this passphrase: a file or - (standard input; on a terminal "
                    "asked twice)")
      ->check(bh::cli::passphrase_input());
  admin->callback([o] {
    guarded("admin-key", [&] {
      if (o->key_passphrase_file.empty()) return generate_admin_key(o->key, o->public_key);
      const Passphrase pass = read_passphrase_option("--key-passphrase-file", o->key_passphrase_file,
                                                     "Passphrase for the new administrator key: ", true);
      generate_admin_key(o->key, o->public_key, &pass.text);
    });
  });

  CLI::App* sign = disk->add_subcommand("sign-policy", "approve the PCR policy of a new manifest for one disk");
  sign->add_option("--key", o->key, "administrator private key (PEM)")->required()->check(bh::cli::input_file());
  sign->add_option("--manifest", o->manifest, "new reference manifest")->required()->check(bh::cli::input_file());
  sign->add_option("--disk", o->disk, "the disk the approval is for (its partition and identity)")->required()->check(bh::cli::input_file());
  sign->add_option("-o,--output", o->output, "signed policy file")->required();
  sign->add_option("--epoch", o->epoch, "revocable: valid while the TPM's approval epoch has this value");
  sign->add_option("--key-passphrase-file", o->key_passphrase_file,
                   "passphrase of an encrypted administrator key: a file or - (standard input); asked on a "
                   "terminal if left out")
      ->check(bh::cli::passphrase_input());
  sign->callback([o] {
    guarded("sign-policy", [&] {
      Key_passphrase key_passphrase;
      if (!o->key_passphrase_file.empty() || stdin_is_terminal()) {
        key_passphrase = [o] {
          const std::string value = o->key_passphrase_file.empty() ? "-" : o->key_passphrase_file;
          return read_passphrase_option("--key-passphrase-file", value, "Passphrase of the administrator key: ", false)
              .text;
        };
      }
      auto p = sign_policy(o->key, o->manifest, o->disk, o->output,
                           o->epoch ? std::optional<uint64_t>(o->epoch) : std::nullopt, key_passphrase);
      std::cout << "approved PolicyPCR " << hex(p.approved_policy, 32) << " -> " << o->output << "\n";
    });
  });

  auto add_open_options = [o](CLI::App* c) {
    c->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
    c->add_option("--passphrase-file", o->passphrase_file,
                  "recovery passphrase: a file or - (standard input)")
        ->check(bh::cli::passphrase_input());
    c->add_option("--tcti", o->tcti, "TPM (instead of the passphrase)");
    c->add_option("--signed-policy", o->signed_policy, "approval (PolicyAuthorize disks)")->check(bh::cli::input_file());
    c->add_option("--sector", o->sector, "first sector (disk sector size, from the data segment start)");
  };
  CLI::App* read = disk->add_subcommand("read", "decrypt sectors of the data segment to a file");
  add_open_options(read);
  read->add_option("--count", o->count, "number of sectors (default 1)");
  read->add_option("-o,--output", o->output, "plaintext output file")->required();
  read->callback([o] {
    guarded("read", [&] {
      Luks_disk d(o->disk);
      auto data = read_plaintext(d, key_for(*o, d, "read"), o->sector, o->count);
      std::ofstream out(o->output, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
      if (!out) throw Storage_error(o->output + ": cannot write");
    });
  });
  CLI::App* write = disk->add_subcommand("write", "encrypt a file of whole sectors into the data segment");
  add_open_options(write);
  write->add_option("-i,--input", o->input, "plaintext input file")->required()->check(bh::cli::input_file());
  write->callback([o] {
    guarded("write", [&] {
      std::ifstream in(o->input, std::ios::binary);
      if (!in) throw Storage_error(o->input + ": cannot read");
      std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      Luks_disk d(o->disk);
      write_plaintext(d, key_for(*o, d, "write"), o->sector, data);
    });
  });

  CLI::App* remove = disk->add_subcommand("remove-seal", "remove the disk's seal; the recovery passphrase must open it");
  remove->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
  remove
      ->add_option(
          "--passphrase-file", o->passphrase_file,
          "recovery passphrase (checked first): a file or - (standard input); asked for on a terminal "
          "if not given")
      ->check(bh::cli::passphrase_input());
  remove->callback([o] {
    guarded("remove-seal", [&] {
      const Passphrase_option passphrase{"remove-seal", "--passphrase-file", o->passphrase_file,
                                         "Recovery passphrase for " + o->disk + ": "};
      require_passphrase(passphrase);
      const std::string what = remove_seal(o->disk, source_of(passphrase));
      std::cout << "removed " << what << " from " << o->disk << "; it opens with the recovery passphrase only\n";
    });
  });
  CLI::App* passphrase = disk->add_subcommand("passphrase", "change the recovery passphrase");
  passphrase->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
  passphrase
      ->add_option("--passphrase-file", o->passphrase_file,
                   "the current recovery passphrase: a file or - (standard input); asked for on a terminal "
                   "if not given")
      ->check(bh::cli::passphrase_input());
  passphrase
      ->add_option("--new-passphrase-file", o->recovery_file,
                   "the new one: a file or - (standard input); asked for twice on a terminal if not given")
      ->check(bh::cli::passphrase_input());
  passphrase->callback([o] {
    guarded("passphrase", [&] {
      const Passphrase_option old_passphrase{"passphrase", "--passphrase-file", o->passphrase_file,
                                             "Current recovery passphrase for " + o->disk + ": "};
      const Passphrase_option new_passphrase{"passphrase", "--new-passphrase-file", o->recovery_file,
                                             "New recovery passphrase for " + o->disk + ": ", true};
      require_passphrase(old_passphrase);
      require_passphrase(new_passphrase);
      if (o->passphrase_file == "-" && o->recovery_file == "-" && !stdin_is_terminal()) {
        throw Input_error(
            "--passphrase-file and --new-passphrase-file: both are - but standard input, not a "
            "terminal, can give only one of them");
      }
      change_recovery_passphrase(o->disk, source_of(old_passphrase), source_of(new_passphrase));
      std::cout << "changed the recovery passphrase of " << o->disk << "\n";
    });
  });

  CLI::App* show = disk->add_subcommand("show", "describe a disk: the partition it was made for, keyslots, its seal");
  show->add_option("--disk", o->disk, "disk image")->required()->check(bh::cli::input_file());
  show->add_flag("--json", o->json, "print the description as JSON");
  show->callback([o] {
    guarded("show", [&] {
      if (o->json) {
        std::cout << describe_disk_json(o->disk).dump(2) << "\n";
      } else {
        std::cout << describe_disk(o->disk);
      }
    });
  });
}

}  // namespace bh::storage
