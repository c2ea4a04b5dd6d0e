#!/bin/sh
# Prepare this host for kvmage's test suites, idempotently, saying what it
# does.  Needs root; without it, prints what is missing and exits 0 (the
# tests that need it then skip with the reason).
#  - huge pages: at least HUGEPAGES (default 64) free 2 MiB pages and a
#    hugetlbfs mount, for the hugetlb backend tests.
#  - swap: a zram swap device when the host has no swap (reclaim tests).
set -eu
want=${HUGEPAGES:-64}

if [ "$(id -u)" != 0 ]; then
	echo "setup-host: not root: huge pages and hugetlbfs left as they are"
	exit 0
fi

free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
if [ "$free" -lt "$want" ]; then
	echo "setup-host: reserving $((total + want - free)) huge pages (had $free free)"
	echo $((total + want - free)) > /proc/sys/vm/nr_hugepages || true
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	[ "$free" -ge "$want" ] ||
		echo "setup-host: only $free huge pages could be reserved"
else
	echo "setup-host: $free huge pages free already"
fi

if ! awk '$3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; then
	mkdir -p /dev/hugepages
	if mount -t hugetlbfs hugetlbfs /dev/hugepages; then
		echo "setup-host: mounted hugetlbfs on /dev/hugepages"
	else
		echo "setup-host: could not mount hugetlbfs"
	fi
else
	echo "setup-host: hugetlbfs mounted already"
fi

# Swap, for reclaim (MADV_PAGEOUT needs it): if there is none, a zram
# device of ZRAM_SIZE (default 8G, compressed in RAM) becomes swap.
# Existing swap of any kind is left alone.
if [ -n "$(swapon --noheadings --show=NAME 2>/dev/null)" ]; then
	echo "setup-host: swap present already ($(swapon --noheadings --show=NAME | tr '\n' ' '))"
elif [ ! -e /sys/class/zram-control/hot_add ] &&
	! modprobe zram num_devices=0 2>/dev/null &&
	[ ! -e /sys/class/zram-control/hot_add ]; then
	echo "setup-host: no zram in this kernel: no swap set up (reclaim tests will skip)"
else
	dev=/dev/zram$(cat /sys/class/zram-control/hot_add)
	if zramctl --size "${ZRAM_SIZE:-8G}" "$dev" >/dev/null &&
		mkswap -q "$dev" && swapon -p 100 "$dev"; then
		echo "setup-host: zram swap of ${ZRAM_SIZE:-8G} on $dev"
	else
		echo "setup-host: could not set up zram swap on $dev"
	fi
fi
