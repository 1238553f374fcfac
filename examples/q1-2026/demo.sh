#!/bin/sh
# demo.sh TOLLGATE_BIN - runs the Q1 2026 example plan with the real binary.
#
# Everything happens in a copy of the plan under examples/q1-2026/out/ (or
# $DEMO_OUT), so the source tree stays clean: the store (.tollgate/), the
# local stand-ins for the environments (.envs/) and the reports land there.
# The clock is pinned with TOLLGATE_NOW so every run tells the same story.
#
# The demo is a list of steps; each is one `step` call followed by its
# commands. New steps (promotion, approvals, a failed verify …) are appended
# at the end, before the summary.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: demo.sh TOLLGATE_BIN" >&2
	exit 2
fi
case $1 in
/*) TG=$1 ;;
*) TG=$(pwd)/$1 ;;
esac
[ -x "$TG" ] || { echo "demo.sh: no tollgate binary at '$TG'; build it first (make build)" >&2; exit 2; }

HERE=$(cd "$(dirname -- "$0")" && pwd)
OUT=${DEMO_OUT:-$HERE/out}
WORK=$OUT/plan

export TOLLGATE_NOW=2026-01-07T09:00:00Z
unset TOLLGATE_PLAN TOLLGATE_DB TOLLGATE_USER

n=0
# step TITLE: announces the next step
step() {
	n=$((n + 1))
	printf '\n== step %d: %s ==\n' "$n" "$*"
}
# tg ARGS...: runs tollgate on the copied plan, showing the command line
tg() {
	printf '$ tollgate %s\n' "$*"
	"$TG" "$@"
}

step "fresh copy of the plan in $WORK"
rm -rf -- "$WORK" "$OUT"/report-*.md
mkdir -p -- "$WORK"
cp -- "$HERE/tollgate.yaml" "$WORK/"
cp -R -- "$HERE/scripts" "$WORK/"
cd "$WORK"

step "validate the plan"
tg validate

step "the living master plan, before anything happened"
tg report --format md -o "$OUT/report-start.md"

# --- promotion (issue 4): the seed's situation replayed, then run -------
# at TIME: moves the pinned clock
at() { export TOLLGATE_NOW="$1"; }
# as PERSON CMD...: tollgate acting as a people id of the plan
as() { who=$1; shift; tg "$@" --as "$who"; }

step "DEV: CI records the versions built on Jan 7"
cat >"$OUT/dev-versions.txt" <<'VERSIONS'
campaigns_lambda c-1.4.2
order_lambda     o-2.0.1
product_lambda   p-0.9.7
dynamodb_schemas d-11
s3_schemas       s-5
backend_public   b-3.1.0
ecs_terraform    e-42
VERSIONS
as eve record --env dev --versions "$OUT/dev-versions.txt"

step "the forecast on Jan 7: the SIT targets are already out of reach (docs/forecast.md)"
tg forecast --env sit

step "Gate 2 (Code Review) passed, wave 1 prerequisites and the SIT checklist ticked"
at 2026-01-08T10:00:00Z
as tom approve gate-2
as devi approve gate-2
mkdir -p .envs/sit .envs/prod
as rita checklist run sit-ready
for item in api-tests code-review cicd-validated route53-sit sit-account-access aws-sso \
	tf-workspaces gha-secrets route53-zones no-hardcoded-creds secrets-managed iam-reviewed \
	sg-validated vpc-verified backup-docs rollback-tested lambda-aliases unit-tests-dev \
	integration-tests-dev e2e-tests-dev load-testing security-scan runbooks-updated \
	arch-diagrams api-docs monitoring-dashboards alert-notifications route53-delegation \
	ssl-certs github-permissions vpn-access; do
	"$TG" check "$item" --as sam >/dev/null
done
printf '$ tollgate check ITEM --as sam   (31 items)\n'

step "blocker api_infra resolved: wave 1 is ready for SIT"
at 2026-01-09T16:00:00Z
as eve blocker api_infra --resolve
tg next

step "Wave 1 to SIT, 3 at a time; order_lambda's health check fails in SIT and it rolls back"
# the documented failure switch of the example's scripts (README: The scripts)
touch .envs/sit/fail-verify-order_lambda
as eve promote --to sit --wave wave-1 -j 3 || echo "(exit $?: a rollback, as intended)"
tg status --env sit

step "o-2.0.1 was rolled back from SIT, so it is rejected there until someone allows it again"
tg why order_lambda sit || echo "(exit $?: not ready, as intended)"

step "the fix was in SIT's health check, not in o-2.0.1: allowed again, promoted once more"
rm .envs/sit/fail-verify-order_lambda
at 2026-01-09T18:00:00Z
as tom allow order_lambda o-2.0.1 --env sit --reason "SIT health check fixed; the version was fine"
as eve promote --to sit --project order_lambda

step "a short demo soak: 24h later the error-rate trigger is measured and the soak finishes"
at 2026-01-10T18:30:00Z
tg soak
tg status --env sit

step "Gate 3 (Infrastructure Review) and wave 2's prerequisites"
at 2026-01-12T10:00:00Z
as dana approve gate-3
as tom approve gate-3
for item in infra-validated tf-state gate-3-approval backup-rollback-docs dynamodb-pitr \
	s3-versioning; do
	"$TG" check "$item" --as sam >/dev/null
done
printf '$ tollgate check ITEM --as sam   (6 items)\n'

step "Wave 2 to SIT in dependency order: backend_public after dynamodb_schemas and s3_schemas"
tg promote --to sit --wave wave-2 --dry-run
as eve promote --to sit --wave wave-2 -j 2
tg log --limit 12

step "the living master plan, after the promotions"
tg report --format md -o "$OUT/report-after.md"
tg report --format html -o "$OUT/report-after.html"

printf '\n== done ==\n'
printf 'plan copy:       %s/tollgate.yaml\n' "$WORK"
printf 'environments:    %s/.envs/\n' "$WORK"
printf 'store:           %s/.tollgate/\n' "$WORK"
printf 'report (start):  %s/report-start.md\n' "$OUT"
printf 'report (after):  %s/report-after.md\n' "$OUT"
printf 'report (html):   %s/report-after.html\n' "$OUT"
printf 'step logs:       %s/.tollgate/runs/\n' "$WORK"
printf 'dashboard:       (cd %s && TOLLGATE_NOW=%s %s serve) then open http://127.0.0.1:8086/\n' \
	"$WORK" "$TOLLGATE_NOW" "$TG"
