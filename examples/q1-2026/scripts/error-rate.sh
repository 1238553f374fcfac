#!/bin/sh
# error-rate.sh - the `measure` of the ">5% error rate" trigger: prints the
# error rate (a fraction) of TOLLGATE_PROJECT in TOLLGATE_ENV. The number comes
# from .envs/ENV/PROJECT/error-rate, else .envs/ENV/error-rate, else 0.01.
# Write 0.2 to one of those files to breach the trigger in a demo.
set -eu
# shellcheck source=examples/q1-2026/scripts/common.sh
. "$(dirname -- "$0")/common.sh"
need_target
for f in "$dir/error-rate" "$envs_root/$TOLLGATE_ENV/error-rate"; do
	if [ -f "$f" ]; then
		cat -- "$f"
		exit 0
	fi
done
echo 0.01
