#!/bin/sh
# setup.sh - install the Debian packages tollgate's build, tests and benchmarks
# need, when they are missing. Idempotent; silent when everything is present.
set -eu

pkgs="pkg-config libyaml-dev libjansson-dev libsqlite3-dev libpq-dev libssl-dev
libcurl4-openssl-dev libxxhash-dev cmake ninja-build clang libclang-rt-14-dev sqlite3
postgresql-15 valgrind hyperfine python3 util-linux systemd libmicrohttpd-dev prometheus wrk nginx-light
python3-yaml python3-jsonschema python3-aiosmtpd time tidy openssl
chromium chromium-driver python3-selenium libcmark-gfm-dev libcmark-gfm-extensions-dev bash-completion zsh fish man-db groff-base"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "setup: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# PostgreSQL's server binaries may already be on the machine outside the
# package; never let the package start a cluster of its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
