#!/bin/sh
# deploy.sh - "deploys" TOLLGATE_VERSION of TOLLGATE_PROJECT to TOLLGATE_ENV:
# writes it to .envs/ENV/PROJECT/version (see common.sh for the layout).
# Fails when .envs/fail-deploy-PROJECT exists.
set -eu
# shellcheck source=examples/q1-2026/scripts/common.sh
. "$(dirname -- "$0")/common.sh"
need_target
[ -n "${TOLLGATE_VERSION-}" ] || die "TOLLGATE_VERSION is empty; tollgate sets it"
[ ! -e "$envs_root/fail-deploy-$TOLLGATE_PROJECT" ] ||
	die "deploy of $TOLLGATE_PROJECT fails on purpose ($envs_root/fail-deploy-$TOLLGATE_PROJECT exists)"
mkdir -p -- "$dir"
printf '%s' "$TOLLGATE_VERSION" >"$dir/version.tmp"
mv -f -- "$dir/version.tmp" "$dir/version"
note "deploy version=$TOLLGATE_VERSION previous=${TOLLGATE_PREVIOUS_VERSION-}"
printf 'deployed %s %s to %s (account %s)\n' "$TOLLGATE_PROJECT" "$TOLLGATE_VERSION" \
	"$TOLLGATE_ENV" "${TOLLGATE_ACCOUNT:-none}"
