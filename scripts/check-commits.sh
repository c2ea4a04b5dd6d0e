#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-commits.sh [BASE]: every commit after BASE (default: the first
# commit the rule applies to) has a subject of at most 72 characters that
# is followed by a blank line and a body saying why.  Older history
# predates the rule and is not rewritten.  Run by .ci/run.
set -euo pipefail

base=${1:-1922f6d}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null 2>&1; then
	echo "check-commits: $base is not in this clone (shallow?); nothing to check"
	exit 0
fi
bad=0
n=0
for c in $(git rev-list --no-merges "$base..HEAD"); do
	n=$((n + 1))
	subject=$(git log -1 --format=%s "$c")
	body=$(git log -1 --format=%b "$c" | sed '/^\s*$/d')
	if [ "${#subject}" -gt 72 ]; then
		echo "commit ${c:0:12}: subject of ${#subject} characters (> 72): $subject"
		bad=$((bad + 1))
	fi
	if [ -z "$body" ]; then
		echo "commit ${c:0:12}: no body saying why: $subject"
		bad=$((bad + 1))
	fi
done
echo "check-commits: $n commit(s) after $base, $bad problem(s)"
[ "$bad" -eq 0 ]
