#!/usr/bin/python3
"""dnsload.py - paced DNS load for the dnsfrag soak: RATE queries a second
for SECONDS from one UDP socket, every answer matched to its query by ID and
question.  Prints one JSON object: sent, noerror, servfail, other rcodes,
unanswered (no answer within WAIT seconds of the last query), wrong.

  dnsload.py SERVER PORT RATE SECONDS NAME [WAIT]
"""
import json
import os
import select
import socket
import struct
import sys
import time


def wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def main():
    server, port, rate, secs, name = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        float(sys.argv[4]), sys.argv[5]
    wait = float(sys.argv[6]) if len(sys.argv) > 6 else 3.0
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setblocking(False)
    question = wire(name) + struct.pack(">HH", 16, 1)
    opt = b"\0" + struct.pack(">HHIH", 41, 4096, 0, 0)
    pending = {}
    res = {"sent": 0, "noerror": 0, "servfail": 0, "other": 0, "wrong": 0}
    base = int.from_bytes(os.urandom(2), "big")
    start = time.monotonic()
    stop = start + secs
    nxt = start

    def drain(timeout):
        r, _, _ = select.select([s], [], [], max(timeout, 0))
        while r:
            try:
                d = s.recv(65535)
            except BlockingIOError:
                return
            if len(d) < 12 or not d[2] & 0x80:
                res["wrong"] += 1
                continue
            qid = struct.unpack(">H", d[:2])[0]
            if qid not in pending or d[12:12 + len(question)].lower() != question.lower():
                res["wrong"] += 1
                continue
            del pending[qid]
            rc = d[3] & 15
            res["noerror" if rc == 0 else "servfail" if rc == 2 else "other"] += 1

    while True:
        now = time.monotonic()
        if now >= stop:
            break
        if now >= nxt:
            qid = (base + res["sent"]) & 0xffff
            q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1) + question + opt
            try:
                s.sendto(q, (server, port))
                pending[qid] = now
            except OSError:
                pass
            res["sent"] += 1
            nxt += 1.0 / rate
        drain(nxt - time.monotonic())
    end = time.monotonic() + wait
    while pending and time.monotonic() < end:
        drain(0.1)
    res["unanswered"] = len(pending)
    print(json.dumps(res), flush=True)


main()
