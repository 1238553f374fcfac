#!/bin/bash
# serve-limits.sh - what `tollgate serve` refuses and survives: bodies over
# 1 MiB (413 before the body is read, 2 MiB and 100 MB), headers over the
# connection's memory (431), a slow client (closed after --timeout while
# others are answered), bad --listen and TLS options, and HTTPS with a
# self-signed certificate made by openssl.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
export T

export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml

# options
run serve --listen nowhere
expect_rc 2
expect_err_line "tollgate: error: --listen 'nowhere' is not ADDR:PORT (an IP address and a port, such as 127.0.0.1:8086 or [::1]:8086)"
# libmicrohttpd is loaded when serve starts (no other command pays for it):
# missing, serve says what to install
TOLLGATE_LIBMHD=libnothing.so.1 run serve --listen 127.0.0.1:0
expect_rc 1
expect_err_has "tollgate: error: cannot load libmicrohttpd for serve: libnothing.so.1"
expect_err_has "install libmicrohttpd12"
checks=$((checks + 1))
! ldd "$TOLLGATE_BIN" | grep -q microhttpd || fail "tollgate links libmicrohttpd: every command loads it"
run serve --tls-cert x.pem
expect_rc 2
expect_err_line "tollgate: error: --tls-cert and --tls-key go together: give both"
run serve --tls-cert missing.pem --tls-key missing.key --listen 127.0.0.1:0
expect_rc 2
expect_err_has "cannot read --tls-cert 'missing.pem': No such file or directory"
run serve --timeout 0
expect_rc 2
expect_err_line "tollgate: error: --timeout '0' is not a number from 1 to 3600"

start_serve --timeout 2 || { fail "serve did not start"; done_tests; }
py '
import socket, time
host, port = sc.URL.hostname, sc.URL.port
def raw(data, wait=5):
    s = socket.create_connection((host, port), timeout=wait)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before reading it all
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    s.close()
    return out
# a body of 2 MiB, sent whole: 413
out = raw(b"POST /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n" + b"x" * 2097152)
sc.check(out.startswith(b"HTTP/1.1 413"), "2 MiB body: %r" % out[:40])
sc.check(b"too_large" in out, "2 MiB body: the error document")
# 100 MB announced, 64 KiB sent: 413 at once, the rest never read
t0 = time.time()
out = raw(b"POST /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 65536)
sc.check(out.startswith(b"HTTP/1.1 413"), "100 MB body: %r" % out[:40])
sc.check(time.time() - t0 < 3, "413 without reading the body")
# a chunked body past 1 MiB: the connection closes (no answer mid-upload)
s = socket.create_connection((host, port), timeout=5)
closed = False
try:
    s.sendall(b"POST /api/v1/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    for i in range(40):
        s.sendall(b"10000\r\n" + b"x" * 65536 + b"\r\n")
    closed = s.recv(100) == b""
except (BrokenPipeError, ConnectionResetError):
    closed = True
s.close()
sc.check(closed, "chunked body over 1 MiB: connection closed")
# a GET with a body of 1 MiB or less is answered
st, h, body = sc.request("GET", "/api/v1/next", body=b"x" * 1000)
sc.check(st == 200, "small body: %d" % st)
# headers past the limit: 431
out = raw(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
sc.check(out.startswith(b"HTTP/1.1 431"), "huge header: %r" % out[:40])
# a slow client: half a request, then nothing; closed after the timeout,
# and the server answers others meanwhile
s = socket.create_connection((host, port), timeout=10)
s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
t0 = time.time()
st, h, body = sc.get("/healthz")
sc.check(st == 200 and time.time() - t0 < 1, "answered beside a slow client")
try:
    got = s.recv(100)
except (socket.timeout, ConnectionResetError):
    got = None
sc.check(got == b"" and 1 <= time.time() - t0 < 8, "slow client closed after the timeout: %r after %.1fs" % (got, time.time() - t0))
st, h, body = sc.get("/healthz")
sc.check(st == 200, "still serving")
'
stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc"

# HTTPS with a self-signed certificate
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
export SERVE_CA="$T/cert.pem"
run serve --tls-cert cert.pem --tls-key tollgate.yaml --listen 127.0.0.1:0
expect_rc 2
expect_err_has "--tls-key 'tollgate.yaml' is not a PEM file"
start_serve --tls-cert cert.pem --tls-key key.pem || { fail "https serve did not start"; done_tests; }
"$TOLLGATE_BIN" status --json >"$T/cli-status.json"
py '
st, h, body = sc.get("/api/v1/status")
sc.check(st == 200 and body == open(os.environ["T"] + "/cli-status.json", "rb").read(), "https status: %d" % st)
'
checks=$((checks + 1))
grep -q "^tollgate: serving https://127.0.0.1:" "$T/serve.err" || fail "https in the banner"
stop_serve TERM
done_tests
