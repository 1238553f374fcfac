#!/bin/bash
# contrib.sh - the container-free install (contrib/install.sh) and the
# systemd unit (contrib/tollgate.service, issue 11 item 7): installed into a
# staging root, the binary runs, the unit names it, the environment file
# holds no secret and is not world-readable; systemd accepts every key of
# the unit (`systemd-analyze verify` prints nothing) and rates its hardening
# OK (`systemd-analyze security --offline`: exposure at most 2.0 of 10).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

root=$T/root
BUILD=$TOLLGATE_BUILD sh "$TOLLGATE_SRC/contrib/install.sh" --destdir "$root" --prefix /usr >"$T/out" 2>"$T/err"
rc=$?
checks=$((checks + 1))
[ $rc -eq 0 ] || fail "install.sh exited $rc: $(cat "$T/err")"
checks=$((checks + 1))
"$root/usr/bin/tollgate" --version | grep -q '^tollgate ' || fail "the installed binary does not run"
checks=$((checks + 1))
grep -q '^ExecStart=/usr/bin/tollgate ' "$root/usr/lib/systemd/system/tollgate.service" ||
	fail "the unit does not name the installed binary"
checks=$((checks + 1))
[ -f "$root/usr/share/doc/tollgate/serve.md" ] || fail "docs/serve.md not installed"
checks=$((checks + 1))
[ "$(stat -c %a "$root/etc/tollgate/tollgate.env")" = 640 ] || fail "tollgate.env is not 0640"
checks=$((checks + 1))
! grep -q '^[^#]' "$root/etc/tollgate/tollgate.env" || fail "tollgate.env sets something by default"
# run again: idempotent, a changed environment file kept
echo 'TOLLGATE_DB=sqlite:/var/lib/tollgate/t.db' >>"$root/etc/tollgate/tollgate.env"
BUILD=$TOLLGATE_BUILD sh "$TOLLGATE_SRC/contrib/install.sh" --destdir "$root" --prefix /usr >"$T/out" 2>"$T/err"
checks=$((checks + 1))
grep -q '^TOLLGATE_DB=sqlite:/var/lib/tollgate/t.db' "$root/etc/tollgate/tollgate.env" ||
	fail "a second install overwrote tollgate.env"

# systemd's own checks, on the unit pointed at this build's binary
sed "s|/usr/local/bin/tollgate|$TOLLGATE_BIN|" "$TOLLGATE_SRC/contrib/tollgate.service" >"$T/tollgate.service"
(cd "$T" && systemd-analyze verify ./tollgate.service) >"$T/verify" 2>&1
rc=$?
checks=$((checks + 1))
[ $rc -eq 0 ] && [ ! -s "$T/verify" ] || fail "systemd-analyze verify: $(cat "$T/verify")"
exposure=$(cd "$T" && systemd-analyze security --offline=yes ./tollgate.service 2>&1 |
	sed -n 's/.*exposure level for tollgate.service: \([0-9.]*\).*/\1/p')
checks=$((checks + 1))
awk -v x="$exposure" 'BEGIN { exit !(x != "" && x <= 2.0) }' || fail "exposure '$exposure' above 2.0"
done_tests
