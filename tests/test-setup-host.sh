#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scripts/setup-host.sh (make check-setup) in a sandbox: a fake /proc,
# /sys and /dev under SETUP_HOST_SYSROOT and fake apt-get, mount, zram and
# swap commands, so every path runs without touching this host.  Checks
# what it does and says as root (sets up, says so, "already set up" the
# second time, a failed step exits 1 naming it and what skips without it)
# and not as root (changes nothing, names what skips and the command that
# fixes it); and that every test that can skip for want of QEMU, huge
# pages, hugetlbfs or swap is named in the script's lists.
# Usage: test-setup-host.sh SRCDIR   Output: TAP.

src=${1:?usage: test-setup-host.sh SRCDIR}
script=$src/scripts/setup-host.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
fail=0

ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok()
{
	n=$((n + 1))
	echo "not ok $n - $1"
	fail=1
	sed 's/^/# /' "$work/out"
}

# A fresh sandbox: nothing set up.  @1: HugePages_Free (also the total).
# The fake commands' bodies expand their variables when they run.
# shellcheck disable=SC2016
sandbox()
{
	rm -rf "${work:?}/root" "${work:?}/bin"
	mkdir -p "$work/root/proc/sys/vm" "$work/root/sys" "$work/root/dev" \
		"$work/bin"
	printf 'MemTotal: 1000 kB\nHugePages_Total: %s\nHugePages_Free: %s\n' \
		"$1" "$1" >"$work/root/proc/meminfo"
	echo "$1" >"$work/root/proc/sys/vm/nr_hugepages"
	echo 0 >"$work/root/proc/sys/vm/unprivileged_userfaultfd"
	echo "proc /proc proc rw 0 0" >"$work/root/proc/mounts"
	printf 'nodev\tproc\nnodev\thugetlbfs\n' >"$work/root/proc/filesystems"
	echo "Filename Type Size Used Priority" >"$work/root/proc/swaps"
	: >"$work/root/dev/kvm"
	# the real tools the script uses; no qemu-system-x86_64 among them
	for t in awk cat chmod grep mkdir mktemp rm sed tail tr; do
		ln -s "$(command -v $t)" "$work/bin/$t"
	done
	fake id 'case $1 in -u) echo "${FAKE_UID:-0}" ;; *) echo tester ;; esac'
	fake apt-get '[ "$1" = update ] && exit 0
[ "${FAKE_APT:-ok}" = ok ] || { echo "E: Unable to locate package"; exit 100; }
printf "#!/bin/sh\n" >"$FAKE_BIN/qemu-system-x86_64"
chmod +x "$FAKE_BIN/qemu-system-x86_64"'
	fake mount '[ "${FAKE_MOUNT:-ok}" = ok ] || exit 32
echo "hugetlbfs $4 hugetlbfs rw 0 0" >>"$SETUP_HOST_SYSROOT/proc/mounts"'
	fake modprobe '[ "${FAKE_ZRAM:-module}" = module ] || exit 1
mkdir -p "$SETUP_HOST_SYSROOT/sys/class/zram-control"
echo 0 >"$SETUP_HOST_SYSROOT/sys/class/zram-control/hot_add"'
	fake zramctl 'exit 0'
	fake mkswap 'exit 0'
	fake swapon 'echo "$3 partition 8388604 0 100" >>"$SETUP_HOST_SYSROOT/proc/swaps"'
}

# fake NAME BODY: a command in the sandbox's PATH.
fake()
{
	printf '#!/bin/sh\n%s\n' "$2" >"$work/bin/$1"
	chmod +x "$work/bin/$1"
}

# run [VAR=VALUE...]: the script in the sandbox; output in $work/out,
# exit status in $rc.
run()
{
	rc=0
	env -i PATH="$work/bin" SETUP_HOST_SYSROOT="$work/root" \
		FAKE_BIN="$work/bin" "$@" /bin/sh "$script" >"$work/out" 2>&1 ||
		rc=$?
}

# has TEXT...: every TEXT is a line of the output.
has()
{
	for t in "$@"; do
		grep -qxF -- "$t" "$work/out" || return 1
	done
}

# As root, on a bare host with enough huge pages: everything set up.
sandbox 64
run
if [ $rc = 0 ] && has \
	"check-setup: QEMU: installing qemu-system-x86 (apt-get)..." \
	"check-setup: QEMU: installed $work/bin/qemu-system-x86_64" \
	"check-setup: huge pages: 64 of 64 free, 64 needed (already set up)" \
	"check-setup: hugetlbfs: mounted on $work/root/dev/hugepages" \
	"check-setup: swap: zram swap of 8G on $work/root/dev/zram0" \
	"check-setup: /dev/kvm: accessible" \
	"check-setup: set up 3 thing(s); the rest was there already"; then
	ok "root: installs QEMU, mounts hugetlbfs, adds zram swap"
else
	not_ok "root: installs QEMU, mounts hugetlbfs, adds zram swap (rc $rc)"
fi

# The second time there is nothing to do, and it says so.
run
if [ $rc = 0 ] && has \
	"check-setup: QEMU: $work/bin/qemu-system-x86_64 (already installed)" \
	"check-setup: hugetlbfs: mounted on $work/root/dev/hugepages (already set up)" \
	"check-setup: swap: 8191 MiB free on $work/root/dev/zram0 (already set up)" \
	"check-setup: already set up: nothing to do" &&
	! grep -q "installing\|FAILED\|missing" "$work/out"; then
	ok "root, second run: already set up, nothing done"
else
	not_ok "root, second run: already set up, nothing done (rc $rc)"
fi

# A failing step is an error that names it and what would skip.
sandbox 64
run FAKE_APT=fail
if [ $rc = 1 ] && has \
	"check-setup: FAILED: QEMU: could not install qemu-system-x86" \
	"check-setup:   without it these skip: suite qmp-diff (test-qmp-diff); benchmarks prealloc and populate" \
	"check-setup: FAILED: 1 set-up step(s) above; fix them and run it again (make check-setup)"; then
	ok "root: apt-get failing is a failure naming the step"
else
	not_ok "root: apt-get failing is a failure naming the step (rc $rc)"
fi

sandbox 0
run FAKE_MOUNT=fail
if [ $rc = 1 ] && has \
	"check-setup: FAILED: huge pages: asked for 64, got 0 with 0 free (need 64; memory short or fragmented)" \
	"check-setup: FAILED: hugetlbfs: could not mount it on $work/root/dev/hugepages" \
	"check-setup: FAILED: 2 set-up step(s) above; fix them and run it again (make check-setup)"; then
	ok "root: huge pages not granted and mount failing are failures"
else
	not_ok "root: huge pages not granted and mount failing are failures (rc $rc)"
fi

# What the machine lacks is said, with what skips, but is no failure.
sandbox 64
rm "$work/root/dev/kvm"
run FAKE_ZRAM=none
if [ $rc = 0 ] && has \
	"check-setup: not on this machine: swap: 0 MiB free and no zram in this kernel to add some" \
	"check-setup:   these will skip: qmp: test-qmp-reclaim, test-qmp-reclaim-proof; migration: test-migration-cold; suite soak (test-qmp-reclaim-soak); unit: the swap cases of test-reclaim, test-residency and test-migration-ram" \
	"check-setup: not on this machine: /dev/kvm (KVM not loaded or not offered to this machine)"; then
	ok "root: no zram, no /dev/kvm: said, with the tests that skip"
else
	not_ok "root: no zram, no /dev/kvm: said, with the tests that skip (rc $rc)"
fi

# Not root: nothing changes; what skips and the command that fixes it.
sandbox 0
run FAKE_UID=1000
if [ $rc = 0 ] && has \
	"check-setup: not root: changing nothing, checking what the tests need" \
	"check-setup: missing: QEMU (qemu-system-x86_64, package qemu-system-x86)" \
	"check-setup:   these will skip: suite qmp-diff (test-qmp-diff); benchmarks prealloc and populate" \
	"check-setup: missing: huge pages: 0 free, the tests need 64" \
	"check-setup:   these will skip: kvm: test-hugetlb, test-aging-uffd-huge; unit: test-uffd-huge, and the huge page cases of test-ram-alias and test-residency" \
	"check-setup: missing: hugetlbfs: not mounted" \
	"check-setup: missing: swap: 0 MiB free, the reclaim tests need 256" \
	"check-setup: missing: userfaultfd: not open to tester (vm.unprivileged_userfaultfd=0)" \
	"check-setup: the tests named above will skip; to set them up run:" \
	"check-setup:   sudo make check-setup" \
	"check-setup:   sudo sysctl vm.unprivileged_userfaultfd=1" &&
	[ "$(grep -c "sudo make check-setup" "$work/out")" = 1 ] &&
	[ ! -e "$work/bin/qemu-system-x86_64" ] &&
	! grep -q hugetlbfs "$work/root/proc/mounts" &&
	[ "$(wc -l <"$work/root/proc/swaps")" = 1 ]; then
	ok "not root: changes nothing, names the skips and sudo make check-setup"
else
	not_ok "not root: changes nothing, names the skips and sudo make check-setup (rc $rc)"
fi

# --check as root changes nothing either.
sandbox 0
rc=0
env -i PATH="$work/bin" SETUP_HOST_SYSROOT="$work/root" FAKE_BIN="$work/bin" \
	/bin/sh "$script" --check >"$work/out" 2>&1 || rc=$?
if [ $rc = 0 ] && has "check-setup: --check: changing nothing, checking what the tests need" \
	"check-setup:   sudo make check-setup" &&
	[ ! -e "$work/bin/qemu-system-x86_64" ]; then
	ok "root --check: changes nothing"
else
	not_ok "root --check: changes nothing (rc $rc)"
fi

# Every test that can skip for these is named in the script's lists.
missing=
for f in $(grep -rlE 'qmp_qemu_binary\(\)|hugepages_or_skip\(|hugetlbfs_mount\(|swap_or_skip' \
	"$src/tests" --include='test-*.c'); do
	name=$(basename "$f" .c)
	grep -qE "$name([,; )\"]|\$)" "$script" || missing="$missing $name"
done
if [ -z "$missing" ]; then
	ok "every test that skips without QEMU, huge pages or swap is listed"
else
	n=$((n + 1))
	echo "not ok $n - not in scripts/setup-host.sh's lists:$missing"
	fail=1
fi

echo "1..$n"
exit $fail
