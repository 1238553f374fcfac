#!/usr/bin/python3
"""smtp_sink.py - a local SMTP server for the e-mail tests (python3-aiosmtpd).

Usage: smtp_sink.py PORTFILE LOG

Listens on a free loopback port (written to PORTFILE once listening); each
message accepted is appended to LOG as one JSON line {from, to, data}. Runs
until killed.
"""
import json
import signal
import socket
import sys
import time

from aiosmtpd.controller import Controller

portfile, log = sys.argv[1:3]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        data = envelope.content.decode("utf-8", "replace")
        with open(log, "a") as f:
            f.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                                "data": data}) + "\n")
        return "250 OK queued"


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
c = Controller(Sink(), hostname="127.0.0.1", port=port)
c.start()
with open(portfile + ".tmp", "w") as f:
    f.write(str(port))
import os
os.rename(portfile + ".tmp", portfile)
signal.signal(signal.SIGTERM, lambda *a: (c.stop(), sys.exit(0)))
while True:
    time.sleep(3600)
