#!/bin/sh
# The demo behind `make demo`: boot guest programs under kvmage.
#  1. hello: a freestanding guest prints over the 8250 serial console.
#  2. workload: 64 MiB of guest data on a preallocated memfd backend, hot
#     and cold pages written in ring 3 with every page verified; the guest
#     reports its speed and the largest stall it saw.
#  3. QMP: the same workload (reads and writes) started paused (-S) with a
#     QMP socket and page aging on its memfd RAM (the default: uffd, which
#     sees reads too, re-arming 1 block of pages in 64 per 100 ms scan),
#     driven with kvmage-qmp: query-status, cont, query-cpus-fast, then
#     after two seconds query-memory-aging (the 4 MiB hot set young, the
#     rest cold: an estimate with its error, and the part already proven
#     page by page) and query-memory-residency (the guest's 32 MiB of data
#     and its image present, the rest of its 128 MiB never populated).
#  4. Reclaim: memory-reclaim of what has been idle for 1 s, as a job
#     (query-jobs while it runs: it confirms the pages not proven yet),
#     its result (query-memory-reclaim) and residency afterwards: the cold
#     data in swap, the hot set in memory.
#     Then stop, wait, cont: the guest sweeps and verifies every page, so
#     the reclaimed pages come back and are counted as refaults.  Without
#     swap on the host the reclaim is a dry run and the demo says so.
#  5. stop, quit.
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
set -- -S -m 128M -smp 2 -name demo -serial none \
	-object memory-backend-memfd,id=mem,size=128M \
	-machine memory-backend=mem \
	-object memory-aging,id=age0,memdev=mem,interval=100 \
	-qmp "unix:$sock,server=on,wait=off" \
	-kernel "$guests/workload.elf" \
	-append "size=32M hot=4M passes=0 rw=mixed sweep_gap=500"
printf '$ %s' "$kvmage"; printf ' %s' "$@"; printf ' &\n'
"$kvmage" "$@" &
vm=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
for cmd in query-status cont query-status query-cpus-fast; do
	run "$qmp" "$sock" $cmd
done
sleep 2
run "$qmp" "$sock" query-memory-aging cold-threshold-ms=1000
run "$qmp" "$sock" query-memory-residency

# 4. Reclaim what has been idle for a second.
if awk '/^SwapTotal:/ { exit !($2 > 0) }' /proc/meminfo; then
	dry=false
else
	echo "(the host has no swap: a dry run; sudo make check-setup sets up zram)"
	dry=true
fi
run "$qmp" "$sock" memory-reclaim job-id=reclaim0 min-age-ms=1000 \
	dry-run=$dry
run "$qmp" "$sock" query-jobs
i=0
while [ "$("$qmp" "$sock" query-jobs)" != "[]" ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
run "$qmp" "$sock" query-memory-reclaim
run "$qmp" "$sock" query-memory-residency
# The guest sweeps every page after a pause of 500 ms: refaults.
run "$qmp" "$sock" stop
sleep 0.6
run "$qmp" "$sock" cont
sleep 2
run "$qmp" "$sock" query-memory-reclaim
for cmd in stop query-status quit; do
	run "$qmp" "$sock" $cmd
done
wait $vm
