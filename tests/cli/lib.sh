# lib.sh - helpers for the black-box CLI tests. Source it; set -eu is on.
# Each test runs the real binary ($TOLLGATE_BIN) in a fresh temporary folder.
set -eu
: "${TOLLGATE_BIN:?set by ctest}"
: "${TOLLGATE_SRC:?set by ctest}"
FIXTURES="$TOLLGATE_SRC/tests/fixtures"
T=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
unset TOLLGATE_PLAN TOLLGATE_DB TOLLGATE_USER TOLLGATE_NOW NO_COLOR
fails=0
checks=0
# the first line of every text output on a rehearsal store (one created with
# TOLLGATE_NOW set, as most tests' are)
REHEARSAL_MARK="rehearsal: a store made with TOLLGATE_NOW; nothing here is the real release"

# backend_store: export TOLLGATE_DB for the backend the test runs on
# (TOLLGATE_TEST_BACKEND: a fresh database on the test PostgreSQL, or
# sqlite:$T/state.db) and define raw SQL: direct access to the store with
# psql / sqlite3, as an attacker or a DBA would have it
backend_store() {
	if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
		TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
		raw() { psql "$TOLLGATE_DB" -qAt -v ON_ERROR_STOP=1 -c "$1"; }
	else
		TOLLGATE_DB="sqlite:$T/state.db"
		raw() { sqlite3 -bail "$T/state.db" "$1"; }
	fi
	export TOLLGATE_DB
}

# run ARGS...: runs tollgate, keeps stdout in $T/out, stderr in $T/err, status in $rc
run() {
	set +e
	"$TOLLGATE_BIN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

fail() {
	fails=$((fails + 1))
	echo "FAIL: $*" >&2
	echo "  exit: ${rc-}" >&2
	echo "  stdout: $(head -c 2000 "$T/out")" >&2
	echo "  stderr: $(head -c 2000 "$T/err")" >&2
}

# expect_rc N: the last run exited N
expect_rc() {
	checks=$((checks + 1))
	[ "$rc" -eq "$1" ] || fail "expected exit $1"
}

# expect_err_line LINE: stderr holds exactly this line
expect_err_line() {
	checks=$((checks + 1))
	grep -qxF -- "$1" "$T/err" || fail "expected stderr line: $1"
}

# expect_err_has TEXT / expect_out_has TEXT: substring
expect_err_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$T/err" || fail "expected stderr to contain: $1"
}
expect_out_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$T/out" || fail "expected stdout to contain: $1"
}
expect_out_lacks() {
	checks=$((checks + 1))
	if grep -qF -- "$1" "$T/out"; then fail "expected stdout not to contain: $1"; fi
}
expect_err_empty() {
	checks=$((checks + 1))
	[ ! -s "$T/err" ] || fail "expected empty stderr"
}

# expect_json EXPR: python3 expression over `j` (the parsed stdout) is true
expect_json() {
	checks=$((checks + 1))
	python3 - "$T/out" "$1" <<'PY' || fail "json check: $1"
import json, sys
j = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    sys.exit(1)
PY
}

# start_receiver SECRET: the webhook receiver (notify_receiver.py) on a free
# loopback port, appending what it gets to ./log and reading its mode from
# ./control; exports HOOK_URL and HOOK_SECRET, sets RECEIVER (its pid, killed
# at exit)
start_receiver() {
	/usr/bin/python3 "$TOLLGATE_SRC/tests/cli/notify_receiver.py" port log control "$1" &
	RECEIVER=$!
	trap 'kill $RECEIVER 2>/dev/null || true; rm -rf "$T"' EXIT
	for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
	[ -s port ] || { echo "the webhook receiver did not start" >&2; exit 1; }
	export HOOK_URL="http://127.0.0.1:$(cat port)/hook" HOOK_SECRET=$1
	touch log
}

# done_tests: print the tally, exit non-zero on any failure
done_tests() {
	echo "$((checks - fails)) passed, $fails failed"
	[ "$fails" -eq 0 ]
}
