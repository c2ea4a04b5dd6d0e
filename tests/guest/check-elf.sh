#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Check that guest programs are what kvmage's loader expects: static ELF64
# executables entered at _start, every PT_LOAD at or above 0x400000, no
# dynamic linking, no undefined symbols, no sanitizer or libc code.
# Usage: check-elf.sh ELF...   Output: TAP.

fail=0
n=0

check() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: $2"
		fail=1
	fi
}

for elf in "$@"; do
	name=$(basename "$elf")
	hdr=$(readelf -hW "$elf" 2>&1)
	err=""
	echo "$hdr" | grep -q 'Class:.*ELF64' || err="not ELF64"
	echo "$hdr" | grep -q 'Type:.*EXEC' || err="$err not EXEC"
	check "$name: static ELF64 executable" "$err"

	entry=$(echo "$hdr" | awk '/Entry point/ { print $4 }')
	start=$(nm "$elf" | awk '$3 == "_start" { print "0x" $1 }')
	err=""
	[ -n "$start" ] && [ $((entry)) -eq $((start)) ] ||
		err="entry $entry, _start ${start:-missing}"
	check "$name: entry is _start" "$err"

	err=""
	nload=$(readelf -lW "$elf" | grep -c '^ *LOAD')
	[ "$nload" -ge 2 ] || err="$nload PT_LOAD"
	readelf -lW "$elf" | awk '$1 == "LOAD" { print $3 }' |
	while read -r va; do
		[ $((va)) -ge $((0x400000)) ] || echo "$va"
	done > "${TMPDIR:-/tmp}/check-elf.$$"
	low=$(cat "${TMPDIR:-/tmp}/check-elf.$$")
	rm -f "${TMPDIR:-/tmp}/check-elf.$$"
	[ -z "$low" ] || err="$err PT_LOAD below 0x400000: $low"
	readelf -lW "$elf" | grep -qE 'INTERP|DYNAMIC' && err="$err dynamic"
	check "$name: PT_LOADs at >= 0x400000, not dynamic" "$err"

	undef=$(nm -u "$elf" | tr '\n' ' ')
	check "$name: no undefined symbols" "$undef"

	bad=$(nm "$elf" | awk '{ print $NF }' |
	      grep -iE 'asan|ubsan|sanitizer|gcov|llvm_prf|__libc|^malloc$' |
	      tr '\n' ' ')
	check "$name: no instrumentation or libc symbols" "$bad"
done

echo "1..$n"
exit $fail
