#!/bin/sh
# env-health.sh ENV [COUNT] - the `check` of the success criteria "all health
# checks passing in ENV" and, with COUNT, "all COUNT projects deployed to ENV":
# no project live in .envs/ENV is switched to fail its health check (see
# common.sh), and with COUNT, at least COUNT projects are live there.
set -eu
# shellcheck source=examples/q1-2026/scripts/common.sh
. "$(dirname -- "$0")/common.sh"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	die "usage: env-health.sh ENV [COUNT]"
fi
safe_name environment "$1"
[ -d "$envs_root/$1" ] || die "nothing deployed to $1"
n=0
bad=0
for d in "$envs_root/$1"/*/; do
	[ -d "$d" ] || continue
	p=${d%/}
	p=${p##*/}
	# rolled back with nothing before: not deployed there, not unhealthy
	[ -f "$d/version" ] || continue
	if [ -e "$envs_root/fail-verify-$p" ] || [ -e "$envs_root/$1/fail-verify-$p" ]; then
		printf 'unhealthy: %s\n' "$p"
		bad=$((bad + 1))
		continue
	fi
	n=$((n + 1))
done
printf '%s healthy project(s) in %s\n' "$n" "$1"
[ "$bad" -eq 0 ] || die "$bad project(s) not healthy in $1"
if [ $# -eq 2 ] && [ "$n" -lt "$2" ]; then
	die "only $n of $2 projects are live in $1"
fi
