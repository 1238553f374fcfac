#!/bin/sh
# rollback.sh - puts TOLLGATE_PREVIOUS_VERSION of TOLLGATE_PROJECT back live in
# TOLLGATE_ENV; with no previous version, nothing was live before, so the
# project is removed from the env. Fails when .envs/fail-rollback-PROJECT exists.
set -eu
# shellcheck source=examples/q1-2026/scripts/common.sh
. "$(dirname -- "$0")/common.sh"
need_target
[ ! -e "$envs_root/fail-rollback-$TOLLGATE_PROJECT" ] ||
	die "rollback of $TOLLGATE_PROJECT fails on purpose ($envs_root/fail-rollback-$TOLLGATE_PROJECT exists)"
mkdir -p -- "$dir"
if [ -n "${TOLLGATE_PREVIOUS_VERSION-}" ]; then
	printf '%s' "$TOLLGATE_PREVIOUS_VERSION" >"$dir/version.tmp"
	mv -f -- "$dir/version.tmp" "$dir/version"
	note "rollback from=${TOLLGATE_VERSION-} to=$TOLLGATE_PREVIOUS_VERSION"
	printf 'rolled back %s in %s to %s\n' "$TOLLGATE_PROJECT" "$TOLLGATE_ENV" "$TOLLGATE_PREVIOUS_VERSION"
else
	rm -f -- "$dir/version"
	note "rollback from=${TOLLGATE_VERSION-} to=nothing"
	printf 'rolled back %s in %s: no previous version, removed\n' "$TOLLGATE_PROJECT" "$TOLLGATE_ENV"
fi
