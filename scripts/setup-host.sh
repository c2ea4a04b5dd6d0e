#!/bin/sh
# Prepare this host for kvmage's test suites, idempotently, saying what it
# does.  Needs root; without it, prints what is missing and exits 0 (the
# tests that need it then skip with the reason).
#  - huge pages: at least HUGEPAGES (default 64) free 2 MiB pages and a
#    hugetlbfs mount, for the hugetlb backend tests.
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
