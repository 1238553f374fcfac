# common.sh - sourced by the example's scripts.
#
# Each environment of the plan is stood in for by a local folder: the plan's
# folder (commands run there) holds .envs/ENV/PROJECT/ with
#   version   the version live there, written byte for byte (no newline added)
#   history   one line per deploy / rollback, for people to read
# The scripts read only the environment variables tollgate sets (SPEC §6):
# TOLLGATE_PROJECT, TOLLGATE_ENV, TOLLGATE_VERSION, TOLLGATE_PREVIOUS_VERSION,
# TOLLGATE_ACCOUNT, TOLLGATE_PLAN_ID, TOLLGATE_RUN_ID. Values are always quoted
# and printed with printf '%s': a version such as '1.0;touch x' or '$(id)' is
# stored as it is and never run.
#
# Failure switches for demos and tests (files that exist or not):
#   .envs/fail-deploy-PROJECT     deploy.sh fails for PROJECT (every env)
#   .envs/fail-verify-PROJECT     verify.sh fails for PROJECT (every env)
#   .envs/ENV/fail-verify-PROJECT verify.sh fails for PROJECT in ENV only
#   .envs/fail-rollback-PROJECT   rollback.sh fails for PROJECT
#   a version containing "bad"    verify.sh fails for it
#   .envs/ENV/error-rate, .envs/ENV/PROJECT/error-rate
#                                 the number error-rate.sh prints (else 0.01)

envs_root=.envs

die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# safe_name WHAT VALUE: VALUE is usable as one path component.
safe_name() {
	case $2 in
	'' | . | .. | */*) die "unusable $1 name '$2'" ;;
	esac
}

# need_target: checks TOLLGATE_PROJECT and TOLLGATE_ENV, sets $dir.
need_target() {
	safe_name project "${TOLLGATE_PROJECT-}"
	safe_name environment "${TOLLGATE_ENV-}"
	dir="$envs_root/$TOLLGATE_ENV/$TOLLGATE_PROJECT"
}

# note TEXT...: appends one line to the project's history in this env.
note() {
	printf '%s run=%s plan=%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		"${TOLLGATE_RUN_ID-}" "${TOLLGATE_PLAN_ID-}" "$*" >>"$dir/history"
}
