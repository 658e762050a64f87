#!/usr/bin/python3
"""ehq.py - one DNS query over a kernel UDP socket, for the extension-header
lab: prints "LEN SHA256" of the answer the kernel delivered, or "timeout".

  ehq.py SERVER PORT NAME [WAIT]

The query is fixed (ID 0x4548, TXT, EDNS 4096), so the answers of two runs
are comparable octet for octet.
"""
import hashlib
import socket
import struct
import sys


def main():
    server, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    qname = b"".join(bytes([len(x)]) + x.encode() for x in name.strip(".").split(".")) + b"\0"
    q = (struct.pack(">HHHHHH", 0x4548, 0x0100, 1, 0, 0, 1) + qname +
         struct.pack(">HH", 16, 1) + b"\0" + struct.pack(">HHIH", 41, 4096, 0, 0))
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(q, (server, port))
    try:
        a = s.recv(65535)
    except socket.timeout:
        print("timeout")
        return
    print(len(a), hashlib.sha256(a).hexdigest())


main()
