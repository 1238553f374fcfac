#!/usr/bin/python3
"""cut-proxy.py PGPORT PORTFILE FIREDFILE MARKER...

A TCP proxy in front of a PostgreSQL server on 127.0.0.1:PGPORT that loses a
session at the worst moment for a client: once a transaction has sent a
message holding every MARKER (bytes of a Bind or Query: "b@sit" and
"promotion.healthy"), its COMMIT is passed to the server, and both
connections are closed at once: the server reads the COMMIT and commits it,
and its answer never reaches the client. The client cannot tell whether its
COMMIT landed; it did (or will: the server may still be committing when the
client, connected again, asks).
That happens once; every other byte, of every connection, passes untouched.

It listens on a free loopback port, written to PORTFILE; FIREDFILE is written
when the cut is made. The client must connect with sslmode=disable and
gssencmode=disable (the messages are read as they pass).
"""
import os
import socket
import struct
import sys
import threading

PGPORT = int(sys.argv[1])
PORTFILE, FIREDFILE = sys.argv[2], sys.argv[3]
MARKERS = [m.encode() for m in sys.argv[4:]]
fired = threading.Event()


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def close_both(a, b):
    """end both connections: each side sees the other hang up"""
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def pump(src, dst, muted):
    """server to client: bytes as they come, none once muted"""
    try:
        while True:
            data = src.recv(65536)
            if not data or muted.is_set():
                break
            dst.sendall(data)
    except OSError:
        pass
    close_both(src, dst)


def client_side(client, server, muted):
    """client to server: message by message, watching for the marked COMMIT"""
    armed = False
    try:
        # the startup message has no type byte
        head = read_exact(client, 4)
        (n,) = struct.unpack("!i", head)
        server.sendall(head + read_exact(client, n - 4))
        while True:
            head = read_exact(client, 5)
            kind = head[:1]
            (n,) = struct.unpack("!i", head[1:])
            body = read_exact(client, n - 4)
            if not fired.is_set() and all(m in body for m in MARKERS):
                armed = True
            is_end = kind == b"Q" and body[:6].upper() in (b"COMMIT", b"ROLLBA")
            cut = is_end and armed and body[:6].upper() == b"COMMIT" and not fired.is_set()
            if cut:
                fired.set()
                muted.set()  # from now on the client hears nothing
            server.sendall(head + body)
            if cut:
                with open(FIREDFILE, "w") as f:
                    f.write("cut\n")
                break  # the server commits; its answer is dropped
            if is_end:
                armed = False
    except (EOFError, OSError):
        pass
    close_both(client, server)


def serve(lsock):
    while True:
        client, _ = lsock.accept()
        server = socket.create_connection(("127.0.0.1", PGPORT))
        muted = threading.Event()
        threading.Thread(target=pump, args=(server, client, muted), daemon=True).start()
        threading.Thread(target=client_side, args=(client, server, muted), daemon=True).start()


lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(lsock.getsockname()[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
serve(lsock)
