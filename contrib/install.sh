#!/bin/sh
# install.sh [--prefix DIR] [--destdir DIR] - install tollgate without a
# container: build it (Release), install the binary, its man pages and
# shell completions, the docs and the systemd unit, and (on a real install)
# create the `tollgate` system user,
# /etc/tollgate/tollgate.env (0640, root:tollgate) and /var/lib/tollgate/plan.
# Idempotent: an existing tollgate.env or plan folder is never overwritten.
# With --destdir (a staging root for packaging), nothing outside it is
# touched and no user is created.
set -eu
PREFIX=/usr/local
DESTDIR=
while [ $# -gt 0 ]; do
	case $1 in
	--prefix) PREFIX=$2; shift 2 ;;
	--destdir) DESTDIR=$2; shift 2 ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "install.sh: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-release}
sh "$SRC/scripts/setup.sh"
[ -f "$BUILD/build.ninja" ] ||
	cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" >/dev/null
cmake --build "$BUILD" -j 2 --target tollgate man-completions >/dev/null
DESTDIR=$DESTDIR cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
unit=$DESTDIR$PREFIX/lib/systemd/system/tollgate.service
# the unit names the binary where it was installed
sed -i "s|/usr/local/bin/tollgate|$PREFIX/bin/tollgate|; s|/usr/local/share/doc|$PREFIX/share/doc|" "$unit"

etc=$DESTDIR/etc/tollgate
state=$DESTDIR/var/lib/tollgate
if [ -z "$DESTDIR" ] && ! id tollgate >/dev/null 2>&1; then
	useradd --system --home-dir /var/lib/tollgate --no-create-home --shell /usr/sbin/nologin tollgate
fi
mkdir -p "$etc" "$state/plan"
if [ ! -e "$etc/tollgate.env" ]; then
	umask 027
	cat >"$etc/tollgate.env" <<'ENV'
# tollgate.env - read by tollgate.service (EnvironmentFile=). Secrets go
# here or in files this names, never in the plan.
# The store: a SQLite file under /var/lib/tollgate, or a shared PostgreSQL.
#TOLLGATE_DB=sqlite:/var/lib/tollgate/tollgate.db
#TOLLGATE_DB=postgres://tollgate@db.example/tollgate
ENV
fi
if [ -z "$DESTDIR" ]; then
	chown root:tollgate "$etc" "$etc/tollgate.env"
	chmod 0750 "$etc"
	chmod 0640 "$etc/tollgate.env"
	chown -R tollgate:tollgate "$state"
	chmod 0750 "$state"
	command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null || true
fi
echo "installed: $PREFIX/bin/tollgate, $unit"
echo "next: put the plan in /var/lib/tollgate/plan (a git checkout), set TOLLGATE_DB in /etc/tollgate/tollgate.env,"
echo "      then: systemctl enable --now tollgate; tollgate token create PERSON (docs/serve.md)"
