#!/bin/sh
# verify.sh - the health check of TOLLGATE_PROJECT in TOLLGATE_ENV: the live
# version must be exactly TOLLGATE_VERSION.
# Fails on purpose (for demos) when the version contains "bad", or when
# .envs/fail-verify-PROJECT or .envs/ENV/fail-verify-PROJECT exists.
set -eu
# shellcheck source=examples/q1-2026/scripts/common.sh
. "$(dirname -- "$0")/common.sh"
need_target
[ -f "$dir/version" ] || die "$TOLLGATE_PROJECT has no version in $TOLLGATE_ENV"
printf '%s' "${TOLLGATE_VERSION-}" | cmp -s - "$dir/version" ||
	die "$TOLLGATE_PROJECT in $TOLLGATE_ENV does not run the version being verified"
case ${TOLLGATE_VERSION-} in
*bad*) die "health check of $TOLLGATE_PROJECT failed: version marked bad" ;;
esac
for marker in "$envs_root/fail-verify-$TOLLGATE_PROJECT" \
	"$envs_root/$TOLLGATE_ENV/fail-verify-$TOLLGATE_PROJECT"; do
	[ ! -e "$marker" ] || die "health check of $TOLLGATE_PROJECT failed on purpose ($marker exists)"
done
printf 'healthy: %s %s in %s\n' "$TOLLGATE_PROJECT" "$TOLLGATE_VERSION" "$TOLLGATE_ENV"
