#!/bin/sh
# The demo behind `make demo`: boot guest programs under kvmage.
#  1. hello: a freestanding guest prints over the 8250 serial console.
#  2. workload: 64 MiB of guest data on a preallocated memfd backend, hot
#     and cold pages written in ring 3 with every page verified; the guest
#     reports its speed and the largest stall it saw.
# Later issues add page aging and reclaim to this same command.
set -eu
build=${1:-build}
kvmage="$build/kvmage"
guests="$build/tests/guest"

for f in "$kvmage" "$guests/hello.elf" "$guests/workload.elf"; do
	[ -e "$f" ] || { echo "demo: $f is missing (build first)" >&2; exit 1; }
done

run() {
	printf '$'
	for a in "$@"; do
		case $a in
		*' '*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
	"$@"
	echo
}

run "$kvmage" -display none -m 64M -serial stdio \
	-kernel "$guests/hello.elf" -append "hello from make demo"

run "$kvmage" -display none -m 128M -smp 1 \
	-object memory-backend-memfd,id=mem,size=128M,prealloc=on,prealloc-threads=2 \
	-machine memory-backend=mem \
	-kernel "$guests/workload.elf" \
	-append "size=64M hot=8M pattern=hotcold rw=mixed passes=20 verify=on"
