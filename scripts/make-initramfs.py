#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes a newc cpio initramfs: /bin/busybox (a static busybox), its applet links, and /init
# (a shell script), and the files of each TREE directory at the same paths (modules, mke2fs and
# its libraries: scripts/linux-guest.sh). Usage: make-initramfs.py BUSYBOX INIT_SCRIPT OUTPUT [TREE...]
import os
import sys


def entry(name, mode, data=b"", rdev=(0, 0), ino=[1]):
    ino[0] += 1
    name_b = name.encode() + b"\0"
    header = "070701" + "".join(
        f"{v:08X}" for v in (ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
    out = header.encode() + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    busybox, init, output = sys.argv[1:4]
    archive = b""
    made = set()
    for d in ("bin", "dev", "proc", "sys", "tmp", "mnt"):
        archive += entry(d, 0o040755)
        made.add(d)
    for tree in sys.argv[4:]:
        for root, dirs, files in sorted(os.walk(tree)):
            dirs.sort()
            rel = os.path.relpath(root, tree)
            if rel != "." and rel not in made:
                archive += entry(rel, 0o040755)
                made.add(rel)
            for f in sorted(files):
                path = os.path.join(root, f)
                name = os.path.normpath(os.path.join(rel, f))
                mode = 0o100755 if os.access(path, os.X_OK) else 0o100644
                archive += entry(name, mode, open(path, "rb").read())
    archive += entry("dev/console", 0o020600, rdev=(5, 1))  # character device 5:1
    archive += entry("bin/busybox", 0o100755, open(busybox, "rb").read())
    archive += entry("bin/sh", 0o120777, b"busybox")
    archive += entry("init", 0o100755, open(init, "rb").read())
    archive += entry("TRAILER!!!", 0)
    archive += b"\0" * (-len(archive) % 512)
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(archive)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
