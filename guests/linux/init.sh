#!/bin/sh
# /init of the Linux guest's initramfs (guests/linux/, tests/integration/kernel_linux_test.cpp):
# says it runs, shows what it sees, then reports the uptime every 2 s (the timer works).
/bin/busybox mount -t proc proc /proc
echo "linux: /init running, kernel $(/bin/busybox uname -r)"
echo "linux: $(/bin/busybox grep -c ^processor /proc/cpuinfo) CPU, $(/bin/busybox grep MemTotal /proc/meminfo)"
while true; do
  echo "linux: uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
  /bin/busybox sleep 2
done
