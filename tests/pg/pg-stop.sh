#!/bin/bash
# pg-stop.sh DIR - stop the server pg-start.sh started in DIR and remove its data.
set -eu
DIR=${1:?usage: pg-stop.sh DIR}
[ -d "$DIR" ] || exit 0
bindir=""
if command -v pg_ctl >/dev/null 2>&1; then
	bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
else
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && bindir=$d
	done
fi
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
if [ -f "$DIR/data/postmaster.pid" ] && [ -n "$bindir" ]; then
	(cd "$DIR" && "${as_user[@]}" "$bindir/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1) ||
		(cd "$DIR" && "${as_user[@]}" "$bindir/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1) || true
fi
rm -rf "$DIR/data" "$DIR/sock" "$DIR/url" "$DIR/log" "$DIR/initdb.log"
echo "pg-stop: stopped"
