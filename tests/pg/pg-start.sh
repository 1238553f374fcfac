#!/bin/bash
# pg-start.sh DIR - start a throw-away PostgreSQL server for the tests.
#
# initdb + pg_ctl start on DIR/data, listening on 127.0.0.1 at a free port with
# its unix socket inside DIR, as an unprivileged user when run as root
# (PostgreSQL refuses to run as root). Creates the database `tollgate` and
# writes its URL to DIR/url (postgres://tollgate@127.0.0.1:PORT/tollgate).
# Any earlier server in DIR is stopped first. Fails loudly: tests that need
# the server must not be skipped because it is missing.
set -eu
DIR=${1:?usage: pg-start.sh DIR}
HERE=$(cd "$(dirname "$0")" && pwd)

bindir=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
	bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
else
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && bindir=$d
	done
fi
if [ -z "$bindir" ]; then
	echo "pg-start: error: PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/setup.sh" >&2
	exit 1
fi

[ -f "$DIR/url" ] && bash "$HERE/pg-stop.sh" "$DIR" || true
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -rf "$DIR/data" "$DIR/sock" "$DIR/url" "$DIR/log" "$DIR/rundir"

# The server's files live in RUN: DIR itself when we are not root; as root,
# a fresh folder under /tmp owned by nobody, since DIR may sit in a tree
# nobody cannot enter (a clone under /root); DIR/rundir says where.
as_user=()
RUN=$DIR
if [ "$(id -u)" -eq 0 ]; then
	RUN=$(mktemp -d /tmp/tollgate-pg.XXXXXX)
	chmod 755 "$RUN"
	chown nobody:nogroup "$RUN"
	echo "$RUN" >"$DIR/rundir"
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
mkdir -p "$RUN/sock"
[ "$RUN" = "$DIR" ] || chown nobody:nogroup "$RUN/sock"
run() { (cd "$RUN" && env HOME="$RUN" "${as_user[@]}" "$@"); }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

run "$bindir/initdb" -D "$RUN/data" -U tollgate --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 || {
	cat "$DIR/initdb.log" >&2
	echo "pg-start: error: initdb failed in $RUN/data" >&2
	exit 1
}

# a port can be taken between the probe and the start: try a few
for attempt in 1 2 3 4 5; do
	port=$(free_port)
	if run "$bindir/pg_ctl" -D "$RUN/data" -l "$RUN/log" -w -t 60 \
		-o "-p $port -k $RUN/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null 2>&1; then
		break
	fi
	port=""
done
if [ -z "$port" ]; then
	tail -n 20 "$RUN/log" >&2 || true
	echo "pg-start: error: the PostgreSQL server would not start (see $RUN/log)" >&2
	exit 1
fi
run "$bindir/psql" -h 127.0.0.1 -p "$port" -U tollgate -d postgres -qAt \
	-c "CREATE DATABASE tollgate" >/dev/null
echo "postgres://tollgate@127.0.0.1:$port/tollgate" >"$DIR/url"
chmod a+r "$DIR/url"
echo "pg-start: PostgreSQL on 127.0.0.1:$port ($(cat "$DIR/url"))"
