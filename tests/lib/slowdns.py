#!/usr/bin/python3
"""slowdns.py - a hostile, slow DNS back end for the dnsfrag labs.

  slowdns.py ADDR PORT DELAY_MS [--decoys]

Answers every query after DELAY_MS..2*DELAY_MS (random, so replies come
back out of order) with NOERROR and one TXT record naming the query's own
ID (repeated to about N octets of answer for a name "big<N>...").  With --decoys it first sends, from the same address and port, a reply
with the wrong ID and one with the right ID but another question, and after
the real answer a late duplicate: a front end that matches replies properly
delivers exactly one correct answer per query.  Prints "ready" when bound.
"""
import asyncio
import random
import socket
import struct
import sys


def answer(q, qid, txt):
    # header: QR, RD copied, RA; one question, one answer
    flags = 0x8080 | (struct.unpack(">H", q[2:4])[0] & 0x0100)
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    end += 5
    question = q[12:end]
    rdata = b""
    while True:		# character-strings of at most 255 octets
        rdata += bytes([min(len(txt), 255)]) + txt[:255]
        txt = txt[255:]
        if not txt:
            break
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 0, len(rdata)) + rdata
    return struct.pack(">HHHHHH", qid, flags, 1, 1, 0, 0) + question + rr


class Proto(asyncio.DatagramProtocol):
    def __init__(self, delay, decoys):
        self.delay, self.decoys = delay, decoys

    def connection_made(self, transport):
        self.t = transport

    def datagram_received(self, q, addr):
        if len(q) < 17:
            return
        qid = struct.unpack(">H", q[:2])[0]
        txt = b"id=%d" % qid
        if q[13:16] == b"big":		# "big<N>...": an answer of about N octets
            n = int(q[16:13 + q[12]] or b"60000")
            txt = (txt + b" ") * (n // (len(txt) + 1) + 1)
            txt = txt[:n - (n // 256) - 40 - len(q)]
        real = answer(q, qid, txt)
        loop = asyncio.get_running_loop()
        if self.decoys:
            self.t.sendto(answer(q, qid ^ 0x5a5a, b"wrong id"), addr)
            other = bytearray(q)
            other[13] ^= 0x01	# another octet, not just another case (RFC 4343)
            self.t.sendto(answer(bytes(other), qid, b"other question"), addr)
        d = self.delay * (1 + random.random()) / 1000.0
        loop.call_later(d, self.t.sendto, real, addr)
        if self.decoys:
            loop.call_later(d + 0.05, self.t.sendto, answer(q, qid, b"late duplicate"), addr)


async def main():
    addr, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    decoys = "--decoys" in sys.argv
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)	# SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, port))
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Proto(delay, decoys), sock=s)
    print("ready", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
