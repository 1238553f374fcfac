#!/bin/bash
# example-scripts.sh - the example plan's deploy / verify / rollback / measure /
# check scripts, run the way tollgate runs them (/bin/sh -c in the plan's
# folder, data only in TOLLGATE_* variables): versions are stored byte for
# byte and never executed, the failure switches work, rollback restores the
# previous version.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cp -R "$TOLLGATE_SRC/examples/q1-2026/scripts" "$T/scripts"
export TOLLGATE_PLAN_ID=PROM-2026-Q1-001 TOLLGATE_RUN_ID=run-1 TOLLGATE_ACCOUNT=815856636111

# sh_run COMMAND: runs a plan command like tollgate does; out/err/rc as run()
sh_run() {
	set +e
	/bin/sh -c "$1" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}
# expect_file_is FILE CONTENT: FILE holds exactly CONTENT (no newline added)
expect_file_is() {
	checks=$((checks + 1))
	printf '%s' "$2" | cmp -s - "$1" || fail "expected $1 to hold exactly: $2"
}
expect_absent() {
	checks=$((checks + 1))
	[ ! -e "$1" ] || fail "expected no $1"
}

export TOLLGATE_ENV=sit TOLLGATE_PROJECT=order_lambda
V=.envs/sit/order_lambda/version

# a plain deploy, then its health check
export TOLLGATE_VERSION=1.4.0 TOLLGATE_PREVIOUS_VERSION=
sh_run "sh scripts/deploy.sh"
expect_rc 0
expect_out_has "deployed order_lambda 1.4.0 to sit (account 815856636111)"
expect_file_is "$V" "1.4.0"
sh_run "sh scripts/verify.sh"
expect_rc 0
expect_out_has "healthy: order_lambda 1.4.0 in sit"

# hostile versions are data: stored intact, nothing runs
for hostile in '1.0;touch pwned' '$(touch pwned2)' '`touch pwned3`' "a'b\"c d" '-n' $'two\nlines'; do
	export TOLLGATE_PREVIOUS_VERSION=1.4.0 TOLLGATE_VERSION=$hostile
	sh_run "sh scripts/deploy.sh"
	expect_rc 0
	expect_file_is "$V" "$hostile"
	sh_run "sh scripts/verify.sh"
	expect_rc 0
done
expect_absent pwned
expect_absent pwned2
expect_absent pwned3

# verify fails when another version is live, and for a version marked bad
export TOLLGATE_VERSION=1.5.0-bad TOLLGATE_PREVIOUS_VERSION=1.4.0
sh_run "sh scripts/verify.sh"
expect_rc 1
expect_err_has "does not run the version being verified"
sh_run "sh scripts/deploy.sh"
expect_rc 0
sh_run "sh scripts/verify.sh"
expect_rc 1
expect_err_has "health check of order_lambda failed: version marked bad"

# rollback puts the previous version back
sh_run "sh scripts/rollback.sh"
expect_rc 0
expect_out_has "rolled back order_lambda in sit to 1.4.0"
expect_file_is "$V" "1.4.0"
checks=$((checks + 1))
grep -q 'rollback from=1.5.0-bad to=1.4.0' .envs/sit/order_lambda/history || fail "history lacks the rollback"

# the failure switches: per project, per env
export TOLLGATE_VERSION=1.4.0
touch .envs/fail-verify-order_lambda
sh_run "sh scripts/verify.sh"
expect_rc 1
expect_err_has "failed on purpose (.envs/fail-verify-order_lambda exists)"
rm .envs/fail-verify-order_lambda
touch .envs/sit/fail-verify-order_lambda
sh_run "sh scripts/verify.sh"
expect_rc 1
TOLLGATE_ENV=prod sh_run "sh scripts/deploy.sh"
TOLLGATE_ENV=prod sh_run "sh scripts/verify.sh"
expect_rc 0
rm .envs/sit/fail-verify-order_lambda
touch .envs/fail-deploy-order_lambda
TOLLGATE_VERSION=2.0.0 sh_run "sh scripts/deploy.sh"
expect_rc 1
expect_file_is "$V" "1.4.0"
rm .envs/fail-deploy-order_lambda
touch .envs/fail-rollback-order_lambda
sh_run "sh scripts/rollback.sh"
expect_rc 1
rm .envs/fail-rollback-order_lambda

# rollback with nothing before removes the project from the env
export TOLLGATE_PROJECT=s3_schemas TOLLGATE_VERSION=0.1.0 TOLLGATE_PREVIOUS_VERSION=
sh_run "sh scripts/deploy.sh"
sh_run "sh scripts/rollback.sh"
expect_rc 0
expect_absent .envs/sit/s3_schemas/version

# unusable names are refused, not turned into paths
TOLLGATE_PROJECT=.. sh_run "sh scripts/deploy.sh"
expect_rc 1
expect_err_has "unusable project name '..'"
TOLLGATE_ENV='' sh_run "sh scripts/deploy.sh"
expect_rc 1

# the error-rate measure: 0.01 by default, else the env's, else the project's
export TOLLGATE_PROJECT=order_lambda
sh_run "sh scripts/error-rate.sh"
expect_rc 0
expect_out_has "0.01"
echo 0.07 >.envs/sit/error-rate
sh_run "sh scripts/error-rate.sh"
expect_out_has "0.07"
echo 0.2 >.envs/sit/order_lambda/error-rate
sh_run "sh scripts/error-rate.sh"
expect_out_has "0.2"

# the checks: env-ready and env-health
sh_run "sh scripts/env-ready.sh prod"
expect_rc 0
sh_run "sh scripts/env-ready.sh qa"
expect_rc 1
expect_err_has "environment qa is not provisioned"
sh_run "sh scripts/env-health.sh sit"
expect_rc 0
expect_out_has "1 healthy project(s) in sit"
sh_run "sh scripts/env-health.sh sit 7"
expect_rc 1
expect_err_has "only 1 of 7 projects are live in sit"
touch .envs/fail-verify-order_lambda
sh_run "sh scripts/env-health.sh sit"
expect_rc 1
expect_out_has "unhealthy: order_lambda"

done_tests
