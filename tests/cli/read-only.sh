#!/bin/bash
# read-only.sh - issue 10 §8: read commands (status, why, next, log,
# log --verify, log --head, report, promote --dry-run, validate) open the store
# read only and work for a user who may only read it; writes by that user
# fail naming whose file it is and what to do, not "attempt to write a
# readonly database".
#
# SQLite: the store, its folder and the plan's folder lose their write bits,
# and the reads run as another user: as root (which ignores modes) the
# throw-away uid nobody through setpriv; as anyone else, the user itself. Both
# ways SQLite opens a WAL store read only (sqlite.org/wal.html#readonly) are
# run: with no -wal/-shm and a folder the reader may not write (the file read
# immutable), and with a -wal holding commits and its -shm left read-only by
# another user's process that died (the -shm read only). Then the owner fixes
# the store's own mode: the leftover -wal/-shm (another user's) must not keep
# writes failing, and the commits in that -wal are kept.
# PostgreSQL: a role with only SELECT runs the reads (a session with
# default_transaction_read_only); its writes fail naming the role; a store
# that is out of date is an error naming the role that may upgrade it.
# The full disk is in disk-full.sh.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
export TOLLGATE_NOW=2026-01-10T09:00:00Z

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: RO, title: Read only}
# the reader is another user: it must be able to read the store at all
store_mode: "0644"
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [sdet]}]
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: "echo deploying"}
  - {id: web, wave: w1}
YAML
# the same plan with web renamed web2: its 'moved' needs a write
sed -e 's/{id: web, wave: w1}/{id: web2, wave: w1}/' -e 's/^waves:/moved: [{project: web, to: web2}]\nwaves:/' \
	tollgate.yaml >moved.yaml
chmod 755 "$T"
chmod 644 tollgate.yaml moved.yaml

# every read command, as the reader: none may fail for want of writing
reads_work() {
	local what=$1
	shift
	for c in "status" "status --json" "why api sit" "next" "log" "log --verify" \
		"log --head" "report" "promote --to sit --dry-run" "validate"; do
		# shellcheck disable=SC2086
		run_as "$@" $c
		checks=$((checks + 1))
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
			fail "$what: '$c' exited $rc"
		fi
		checks=$((checks + 1))
		if grep -qiE "readonly database|read-only database|disk I/O|unable to open|BUG" "$T/err"; then
			fail "$what: '$c' said: $(cat "$T/err")"
		fi
	done
}

# run_as ARGS...: run tollgate as the reader (see above)
if [ "$(id -u)" -eq 0 ]; then
	reader=nobody
	run_as() {
		set +e
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$TOLLGATE_BIN" "$@" >"$T/out" 2>"$T/err"
		rc=$?
		set -e
	}
else
	reader=$(id -un)
	run_as() { run "$@"; }
fi

if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = sqlite ]; then
	run record api dev --version 1.0 --as sam
	expect_rc 0
	run record web dev --version 2.0 --as sam
	expect_rc 0
	checks=$((checks + 1))
	[ ! -e .tollgate/state.db-wal ] || fail "the owner's last close left a -wal"

	# 1. no -wal/-shm, and no folder the reader may write: read immutable
	chmod a-w .tollgate/state.db .tollgate "$T"
	reads_work "read-only store and folder"
	run_as status
	expect_out_has "healthy 1.0"
	run_as log --verify
	expect_out_has "audit log verified: 2 entries"
	checks=$((checks + 1))
	if ls .tollgate/state.db-* >/dev/null 2>&1; then fail "a reader made $(ls .tollgate)"; fi
	# a plan's 'moved' that a reader may not carry over: shown as it is
	run_as --plan moved.yaml status
	expect_rc 0
	expect_err_line "tollgate: warning: the plan's 'moved' is not carried over: you may only read the store; any tollgate command run by someone who may write the store carries it over"
	expect_err_line "tollgate: warning: the store holds state for project 'web', which the plan moves to 'web2'; shown as it is, under 'web'"
	# a write says whose file it is and what to do
	run_as record api dev --version 1.1 --as sam
	expect_rc 1
	expect_err_has "tollgate: error: cannot open the store './.tollgate/state.db': you (user $reader) may not write './.tollgate/state.db' (it belongs to $(id -un), mode 0444); ask its owner to let you write it, or use a command that only reads (status, why, next, log, report, promote --dry-run)"

	# 2. a -wal with a commit and its -shm, left by a process of the owner's
	# that died while it held the store open (so its close could not fold
	# the -wal back): read through the -shm, read only
	chmod u+w .tollgate/state.db .tollgate "$T"
	/usr/bin/python3 -c 'import sqlite3, time
c = sqlite3.connect(".tollgate/state.db"); c.execute("SELECT count(*) FROM meta").fetchall()
time.sleep(60)' &
	holder=$!
	for _ in $(seq 50); do [ -e .tollgate/state.db-shm ] && break; sleep 0.1; done
	run record api dev --version 1.2 --as sam
	expect_rc 0
	kill -9 "$holder"
	wait "$holder" 2>/dev/null || true
	checks=$((checks + 1))
	[ "$(stat -c %s .tollgate/state.db-wal)" -gt 32 ] || fail "no commit was left in the -wal"
	chmod a-w .tollgate/state.db .tollgate/state.db-wal .tollgate/state.db-shm .tollgate "$T"
	reads_work "a leftover -wal and -shm"
	run_as status
	expect_out_has "healthy 1.2"
	run_as log --verify
	expect_out_has "audit log verified: 3 entries"

	# 3. the owner lets the reader write the store and its folder, but the
	# -wal and -shm are still the owner's and read-only: the reader's writes
	# work, and the commit in that -wal is kept
	chmod a+w .tollgate/state.db .tollgate
	run_as record web dev --version 2.1 --as sam
	expect_rc 0
	expect_err_empty
	run_as status --json
	expect_json '{(c["project"], c["env"]): c["version"] for c in j["cells"]}[("api", "dev")] == "1.2"'
	expect_json '{(c["project"], c["env"]): c["version"] for c in j["cells"]}[("web", "dev")] == "2.1"'
	run_as log --verify
	expect_rc 0
	expect_out_has "audit log verified: 4 entries"

	# 4. a reader who may not read the store at all is told so
	chmod 600 .tollgate/state.db
	if [ "$reader" = nobody ]; then
		run_as status
		expect_rc 1
		expect_err_line "tollgate: error: cannot open the store './.tollgate/state.db': you (user nobody) may not read './.tollgate/state.db' (it belongs to $(id -un), mode 0600); ask its owner for read access (a plan's store_mode: group lets the owner's group read and write it)"
	fi
	chmod 644 .tollgate/state.db

	# 5. a store older than this tollgate, read by someone who may not
	# upgrade it: who may, and nothing tried
	chmod u+w "$T"
	sqlite3 .tollgate/state.db "UPDATE meta SET value = '4' WHERE key = 'schema_version'"
	chmod a-w .tollgate/state.db .tollgate "$T"
	run_as status
	expect_rc 1
	expect_err_line "tollgate: error: the store './.tollgate/state.db' has schema version 4 and this tollgate reads version 9: it must be upgraded first, which cannot be done here (you may only read it); any tollgate command run by someone who may write it (its owner is user $(id -un)) upgrades it"
	chmod u+w .tollgate/state.db .tollgate "$T"
	sqlite3 .tollgate/state.db "UPDATE meta SET value = '9' WHERE key = 'schema_version'"

	# 6. no store yet, in a folder the reader may not write
	mkdir fresh && cp tollgate.yaml fresh/ && chmod 555 fresh
	run_as --plan fresh/tollgate.yaml status
	expect_rc 1
	expect_err_line "tollgate: error: the store 'fresh/.tollgate/state.db' does not exist yet, and it cannot be created here (you may not write there); any tollgate command run by someone who may write its folder creates it"
	chmod 755 fresh

	# 7. the plan's 'moved', read by its owner, who may write: carried over
	# by a writer of its own, then read
	run --plan moved.yaml status --json
	expect_rc 0
	expect_err_line "tollgate: the state of project 'web' now belongs to 'web2' (the plan's 'moved'; see 'tollgate log')"
	expect_json '{(c["project"], c["env"]): c["version"] for c in j["cells"]}[("web2", "dev")] == "2.1"'
else
	backend_store
	db=${TOLLGATE_DB##*/}
	role="ro_$db"
	ro_url="${TOLLGATE_DB%/*}/$db"
	ro_url="${ro_url/\/\/tollgate@/\/\/$role@}"
	raw "CREATE ROLE $role LOGIN" >/dev/null
	# no tables yet: the role may not make them
	run --db "$ro_url" status
	expect_rc 1
	expect_err_line "tollgate: error: the store '$ro_url' does not exist yet, and it cannot be created here (you may not write there); any tollgate command run by someone who may write the database creates it"
	run record api dev --version 1.0 --as sam
	expect_rc 0
	run record web dev --version 2.0 --as sam
	expect_rc 0
	raw "GRANT USAGE ON SCHEMA public TO $role; GRANT SELECT ON ALL TABLES IN SCHEMA public TO $role" >/dev/null
	run_as() { run --db "$ro_url" "$@"; }
	reads_work "a role with SELECT only"
	run_as status
	expect_out_has "healthy 1.0"
	run_as log --verify
	expect_out_has "audit log verified: 2 entries"
	run_as record api dev --version 1.1 --as sam
	expect_rc 1
	expect_err_line "tollgate: error: permission denied for table promotion: the database role '$role' may only read the store; use a role that may write it, or a command that only reads (status, why, next, log, report, promote --dry-run)"
	raw "UPDATE meta SET value = '4' WHERE key = 'schema_version'"
	run_as status
	expect_rc 1
	expect_err_line "tollgate: error: the store '$ro_url' has schema version 4 and this tollgate reads version 9: it must be upgraded first, which cannot be done here (you may only read it); any tollgate command run by someone who may write it (the owner of its tables is role tollgate) upgrades it"
	raw "UPDATE meta SET value = '9' WHERE key = 'schema_version'"
	raw "DROP OWNED BY $role; DROP ROLE $role" >/dev/null
fi

done_tests
