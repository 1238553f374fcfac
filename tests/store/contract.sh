#!/bin/bash
# contract.sh - the store's contract suite (tests/unit/test-store.c) on one
# backend, picked by TOLLGATE_TEST_BACKEND (ctest runs it once per backend).
# backends: sqlite pg
set -eu
: "${TOLLGATE_BUILD:?set by ctest}"
: "${TOLLGATE_SRC:?set by ctest}"
bin="$TOLLGATE_BUILD/test-store"
[ -x "$bin" ] || { echo "contract: error: $bin is not built" >&2; exit 1; }
case "${TOLLGATE_TEST_BACKEND:-sqlite}" in
sqlite)
	unset TOLLGATE_TEST_DB
	;;
pg)
	TOLLGATE_TEST_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
	export TOLLGATE_TEST_DB
	;;
*)
	echo "contract: error: unknown backend '$TOLLGATE_TEST_BACKEND'" >&2
	exit 1
	;;
esac
exec "$bin"
