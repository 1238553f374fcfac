#!/bin/bash
# disk-full.sh - issue 10 §8: on a full disk the read commands still work
# (they open the store read only: a -shm that cannot grow does not stop them)
# and a write fails saying the disk is full and what to do, not "disk I/O
# error": when it opens the store (SQLite cannot make its -shm) and when it
# commits (the -wal cannot grow). Nothing is lost: once space is freed the
# write works and the log verifies.
#
# The disk is a 2 MiB tmpfs mounted in a mount namespace of this script's own
# (unshare -m as root; as anyone else unshare -rm, a user namespace, where the
# kernel allows one). SQLite only: a PostgreSQL server's disk is not the
# client's to fill (its "disk full", SQLSTATE 53100, is named by the backend).
if [ -z "${TOLLGATE_IN_NS:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		exec env TOLLGATE_IN_NS=1 unshare -m bash "$0" "$@"
	fi
	exec env TOLLGATE_IN_NS=1 unshare -rm bash "$0" "$@"
fi
. "$TOLLGATE_SRC/tests/cli/lib.sh"
export TOLLGATE_NOW=2026-01-10T09:00:00Z
mkdir disk
mount -t tmpfs -o size=2m tollgate-test-full "$T/disk"
trap 'cd /; umount "$T/disk" 2>/dev/null; rm -rf "$T"' EXIT
cd disk

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: FULL, title: Full disk}
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [sdet]}]
waves: [{id: w1}]
projects:
  - {id: api, wave: w1}
YAML
run record api dev --version 1.0 --as sam
expect_rc 0

fill() {
	dd if=/dev/zero of=fill bs=64k >/dev/null 2>&1 || true
	dd if=/dev/zero of=fill2 bs=1k >/dev/null 2>&1 || true
}

reads_work() {
	for c in "status" "why api sit" "next" "log" "log --verify" "report" \
		"promote --to sit --dry-run"; do
		# shellcheck disable=SC2086
		run $c
		checks=$((checks + 1))
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then fail "$1: '$c' exited $rc"; fi
		checks=$((checks + 1))
		if grep -qiE "disk I/O|is full|database or disk" "$T/err"; then
			fail "$1: '$c' said: $(cat "$T/err")"
		fi
	done
}

full_error() {
	expect_rc 1
	expect_err_has "the disk that holds the store is full ('$T/disk/.tollgate', 0 B free); free space on it, then try again"
	checks=$((checks + 1))
	if grep -q "disk I/O error" "$T/err"; then fail "the error is not named: $(cat "$T/err")"; fi
}

# 1. the disk fills while nothing has the store open: SQLite cannot make
# (or grow) the -shm a connection needs
fill
reads_work "full disk"
run status
expect_out_has "healthy 1.0"
run log --verify
expect_out_has "audit log verified: 1 entry"
run record api dev --version 2.0 --as sam
full_error
expect_err_line "tollgate: error: cannot open the store './.tollgate/state.db': the disk that holds the store is full ('$T/disk/.tollgate', 0 B free); free space on it, then try again"
rm -f fill fill2
run record api dev --version 2.0 --as sam
expect_rc 0

# 2. the disk fills while another process holds the store open (its -shm is
# there): the write fails when its commit cannot grow the -wal
/usr/bin/python3 -c 'import sqlite3, time
c = sqlite3.connect(".tollgate/state.db"); c.execute("SELECT count(*) FROM meta").fetchall()
time.sleep(60)' &
holder=$!
for _ in $(seq 50); do [ -e .tollgate/state.db-shm ] && break; sleep 0.1; done
fill
run record api dev --version 3.0 --as sam
full_error
reads_work "full disk, store held open"
run status
expect_out_has "healthy 2.0"
kill "$holder"
wait "$holder" 2>/dev/null || true
rm -f fill fill2
run record api dev --version 3.0 --as sam
expect_rc 0
run log --verify
expect_rc 0
expect_out_has "audit log verified: 3 entries"

done_tests
