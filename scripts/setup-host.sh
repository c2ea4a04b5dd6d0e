#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Prepare this host for kvmage's test suites, idempotently, saying what it
# does.  `make check`, `make check-asan` and `make check-setup` run it.
#
#  - QEMU (qemu-system-x86_64, Debian's qemu-system-x86): the peer of the
#    qmp-diff suite and of the benchmarks;
#  - huge pages: at least HUGEPAGES (default 64) free 2 MiB pages;
#  - a hugetlbfs mount (/dev/hugepages);
#  - swap for reclaim: at least 256 MiB free, else a zram device of
#    ZRAM_SIZE (default 8G, compressed in RAM) becomes swap.  Swap that is
#    there is left alone; huge pages are only ever added.
# and it looks at /dev/kvm and, not as root, userfaultfd
# (vm.unprivileged_userfaultfd), which it leaves to the administrator.
#
# As root: sets up what is missing, says what it did, or that everything
# is already set up.  Exits 1, naming the step, when a step fails: the
# tests that need it would only skip.  A kernel without the feature
# (no zram, no hugetlb, no /dev/kvm) is not a failure: it says which tests
# will skip.
# Not root, or with --check: changes nothing, says which tests will skip
# for what is missing and the one command that sets it up; exits 0.
#
# SETUP_HOST_SYSROOT (tests only: tests/test-setup-host.sh) prefixes the
# /proc, /sys and /dev paths it reads and writes.
set -u

R=${SETUP_HOST_SYSROOT:-}

HUGEPAGES=${HUGEPAGES:-64}
ZRAM_SIZE=${ZRAM_SIZE:-8G}
SWAP_MIN_MIB=256
FIX="sudo make check-setup"

# What skips without each feature.  tests/check-setup-lists.sh checks that
# every test calling qmp_qemu_binary(), hugepages_or_skip(),
# hugetlbfs_mount() or swap_or_skip*() is named here.
SKIP_QEMU="suite qmp-diff (test-qmp-diff); benchmarks prealloc and populate"
SKIP_HUGEPAGES="kvm: test-hugetlb, test-aging-uffd-huge; unit: test-uffd-huge, and the huge page cases of test-ram-alias and test-residency"
SKIP_HUGETLBFS="kvm: the hugetlbfs file cases of test-hugetlb and test-aging-uffd-huge"
SKIP_SWAP="qmp: test-qmp-reclaim, test-qmp-reclaim-proof; migration: test-migration-cold; suite soak (test-qmp-reclaim-soak); unit: the swap cases of test-reclaim, test-residency and test-migration-ram"
SKIP_KVM="suite kvm (all of it); qmp: test-qmp-vm, test-qmp-aging, test-qmp-aging-switch, test-qmp-residency, test-qmp-populate, test-qmp-reclaim, test-qmp-reclaim-proof; suite soak"
SKIP_UFFD="unit: test-uffd-track, test-uffd-huge (and, with /dev/kvm, the uffd cases of kvm: test-aging-uffd, test-aging-uffd-huge, test-uffd-alias, test-aging-switch, test-aging-stall; qmp: test-qmp-aging, test-qmp-aging-switch, test-qmp-residency, test-qmp-reclaim, test-qmp-reclaim-proof fail: kvmage cannot age with uffd)"

act=yes
for opt in "$@"; do
	case $opt in
	--check) act=no ;;
	-h | --help)
		echo "usage: scripts/setup-host.sh [--check]"
		echo "  as root: set up QEMU, huge pages, hugetlbfs and swap for the tests"
		echo "  --check, or not root: change nothing, say what is missing"
		exit 0
		;;
	*)
		echo "setup-host: unknown option '$opt' (try --help)" >&2
		exit 2
		;;
	esac
done
[ "$(id -u)" = 0 ] || act=no

done_steps=0
failed_steps=0
missing_steps=0
fixes=

say()
{
	echo "check-setup: $*"
}

# did MESSAGE: a step that set something up.
did()
{
	say "$1"
	done_steps=$((done_steps + 1))
}

# failed MESSAGE SKIPS: a step that was tried and failed.
failed()
{
	say "FAILED: $1"
	say "  without it these skip: $2"
	failed_steps=$((failed_steps + 1))
}

# missing MESSAGE SKIPS [FIX]: not set up, and not ours to set up now;
# FIX (default: make check-setup as root) is the command that sets it up.
missing()
{
	say "missing: $1"
	say "  these will skip: $2"
	missing_steps=$((missing_steps + 1))
	fix=${3:-$FIX}
	case "|$fixes|" in
	*"|$fix|"*) ;;
	*) fixes=${fixes:+$fixes|}$fix ;;
	esac
}

# unavailable MESSAGE SKIPS: the machine lacks it; setting up cannot help.
unavailable()
{
	say "not on this machine: $1"
	say "  these will skip: $2"
}

meminfo()
{
	awk -v k="$1:" '$1 == k { print $2 }' "$R"/proc/meminfo
}

# apt-get install PACKAGES, with an update first if that fails; quiet
# unless it fails.
apt_install()
{
	log=$(mktemp)
	rc=0
	for attempt in install update-install; do
		if [ $attempt = update-install ]; then
			DEBIAN_FRONTEND=noninteractive apt-get update -q \
				</dev/null >>"$log" 2>&1 || true
		fi
		rc=0
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "$@" </dev/null >>"$log" 2>&1 ||
			rc=$?
		[ $rc -ne 0 ] || break
	done
	if [ $rc -ne 0 ]; then
		say "apt-get install $* failed (exit code $rc); its last lines:"
		tail -n 5 "$log" | sed 's/^/    /'
	fi
	rm -f "$log"
	return $rc
}

step_qemu()
{
	qemu=$(command -v qemu-system-x86_64)
	if [ -n "$qemu" ]; then
		say "QEMU: $qemu (already installed)"
	elif [ $act = no ]; then
		missing "QEMU (qemu-system-x86_64, package qemu-system-x86)" \
			"$SKIP_QEMU"
	elif ! command -v apt-get >/dev/null 2>&1; then
		failed "QEMU: no apt-get to install qemu-system-x86 with" \
			"$SKIP_QEMU"
	else
		say "QEMU: installing qemu-system-x86 (apt-get)..."
		if apt_install qemu-system-x86 &&
			qemu=$(command -v qemu-system-x86_64); then
			did "QEMU: installed $qemu"
		else
			failed "QEMU: could not install qemu-system-x86" \
				"$SKIP_QEMU"
		fi
	fi
}

step_hugepages()
{
	if [ ! -e "$R"/proc/sys/vm/nr_hugepages ]; then
		unavailable "huge pages (no hugetlb in this kernel)" \
			"$SKIP_HUGEPAGES"
		return
	fi
	free=$(meminfo HugePages_Free)
	total=$(meminfo HugePages_Total)
	if [ "$free" -ge "$HUGEPAGES" ]; then
		say "huge pages: $free of $total free, $HUGEPAGES needed (already set up)"
	elif [ $act = no ]; then
		missing "huge pages: $free free, the tests need $HUGEPAGES" \
			"$SKIP_HUGEPAGES"
	else
		want=$((total + HUGEPAGES - free))
		echo "$want" 2>/dev/null >"$R"/proc/sys/vm/nr_hugepages
		free=$(meminfo HugePages_Free)
		total=$(meminfo HugePages_Total)
		if [ "$free" -ge "$HUGEPAGES" ]; then
			did "huge pages: reserved $total, $free free"
		else
			failed "huge pages: asked for $want, got $total with $free free (need $HUGEPAGES; memory short or fragmented)" \
				"$SKIP_HUGEPAGES"
		fi
	fi
}

step_hugetlbfs()
{
	mnt=$(awk '$3 == "hugetlbfs" { print $2; exit }' "$R"/proc/mounts)
	if [ -n "$mnt" ]; then
		say "hugetlbfs: mounted on $mnt (already set up)"
	elif ! grep -qw hugetlbfs "$R"/proc/filesystems; then
		unavailable "hugetlbfs (not in this kernel)" "$SKIP_HUGETLBFS"
	elif [ $act = no ]; then
		missing "hugetlbfs: not mounted" "$SKIP_HUGETLBFS"
	elif mkdir -p "$R"/dev/hugepages &&
		mount -t hugetlbfs hugetlbfs "$R"/dev/hugepages; then
		did "hugetlbfs: mounted on $R/dev/hugepages"
	else
		failed "hugetlbfs: could not mount it on $R/dev/hugepages" \
			"$SKIP_HUGETLBFS"
	fi
}

# Free swap in MiB, from /proc/swaps (sizes in KiB).
swap_free_mib()
{
	awk 'NR > 1 { f += $3 - $4 } END { print int(f / 1024) }' "$R"/proc/swaps
}

step_swap()
{
	free=$(swap_free_mib)
	if [ "$free" -ge "$SWAP_MIN_MIB" ]; then
		say "swap: $free MiB free on $(awk 'NR > 1 { printf "%s%s", s, $1; s = " " }' "$R"/proc/swaps) (already set up)"
		return
	fi
	if [ $act = no ]; then
		missing "swap: $free MiB free, the reclaim tests need $SWAP_MIN_MIB" \
			"$SKIP_SWAP"
		return
	fi
	if [ ! -e "$R"/sys/class/zram-control/hot_add ] &&
		! modprobe zram num_devices=0 2>/dev/null &&
		[ ! -e "$R"/sys/class/zram-control/hot_add ]; then
		unavailable "swap: $free MiB free and no zram in this kernel to add some" \
			"$SKIP_SWAP"
		return
	fi
	dev=$R/dev/zram$(cat "$R"/sys/class/zram-control/hot_add)
	if zramctl --size "$ZRAM_SIZE" "$dev" >/dev/null &&
		mkswap -q "$dev" && swapon -p 100 "$dev"; then
		did "swap: zram swap of $ZRAM_SIZE on $dev"
	else
		failed "swap: could not set up zram swap on $dev" "$SKIP_SWAP"
	fi
}

step_kvm()
{
	if [ -r "$R"/dev/kvm ] && [ -w "$R"/dev/kvm ]; then
		say "/dev/kvm: accessible"
	elif [ -e "$R"/dev/kvm ]; then
		missing "/dev/kvm: not readable and writable by $(id -un)" \
			"$SKIP_KVM" \
			"sudo usermod -aG kvm $(id -un) (then log in again)"
	else
		unavailable "/dev/kvm (KVM not loaded or not offered to this machine)" \
			"$SKIP_KVM"
	fi
}

# kvmage's uffd aging and the uffd tests call userfaultfd(2): root may,
# others only with vm.unprivileged_userfaultfd=1.
step_uffd()
{
	[ "$(id -u)" = 0 ] && return
	sysctl=$R/proc/sys/vm/unprivileged_userfaultfd
	if [ ! -e "$sysctl" ] || [ "$(cat "$sysctl")" = 1 ]; then
		say "userfaultfd: open to $(id -un)"
	else
		missing "userfaultfd: not open to $(id -un) (vm.unprivileged_userfaultfd=0)" \
			"$SKIP_UFFD" "sudo sysctl vm.unprivileged_userfaultfd=1"
	fi
}

if [ $act = no ] && [ "$(id -u)" != 0 ]; then
	say "not root: changing nothing, checking what the tests need"
elif [ $act = no ]; then
	say "--check: changing nothing, checking what the tests need"
fi
step_qemu
step_hugepages
step_hugetlbfs
step_swap
step_kvm
step_uffd

if [ $failed_steps -gt 0 ]; then
	say "FAILED: $failed_steps set-up step(s) above; fix them and run it again (make check-setup)"
	exit 1
fi
if [ $missing_steps -gt 0 ]; then
	say "the tests named above will skip; to set them up run:"
	echo "$fixes" | tr '|' '\n' | while IFS= read -r fix; do
		say "  $fix"
	done
elif [ $done_steps -gt 0 ]; then
	say "set up $done_steps thing(s); the rest was there already"
else
	say "already set up: nothing to do"
fi
exit 0
