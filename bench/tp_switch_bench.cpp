// SPDX-License-Identifier: Apache-2.0
// On demand, not a test (bench/run_tp_bench.sh): in one boot of the benchmark kernel, the
// guest's bare VMMCALL->VMRUN round trip (the floor of one VM exit under TCG) and the kernel's
// cycles for a secure-attention-key focus switch (scancode in -> focus moved and indicator
// redrawn -> first key delivered to the new owner), and their ratio.
#include <iostream>
#include <regex>

#include "bh/harness.hpp"

namespace harness = bh::harness;

int main() {
  try {
    harness::Work_dir dir("tp-bench");
    harness::Command_result r = harness::run_command(
        {harness::build_path("tools/bulkhead/bulkhead").string(), "policy", "compile",
         harness::source_path("bench/bench_exits.toml").string(), "-o", (dir / "policy.img").string(), "--image-dir",
         harness::build_path("guests").string()},
        harness::Millis(30000));
    if (r.status != 0) throw std::runtime_error("policy compile failed: " + r.output);
    harness::Qemu_options o;
    o.kernel = harness::build_path("sepkernel/bulkhead-bench.elf");
    o.modules = {{dir / "policy.img", "policy"},
                 {harness::build_path("guests/classified.elf"), "classified.elf"},
                 {harness::build_path("guests/bench_exits.elf"), "bench_exits.elf"}};
    o.lifetime = harness::Millis(240000);
    auto q = harness::Qemu::start(dir, o);
    std::string bare = q->wait_for_serial(std::regex("bench: bare vmmcall [0-9]+"), harness::Millis(180000), false);
    q->send_key({"ctrl", "alt", "delete"});
    q->wait_for_serial(std::regex("event=focus_changed"), harness::Millis(30000), false);
    q->send_key({"x"});
    std::string sak = q->wait_for_serial(std::regex("^bench: sak switch [0-9]+ cycles"), harness::Millis(30000), false);
    std::smatch m;
    std::regex_search(bare, m, std::regex("bare vmmcall ([0-9]+)"));
    double floor = std::stod(m[1]);
    std::regex_search(sak, m, std::regex("sak switch ([0-9]+) cycles"));
    double sw = std::stod(m[1]);
    std::cout << sak << "\n"
              << "bare VMMCALL->VMRUN round trip (same boot): " << floor << " cycles\n"
              << "SAK focus switch / one bare VM exit: " << (floor > 0 ? sw / floor : 0) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tp bench: " << e.what() << "\n";
    return 1;
  }
}
