#!/bin/bash
# replay.sh - replays the seed document's real situation on the example plan
# (examples/q1-2026/tollgate.yaml) and checks that `why` and `next` answer as
# the seed implies at each step: DEV versions recorded, Gate 2 approved by its
# two roles, the prerequisites ticked, the api_infra blocker open then
# resolved, Wave 1 in SIT, Gate 3, a level-2 incident.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cp "$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml" "$T/"
cp -R "$TOLLGATE_SRC/examples/q1-2026/scripts" "$T/"
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
	export TOLLGATE_DB
fi
export TOLLGATE_PLAN="$T/tollgate.yaml"

at() { export TOLLGATE_NOW="$1"; }

# rule P E RULE OK [DETAIL]: `why P E --json` says RULE is OK (true/false),
# with exactly DETAIL when given
rule() {
	run why "$1" "$2" --json
	checks=$((checks + 1))
	python3 - "$T/out" "$3" "$4" "${5-}" "${5+x}" <<'PY' || fail "why $1 $2: rule $3 ok=$4 ${5-}"
import json, sys
j = json.load(open(sys.argv[1]))
name, ok, detail, has = sys.argv[2], sys.argv[3] == "true", sys.argv[4], sys.argv[5]
r = [x for x in j["rules"] if x["rule"] == name]
assert [x["rule"] for x in j["rules"]] == ["source", "depends_on", "wave_order", "gates",
    "checklist", "blockers", "freeze", "incidents"], j["rules"]
assert len(r) == 1 and r[0]["ok"] == ok, r
if has:
    assert r[0]["detail"] == detail, r[0]["detail"]
assert j["ready"] == all(x["ok"] for x in j["rules"])
PY
}

# ready P E: why exits 0 and says ready; not_ready P E RULE...: exits 3 and
# exactly those rules fail
ready() {
	run why "$1" "$2" --json
	expect_rc 0
	expect_json 'j["ready"] is True'
}
not_ready() {
	local p=$1 e=$2
	shift 2
	run why "$p" "$e" --json
	expect_rc 3
	expect_json "sorted(x['rule'] for x in j['rules'] if not x['ok']) == sorted('$*'.split())"
}

# next_is "P:ENV:VERSION ...": exactly these promotions could start now
next_is() {
	run next --json
	expect_rc 0
	expect_json "sorted('%s:%s:%s' % (x['project'], x['env'], x['version']) for x in j['ready']) == sorted('$1'.split())"
}

tick() {
	for item in "$@"; do
		run check "$item" --as sam
		expect_rc 0
	done
}

# ---- Jan 7: the plan is written, nothing has happened -------------------
at 2026-01-07T09:00:00Z
next_is ""
not_ready campaigns_lambda sit source gates checklist blockers
rule campaigns_lambda sit source false \
	"campaigns_lambda has no version in dev; record one with 'tollgate record campaigns_lambda dev --version V'"
rule campaigns_lambda sit blockers false \
	"blocker 'api_infra' at 40%, owner DevOps Engineer, due 2026-01-09"
run why campaigns_lambda dev
expect_rc 2
expect_err_line "tollgate: error: 'dev' is the first environment: nothing is promoted into it; versions enter it with 'tollgate record campaigns_lambda dev --version V'"

# ---- DEV: CI records the versions (seed: every DEV status "✅ Ready") ----
cat >"$T/dev-versions.txt" <<'EOF'
# built by CI on Jan 7
campaigns_lambda c-1.4.2
order_lambda     o-2.0.1
product_lambda   p-0.9.7

dynamodb_schemas d-11
s3_schemas       s-5
backend_public   b-3.1.0
ecs_terraform    e-42
EOF
run record --env dev --versions "$T/dev-versions.txt" --as eve
expect_rc 0
expect_out_has "recorded 7 versions healthy in dev"
run status --json
expect_json 'sum(1 for c in j["cells"] if c["env"] == "dev" and c["state"] == "healthy") == 7'
expect_json '[c["version"] for c in j["cells"] if c["project"] == "order_lambda" and c["env"] == "dev"] == ["o-2.0.1"]'
rule campaigns_lambda sit source true \
	"version 'c-1.4.2' is healthy in dev (since 2026-01-07T09:00:00Z)"
rule campaigns_lambda sit gates false \
	"gate 'gate-2' still needs roles 'tech-lead', 'developer-lead' (no approval yet); criteria 'api-tests', 'code-review' not done"
not_ready campaigns_lambda sit gates checklist blockers
next_is ""

# ---- Gate 2 (Code Review): PASSED by its two roles, criteria ticked -----
at 2026-01-08T10:00:00Z
run approve gate-2 --as tom
expect_rc 0
expect_out_has "approved gate 'gate-2' as tech-lead (tom)"
expect_out_has "gate 'gate-2' still needs 'developer-lead'"
rule campaigns_lambda sit gates false \
	"gate 'gate-2' still needs role 'developer-lead' (approved: tom as tech-lead); criteria 'api-tests', 'code-review' not done"
run approve gate-2 --as dana
expect_rc 3
expect_err_line "tollgate: error: 'dana' holds none of the roles gate 'gate-2' needs (tech-lead, developer-lead); nothing approved"
run approve gate-2 --as devi
expect_rc 0
tick api-tests code-review cicd-validated
rule campaigns_lambda sit gates true "gate 'gate-2' passed for c-1.4.2 (tom as tech-lead, devi as developer-lead)"

# ---- the prerequisites and the pre-promotion checklist for SIT ----------
# SIT is not provisioned yet: its check fails, with its evidence
run checklist run sit-ready --as rita
expect_rc 1
expect_out_has "environment sit is not provisioned"
rule campaigns_lambda sit checklist false
mkdir -p "$T/.envs/sit"
run checklist run sit-ready --as rita
expect_rc 0
expect_out_has "sit-ready"
tick route53-sit sit-account-access aws-sso tf-workspaces gha-secrets route53-zones \
	no-hardcoded-creds secrets-managed iam-reviewed sg-validated vpc-verified \
	backup-docs rollback-tested lambda-aliases unit-tests-dev integration-tests-dev \
	e2e-tests-dev load-testing security-scan runbooks-updated arch-diagrams api-docs \
	monitoring-dashboards alert-notifications route53-delegation ssl-certs \
	github-permissions vpn-access
rule campaigns_lambda sit checklist true "32 items done"

# ---- api_infra still open: wave 1 waits on `blockers` only --------------
run blocker api_infra --progress 80 --as eve
expect_rc 0
not_ready campaigns_lambda sit blockers
rule campaigns_lambda sit blockers false \
	"blocker 'api_infra' at 80%, owner DevOps Engineer, due 2026-01-09"
not_ready order_lambda sit blockers
next_is ""

# ---- api_infra resolved: wave 1 can go to SIT ---------------------------
at 2026-01-09T16:00:00Z
run blocker api_infra --resolve --as eve
expect_rc 0
ready campaigns_lambda sit
rule campaigns_lambda sit blockers true "blocker 'api_infra' resolved"
next_is "campaigns_lambda:sit:c-1.4.2 order_lambda:sit:o-2.0.1 product_lambda:sit:p-0.9.7"
# wave 2 waits for wave 1 in SIT and for Gate 3
not_ready dynamodb_schemas sit wave_order gates checklist
rule dynamodb_schemas sit wave_order false \
	"wave 'wave-2' waits for wave 'wave-1' to be healthy in sit: 3 of 3 not yet: campaigns_lambda (none), order_lambda (none), product_lambda (none)"
rule dynamodb_schemas sit gates false \
	"gate 'gate-3' still needs roles 'devops-lead', 'tech-lead' (no approval yet); criterion 'infra-validated' not done"
not_ready backend_public sit depends_on wave_order gates checklist

# ---- Jan 11: order_lambda missed its Jan 10 SIT target ------------------
at 2026-01-11T09:00:00Z
run record campaigns_lambda sit --version c-1.4.2 --as dana
expect_rc 0
run record product_lambda sit --version p-0.9.7 --as dana
expect_rc 0
run status --json --env sit
expect_json '[c["late"] for c in j["cells"] if c["project"] == "order_lambda"] == [True]'
expect_json '[c["late"] for c in j["cells"] if c["project"] == "campaigns_lambda"] == [False]'
expect_json '[c["target"] for c in j["cells"] if c["project"] == "order_lambda"] == ["2026-01-10"]'
expect_json 'all(c["env"] == "sit" for c in j["cells"]) and len(j["cells"]) == 7'
run status --no-color
expect_out_has "LATE"
rule campaigns_lambda sit source false "version 'c-1.4.2' is already healthy in sit"
rule dynamodb_schemas sit wave_order false \
	"wave 'wave-2' waits for wave 'wave-1' to be healthy in sit: 1 of 3 not yet: order_lambda (none)"
next_is "order_lambda:sit:o-2.0.1"

# ---- Wave 1 in SIT ------------------------------------------------------
run record order_lambda sit --version o-2.0.1 --as dana
expect_rc 0
rule dynamodb_schemas sit wave_order true "wave 'wave-1' is healthy in sit"
# PROD waits for Gate 4 and for SIT's sign-off
not_ready campaigns_lambda prod gates checklist
next_is ""

# ---- Gate 3 (Infrastructure Review) and wave 2's prerequisites ----------
at 2026-01-12T10:00:00Z
run approve gate-3 --as dana
expect_rc 0
run approve gate-3 --as tom
expect_rc 0
expect_out_has "gate 'gate-3' has every approval it needs"
tick infra-validated tf-state gate-3-approval backup-rollback-docs dynamodb-pitr s3-versioning
ready dynamodb_schemas sit
not_ready backend_public sit depends_on
rule backend_public sit depends_on false \
	"waiting for dependencies in sit: dynamodb_schemas (none), s3_schemas (none)"
next_is "dynamodb_schemas:sit:d-11 s3_schemas:sit:s-5 ecs_terraform:sit:e-42"

# ---- a level-2 incident pauses every promotion --------------------------
at 2026-01-12T14:00:00Z
run incident open --level 2 --env sit --as rita "SIT API gateway returning 5xx"
expect_rc 0
expect_out_has "opened incident 1 (level 2)"
next_is ""
not_ready dynamodb_schemas sit incidents
rule dynamodb_schemas sit incidents false \
	"incident 1 (level 2 in sit) open since 2026-01-12T14:00:00Z: SIT API gateway returning 5xx; every promotion is paused until it is resolved"
not_ready ecs_terraform sit incidents
run revoke gate-3 --as tom
expect_rc 0
not_ready dynamodb_schemas sit gates incidents
run approve gate-3 --as tom
expect_rc 0
run incident resolve 1 --as rita
expect_rc 0
next_is "dynamodb_schemas:sit:d-11 s3_schemas:sit:s-5 ecs_terraform:sit:e-42"

# ---- wave 2 base in SIT; a level-1 incident holds only its project ------
run record dynamodb_schemas sit --version d-11 --as dana
run record s3_schemas sit --version s-5 --as dana
next_is "backend_public:sit:b-3.1.0 ecs_terraform:sit:e-42"
run incident open --level 1 --env dev --project backend_public --as rita "flaky health check"
expect_rc 0
next_is "ecs_terraform:sit:e-42"
rule backend_public sit incidents false \
	"incident 2 (level 1, backend_public in dev) open since 2026-01-12T14:00:00Z: flaky health check; resolve it before promoting"

# text output of why: every rule on its own line, exit 3
run --no-color why backend_public sit
expect_rc 3
expect_out_has "backend_public → sit: not ready"
expect_out_has "  not ok  incidents   incident 2 (level 1, backend_public in dev)"
expect_out_has "  ok      source      version 'b-3.1.0' is healthy in dev"

done_tests
