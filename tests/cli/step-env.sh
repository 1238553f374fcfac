#!/bin/bash
# step-env.sh - the store's credentials never reach a step (SPEC §6, issue
# 10 item 3): with TOLLGATE_DB (a URL with a password on PostgreSQL) and
# libpq's PG* variables set, a deploy, a verify, a trigger's measure and a
# checklist check that print their environment see neither, while they do
# get SPEC §6's TOLLGATE_* variables and the rest of the caller's environment.
# What the plan lists under `secrets` (a name, or a PREFIX*) is taken out too.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=sam

backend_store
export PGPASSWORD=pg-secret-value PGSSLKEY=/nowhere/key PGOPTIONS="-c work_mem=1MB"
export MY_TEAM_VAR=kept
export SLACK_WEBHOOK_URL=https://hooks.example/secret-hook AWS_SECRET_ACCESS_KEY=aws-secret AWS_REGION=eu-1
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: ENV-TEST, title: Step environment}
secrets: [SLACK_WEBHOOK_URL, AWS_SECRET*]
environments:
  - {name: dev}
  - {name: sit, account: "111111111111"}
people:
  - {id: sam, roles: [sdet]}
waves:
  - {id: w1}
projects:
  - {id: api, wave: w1, deploy: "env > deploy.env", verify: "env > verify.env"}
checklist:
  - {id: ready, text: SIT ready, applies: {env: sit}, check: "env > check.env"}
triggers:
  - {id: errors, text: errors, measure: "env > measure.env; echo 0", above: 1, envs: [sit]}
YAML

run record api dev --version 1.0 --as sam
expect_rc 0
run checklist run ready --as sam
expect_rc 0
run promote --to sit
expect_rc 0
for f in deploy verify check measure; do
	checks=$((checks + 1))
	[ -s $f.env ] || { fail "$f printed no environment"; continue; }
	checks=$((checks + 1))
	if grep -E '^(TOLLGATE_DB|PG[A-Z_]*)=' $f.env >/dev/null; then
		fail "$f saw the store's credentials: $(grep -E '^(TOLLGATE_DB|PG[A-Z_]*)=' $f.env | tr '\n' ' ')"
	fi
	checks=$((checks + 1))
	grep -q '^MY_TEAM_VAR=kept$' $f.env && grep -q '^AWS_REGION=eu-1$' $f.env ||
		fail "$f lost the caller's environment"
	checks=$((checks + 1))
	if grep -E '^(SLACK_WEBHOOK_URL|AWS_SECRET_ACCESS_KEY)=' $f.env >/dev/null; then
		fail "$f saw a variable the plan lists as secret"
	fi
	checks=$((checks + 1))
	grep -q '^TOLLGATE_PLAN_ID=ENV-TEST$' $f.env || fail "$f lacks TOLLGATE_PLAN_ID"
	checks=$((checks + 1))
	grep -q '^TOLLGATE_RUN_ID=.' $f.env || fail "$f lacks TOLLGATE_RUN_ID"
done
for f in deploy verify measure; do
	checks=$((checks + 1))
	grep -q '^TOLLGATE_PROJECT=api$' $f.env && grep -q '^TOLLGATE_ENV=sit$' $f.env &&
		grep -q '^TOLLGATE_VERSION=1.0$' $f.env && grep -q '^TOLLGATE_ACCOUNT=111111111111$' $f.env ||
		fail "$f lacks SPEC §6's variables"
done
# nothing of them in the logs kept beside the store either
checks=$((checks + 1))
if grep -rqs -e pg-secret-value -e secret-hook -e aws-secret -e "$TOLLGATE_DB" .tollgate/runs; then
	fail "a step log holds the store's credentials"
fi

# a name that is no environment variable name: located, the plan refused
cp tollgate.yaml good.yaml
sed -i 's/^secrets: .*/secrets: [OK_NAME, "bad name", "*"]/' tollgate.yaml
run validate
expect_rc 2
expect_err_has "tollgate.yaml:3:"
expect_err_has "secrets: 'bad name' is not an environment variable name"
expect_err_has "secrets: '*' is not an environment variable name"
cp good.yaml tollgate.yaml
done_tests
