#!/usr/bin/python3
"""dnsq.py - DNS load for the dnsfrag labs: N queries at once, one UDP socket
(so one source port) each, every answer checked against its own query (ID,
QR, question).  Prints "answered N rcodes {...} unanswered N wrong N".

  dnsq.py SERVER PORT COUNT NAME[,NAME...] [--type T] [--wait SEC] [--garbage N]

--garbage N first sends N malformed datagrams (which must go unanswered).
Exit 0 always; the caller judges the numbers.
"""
import os
import select
import socket
import struct
import sys
import time


def wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, name, qtype):
    opt = b"\0" + struct.pack(">HHIH", 41, 4096, 0, 0)
    return (struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1) + wire(name) +
            struct.pack(">HH", qtype, 1) + opt)


def main():
    args = sys.argv[1:]
    qtype, wait, garbage = 16, 10.0, 0
    while "--type" in args or "--wait" in args or "--garbage" in args:
        for flag in ("--type", "--wait", "--garbage"):
            if flag in args:
                i = args.index(flag)
                val = args[i + 1]
                del args[i:i + 2]
                if flag == "--type":
                    qtype = int(val)
                elif flag == "--wait":
                    wait = float(val)
                else:
                    garbage = int(val)
    server, port, count, names = args[0], int(args[1]), int(args[2]), args[3].split(",")
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    if garbage:
        g = socket.socket(fam, socket.SOCK_DGRAM)
        for i in range(garbage):
            g.sendto(os.urandom(i % 40), (server, port))
            g.sendto(b"\xff\xff\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",
                     (server, port))
    socks = {}
    for i in range(count):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setblocking(False)
        qid = int.from_bytes(os.urandom(2), "big")
        name = names[i % len(names)]
        q = query(qid, name, qtype)
        s.sendto(q, (server, port))
        socks[s.fileno()] = (s, qid, q[12:12 + len(wire(name)) + 4])
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN)
    answered, wrong, rcodes = 0, 0, {}
    deadline = time.time() + wait
    while socks and time.time() < deadline:
        for fd, _ in poller.poll(100):
            s, qid, question = socks[fd]
            try:
                d = s.recv(65535)
            except OSError:
                continue
            if (len(d) < 12 or struct.unpack(">H", d[:2])[0] != qid or not d[2] & 0x80
                    or d[12:12 + len(question)].lower() != question.lower()):
                wrong += 1
                continue
            rc = d[3] & 15
            rcodes[rc] = rcodes.get(rc, 0) + 1
            answered += 1
            poller.unregister(fd)
            s.close()
            del socks[fd]
    print("answered %d rcodes %s unanswered %d wrong %d" %
          (answered, dict(sorted(rcodes.items())), len(socks), wrong))


main()
