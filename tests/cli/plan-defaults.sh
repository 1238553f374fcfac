#!/bin/bash
# plan-defaults.sh - `defaults: {projects: …}`: a project that does not say
# otherwise gets the default owner, wave, targets (env by env), deploy,
# verify, rollback and timeout; its own value (null: none) wins. A bad
# default is reported once, where it is written. The plan cache gives the
# same answers as the parsed plan.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: D-1, title: Defaults}
environments:
  - {name: dev}
  - {name: sit}
  - {name: prod}
people:
  - {id: sam, roles: [sdet]}
waves:
  - {id: w1}
  - {id: w2}
defaults:
  projects:
    owner: Platform
    wave: w1
    targets: {sit: 2026-01-10, prod: 2026-02-01}
    deploy: echo default-deploy $TOLLGATE_PROJECT >> deploys
    verify: "true"
    rollback: echo default-rollback
    timeout: 1s
projects:
  - {id: api}
  - id: web
    wave: w2
    owner: Web
    deploy: echo own-deploy >> deploys
    verify: null
    timeout: 1m
    targets: {prod: 2026-03-01}
  - {id: slow, deploy: sleep 5, targets: null}
EOF
export TOLLGATE_NOW=2026-02-01T10:00:00Z TOLLGATE_USER=sam

run validate
expect_rc 0
for p in api web slow; do
	run record "$p" dev --version 1
	expect_rc 0
done

CMDS=("report --format json" "promote --to sit --dry-run --json" "status --json")
for i in "${!CMDS[@]}"; do
	# shellcheck disable=SC2086
	TOLLGATE_NO_PLAN_CACHE=1 "$TOLLGATE_BIN" ${CMDS[$i]} 2>&1 | sed '/"run": /d' >"$T/want$i" || true
done

run report --format json
expect_json '[p["owner"] for w in j["waves"] for p in w["projects"]] == ["Platform", "Platform", "Web"]'
expect_json '[w["id"] for w in j["waves"] for p in w["projects"]] == ["w1", "w1", "w2"]'
expect_json '[[c["target"] for c in p["cells"]] for w in j["waves"] for p in w["projects"]] == [[None, "2026-01-10", "2026-02-01"], [None, None, None], [None, "2026-01-10", "2026-03-01"]]'

run promote --to sit --dry-run --json
expect_json '{s["project"]: (s["deploy"], s["verify"]) for s in j["plan"]} == {"api": ("echo default-deploy $TOLLGATE_PROJECT >> deploys", "true"), "web": ("echo own-deploy >> deploys", None), "slow": ("sleep 5", "true")}'

# the cache (written by the runs above) answers as the parsed plan does
for i in "${!CMDS[@]}"; do
	checks=$((checks + 1))
	# shellcheck disable=SC2086
	"$TOLLGATE_BIN" ${CMDS[$i]} 2>&1 | sed '/"run": /d' >"$T/got$i" || true
	cmp -s "$T/want$i" "$T/got$i" || fail "cached plan differs for: ${CMDS[$i]}"
done
checks=$((checks + 1))
[ -s .tollgate/tollgate.yaml.cache ] || fail "no plan cache written"

# the default timeout (1s) stops slow's deploy; web's own 1m does not apply to it
run promote --to sit --project slow
expect_rc 1
expect_out_has "timed out"
run promote --to sit --project api --project web
expect_rc 0
checks=$((checks + 1))
[ "$(sort deploys)" = "$(printf 'default-deploy api\nown-deploy')" ] || fail "deploys: $(cat deploys)"

# a bad default: reported once, where it is written
cat >bad.yaml <<'EOF'
version: 1
plan: {id: D-2}
environments: [{name: dev}, {name: sit}]
waves: [{id: w1}]
defaults:
  projects:
    deploi: echo
    wave: w9
    timeout: soon
  project: {}
projects:
  - {id: a}
  - {id: b}
EOF
run --plan bad.yaml validate
expect_rc 2
expect_err_line "bad.yaml:7:5: error: unknown key 'deploi' in 'projects' of 'defaults'; did you mean 'deploy'?"
expect_err_line "bad.yaml:8:11: error: 'defaults' of projects is in unknown wave 'w9'; did you mean 'w1'?"
expect_err_line "bad.yaml:9:14: error: bad duration 'soon' for 'timeout'; use e.g. 30s, 15m, 24h, 7d"
expect_err_line "bad.yaml:10:3: error: unknown key 'project' in 'defaults'; did you mean 'projects'?"
checks=$((checks + 1))
[ "$(grep -c "unknown wave" "$T/err")" = 1 ] || fail "the bad default wave is reported once"
checks=$((checks + 1))
grep -q "has no 'wave'" "$T/err" && fail "a project without its own wave takes the default's"

done_tests
