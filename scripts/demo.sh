#!/bin/sh
# The demo behind `make demo`: boot guest programs under kvmage.
#  1. hello: a freestanding guest prints over the 8250 serial console.
#  2. workload: 64 MiB of guest data on a preallocated memfd backend, hot
#     and cold pages written in ring 3 with every page verified; the guest
#     reports its speed and the largest stall it saw.
#  3. QMP: the same workload started paused (-S) with a QMP socket, driven
#     with kvmage-qmp: query-status, cont, query-cpus-fast, stop, quit.
# Later issues add page aging and reclaim to this same command.
set -eu
build=${1:-build}
kvmage="$build/kvmage"
qmp="$build/tools/kvmage-qmp"
guests="$build/tests/guest"

for f in "$kvmage" "$qmp" "$guests/hello.elf" "$guests/workload.elf"; do
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

# 3. QMP: a paused guest on two vCPUs, driven from the command line.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sock="$dir/qmp.sock"
echo "\$ $kvmage -S -m 128M -smp 2 -name demo -serial none -qmp unix:$sock,server=on,wait=off -kernel $guests/workload.elf -append 'size=32M passes=0' &"
"$kvmage" -S -m 128M -smp 2 -name demo -serial none \
	-qmp "unix:$sock,server=on,wait=off" \
	-kernel "$guests/workload.elf" -append "size=32M passes=0" &
vm=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
for cmd in query-status cont query-status query-cpus-fast stop query-status \
	quit; do
	run "$qmp" "$sock" $cmd
done
wait $vm
