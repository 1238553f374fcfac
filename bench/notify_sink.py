#!/usr/bin/python3
"""notify_sink.py PORTFILE OUT - the receiver of bench-notify.sh: answers
every POST 200 at once and, on SIGTERM, writes one line per request to OUT:
"ARRIVAL_TIME DELIVERY_ID DETAIL" (time.time(), the body's detail)."""
import http.server
import json
import os
import signal
import socketserver
import sys
import threading
import time

portfile, out = sys.argv[1:3]
got = []
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        t = time.time()
        try:
            detail = json.loads(body).get("detail", "")
        except ValueError:
            detail = ""
        with lock:
            got.append("%.6f %s %s" % (t, self.headers.get("X-Tollgate-Delivery", "-"), detail))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)


def stop(*_):
    with lock:
        with open(out, "w") as f:
            f.write("\n".join(got) + ("\n" if got else ""))
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
