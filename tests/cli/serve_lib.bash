# serve_lib.bash - start and stop a `tollgate serve` for the serve-*.sh
# tests (source after lib.sh). The server always stops when the test ends.
SERVE_PID=
trap 'if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; fi; rm -rf "$T"' EXIT
export PYTHONPATH="$TOLLGATE_SRC/tests/cli"

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_serve [ARGS...]: serve on a free loopback port; SERVE_URL, SERVE_PID;
# its stderr goes to $T/serve.err. Returns 1 when it did not come up.
start_serve() {
	local scheme=http i
	case " $* " in *" --tls-cert "*) scheme=https ;; esac
	SERVE_PORT=$(free_port)
	"$TOLLGATE_BIN" serve --listen "127.0.0.1:$SERVE_PORT" "$@" 2>"$T/serve.err" &
	SERVE_PID=$!
	export SERVE_PID
	export SERVE_URL="$scheme://127.0.0.1:$SERVE_PORT"
	for i in $(seq 100); do
		grep -q "^tollgate: serving" "$T/serve.err" 2>/dev/null && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "serve did not start:" >&2
	cat "$T/serve.err" >&2
	return 1
}

# stop_serve [SIGNAL]: signal the server (TERM; "none": it was signalled)
# and wait; its exit in $serve_rc
stop_serve() {
	[ "${1:-TERM}" = none ] || kill -"${1:-TERM}" "$SERVE_PID"
	set +e
	wait "$SERVE_PID"
	serve_rc=$?
	set -e
	SERVE_PID=
}

# py CODE: python with serve_client as sc (initialised); a failure counts
py() {
	checks=$((checks + 1))
	/usr/bin/python3 -c "import serve_client as sc, json, os, sys
sc.init()
$1
sc.done()" || fail "python checks (above)"
}
