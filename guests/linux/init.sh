#!/bin/sh
# /init of the Linux guest's initramfs (guests/linux/, tests/integration/kernel_linux_test.cpp):
# says it runs and what it sees, starts a shell that reads the keyboard of its VGA console (the
# trusted path's keyboard of its partition) and answers on the serial port, then reports the
# uptime every 2 s on the serial port.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
echo "linux: /init running, kernel $(/bin/busybox uname -r)"
echo "linux: $(/bin/busybox grep -c ^processor /proc/cpuinfo) CPU, $(/bin/busybox grep MemTotal /proc/meminfo)"
/bin/busybox setsid /bin/busybox sh -c 'exec /bin/busybox sh -i </dev/tty1 >/dev/ttyS0 2>&1' &
while true; do
  echo "linux: uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
  /bin/busybox sleep 2
done
