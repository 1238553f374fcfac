#!/bin/bash
# engine-pg.sh - the engine's unit tests (tests/unit/test-engine.c: promote,
# soak, rollback, incident response, store batches, and runs on threads of
# one process at the same time) on a real PostgreSQL; ctest runs the same
# binary on SQLite as unit/test-engine.
set -eu
: "${TOLLGATE_BUILD:?set by ctest}"
: "${TOLLGATE_SRC:?set by ctest}"
bin="$TOLLGATE_BUILD/test-engine"
[ -x "$bin" ] || { echo "engine-pg: error: $bin is not built" >&2; exit 1; }
TOLLGATE_TEST_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
export TOLLGATE_TEST_DB
exec "$bin"
