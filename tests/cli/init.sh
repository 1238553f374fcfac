#!/bin/bash
# init.sh - `tollgate init [DIR]` writes a commented starter plan that
# validates as it stands, and never overwrites an existing one.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

run init
expect_rc 0
expect_out_has "wrote ./tollgate.yaml; edit it, then run 'tollgate validate'"
expect_out_has "identity: os: you act as 'dana', whose login is your OS user '$(id -un)'; give each person their own"
checks=$((checks + 1))
[ -f tollgate.yaml ] || fail "no tollgate.yaml written"
checks=$((checks + 1))
grep -q '^# ' tollgate.yaml || fail "the starter plan has no comments"

# the starter validates, with no warning
run validate
expect_rc 0
expect_err_empty
expect_out_has "PROM-2026-Q1-001: 2 projects, 2 waves, 3 environments, 1 gate, 5 checklist items — valid (0 warnings)"
checks=$((checks + 1))
grep -q "^    expires: 7d " tollgate.yaml || fail "the starter plan has no gate with expires"

# identity: os, and the one running init is dana: she may act, nobody else
run record api dev --version 1.0
expect_rc 0
run record api sit --version 1.0
expect_rc 0
run log --json
expect_json '[e["actor"] for e in j["entries"]] == ["dana", "dana"]'
run approve prod-review --as tom
expect_rc 2
expect_err_line "tollgate: error: --as tom: you are 'dana' (OS user '$(id -un)'); with identity: os you act only as yourself"
rm -rf .tollgate

# never overwritten
echo "# mine" >>tollgate.yaml
cp tollgate.yaml before.yaml
run init
expect_rc 2
expect_err_line "tollgate: error: './tollgate.yaml' already exists; not overwriting it (remove it first, or init another folder)"
checks=$((checks + 1))
cmp -s tollgate.yaml before.yaml || fail "existing plan was changed"

# into a folder, created when missing
run init new/
expect_rc 0
expect_out_has "wrote new/tollgate.yaml"
run --plan new/tollgate.yaml validate
expect_rc 0
run init new
expect_rc 2
expect_err_has "'new/tollgate.yaml' already exists"

# not a folder
run init before.yaml
expect_rc 2
expect_err_line "tollgate: error: 'before.yaml' is not a folder; give the folder to write tollgate.yaml into"

# --json
run init --json j
expect_rc 0
expect_json 'j == {"written": True, "path": "j/tollgate.yaml", "gitignore": {"path": "j/.gitignore", "change": "created"}}'

# help and usage
run init --help
expect_rc 0
expect_out_has "usage: tollgate init [DIR]"
run init a b
expect_rc 2
expect_err_has "usage: tollgate init [DIR]"

done_tests
