#!/bin/bash
# store-mode.sh - the plan's store_mode (issue 10 §10): the mode of the files
# tollgate makes for the store (the SQLite file; its -wal and -shm follow it
# by SQLite's rule), the step and check logs, and of the folders it makes
# (.tollgate, runs, runs/RUN, checks: x where r is), whatever the umask.
# Unwritten, they stay 0600 / 0700 (files.sh); written, an existing store and
# folders of the user's are brought to it. Bad values are refused with where
# and why; a world-readable mode is a warning.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
export TOLLGATE_NOW=2026-01-10T09:00:00Z
export TOLLGATE_USER=sam
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	backend_store
	sqlite=false
else
	sqlite=true
fi

mode() { stat -c %a "$1"; }
# expect_mode MODE FILE...: each FILE there with exactly MODE
expect_mode() {
	local want=$1
	shift
	for f in "$@"; do
		checks=$((checks + 1))
		if [ ! -e "$f" ]; then
			fail "$f is missing"
		elif [ "$(mode "$f")" != "$want" ]; then
			fail "$f is $(mode "$f"), expected $want"
		fi
	done
}

plan() {
	cat >tollgate.yaml <<YAML
version: 1
plan: {id: MODES, title: Modes}
$1
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [sdet]}]
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: "echo deploying \$TOLLGATE_VERSION"}
checklist:
  - {id: ready, text: ready, applies: {env: sit}, check: "echo checked"}
YAML
}

# everything a run makes: store, cache, a check log, a deploy log
make_all() {
	run record api dev --version "$1"
	expect_rc 0
	run checklist run ready
	expect_rc 0
	run promote --to sit
	expect_rc 0
}

# group: 0660 files, 0770 folders, setgid (what a member of the group makes
# there is the group's), under a umask that would take them away
mkdir g && cd g
plan 'store_mode: group'
umask 077
make_all 1.0
expect_mode 2770 .tollgate .tollgate/runs .tollgate/runs/* .tollgate/checks
expect_mode 660 .tollgate/checks/ready.log .tollgate/runs/*/api.sit.deploy.log
if $sqlite; then
	expect_mode 660 .tollgate/state.db
	# a reader keeps the store's -wal and -shm (0660 by SQLite's rule) in
	# place across the change of mode below
	/usr/bin/python3 -c 'import sqlite3, time
c = sqlite3.connect(".tollgate/state.db"); c.execute("SELECT count(*) FROM meta").fetchall()
time.sleep(30)' &
	holder=$!
	for _ in $(seq 50); do [ -e .tollgate/state.db-shm ] && break; sleep 0.1; done
	expect_mode 660 .tollgate/state.db-wal .tollgate/state.db-shm
fi

# written as "0640" (an octal mode, quoted): the store and the folders it made
# before are brought to it by the next command that writes, and new files
# and folders are made so
plan 'store_mode: "0640"'
umask 022
make_all 1.1
# (the setgid bit stays: the folder's group is still the team's)
expect_mode 2750 .tollgate .tollgate/runs .tollgate/checks
expect_mode 640 .tollgate/checks/ready.log
newest=$(ls -td .tollgate/runs/*/ | head -1)
expect_mode 2750 "$newest"
expect_mode 640 "$newest"api.sit.deploy.log
if $sqlite; then
	expect_mode 640 .tollgate/state.db .tollgate/state.db-wal .tollgate/state.db-shm
	kill "$holder"
	wait "$holder" 2>/dev/null || true
fi
cd ..

# unwritten: private, 0600 / 0700, even under umask 000
mkdir p && cd p
plan ''
umask 000
make_all 1.0
expect_mode 700 .tollgate .tollgate/runs .tollgate/runs/* .tollgate/checks
expect_mode 600 .tollgate/checks/ready.log .tollgate/runs/*/api.sit.deploy.log
if $sqlite; then
	expect_mode 600 .tollgate/state.db
	# a team that set the mode of an existing store itself keeps it while
	# the plan says nothing
	chmod 640 .tollgate/state.db
	run record api dev --version 1.1
	expect_rc 0
	expect_mode 640 .tollgate/state.db
fi
umask 022
cd ..

# a store named by a path (sqlite:PATH) takes it too
if $sqlite; then
	mkdir u && cd u
	plan 'store_mode: group'
	umask 077
	run --db sqlite:"$T/u/other.db" record api dev --version 1.0
	expect_rc 0
	expect_mode 660 other.db
	umask 022
	cd ..
fi

# values tollgate refuses, located, with the fix
mkdir bad && cd bad
bad() {
	plan "store_mode: $1"
	run validate
	expect_rc 2
	expect_err_line "tollgate.yaml:3:13: error: $2"
}
bad '"0666"' "store_mode '0666' lets every user of the machine write the store: anyone could change the state; use private, group or 0640"
bad '"0700"' "store_mode '0700' has execute bits: it is the mode of files (the store, logs); folders get x where r is given"
bad '"0440"' "store_mode '0440' does not let its owner read and write: tollgate must read and write the files it makes; use 06x0"
bad grop "unknown store_mode 'grop'; did you mean 'group'?"
bad '"rw-r-----"' "store_mode 'rw-r-----' is not a file mode; use an octal mode such as \"0640\" (quoted), private (0600) or group (0660)"
bad '[0640]' "expected a string for 'store_mode', got a list"
plan 'store_mode: "0644"'
run validate
expect_rc 0
expect_err_line "tollgate.yaml:3:13: warning: store_mode '0644' lets every user of the machine read the store and the step logs, which hold what steps print (secrets too)"
plan 'store_mode: private'
run validate
expect_rc 0
checks=$((checks + 1))
if grep -q store_mode "$T/err"; then fail "private warned"; fi
cd ..

done_tests
