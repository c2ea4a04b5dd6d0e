#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install everything a kvmage developer needs on Debian 12: the build
# dependencies (gcc build), clang with its sanitizer runtime (make
# check-asan) and clang-format (make format).  With --peer, also Debian's
# QEMU, the peer the benchmarks compare against.  Uses sudo when not root.
#
# The dependency checks themselves live in ./configure; this script only
# asks it to install, then adds the developer tools.

set -eu

cd "$(dirname "$0")/.."

peer=no
for opt in "$@"; do
	case $opt in
	--peer) peer=yes ;;
	-h | --help)
		echo "usage: scripts/install-deps.sh [--peer]"
		exit 0
		;;
	*)
		echo "install-deps: unknown option '$opt'" >&2
		exit 1
		;;
	esac
done

./configure --deps-only --install-deps
./configure --deps-only --install-deps --cc=clang --enable-asan --enable-ubsan

tools=
command -v clang-format >/dev/null 2>&1 || tools="$tools clang-format"
if [ $peer = yes ] && ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	tools="$tools qemu-system-x86"
fi
[ -n "$tools" ] || exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps: installing$tools"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
# shellcheck disable=SC2086 # the package list is split on purpose
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $tools </dev/null
