#!/bin/bash
# validate.sh - `tollgate validate` on the fixtures: a good plan gives one
# summary line (and JSON with --json); each bad-*.yaml fixture is rejected
# with exit 2 and the exact located message a user sees; a plan with many
# problems lists them all.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

# bad FIXTURE LINE: the fixture is rejected (exit 2) with LINE on stderr
bad() {
	cp "$FIXTURES/$1" .
	run --plan "$1" validate
	expect_rc 2
	expect_err_line "$2"
	expect_err_has "tollgate: error: $1: "
	[ -s "$T/out" ] && fail "$1: stdout should be empty on a rejected plan"
	return 0
}

bad bad-unknown-key.yaml \
	"bad-unknown-key.yaml:8:5: error: unknown key 'depends' in project 'order_lambda'; did you mean 'depends_on'?"
bad bad-unknown-top-key.yaml \
	"bad-unknown-top-key.yaml:12:1: error: unknown top-level key 'projets'; did you mean 'projects'?"
bad bad-unknown-dependency.yaml \
	"bad-unknown-dependency.yaml:6:51: error: project 'order_lambda' depends on unknown project 'dynamodb_schema'; did you mean 'dynamodb_schemas'?"
bad bad-dependency-cycle.yaml \
	"bad-dependency-cycle.yaml:8:40: error: dependency cycle: a → b → c → a"
expect_err_line "bad-dependency-cycle.yaml:9:40: error: project 'd' depends on itself"
bad bad-wave-cycle.yaml \
	"bad-wave-cycle.yaml:5:32: error: wave order cycle: wave-1 → wave-2 → wave-1"
bad bad-role-held-by-nobody.yaml \
	"bad-role-held-by-nobody.yaml:16:30: error: role 'ops-lead' of gate 'gate-4' is held by nobody in 'people'"
bad bad-approvers-not-distinct.yaml \
	"bad-approvers-not-distinct.yaml:10:54: error: gate 'gate-1' cannot be approved by distinct people: role 'ops-lead' is held only by people needed for its other roles"
bad bad-duplicate-key.yaml \
	"bad-duplicate-key.yaml:5:3: error: duplicate key 'title' (first at line 4)"
bad bad-duplicate-id.yaml \
	"bad-duplicate-id.yaml:12:9: error: duplicate project id 'api'"
bad bad-invalid-id.yaml \
	"bad-invalid-id.yaml:12:9: error: invalid id 'order lambda'; use letters, digits, '_', '.' and '-'"
bad bad-wrong-type.yaml \
	"bad-wrong-type.yaml:3:15: error: expected a list for 'environments', got a string"
bad bad-wrong-type-list.yaml \
	"bad-wrong-type-list.yaml:12:17: error: expected a list of ids for 'depends_on', got a map"
bad bad-date.yaml \
	"bad-date.yaml:2:24: error: bad date '2026-02-30' for 'created'; use YYYY-MM-DD, e.g. 2026-01-10"
bad bad-time.yaml \
	"bad-time.yaml:6:21: error: bad time '2026-02-14 25:00' for 'from'; use RFC 3339, e.g. 2026-02-14T00:00:00Z"
bad bad-duration.yaml \
	"bad-duration.yaml:3:47: error: bad duration '1 day' for 'soak'; use e.g. 30s, 15m, 24h, 7d"
bad bad-freeze-order.yaml \
	"bad-freeze-order.yaml:6:47: error: freeze of environment 'prod' ends before it starts"
bad bad-window-order.yaml \
	"bad-window-order.yaml:5:49: error: window of wave 'wave-1' ends before it starts"
bad bad-progress.yaml \
	"bad-progress.yaml:13:60: error: 'progress' must be between 0 and 100, got 140"
bad bad-trigger-no-threshold.yaml \
	"bad-trigger-no-threshold.yaml:13:55: error: trigger 'error-rate' has a 'measure' but neither 'above' nor 'below'; say when it is breached"
bad bad-trigger-level.yaml \
	"bad-trigger-level.yaml:13:88: error: 'level' must be between 1 and 3, got 4"
bad bad-trigger-every.yaml \
	"bad-trigger-every.yaml:13:88: error: trigger 'error-rate' has 'every: 0s'; say how often the server measures it, e.g. 5m"
expect_err_line "bad-trigger-every.yaml:14:77: error: bad duration 'often' for 'every'; use e.g. 30s, 15m, 24h, 7d"
bad bad-unknown-env.yaml \
	"bad-unknown-env.yaml:13:47: error: gate 'gate-1' names unknown environment 'sti'; did you mean 'sit'?"
bad bad-unknown-wave.yaml \
	"bad-unknown-wave.yaml:6:21: error: project 'api' is in unknown wave 'wave-2'; did you mean 'wave-1'?"
bad bad-missing-wave.yaml \
	"bad-missing-wave.yaml:6:5: error: project 'api' has no 'wave'; every project belongs to one wave"
bad bad-unknown-item.yaml \
	"bad-unknown-item.yaml:4:38: error: wave 'wave-1' names unknown checklist item 'api-test' in 'prerequisites'; did you mean 'api-tests'?"
bad bad-version.yaml \
	"bad-version.yaml:1:10: error: unsupported plan version 2; this tollgate reads version 1"
bad bad-missing-id.yaml \
	"bad-missing-id.yaml:3:3: error: missing required key 'id' in 'plan'"
bad bad-severity.yaml \
	"bad-severity.yaml:13:50: error: unknown severity 'hihg'; did you mean 'high'?"
bad bad-notify-event.yaml \
	"bad-notify-event.yaml:15:48: error: event 'rolback' matches no action; did you mean 'rollback'?"
bad bad-alias.yaml \
	"bad-alias.yaml:12:27: error: alias '*e' expands the plan beyond 100000 values; aliases may expand a plan to 100000 values, or 10 times the 130 it writes"
bad bad-tab-indent.yaml \
	"bad-tab-indent.yaml:3:1: error: tab used for indentation; indent with spaces"
bad bad-yaml-syntax.yaml \
	"bad-yaml-syntax.yaml:13:4: error: invalid YAML: did not find expected '-' indicator (while parsing a block collection at line 10)"
bad bad-empty.yaml \
	"bad-empty.yaml:1:1: error: the plan is empty; write one, or run 'tollgate init' for a starter"
bad bad-not-a-map.yaml \
	"bad-not-a-map.yaml:1:1: error: a plan is a map of keys (version, plan, environments, waves, projects …), got a list"

# every problem of one file, in file order, then the count
bad bad-many-errors.yaml "bad-many-errors.yaml:4:3: error: unknown key 'titel' in 'plan'; did you mean 'title'?"
cat >"$T/want" <<'EOF'
bad-many-errors.yaml:4:3: error: unknown key 'titel' in 'plan'; did you mean 'title'?
bad-many-errors.yaml:7:23: error: bad duration '24x' for 'soak'; use e.g. 30s, 15m, 24h, 7d
bad-many-errors.yaml:9:5: warning: identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'
bad-many-errors.yaml:13:19: error: project 'a' is in unknown wave 'wave-9'; did you mean 'wave-1'?
bad-many-errors.yaml:14:40: error: dependency cycle: a → b → a
bad-many-errors.yaml:16:26: error: role 'qa-lead' of gate 'g1' is held by nobody in 'people'
bad-many-errors.yaml:16:50: error: gate 'g1' names unknown environment 'prod'
bad-many-errors.yaml:18:33: error: 'progress' must be between 0 and 100, got -1
tollgate: error: bad-many-errors.yaml: 7 errors; plan rejected
EOF
checks=$((checks + 1))
diff -u "$T/want" "$T/err" >&2 || fail "bad-many-errors.yaml: not every problem listed, in order"

# --json on a rejected plan: one object on stdout with the errors
run --plan bad-many-errors.yaml validate --json
expect_rc 2
expect_json 'j["valid"] is False and len(j["errors"]) == 7'
expect_json 'j["errors"][3] == {"line": 14, "col": 40, "message": "dependency cycle: a → b → a"}'

# a good plan: one summary line on stdout, nothing on stderr
cp "$FIXTURES/good-minimal.yaml" tollgate.yaml
run validate
expect_rc 0
expect_err_empty
checks=$((checks + 1))
[ "$out" = "MIN-1: 1 project, 1 wave, 2 environments, 0 gates, 0 checklist items — valid (0 warnings)" ] ||
	fail "summary line"
run validate --json
expect_rc 0
expect_json 'j["valid"] is True and j["plan"] == "MIN-1" and j["warnings"] == []'
expect_json 'j["counts"]["projects"] == 1 and j["counts"]["environments"] == 2 and j["counts"]["waves"] == 1'
TOLLGATE_PLAN=tollgate.yaml run validate
expect_rc 0

# warnings: printed located, the plan still valid
cp "$FIXTURES/good-warnings.yaml" .
run --plan good-warnings.yaml validate
expect_rc 0
expect_out_has "WARN-1: 2 projects, 2 waves, 3 environments, 0 gates, 1 checklist item — valid (8 warnings)"
expect_err_line "good-warnings.yaml:5:5: warning: identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'"
expect_err_line "good-warnings.yaml:6:5: warning: person 'ghost' has no role"
expect_err_line "good-warnings.yaml:13:18: warning: project 'api' of wave 'wave-1' depends on 'web' of a later wave 'wave-2'"
expect_err_line "good-warnings.yaml:14:15: warning: project 'api' has a target date for 'dev', the source environment; nothing is promoted there"
expect_err_line "good-warnings.yaml:14:32: warning: target 2026-03-01 of project 'api' in 'sit' is outside the window of wave 'wave-1' (2026-01-10 to 2026-02-21)"
expect_err_line "good-warnings.yaml:14:49: warning: target of project 'api' in 'prod' (2026-02-01) falls before its target in 'sit' (2026-03-01)"
expect_err_line "good-warnings.yaml:17:5: warning: checklist item 'orphan' is named nowhere (no 'applies', and no wave, gate or environment lists it)"
run --plan good-warnings.yaml validate --json
expect_rc 0
expect_json 'len(j["warnings"]) == 8 and j["warnings"][1] == {"line": 6, "col": 5, "message": "person '"'"'ghost'"'"' has no role"}'

# no plan at all
run --plan missing.yaml validate
expect_rc 2
expect_err_has "no plan file 'missing.yaml'; create one with 'tollgate init' or use --plan FILE"

# the seed example validates
if [ -f "$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml" ]; then
	run --plan "$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml" validate
	expect_rc 0
	expect_out_has "— valid ("
fi

done_tests
