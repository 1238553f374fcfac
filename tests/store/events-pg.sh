#!/bin/bash
# events-pg.sh - the event stream and the background soak work
# (tests/unit/test-events.c) on a real PostgreSQL, with the watcher's session
# killed under it; ctest runs the same binary on SQLite as unit/test-events.
set -eu
: "${TOLLGATE_BUILD:?set by ctest}"
: "${TOLLGATE_SRC:?set by ctest}"
bin="$TOLLGATE_BUILD/test-events"
[ -x "$bin" ] || { echo "events-pg: error: $bin is not built" >&2; exit 1; }
TOLLGATE_TEST_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
export TOLLGATE_TEST_DB
exec "$bin"
