#!/bin/bash
# plan-find.sh - with no --plan and no TOLLGATE_PLAN, tollgate reads
# tollgate.yaml in the current folder or the nearest parent that has one, as
# git finds .git; the store (.tollgate/), the plan cache and the steps'
# folder are the found plan's folder, never the current one. `init` keeps
# the store out of git: a .gitignore with .tollgate/, created, appended to or
# kept.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

mkdir -p repo/svc/api/src other
cat >repo/tollgate.yaml <<'EOF'
version: 1
plan: {id: FIND-1}
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [dev]}]
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: pwd > deployed-from}
EOF
export TOLLGATE_NOW=2026-02-01T10:00:00Z TOLLGATE_USER=sam

cd repo/svc/api/src
run validate
expect_rc 0
expect_out_has "FIND-1: 1 project"
run record api dev --version 1
expect_rc 0
run promote --to sit
expect_rc 0
cd "$T"
checks=$((checks + 1))
[ -d repo/.tollgate ] || fail "no store folder beside the found plan"
checks=$((checks + 1))
[ ! -e repo/svc/api/src/.tollgate ] || fail "a store folder was made in the current folder"
checks=$((checks + 1))
[ -f repo/.tollgate/tollgate.yaml.cache ] || fail "no plan cache beside the found plan"
checks=$((checks + 1))
[ "$(cat repo/deployed-from 2>/dev/null)" = "$T/repo" ] || fail "the step ran in $(cat repo/deployed-from 2>/dev/null), not the plan's folder"
# the default store (no --db) is the found plan's .tollgate/state.db
cd repo/svc/api/src
TOLLGATE_DB= run record api dev --version 2
expect_rc 0
cd "$T"
checks=$((checks + 1))
[ -f repo/.tollgate/state.db ] || fail "the default store is not beside the found plan"
cd repo/svc
run status --json
expect_rc 0
run log --json
expect_json '[e["action"] for e in j["entries"]][:1] == ["record"]'
expect_err_empty
# an error names the found plan as a path from here
cd "$T"
sed 's/^version: 1$/version: 1\ncolour: red/' repo/tollgate.yaml >repo/bad.yaml
cp repo/tollgate.yaml repo/good.yaml
cp repo/bad.yaml repo/tollgate.yaml
cd repo/svc/api
run validate
expect_rc 2
expect_err_line "../../tollgate.yaml:2:1: error: unknown top-level key 'colour'"
cd "$T"
cp repo/good.yaml repo/tollgate.yaml

# a nearer plan wins; --plan and TOLLGATE_PLAN still choose
cat >repo/svc/tollgate.yaml <<'EOF'
version: 1
plan: {id: FIND-2}
environments: [{name: dev}]
people: [{id: sam, roles: [dev]}]
waves: [{id: w1}]
projects: [{id: web, wave: w1}]
EOF
cd repo/svc/api
run validate
expect_out_has "FIND-2: 1 project"
run --plan ../../tollgate.yaml validate
expect_out_has "FIND-1: 1 project"
TOLLGATE_PLAN=../../tollgate.yaml run validate
expect_out_has "FIND-1: 1 project"
# no plan here or above: the error it always gave
cd "$T/other"
run validate
expect_rc 2
expect_err_line "tollgate.yaml: error: no plan file 'tollgate.yaml'; create one with 'tollgate init' or use --plan FILE"
cd "$T"

# init writes a .gitignore for the store
unset TOLLGATE_USER
run init fresh
expect_rc 0
expect_out_has "wrote fresh/.gitignore: git ignores the store (.tollgate/)"
checks=$((checks + 1))
grep -qx '.tollgate/' fresh/.gitignore || fail "fresh/.gitignore: $(cat fresh/.gitignore)"
# an existing .gitignore without the line gets it appended, on a line of its own
mkdir mine
printf 'node_modules/\n*.log' >mine/.gitignore
run init mine
expect_rc 0
expect_out_has "added .tollgate/ to mine/.gitignore: git ignores the store"
checks=$((checks + 1))
[ "$(cat mine/.gitignore)" = "$(printf 'node_modules/\n*.log\n.tollgate/')" ] || fail "mine/.gitignore: $(cat mine/.gitignore)"
# one that has it (in any spelling) is kept as it is
mkdir kept
printf 'a\n/.tollgate\nb\n' >kept/.gitignore
cp kept/.gitignore "$T/kept.before"
run --json init kept
expect_rc 0
expect_json 'j["gitignore"] == {"path": "kept/.gitignore", "change": "kept"}'
checks=$((checks + 1))
cmp -s kept/.gitignore "$T/kept.before" || fail "kept/.gitignore was changed"
# git agrees: the store is ignored
if command -v git >/dev/null; then
	cd fresh
	git init -q .
	run validate
	mkdir -p .tollgate && touch .tollgate/x
	checks=$((checks + 1))
	git check-ignore -q .tollgate/x || fail "git does not ignore .tollgate/"
	cd "$T"
fi

done_tests
