#!/usr/bin/python3
"""vlanport.py - an IEEE 802.1Q access port in userspace, for network
namespace labs on kernels without 8021q and without bridge VLAN filtering.

A TAP device is the host side (untagged; the namespace's kernel is the host),
an AF_PACKET socket on a trunk interface the switch side: frames the host
sends leave the trunk tagged with --vid; frames arriving on the trunk with
that VID reach the host untagged; untagged frames and other VLANs do not
(as on a switch's access port).  The kernel moves a received tag out of the
frame into packet metadata, so tags are read from PACKET_AUXDATA (and from
the frame itself when a driver left them in).

    vlanport.py --trunk v0 --access vt --vid 100

Prints "ready" once up; counters on SIGTERM/SIGINT (stderr).  Exits 2 on bad
arguments, 3 when TUN or packet sockets are unavailable.
"""
import argparse
import fcntl
import os
import select
import signal
import socket
import struct
import subprocess
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_IGNORE_OUTGOING = 23
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6

stats = {"to_trunk": 0, "to_host": 0, "other_vlan": 0, "untagged": 0}


def main():
    ap = argparse.ArgumentParser(description="802.1Q access port (TAP <-> tagged trunk)")
    ap.add_argument("--trunk", required=True)
    ap.add_argument("--access", required=True)
    ap.add_argument("--vid", type=int, required=True)
    try:
        a = ap.parse_args()
        if not 1 <= a.vid <= 4094:
            raise ValueError("--vid must be 1-4094")
    except ValueError as e:
        print("vlanport: %s" % e, file=sys.stderr)
        return 2
    try:
        tap = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", a.access.encode(), IFF_TAP | IFF_NO_PI))
        trunk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        trunk.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        trunk.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        trunk.bind((a.trunk, ETH_P_ALL))
    except OSError as e:
        print("vlanport: %s" % e, file=sys.stderr)
        return 3
    subprocess.check_call(["ip", "link", "set", a.access, "up"])
    tag = struct.pack("!HH", 0x8100, a.vid)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready", flush=True)
    while not stop:
        try:
            ready, _, _ = select.select([tap, trunk], [], [], 0.5)
        except InterruptedError:
            continue
        if tap in ready:
            f = os.read(tap, 65535)
            if len(f) >= 14:
                trunk.send(f[:12] + tag + f[12:])
                stats["to_trunk"] += 1
        if trunk in ready:
            f, anc, _, _ = trunk.recvmsg(65535, socket.CMSG_SPACE(32))
            vid = None
            for level, typ, data in anc:
                # struct tpacket_auxdata: status, len, snaplen, mac, net, vlan_tci, vlan_tpid
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(data) >= 20:
                    status = struct.unpack_from("I", data, 0)[0]
                    tci = struct.unpack_from("H", data, 16)[0]
                    if status & TP_STATUS_VLAN_VALID:
                        vid = tci & 0xfff
            if vid is None and len(f) >= 18 and f[12:14] == b"\x81\x00":
                vid = struct.unpack("!H", f[14:16])[0] & 0xfff
                f = f[:12] + f[16:]
            if vid is None:
                stats["untagged"] += 1
            elif vid != a.vid:
                stats["other_vlan"] += 1
            else:
                os.write(tap, f)
                stats["to_host"] += 1
    print("vlanport %s/%s vid %d: %s" % (a.access, a.trunk, a.vid,
          " ".join("%s=%d" % kv for kv in stats.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
