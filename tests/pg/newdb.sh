#!/bin/bash
# newdb.sh - print the URL of a fresh, empty database on the test server
# started by pg-start.sh (in $TOLLGATE_PG_DIR), so that tests running at the
# same time never share state. Fails loudly when the server is not there.
set -eu
DIR=${TOLLGATE_PG_DIR:?set by ctest}
if [ ! -s "$DIR/url" ]; then
	echo "newdb: error: no PostgreSQL test server in $DIR (the pg/start fixture did not run or failed)" >&2
	exit 1
fi
base=$(cat "$DIR/url")
name="t_$(date +%s)_$$_${RANDOM}${RANDOM}"
psql "$base" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null
echo "${base%/*}/$name"
