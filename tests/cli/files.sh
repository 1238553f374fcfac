#!/bin/bash
# files.sh - where tollgate expects a file it takes a regular file, bounded:
# a FIFO (or a device) as the plan or as --versions is refused at once,
# never waited on; stdin for --versions - is capped like a file (64 MiB).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

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
done_tests
