#!/bin/bash
# bench-serve.sh [BUILD] - `tollgate serve` against its peers, in the same run,
# on the 10,000-project bench store of bench-state.sh (bench/gen-plan.py, every
# project recorded in dev and half of them in sit, ENTRIES audit entries made
# by bench-store-gen) on SQLite. Prints figures and ratios; never fails on a
# time (only on an error):
#   (a) GET /api/v1/status, nothing changing, 64 connections (wrk): requests/s
#       of serve / requests/s of nginx (nginx-light, one worker, started here
#       on a free loopback port with a temporary config) serving the very
#       bytes of that answer as a static file. Target >= 0.5.
#   (b) GET /api/v1/why/{p}/sit over many different projects (a wrk Lua
#       script picking a random project per request), 64 connections: p99
#       latency. Target < 10 ms.
#   (c) CLIENTS (default 1,000) event-stream clients connected (a python
#       client with selectors), one entry written by the CLI: the p99 of the
#       delay until each client has it, from the CLI's exit (the entry is
#       committed by then; earlier arrivals count 0) and from its start.
#       Target < 250 ms. And serve's peak RSS (VmHWM) over that part (a
#       fresh serve process). Target < 100 MiB.
# wrk runs DURATION seconds (default 10) per measurement with 2 threads; the
# whole run stays under about 3 minutes on 2 cores. serve runs with the clock
# unpinned, as in production: its answers are cached by the audit head, the
# plan's hash and the second.
#
# BUILD (argument or environment, default ./build) holds tollgate and
# libtollgate_core.a. PROJECTS, ENTRIES, CLIENTS and DURATION override sizes.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$SRC/build}}
BUILD=$(cd "$BUILD" && pwd)
PROJECTS=${PROJECTS:-10000}
ENTRIES=${ENTRIES:-1000000}
CLIENTS=${CLIENTS:-1000}
DURATION=${DURATION:-10}
PY=/usr/bin/python3
TG=$BUILD/tollgate
for tool in wrk nginx; do
	command -v $tool >/dev/null || [ -x /usr/sbin/$tool ] || {
		echo "bench-serve: error: $tool is missing (scripts/setup.sh installs it)" >&2
		exit 1
	}
done
[ -x "$TG" ] && [ -f "$BUILD/libtollgate_core.a" ] || {
	echo "bench-serve: error: build first: cmake -S . -B build -G Ninja && cmake --build build" >&2
	exit 1
}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-serve.XXXXXX")
chmod 755 "$W"
SERVE_PID= NGINX_PID=
cleanup() {
	[ -z "$SERVE_PID" ] || { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null || true; }
	[ -z "$NGINX_PID" ] || { kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null || true; }
	rm -rf "$W"
}
trap cleanup EXIT

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the store ------------------------------------------------------------------
# shellcheck disable=SC2046
cc -O2 -std=gnu11 -I"$SRC/src" -o "$W/gen" "$SRC/bench/bench-store-gen.c" "$BUILD/libtollgate_core.a" \
	$(pkg-config --libs yaml-0.1 jansson sqlite3 libpq libcrypto libxxhash libmicrohttpd) -lpthread -lm -ldl
$PY "$SRC/bench/gen-plan.py" --projects "$PROJECTS" "$W/plan" >/dev/null
PLAN=$W/plan/tollgate.yaml
PLAN_ID=$(sed -n 's/^plan: {id: \([^,}]*\).*/\1/p; s/^  id: //p' "$PLAN" | head -1)
$PY - "$PLAN" "$W" <<'PY'
import re, sys
ids, sec = [], None
for line in open(sys.argv[1]):
    if re.match(r"^[a-z_]+:", line):
        sec = line.split(":")[0]
    m = re.match(r"^  - \{?id: ([A-Za-z0-9_.-]+)", line)
    if m and sec == "projects":
        ids.append(m.group(1))
open(sys.argv[2] + "/dev.txt", "w").write("".join("%s v%d\n" % (p, i) for i, p in enumerate(ids)))
open(sys.argv[2] + "/sit.txt", "w").write("".join("%s v%d\n" % (p, i) for i, p in enumerate(ids) if i % 2 == 0))
open(sys.argv[2] + "/projects.txt", "w").write("".join(p + "\n" for p in ids))
PY
DB="sqlite:$W/bench.db"
tg() { "$TG" --plan "$PLAN" --db "$DB" "$@"; }
tg record --env dev --versions "$W/dev.txt" >/dev/null
tg record --env sit --versions "$W/sit.txt" >/dev/null
"$W/gen" "$DB" "$ENTRIES" "$PLAN_ID" >/dev/null
PROBE=$(head -1 "$W/projects.txt")

# ---- serve ----------------------------------------------------------------------
start_serve() {
	SERVE_PORT=$(free_port)
	"$TG" --plan "$PLAN" --db "$DB" serve --listen "127.0.0.1:$SERVE_PORT" \
		--max-connections $((CLIENTS + 200)) 2>"$W/serve.err" &
	SERVE_PID=$!
	for _ in $(seq 300); do
		grep -q "^tollgate: serving" "$W/serve.err" 2>/dev/null && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "^tollgate: serving" "$W/serve.err" || {
		cat "$W/serve.err" >&2
		echo "bench-serve: error: serve did not start" >&2
		exit 1
	}
	URL=http://127.0.0.1:$SERVE_PORT
}
stop_serve() {
	local rc=0
	kill "$SERVE_PID"
	wait "$SERVE_PID" || rc=$?
	SERVE_PID=
	[ "$rc" -eq 0 ] || { echo "bench-serve: error: serve exited $rc" >&2; exit 1; }
}
start_serve

# ---- nginx, serving the status answer's bytes -------------------------------------
mkdir -p "$W/www/api/v1" "$W/nginx/logs"
curl -sf "$URL/api/v1/status" -o "$W/www/api/v1/status"
NGINX_PORT=$(free_port)
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/json;
	client_body_temp_path $W/nginx/body;
	proxy_temp_path $W/nginx/proxy;
	fastcgi_temp_path $W/nginx/fastcgi;
	uwsgi_temp_path $W/nginx/uwsgi;
	scgi_temp_path $W/nginx/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $W/www;
	}
}
EOF
"$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log" &
NGINX_PID=$!
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$NGINX_PORT/api/v1/status" -o /dev/null && break
	sleep 0.1
done
cmp -s <(curl -sf "http://127.0.0.1:$NGINX_PORT/api/v1/status") "$W/www/api/v1/status" || {
	cat "$W/nginx/logs/error.log" >&2
	echo "bench-serve: error: nginx does not serve the status answer" >&2
	exit 1
}

rps() { # URL: requests/s by wrk, 64 connections
	wrk -t2 -c64 -d"${DURATION}s" "$1" >"$W/wrk.out" 2>&1
	sed -n 's/^Requests\/sec: *//p' "$W/wrk.out"
}

echo "== serve on the bench store ($PROJECTS projects, $ENTRIES audit entries, SQLite)"
printf '  status answer: %d bytes\n' "$(stat -c %s "$W/www/api/v1/status")"

# (a) status against nginx
ng=$(rps "http://127.0.0.1:$NGINX_PORT/api/v1/status")
sv=$(rps "$URL/api/v1/status")
$PY -c 'import sys; ng, sv = float(sys.argv[1]), float(sys.argv[2])
print("  (a) GET /api/v1/status, 64 connections: serve %.0f req/s, nginx (1 worker, static file) %.0f req/s: ratio %.2f (target >= 0.5)" % (sv, ng, sv / ng))' "$ng" "$sv"

# (b) why over many projects
cat >"$W/why.lua" <<EOF
local projects = {}
for line in io.lines("$W/projects.txt") do projects[#projects + 1] = line end
math.randomseed(os.time())
request = function()
	return wrk.format("GET", "/api/v1/why/" .. projects[math.random(#projects)] .. "/sit")
end
EOF
# one why first: the server's state of every cell is read on the first why
# after a change (the steady state is what is measured)
curl -sf "$URL/api/v1/why/$PROBE/sit" -o /dev/null
wrk -t2 -c64 -d"${DURATION}s" --latency -s "$W/why.lua" "$URL" >"$W/wrk-why.out" 2>&1
non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$W/wrk-why.out")
$PY - "$W/wrk-why.out" "${non2xx:-0}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
p = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M))
rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1)
print("  (b) GET /api/v1/why/{p}/sit, random projects, 64 connections: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (target < 10 ms); %s req/s; non-2xx: %s"
      % (ms(p["50"]), ms(p["90"]), ms(p["99"]), rps, sys.argv[2]))
PY

# (c) CLIENTS event-stream clients, one entry by the CLI, on a fresh serve (its
# peak RSS is then the streams', not that of the answers of (a) in flight)
stop_serve
start_serve
$PY - "$SERVE_PORT" "$CLIENTS" "$TG" "$PLAN" "$DB" "$PROBE" "$SERVE_PID" <<'PY'
import os, resource, selectors, socket, subprocess, sys, time
port, n, tg, plan, db, probe, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sel = selectors.DefaultSelector()
bufs = {}
req = b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
for i in range(n):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
    s.sendall(req)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
    bufs[i] = b""
opened = set()
def on_open(i):
    if b"\nid: " in bufs[i] and i not in opened:
        opened.add(i)
        bufs[i] = b""
until = time.monotonic() + 60
while len(opened) < n and time.monotonic() < until:
    for key, _ in sel.select(timeout=1):
        b = key.fileobj.recv(65536)
        if not b:
            sys.exit("bench-serve: error: an event stream closed before it opened")
        bufs[key.data] += b
        on_open(key.data)
if len(opened) < n:
    sys.exit("bench-serve: error: %d of %d event streams opened" % (len(opened), n))
arrived = {}
t_start = time.monotonic()
cli = subprocess.Popen([tg, "--plan", plan, "--db", db, "record", probe, "dev", "--version", "bench-event"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
t_exit = None
until = time.monotonic() + 30
while len(arrived) < n and time.monotonic() < until:
    if t_exit is None and cli.poll() is not None:
        t_exit = time.monotonic()
    for key, _ in sel.select(timeout=0.005 if t_exit is None else 0.5):
        i = key.data
        b = key.fileobj.recv(65536)
        now = time.monotonic()
        bufs[i] += b
        if i not in arrived and b"\ndata: " in b"\n" + bufs[i] and b"bench-event" in bufs[i]:
            arrived[i] = now
if cli.wait() != 0:
    sys.exit("bench-serve: error: the CLI write failed: " + cli.stderr.read().decode())
if t_exit is None:
    t_exit = time.monotonic()
if len(arrived) < n:
    sys.exit("bench-serve: error: %d of %d clients got the entry" % (len(arrived), n))
def p(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]
from_exit = [max(0.0, t - t_exit) * 1000 for t in arrived.values()]
from_start = [(t - t_start) * 1000 for t in arrived.values()]
hwm = [l for l in open("/proc/%s/status" % pid) if l.startswith("VmHWM")][0].split()[1]
print("  (c) %d event-stream clients, one entry by the CLI (%.0f ms from its start to its exit):" % (n, (t_exit - t_start) * 1000))
print("      delay from the CLI's exit: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 250 ms); from its start: p99 %.1f ms"
      % (p(from_exit, 0.5), p(from_exit, 0.99), max(from_exit), p(from_start, 0.99)))
print("      serve's peak RSS (VmHWM): %.1f MiB (target < 100 MiB)" % (int(hwm) / 1024))
PY
stop_serve
exit 0
