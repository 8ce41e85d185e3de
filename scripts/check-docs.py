#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Keeps the documentation honest where a script can: every repository path the Markdown files
# name in backticks (README.md, SECURITY.md, docs/, proofs/, tests/) must exist, and every
# `bulkhead <command> <subcommand>` they show must be a command the built tool knows.
# Usage: check-docs.py [BULKHEAD]   (from anywhere; paths are the repository's)
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOP = ("sepkernel/", "attestation/", "crypto-storage/", "trusted-path/", "proofs/", "tests/", "scripts/",
       "docs/", "guests/", "policies/", "tools/", "bench/", "fuzz/", ".ci/")


def named_paths(text):
    for span in re.findall(r"`([^`\n]+)`", text):
        for token in span.split():
            token = token.strip("\"'(),;")
            token = re.sub(r":[0-9]+$", "", token)  # file:line
            if token.startswith(TOP) and not any(c in token for c in "*<>{}$|"):
                yield token.rstrip("/.,")


def main():
    bulkhead = sys.argv[1] if len(sys.argv) > 1 else None
    docs = [ROOT / "README.md", ROOT / "SECURITY.md"] + sorted((ROOT / "docs").glob("*.md")) + \
        sorted((ROOT / "proofs").glob("*.md"))
    problems = []
    commands = set()
    for doc in docs:
        text = doc.read_text()
        for path in named_paths(text):
            if not (ROOT / path).exists():
                problems.append(f"{doc.relative_to(ROOT)}: names `{path}`, which does not exist")
        # Commands as the docs show them to be typed: in fenced blocks, or inline with an option
        # (an inline `bulkhead policy image` is an event's description, not a command).
        spans = [x for x in re.findall(r"`([^`\n]+)`", text) if "--" in x]
        code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, re.S) + spans)
        for m in re.finditer(r"(?:^|[\s/])bulkhead ([a-z][a-z-]+) ([a-z][a-z-]+)", code, re.M):
            commands.add((m.group(1), m.group(2), str(doc.relative_to(ROOT))))
    if bulkhead:
        known = {}
        for group in sorted({c[0] for c in commands}):
            r = subprocess.run([bulkhead, group, "--help"], capture_output=True, text=True)
            known[group] = r.stdout if r.returncode == 0 else None
        for group, sub, doc in sorted(commands):
            helptext = known[group]
            if helptext is None:
                problems.append(f"{doc}: shows `bulkhead {group} {sub}`, but `bulkhead {group}` is no command")
            elif not re.search(rf"^\s+{re.escape(sub)}\b", helptext, re.M):
                problems.append(f"{doc}: shows `bulkhead {group} {sub}`, which `bulkhead {group} --help` does not list")
    for p in problems:
        print(p)
    print(f"check-docs: {len(docs)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
