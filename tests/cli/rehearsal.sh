#!/bin/bash
# rehearsal.sh - issue 9 item 6: a store created with TOLLGATE_NOW set is a
# rehearsal store (every output says so: a marker line, "rehearsal": true
# in JSON, a banner in the report); a store created on the real clock
# refuses TOLLGATE_NOW (exit 2); the audit log's times never go backwards.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cp "$FIXTURES/state-small.yaml" "$T/tollgate.yaml"
backend_store

# ---- a store made on the real clock ----------------------------------------
run record api dev --version a-1 --as tom
expect_rc 0
expect_out_lacks "rehearsal"
run status --json
expect_rc 0
expect_json '"rehearsal" not in j'
for cmd in "status" "why api sit" "next" "log" "report" "record api dev --version a-2 --as tom" \
	"soak" "promote --to sit --dry-run"; do
	# shellcheck disable=SC2086
	TOLLGATE_NOW=2027-06-01T00:00:00Z run $cmd
	expect_rc 2
	expect_err_line "tollgate: error: the store '${TOLLGATE_DB}' runs on the real clock: TOLLGATE_NOW is only for a rehearsal store (one created with it set); unset TOLLGATE_NOW, or rehearse on a store of its own (--db sqlite:rehearsal.db)"
done
TOLLGATE_NOW=2027-06-01T00:00:00Z run status --json
expect_rc 2
expect_json 'j["error"]["message"].startswith("the store ")'
# nothing was written by the refused commands
run log --json
expect_json '[e["action"] for e in j["entries"]] == ["record"]'
[ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ] || {
	checks=$((checks + 1))
	[ "$(raw "SELECT value FROM meta WHERE key = 'clock'")" = real ] || fail "the clock is not kept as real"
}

# ---- a rehearsal store -------------------------------------------------------
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	backend_store # a fresh database
else
	export TOLLGATE_DB="sqlite:$T/rehearsal.db"
fi
export TOLLGATE_NOW=2026-01-10T09:00:00Z
# validate looks in a store only when there is one: it makes none (a real one)
run validate
expect_rc 0
run record api dev --version a-1 --as tom
expect_rc 0
expect_out_has "$REHEARSAL_MARK"
for cmd in "status" "why api sit" "next" "log" "log --verify" "promote --to sit --dry-run" \
	"check api-tests --as sam"; do
	# shellcheck disable=SC2086
	run $cmd
	checks=$((checks + 1))
	[ "$(head -n 1 "$T/out")" = "$REHEARSAL_MARK" ] || fail "'$cmd' does not say rehearsal first"
done
for cmd in "status" "why api sit" "next" "log" "log --verify" "promote --to sit --dry-run" \
	"blocker api_infra --progress 50 --as dana" "report"; do
	# shellcheck disable=SC2086
	run $cmd --json
	expect_json 'j["rehearsal"] is True'
done
# what a program reads stays as it is: the head kept as an anchor
run log --head
expect_rc 0
checks=$((checks + 1))
echo "$out" | grep -qxE '[0-9]+ [0-9a-f]{64}' || fail "log --head on a rehearsal store: $out"
run report --format md
expect_rc 0
expect_out_has "REHEARSAL"
expect_out_lacks "$REHEARSAL_MARK"
run report --format html -o "$T/report.html"
expect_rc 0
checks=$((checks + 1))
grep -q "REHEARSAL" "$T/report.html" || fail "the html report does not say rehearsal"
# the store stays a rehearsal store on the real clock too
unset TOLLGATE_NOW
run status
expect_rc 0
expect_out_has "$REHEARSAL_MARK"

# ---- the log's time never goes backwards -------------------------------------
TOLLGATE_NOW=2026-01-12T09:00:00Z run record api dev --version a-2 --as tom
expect_rc 0
TOLLGATE_NOW=2026-01-11T09:00:00Z run record api dev --version a-3 --as tom
expect_rc 0
run log --json
expect_json 'j["entries"][-2]["at"] == "2026-01-12T09:00:00Z" and j["entries"][-1]["at"] == "2026-01-12T09:00:00Z"'
expect_json 'all(a["at"] <= b["at"] for a, b in zip(j["entries"], j["entries"][1:]))'
run log --verify
expect_rc 0
done_tests
