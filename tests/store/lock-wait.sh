#!/bin/bash
# lock-wait.sh - waiting for another writer is bounded and said: a write
# that finds the store's write lock held prints one line once the wait passes
# a second ("waiting for the store: locked by …", naming the holder), goes on
# when the holder lets go, and fails after TOLLGATE_STORE_WAIT with an error
# naming the holder and what to do (exit 1, nothing written). On PostgreSQL a
# DBA's table lock ends in a clear error too instead of blocking forever.
# The holder is a real sqlite3 / psql session driven through a FIFO, and
# every step waits for an event, never for a length of time.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cp "$FIXTURES/state-small.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-01-10T09:00:00Z
be=${TOLLGATE_TEST_BACKEND:-sqlite}
if [ "$be" = pg ]; then
	TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
else
	TOLLGATE_DB="sqlite:$T/state.db"
fi
export TOLLGATE_DB
run status
expect_rc 0

# hold SQL: a client session reading statements from a FIFO; its output
# goes to $T/holder.out. release: end it.
hold() {
	rm -f "$T/ctl" "$T/holder.out"
	mkfifo "$T/ctl"
	if [ "$be" = pg ]; then
		psql "$TOLLGATE_DB" -qAt <"$T/ctl" >"$T/holder.out" 2>&1 &
	else
		sqlite3 "$T/state.db" <"$T/ctl" >"$T/holder.out" 2>&1 &
	fi
	holder=$!
	exec 3>"$T/ctl"
	printf '%s\nSELECT '"'"'locked'"'"';\n' "$1" >&3
	for _ in $(seq 1 600); do
		grep -q '^locked$' "$T/holder.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "the holder never took its lock: $(cat "$T/holder.out")" >&2
	exit 1
}
release() {
	printf 'COMMIT;\n' >&3
	exec 3>&-
	wait "$holder" 2>/dev/null || true
}
if [ "$be" = pg ]; then
	writelock='BEGIN; SELECT pg_advisory_xact_lock(7308604939123195904);'
	holder_name=psql
else
	writelock='BEGIN IMMEDIATE;'
	holder_name=sqlite3
fi

# 1. the lock stays held: the wait is bounded, said once, and named
hold "$writelock"
TOLLGATE_STORE_WAIT=2s run record api dev --version 1.0 --as sam
expect_rc 1
expect_err_has "tollgate: waiting for the store: locked by "
expect_err_has "$holder_name"
checks=$((checks + 1))
[ "$(grep -c 'waiting for the store' "$T/err")" -eq 1 ] || fail "the wait was reported more than once"
expect_err_has "and stayed "
expect_err_has "for 2s; wait for it to finish, or wait longer with TOLLGATE_STORE_WAIT"

# 2. the holder lets go while we wait: the write goes through
TOLLGATE_STORE_WAIT=5m "$TOLLGATE_BIN" record api dev --version 1.1 --as sam >"$T/bg.out" 2>"$T/bg.err" &
bg=$!
for _ in $(seq 1 600); do
	grep -q "waiting for the store" "$T/bg.err" && break
	sleep 0.05
done
checks=$((checks + 1))
grep -q "waiting for the store" "$T/bg.err" || fail "no waiting line: $(cat "$T/bg.err")"
release
set +e
wait "$bg"
rc=$?
set -e
expect_rc 0
run status --json
expect_json '[c for c in j["cells"] if c["project"] == "api" and c["env"] == "dev"][0]["version"] == "1.1"'
run log --json
expect_json '[(e["action"], e["subject"]) for e in j["entries"]] == [("record", "api@dev")]'

# 3. a bad TOLLGATE_STORE_WAIT is a usage error
TOLLGATE_STORE_WAIT=soon run status
expect_rc 2
expect_err_line "tollgate: error: TOLLGATE_STORE_WAIT='soon' is not a duration such as 30s or 5m"

# 4. PostgreSQL: a table lock taken by someone's session ends in an error,
# not a wait without end
if [ "$be" = pg ]; then
	hold 'BEGIN; LOCK TABLE promotion IN ACCESS EXCLUSIVE MODE;'
	TOLLGATE_STORE_WAIT=2s run record api dev --version 1.2 --as sam
	expect_rc 1
	expect_err_has "held by another session for more than 2s"
	release
	run log --verify
	expect_rc 0
fi
done_tests
