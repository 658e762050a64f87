#!/usr/bin/python3
"""sit6in4.py - a userspace 6in4 tunnel endpoint (RFC 4213) for network
namespace labs on kernels without sit (CONFIG_IPV6_SIT off).

It follows the kernel sit driver's rules: a TUN device carries the inner
IPv6, so the endpoint's kernel does all IPv6 work (ping replies, TCP,
neighbour-less point-to-point routing); a raw IPv4 socket of protocol 41
carries the outer packets, so the kernel builds and checks the outer IPv4
header.  Decapsulation (RFC 4213 3.6, ipip6_rcv): the outer source must be
the configured remote (unless "any"), the inner packet must be IPv6 whose
length fits the outer payload, and its source must not be multicast,
loopback or unspecified.  Encapsulation: toward the remote, or with remote
"any" toward the IPv4 next hop of the first --peer PREFIX=IPV4 that holds the
inner destination (sit's NBMA mode, "via ::a.b.c.d").

    sit6in4.py --dev t6 --local 192.0.2.10 --remote 192.0.2.1 \
               --addr 2001:db8:1::a/128 --route default
    sit6in4.py --dev t6 --local 192.0.2.1 --remote any \
               --addr 2001:db8:ffff::1/128 --peer 2001:db8:1::/64=192.0.2.2

Prints "ready" on stdout once the device and socket are up; counters on
SIGTERM/SIGINT (stderr).  Exits 2 on bad arguments, 3 when TUN or raw
sockets are unavailable.
"""
import argparse
import fcntl
import ipaddress
import os
import select
import signal
import socket
import struct
import subprocess
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

stats = {"encap": 0, "decap": 0, "drop_remote": 0, "drop_inner": 0, "drop_noroute": 0}


def bad_source(a):
    ip = ipaddress.IPv6Address(a)
    return ip.is_multicast or ip.is_loopback or ip.is_unspecified


def main():
    ap = argparse.ArgumentParser(description="userspace 6in4 endpoint (sit rules)")
    ap.add_argument("--dev", required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--remote", required=True, help="IPv4 peer or 'any'")
    ap.add_argument("--addr", action="append", default=[])
    ap.add_argument("--route", action="append", default=[])
    ap.add_argument("--peer", action="append", default=[], help="PREFIX=IPV4 (remote any)")
    ap.add_argument("--mtu", type=int, default=1480)
    try:
        a = ap.parse_args()
        local = socket.inet_aton(a.local)
        remote = None if a.remote == "any" else socket.inet_aton(a.remote)
        peers = []
        for p in a.peer:
            pfx, v4 = p.split("=")
            peers.append((ipaddress.IPv6Network(pfx), v4))
    except (ValueError, OSError) as e:
        print("sit6in4: %s" % e, file=sys.stderr)
        return 2

    try:
        tun = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", a.dev.encode(), IFF_TUN | IFF_NO_PI))
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 41)
        raw.bind((a.local, 0))
    except OSError as e:
        print("sit6in4: %s" % e, file=sys.stderr)
        return 3
    ip = ["ip"]
    subprocess.check_call(ip + ["link", "set", a.dev, "mtu", str(a.mtu), "up"])
    for addr in a.addr:
        subprocess.check_call(ip + ["-6", "addr", "add", addr, "dev", a.dev, "nodad"])
    for r in a.route + [str(n) for n, _ in peers]:
        subprocess.check_call(ip + ["-6", "route", "replace", r, "dev", a.dev])

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready", flush=True)

    while not stop:
        try:
            ready, _, _ = select.select([tun, raw], [], [], 0.5)
        except InterruptedError:
            continue
        if tun in ready:
            pkt = os.read(tun, 65535)
            if len(pkt) < 40 or pkt[0] >> 4 != 6:
                continue
            dst4 = a.remote
            if remote is None:
                d = ipaddress.IPv6Address(pkt[24:40])
                dst4 = next((v4 for n, v4 in peers if d in n), None)
                if dst4 is None:
                    stats["drop_noroute"] += 1
                    continue
            try:
                raw.sendto(pkt, (dst4, 0))
                stats["encap"] += 1
            except OSError:
                stats["drop_noroute"] += 1
        if raw in ready:
            data, _ = raw.recvfrom(65535)
            ihl = (data[0] & 15) * 4
            tot = struct.unpack("!H", data[2:4])[0]
            if remote is not None and data[12:16] != remote:
                stats["drop_remote"] += 1
                continue
            inner = data[ihl:tot]
            if len(inner) < 40 or inner[0] >> 4 != 6:
                stats["drop_inner"] += 1
                continue
            plen = struct.unpack("!H", inner[4:6])[0]
            if 40 + plen > len(inner) or bad_source(inner[8:24]):
                stats["drop_inner"] += 1
                continue
            os.write(tun, inner[:40 + plen])
            stats["decap"] += 1
    print("sit6in4 %s: %s" % (a.dev, " ".join("%s=%d" % kv for kv in stats.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
