#!/usr/bin/python3
"""tcpconns.py - many short HTTP connections for the httpfrag soak: COUNT
connections to [ADDR]:PORT from THREADS threads, each fetching PATH with
HTTP/1.0; every RESET-th one instead sends the request and closes at once
with SO_LINGER 0 (an RST).  Prints one JSON object: ok (complete responses
of at least MIN octets), reset, failed, and the first error seen.

  tcpconns.py ADDR PORT PATH COUNT THREADS RESET MIN
"""
import json
import socket
import struct
import sys
import threading

addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count, threads, every, minlen = (int(x) for x in sys.argv[4:8])
res = {"ok": 0, "reset": 0, "failed": 0, "error": None}
lock = threading.Lock()
todo = iter(range(count))


def one(i):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect((addr, port))
        s.sendall(b"GET %s HTTP/1.0\r\nHost: soak\r\n\r\n" % path.encode())
        if every and i % every == every - 1:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            return "reset", None
        got = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        ok = got.startswith(b"HTTP/1.1 200") and len(got.split(b"\r\n\r\n", 1)[-1]) >= minlen
        return ("ok", None) if ok else ("failed", "short response: %d octets" % len(got))
    except OSError as e:
        return "failed", "connection %d: %s" % (i, e)
    finally:
        s.close()


def worker():
    while True:
        with lock:
            i = next(todo, None)
        if i is None:
            return
        kind, err = one(i)
        with lock:
            res[kind] += 1
            if err and not res["error"]:
                res["error"] = err


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(json.dumps(res), flush=True)
