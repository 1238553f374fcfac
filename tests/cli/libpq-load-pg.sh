#!/bin/bash
# libpq-load-pg.sh - tests/unit/test-pg-load.c against the real PostgreSQL of
# the run: eight threads load libpq at once and each opens real stores (the
# unit test alone, without a server, proves it through a refused connection).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

url=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
set +e
TOLLGATE_TEST_DB="$url" "$TOLLGATE_BUILD/test-pg-load" >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0
expect_out_has "ok test_real_library"
expect_out_has "ok test_library_without_functions"
done_tests
