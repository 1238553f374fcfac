#!/bin/bash
# session-lost-tick-pg.sh - the PostgreSQL session of a promote is lost at
# the exact moments where a lost session is hardest to get right, each made
# happen on purpose (session-lost-pg.sh cuts at whatever moment a step's
# psql happens to meet):
#
#  1. in the middle of a tick's transaction (the server ends the session as
#     a step's row is inserted): nothing of it was written, so the run
#     connects again and writes the whole tick again;
#  2. at the COMMIT of a tick, which never lands (a deferred trigger ends
#     the session while committing): a new session finds the tick's last
#     entry absent from the log and writes it again;
#  3. at the COMMIT of a tick that DID land, its answer lost on the way (a
#     proxy closes the connection as the COMMIT reaches the server, and the
#     server takes a second to commit it): a new session waits for the
#     write lock, so for the old transaction to end, then finds the entry in
#     the log, and it is not written twice;
#  4. a single change (record) lost at a COMMIT that landed: it succeeded;
#  5. a single change lost at a COMMIT that did not land: it failed, and
#     says nothing of it was written; the log has no entry of it.
#
# Each time: the run finishes (every project healthy), the log verifies,
# and each transition is in it exactly once.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

export TOLLGATE_NOW=2026-02-01T10:00:00Z
export TOLLGATE_USER=olga
cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: CUT, title: Session lost at a chosen moment}
environments:
  - {name: dev}
  - {name: sit}
people: [{id: olga, roles: [ops]}]
waves:
  - {id: w1}
projects:
  - {id: a, wave: w1, deploy: "echo deploying a"}
  - {id: b, wave: w1, deploy: "echo deploying b", depends_on: [a]}
  - {id: c, wave: w1, deploy: "echo deploying c", depends_on: [b]}
EOF

# fresh DB: a store with the three projects recorded in dev
fresh() {
	TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
	export TOLLGATE_DB
	DB=$TOLLGATE_DB
	for p in a b c; do
		run record $p dev --version "1.$p"
		expect_rc 0
	done
}
sql() { psql "$DB" -qAt -v ON_ERROR_STOP=1 -c "$1"; }
# cut_once(): ends its own session the first time it runs (a sequence is
# not rolled back with the transaction the cut aborts)
cut_fn() {
	sql "CREATE SEQUENCE cut_seq;
	     CREATE FUNCTION cut_once() RETURNS trigger LANGUAGE plpgsql AS \$\$
	     BEGIN
	       IF nextval('cut_seq') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
	       RETURN NEW;
	     END \$\$;"
}
# how many entries of the log have this action and subject
entries() { sql "SELECT count(*) FROM audit WHERE action = '$1' AND subject = '$2'"; }
cuts() { sql "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM cut_seq"; }
finished() {
	expect_rc 0
	expect_out_has "3 healthy, 0 soaking, 0 rolled back, 0 failed, 0 skipped"
	checks=$((checks + 1))
	for p in a b c; do
		[ "$(entries promotion.healthy "$p@sit")" = 1 ] ||
			fail "$1: promotion.healthy $p@sit is in the log $(entries promotion.healthy "$p@sit") times"
		[ "$(entries promotion.deploying "$p@sit")" = 1 ] ||
			fail "$1: promotion.deploying $p@sit is in the log $(entries promotion.deploying "$p@sit") times"
	done
	checks=$((checks + 1))
	[ "$(sql "SELECT count(*) FROM step_run WHERE env = 'sit' AND exit_status = 0")" = 3 ] ||
		fail "$1: expected 3 step rows in sit, got: $(sql "SELECT project, step, exit_status FROM step_run WHERE env = 'sit'")"
	cp "$T/out" "$T/promote.out"
	run log --verify
	expect_rc 0
	cp "$T/promote.out" "$T/out" # what promote said, for the checks that follow
}

# 1. mid-tick: the server ends the session as the first step row is
# inserted, inside the tick's transaction
fresh
cut_fn
sql "CREATE TRIGGER cut_step BEFORE INSERT ON step_run FOR EACH ROW EXECUTE FUNCTION cut_once()"
run promote --to sit
finished "mid-tick"
expect_out_has "the store's session was lost"
expect_out_has "connected again and wrote what had not been written"
checks=$((checks + 1))
[ "$(cuts)" -ge 2 ] || fail "mid-tick: the cut did not happen, or the row was not written again (cut_seq $(cuts))"

# 2. at a COMMIT that does not land: a deferred trigger on b's healthy
# entry ends the session while the tick commits
fresh
cut_fn
sql "CREATE CONSTRAINT TRIGGER cut_commit AFTER INSERT ON audit DEFERRABLE INITIALLY DEFERRED
     FOR EACH ROW WHEN (NEW.action = 'promotion.healthy' AND NEW.subject = 'b@sit')
     EXECUTE FUNCTION cut_once()"
run promote --to sit
finished "commit lost"
expect_out_has "the store's session was lost"
checks=$((checks + 1))
[ "$(cuts)" -ge 2 ] || fail "commit lost: the cut did not happen, or the tick was not written again (cut_seq $(cuts))"

# 3. at a COMMIT that landed, its answer lost: a proxy between tollgate and
# the server closes both connections once the COMMIT of the transaction
# holding b's healthy entry has reached the server; a deferred trigger makes
# that COMMIT take a second, so tollgate, connected again, asks while the
# old transaction still runs (and holds the write lock)
fresh
sql "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN PERFORM pg_sleep(1); RETURN NEW; END \$\$;
     CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON audit DEFERRABLE INITIALLY DEFERRED
     FOR EACH ROW WHEN (NEW.action = 'promotion.healthy' AND NEW.subject = 'b@sit')
     EXECUTE FUNCTION slow_commit()"
base=$(cat "$TOLLGATE_PG_DIR/url")
pgport=${base##*:}
pgport=${pgport%%/*}
/usr/bin/python3 "$TOLLGATE_SRC/tests/pg/cut-proxy.py" "$pgport" "$T/proxy.port" "$T/proxy.fired" \
	"b@sit" "promotion.healthy" &
proxy=$!
trap 'kill $proxy 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
[ -s "$T/proxy.port" ] || { echo "the proxy did not start" >&2; exit 1; }
via_proxy="postgres://tollgate@127.0.0.1:$(cat "$T/proxy.port")/${DB##*/}?sslmode=disable&gssencmode=disable"
TOLLGATE_DB=$via_proxy run promote --to sit
finished "commit landed"
expect_out_lacks "wrote what had not been written"
checks=$((checks + 1))
[ -s "$T/proxy.fired" ] || fail "commit landed: the proxy never cut the session"
kill $proxy 2>/dev/null || true
wait $proxy 2>/dev/null || true

# 4. a single change whose COMMIT landed, its answer lost: it succeeded
/usr/bin/python3 "$TOLLGATE_SRC/tests/pg/cut-proxy.py" "$pgport" "$T/proxy2.port" "$T/proxy2.fired" \
	"d@dev" &
proxy=$!
for _ in $(seq 100); do [ -s "$T/proxy2.port" ] && break; sleep 0.05; done
via_proxy="postgres://tollgate@127.0.0.1:$(cat "$T/proxy2.port")/${DB##*/}?sslmode=disable&gssencmode=disable"
cat >>tollgate.yaml <<'EOF'
  - {id: d, wave: w1, deploy: "echo deploying d"}
EOF
TOLLGATE_DB=$via_proxy run record d dev --version 1.d
expect_rc 0
checks=$((checks + 1))
[ -s "$T/proxy2.fired" ] || fail "single change landed: the proxy never cut the session"
recorded=$(sql "SELECT count(*) FROM audit WHERE subject LIKE 'd@dev%'")
checks=$((checks + 1))
[ "$recorded" = 1 ] || fail "single change landed: d@dev is in the log $recorded times"
kill $proxy 2>/dev/null || true
wait $proxy 2>/dev/null || true

# 5. a single change whose COMMIT does not land: it fails, saying so, and
# the log has no entry of it; the same command again succeeds
sql "DROP TRIGGER IF EXISTS cut_commit ON audit; DROP SEQUENCE cut_seq CASCADE" >/dev/null 2>&1 || true
sql "DROP FUNCTION IF EXISTS cut_once()" >/dev/null 2>&1 || true
cut_fn
sql "CREATE CONSTRAINT TRIGGER cut_commit AFTER INSERT ON audit DEFERRABLE INITIALLY DEFERRED
     FOR EACH ROW WHEN (NEW.subject LIKE 'd@sit%') EXECUTE FUNCTION cut_once()"
run record d sit --version 1.d
expect_rc 1
expect_err_has "lost at COMMIT"
expect_err_has "nothing of this change was written"
checks=$((checks + 1))
[ "$(sql "SELECT count(*) FROM audit WHERE subject LIKE 'd@sit%'")" = 0 ] ||
	fail "single change not landed: d@sit is in the log"
run record d sit --version 1.d
expect_rc 0
checks=$((checks + 1))
[ "$(sql "SELECT count(*) FROM audit WHERE subject LIKE 'd@sit%'")" = 1 ] ||
	fail "single change not landed, then again: d@sit is not in the log once"
run log --verify
expect_rc 0
done_tests
