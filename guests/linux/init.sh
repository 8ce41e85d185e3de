#!/bin/sh
# /init of the Linux guest's initramfs (guests/linux/, tests/integration/kernel_linux_test.cpp):
# says it runs and what it sees; loads the kernel package's virtio and ext4 modules; if the
# partition has a disk (/dev/vda, the kernel's virtio-blk device over its encrypted disk), makes
# an ext4 file system on it when it is blank (only then: a disk that holds anything else is left
# as it is), mounts it on /mnt, shows what the earlier runs wrote and adds a line; starts a shell
# that reads the keyboard of its VGA console (the trusted path's keyboard of its partition) and
# answers on the serial port; then reports the uptime around each `sleep 2` on the serial port.
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
echo "linux: /init running, kernel $($B uname -r)"
echo "linux: $($B grep -c ^processor /proc/cpuinfo) CPU, $($B grep MemTotal /proc/meminfo)"
for m in $($B cat /lib/modules/order); do
  $B insmod /lib/modules/$m || echo "linux: insmod $m failed"
done
if [ -b /dev/vda ]; then
  echo "linux: disk: /dev/vda, $(($($B cat /sys/block/vda/size) / 2048)) MiB"
  # Blank: the first 64 KiB read as zeros (a new Bulkhead disk reads as zeros).
  if [ "$($B dd if=/dev/vda bs=4096 count=16 2>/dev/null | $B tr -d '\000' | $B wc -c)" = 0 ]; then
    echo "linux: disk: blank, making an ext4 file system"
    # A new Bulkhead disk reads as zeros throughout (disk create writes the encryption of
    # zeros), so the inode tables need no zeroing now or in the background.
    /sbin/mke2fs -q -t ext4 -L data -E assume_storage_prezeroed=1 /dev/vda || echo "linux: disk: mke2fs failed"
  fi
  if $B mount -t ext4 /dev/vda /mnt; then
    runs=$($B cat /mnt/runs 2>/dev/null | $B wc -l)
    echo "linux: disk: ext4 mounted on /mnt, $runs earlier runs, last: $($B tail -n 1 /mnt/runs 2>/dev/null)"
    echo "run $((runs + 1)) of $($B cat /proc/sys/kernel/random/boot_id)" >>/mnt/runs
    $B sync
    echo "linux: disk: wrote run $((runs + 1))"
  else
    echo "linux: disk: /dev/vda holds something that is not an ext4 file system; left as it is"
  fi
else
  echo "linux: disk: none"
fi
$B setsid $B sh -c 'exec /bin/busybox sh -i </dev/tty1 >/dev/ttyS0 2>&1' &
while true; do
  before=$($B cut -d' ' -f1 /proc/uptime)
  $B sleep 2
  echo "linux: uptime $($B cut -d' ' -f1 /proc/uptime) (slept 2 s from $before)"
done
