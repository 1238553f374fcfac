#!/bin/sh
# run.sh BUILD - runs every bench/bench-*.sh against the build folder BUILD
# (given as the first argument and as $BUILD, absolute), each by the
# interpreter its #! line names, and fails when any of them fails (a missed
# target or an error).
set -eu
if [ $# -ne 1 ]; then
	echo "usage: run.sh BUILD" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd)
export BUILD
HERE=$(cd "$(dirname -- "$0")" && pwd)
status=0
failed=""
for b in "$HERE"/bench-*.sh; do
	[ -f "$b" ] || continue
	interp=$(sed -n '1s/^#![[:space:]]*\([^[:space:]]*\).*/\1/p' "$b")
	echo "== ${b##*/} =="
	if ! "${interp:-/bin/sh}" "$b" "$BUILD"; then
		echo "== ${b##*/}: FAILED ==" >&2
		failed="$failed ${b##*/}"
		status=1
	fi
	echo
done
[ -z "$failed" ] || echo "run.sh: failed:$failed" >&2
exit $status
