#!/bin/sh
# env-ready.sh ENV - the `check` of "ENV environment ready": the folder standing
# in for ENV exists and is writable. Provision it with `mkdir -p .envs/ENV`.
set -eu
# shellcheck source=examples/q1-2026/scripts/common.sh
. "$(dirname -- "$0")/common.sh"
[ $# -eq 1 ] || die "usage: env-ready.sh ENV"
safe_name environment "$1"
[ -d "$envs_root/$1" ] || die "environment $1 is not provisioned ($envs_root/$1 is missing)"
[ -w "$envs_root/$1" ] || die "environment $1 is not writable"
printf 'environment %s ready\n' "$1"
