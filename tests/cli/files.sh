#!/bin/bash
# files.sh - where tollgate expects a file it takes a regular file, bounded:
# a FIFO (or a device) as the plan or as --versions is refused at once,
# never waited on; stdin for --versions - is capped like a file (64 MiB).
# What tollgate writes is private and where it says: under umask 022 the
# store, its folder, the runs and checks folders and every step log are
# 0600 / 0700, and a symlink planted as .tollgate/runs (or as .tollgate) is
# refused instead of written through.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=sam

cp "$FIXTURES/state-small.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-01-10T09:00:00Z

# trun ARGS...: run with a time limit, so that a wait is a failure, not a hang
trun() {
	set +e
	timeout 20 "$TOLLGATE_BIN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

mkfifo plan.fifo versions.fifo
trun --plan plan.fifo status
expect_rc 2
expect_err_has "'plan.fifo' is not a regular file (a FIFO, a device or a socket); a plan is a file"
trun --plan /dev/zero validate
expect_rc 2
expect_err_has "'/dev/zero' is not a regular file"

trun record --env dev --versions versions.fifo --as sam
expect_rc 2
expect_err_line "tollgate: error: cannot read versions file 'versions.fifo': not a regular file (a FIFO, a device or a socket)"

# 70 MB on stdin: refused past 64 MiB, nothing recorded
set +e
head -c 70000000 /dev/zero | tr '\0' 'a' | timeout 60 "$TOLLGATE_BIN" record --env dev --versions - --as sam >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 2
expect_err_line "tollgate: error: cannot read versions file '<stdin>': larger than 64 MiB"
run log --json
expect_json 'j["entries"] == []'

# a small stdin still works
printf 'api 1.0\n' >v.txt
run record --env dev --versions - --as sam <v.txt
expect_rc 0

# private files, never through a symlink
mkdir p && cd p
umask 022
cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: FILES, title: Files}
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [sdet]}]
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: "echo deploying $TOLLGATE_VERSION"}
checklist:
  - {id: ready, text: ready, applies: {env: sit}, check: "echo checked"}
YAML
run record api dev --version 1.0 --as sam
expect_rc 0
run checklist run ready --as sam
expect_rc 0
run promote --to sit
expect_rc 0
mode() { stat -c %a "$1"; }
checks=$((checks + 1))
[ "$(mode .tollgate)" = 700 ] && [ "$(mode .tollgate/state.db)" = 600 ] ||
	fail ".tollgate is $(mode .tollgate), state.db $(mode .tollgate/state.db)"
checks=$((checks + 1))
[ "$(mode .tollgate/runs)" = 700 ] && [ "$(mode .tollgate/checks)" = 700 ] ||
	fail "runs is $(mode .tollgate/runs), checks $(mode .tollgate/checks)"
for f in .tollgate/runs/*/* .tollgate/checks/* .tollgate/state.db-wal; do
	[ -e "$f" ] || continue
	checks=$((checks + 1))
	[ "$(mode "$f")" = 600 ] || fail "$f is $(mode "$f")"
done
checks=$((checks + 1))
ls .tollgate/runs/*/api.sit.deploy.log >/dev/null 2>&1 || fail "no deploy log was written"
# a planted symlink: the logs would land in elsewhere/
mkdir ../elsewhere
rm -rf .tollgate/runs
ln -s ../../elsewhere .tollgate/runs
run record api dev --version 1.1 --as sam
run promote --to sit
expect_rc 0
checks=$((checks + 1))
cat "$T/out" "$T/err" | grep -q "step logs are not kept: .*a symlink is in the way" ||
	fail "promote did not say that the logs are not kept"
checks=$((checks + 1))
[ -z "$(ls -A ../elsewhere)" ] || fail "tollgate wrote through the symlinked runs folder: $(ls -R ../elsewhere)"
cd ..
mkdir q && cd q
cp ../p/tollgate.yaml .
ln -s ../elsewhere .tollgate
run status
expect_rc 1
expect_err_has "it is a symlink; tollgate writes only to a real folder"
checks=$((checks + 1))
[ -z "$(ls -A ../elsewhere)" ] || fail "tollgate wrote through the symlinked .tollgate"
done_tests
