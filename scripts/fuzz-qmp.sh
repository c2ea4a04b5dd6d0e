#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fuzz the QMP input path (tests/qmp/fuzz-qmp.c) under ASan for a bounded
# time:  scripts/fuzz-qmp.sh [SECONDS [BUILDDIR]]   (default 60, build-fuzz)
# Builds with clang and -Dfuzz=true, starts from tests/qmp/fuzz-corpus in a
# scratch copy, and prints one line with the executions and corpus size.
# Exits non-zero if the fuzzer found a crash, a leak or a timeout.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${1:-60}
build=${2:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dguest_tests=false >/dev/null
fi
ninja -C "$build" tests/qmp/fuzz-qmp >/dev/null

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp tests/qmp/fuzz-corpus/* "$corpus"/
log="$build/fuzz-qmp.log"
rc=0
"$build/tests/qmp/fuzz-qmp" -max_total_time="$secs" -rss_limit_mb=2048 \
	-timeout=10 -print_final_stats=1 -artifact_prefix="$build/" \
	"$corpus" >"$log" 2>&1 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "fuzz-qmp: ${execs:-?} executions in ${secs}s," \
     "corpus $(ls "$corpus" | wc -l) files, exit $rc (log: $log)"
exit $rc
