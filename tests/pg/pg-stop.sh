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
# where pg-start.sh put the server's files (see there)
RUN=$DIR
[ -f "$DIR/rundir" ] && RUN=$(cat "$DIR/rundir")
if [ -f "$RUN/data/postmaster.pid" ] && [ -n "$bindir" ]; then
	(cd "$RUN" && "${as_user[@]}" "$bindir/pg_ctl" -D "$RUN/data" -m fast -w -t 60 stop >/dev/null 2>&1) ||
		(cd "$RUN" && "${as_user[@]}" "$bindir/pg_ctl" -D "$RUN/data" -m immediate -w stop >/dev/null 2>&1) || true
fi
rm -rf "$RUN/data" "$RUN/sock" "$RUN/log" "$DIR/data" "$DIR/sock" "$DIR/url" "$DIR/log" "$DIR/initdb.log"
if [ "$RUN" != "$DIR" ]; then
	case $RUN in /tmp/tollgate-pg.*) rm -rf "$RUN" ;; esac
	rm -f "$DIR/rundir"
fi
echo "pg-stop: stopped"
