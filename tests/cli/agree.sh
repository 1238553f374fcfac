#!/bin/bash
# agree.sh - the front ends agree (SPEC §3: why, next, promote --dry-run,
# promote, status and the report answer from one engine): a version rolled
# back is rejected everywhere until a person allows it again; a project held
# after repeated rollbacks is not ready anywhere until --retry-held; an
# interrupted promotion is ready everywhere (promote retries it); a rolled-
# back promotion shows the version restored and beside it the one that
# failed; an approval stops counting, in why and in the report alike, when
# its person loses the role; status never cuts versions off a terminal; and
# --json errors are JSON on stdout.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

backend_store
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx

# next_has P E: `next --json` lists P → E; next_lacks P E: it does not
next_has() {
	run next --json
	expect_json "any(x['project'] == '$1' and x['env'] == '$2' for x in j['ready'])"
}
next_lacks() {
	run next --json
	expect_json "not any(x['project'] == '$1' and x['env'] == '$2' for x in j['ready'])"
}
# dry_planned P E: `promote --to E --project P --dry-run` would run it;
# dry_refused P E TEXT: it would not, saying TEXT
dry_planned() {
	run promote --to "$2" --project "$1" --dry-run --json
	expect_json "[x['project'] for x in j['plan']] == ['$1']"
}
dry_refused() {
	run promote --to "$2" --project "$1" --dry-run --json
	expect_json "j['plan'] == [] and any(x['project'] == '$1' and '$3' in x['summary'] for x in j['not_ready'])"
}

for p in a b c d e; do run record $p dev --version "1.$p" --as sam; done
run promote --to sit
expect_rc 0

# ---- held after three rollbacks in 24h ------------------------------------
# (each rollback rejects 1.e in prod: a person allows it again each time)
touch .fx/fail-verify-e
for i in 1 2 3; do
	run allow e 1.e --env prod --reason "try $i" --as olga
	expect_rc 0
	run promote --to prod --project e
	expect_rc 1
done
run allow e 1.e --env prod --reason "after the third" --as olga
expect_rc 0
run why e prod
expect_rc 3
expect_out_has "held: e was rolled back 3 times in prod in the last 24h"
expect_out_has "--retry-held"
run why e prod --json
expect_json 'j["ready"] is False and [r["ok"] for r in j["rules"] if r["rule"] == "source"] == [False]'
next_lacks e prod
dry_refused e prod "held: "
dry_refused e prod "rolled back 3 times"
run promote --to prod --project e
expect_rc 3
expect_out_has "held: "
expect_out_has "rolled back 3 times"
# status: nothing is live there, 1.e failed
run status --json
expect_json '[(c["state"], c["live_version"], c["failed_version"]) for c in j["cells"] if (c["project"], c["env"]) == ("e", "prod")] == [("rolled-back", None, "1.e")]'
# the way out: --retry-held, as a person
rm .fx/fail-verify-e
dry_planned_retry() {
	run promote --to prod --project e --dry-run --retry-held --as olga --json
	expect_json "[x['project'] for x in j['plan']] == ['e']"
}
dry_planned_retry
run promote --to prod --project e --retry-held --as olga
expect_rc 0
run why e prod
expect_rc 3
expect_out_has "version '1.e' is already soaking in prod"

# ---- a rolled-back promotion: the restored version is live ---------------
run record a dev --version 2.a --as sam
touch .fx/fail-verify-a
run promote --to sit --project a
expect_rc 1
rm .fx/fail-verify-a
run status --json
expect_json '[(c["state"], c["version"], c["live_version"], c["failed_version"]) for c in j["cells"] if (c["project"], c["env"]) == ("a", "sit")] == [("rolled-back", "2.a", "1.a", "2.a")]'
run status --env sit
expect_out_has "rolled-back 1.a (2.a failed)"
# 2.a is rejected in sit now: everyone agrees it does not go again
run why a sit
expect_rc 3
expect_out_has "version 2.a was rolled back from sit on 2026-02-01T10:00:00Z (verify exited with status 1; rolled back to 1.a): record a new version, or allow it again"
next_lacks a sit
dry_refused a sit "version 2.a was rolled back from sit"
run promote --to sit --project a
expect_rc 3
expect_out_has "version 2.a was rolled back from sit"
run status --json
expect_json '[(r["project"], r["version"], r["env"], r["kind"], r["rejected"]) for r in j["rejections"]] == [("a", "2.a", "sit", "rolled-back", True), ("e", "1.e", "prod", "rolled-back", False)]'
run report --format json
expect_json '[(r["project"], r["version"], r["rejected"]) for r in j["rejections"]] == [("a", "2.a", True), ("e", "1.e", False)]'
# allowed again by a person: it may be tried again, everyone agrees
run allow a 2.a --env sit --reason "the verify probe was wrong" --as olga
expect_rc 0
run why a sit
expect_rc 0
next_has a sit
dry_planned a sit

# ---- an interrupted promotion is ready: promote retries it ---------------
run record e dev --version 2.e --as sam
echo 30 >.fx/sleep-e
: >.fx/timeline # earlier runs started e too: wait for this one's start
"$TOLLGATE_BIN" promote --to sit --project e >"$T/bg.out" 2>&1 &
pid=$!
# wait until the deploy has started (the fixture logs it), then interrupt
for _ in $(seq 1 600); do
	grep -q "^start e " .fx/timeline 2>/dev/null && break
	sleep 0.05
done
# twice: the second stops the running step (the first lets it finish)
while kill -INT $pid 2>/dev/null; do sleep 0.1; done
wait $pid || true
rm -f .fx/sleep-e
run status --json
expect_json '[c["state"] for c in j["cells"] if (c["project"], c["env"]) == ("e", "sit")] == ["interrupted"]'
run why e sit
expect_rc 0
expect_out_has "was interrupted"
next_has e sit
dry_planned e sit
run promote --to sit --project e --json
expect_rc 0
expect_json '[(r["project"], r["outcome"], r["version"]) for r in j["results"]] == [("e", "healthy", "2.e")]'

# ---- status does not cut versions off a terminal -------------------------
long=2.c-0123456789abcdef0123456789abcdef01234567
run record c dev --version "$long" --as sam
run status --env dev
expect_out_has "healthy $long "
# on a terminal: cut to fit a narrow one, whole on a wide one
if script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "stty cols 40; '$TOLLGATE_BIN' status --env dev --no-color" /dev/null >"$T/out" 2>&1 || true
	expect_out_has "healthy 2.c-0123456789"
	expect_out_has "…"
	expect_out_lacks "$long"
	script -qec "stty cols 250; '$TOLLGATE_BIN' status --env dev --no-color" /dev/null >"$T/out" 2>&1 || true
	expect_out_has "healthy $long"
fi

# ---- --json errors are JSON on stdout; the line stays on stderr ----------
run why nope sit --json
expect_rc 2
expect_err_has "unknown project 'nope'"
expect_json 'j["error"]["code"] == "not_found" and "unknown project" in j["error"]["message"]'
run log --verify --json
expect_rc 0
expect_json 'j["verified"] is True'

done_tests
