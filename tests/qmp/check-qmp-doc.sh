#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docs/system/qmp.rst, the users' page, must name every command of the
# QMP schema (as ``name``), and must not claim a kind of command is
# missing that the schema has.
# Usage: check-qmp-doc.sh QMP.RST SCHEMA.json...   Output: TAP.

doc=$1
shift
n=0
fail=0

for cmd in $(sed -n "s/^{ *'command': *'\([^']*\)'.*/\1/p" "$@"); do
	n=$((n + 1))
	if grep -q "\`\`$cmd\`\`" "$doc"; then
		echo "ok $n - $cmd"
	else
		echo "not ok $n - $cmd is not in $doc"
		fail=1
	fi
done
n=$((n + 1))
if grep -qi "no aging or reclaim command" "$doc"; then
	echo "not ok $n - $doc says there is no aging or reclaim command"
	fail=1
else
	echo "ok $n - no stale claim about missing commands"
fi
echo "1..$n"
exit $fail
