#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KVMAGE_TEST_TIME_SCALE is test code only (tests/timescale.h): no source
# of kvmage itself, its tools or its benchmarks may read the knob.
# Usage: check-timescale.sh SRCDIR   Output: TAP.

cd "${1:?usage: check-timescale.sh SRCDIR}" || exit 1
n=0
fail=0
for dir in accel aging backends bench hw include job memory monitor qapi reclaim \
	system tools util; do
	[ -d "$dir" ] || continue
	n=$((n + 1))
	hits=$(grep -rlE 'KVMAGE_TEST_TIME_SCALE|timescale_|timescale\.h' \
		"$dir" 2>/dev/null)
	if [ -z "$hits" ]; then
		echo "ok $n - $dir/ does not read the knob"
	else
		echo "not ok $n - $dir/ reads KVMAGE_TEST_TIME_SCALE:" $hits
		fail=1
	fi
done
echo "1..$n"
exit $fail
