#!/usr/bin/python3
"""httpfrag_capcheck.py - check a client-side capture of httpfrag traffic
with tshark: every TCP segment from the front end that carries more than
TAIL octets arrived as exactly two IPv6 fragments (leading data a multiple
of 8 and equal to the trailing offset, trailing fragment exactly TAIL
octets), no reassembled segment carries more than MSS octets, every TCP
checksum is valid after reassembly, and no RST came from the front end.

usage: httpfrag_capcheck.py PCAP FRONT_END_ADDR MSS TAIL
Prints one JSON line of counts; exit 0 when every rule holds, 1 otherwise.
"""
import json
import subprocess
import sys


def tshark(pcap, defrag, display, fields):
    cmd = ["tshark", "-n", "-r", pcap,
           "-o", "ipv6.defragment:%s" % ("TRUE" if defrag else "FALSE"),
           "-o", "tcp.check_checksum:TRUE",
           "-o", "tcp.desegment_tcp_streams:FALSE",
           "-Y", display, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def main():
    pcap, addr, mss, tail = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    problems = []
    # Datagrams: fragments grouped by ID in capture order.  A 32-bit random ID
    # recurs by chance (birthday: ~1% in 10k datagrams); a datagram whose
    # trailing fragment has arrived is complete, so a later fragment with the
    # same ID starts a new one.
    done, open_ = [], {}
    whole = rst = 0

    # Pass 1: the packets as they were on the wire.
    for num, ident, off, more, plen, tcplen, reset in tshark(
            pcap, False, "ipv6.src == %s" % addr,
            ["frame.number", "ipv6.fraghdr.ident", "ipv6.fraghdr.offset",
             "ipv6.fraghdr.more", "ipv6.plen", "tcp.len", "tcp.flags.reset"]):
        if reset in ("1", "True"):
            rst += 1
        if ident:
            # tshark gives the offset field in 8-octet units
            f = (int(num), int(off) * 8, more in ("1", "True"), int(plen) - 8)
            open_.setdefault(ident, []).append(f)
            if not f[2]:		# the last fragment: this datagram is complete
                done.append((ident, open_.pop(ident)))
        elif tcplen:
            whole += 1
            if int(tcplen) > tail:
                problems.append("frame %s: unfragmented segment of %s octets > tail %d"
                                % (num, tcplen, tail))
    done += list(open_.items())
    for ident, fl in done:
        fl.sort(key=lambda f: f[1])
        if len(fl) != 2:
            problems.append("fragment id %s (frames %s): %d fragments, not 2"
                            % (ident, ",".join(str(f[0]) for f in fl), len(fl)))
            continue
        (n1, o1, m1, d1), (n2, o2, m2, d2) = fl
        if o1 != 0 or not m1 or m2 or d1 % 8 or o2 != d1 or d2 != tail:
            problems.append("fragment id %s (frames %d,%d): offsets %d,%d M %s,%s data %d,%d"
                            % (ident, n1, n2, o1, o2, m1, m2, d1, d2))
    # Pass 2: reassembled, with TCP checksums verified.
    segs = bad = 0
    hdrlens = set()
    maxlen = 0
    for num, tcplen, status, hlen in tshark(
            pcap, True, "ipv6.src == %s && tcp" % addr,
            ["frame.number", "tcp.len", "tcp.checksum.status", "tcp.hdr_len"]):
        segs += 1
        hdrlens.add(int(hlen))
        maxlen = max(maxlen, int(tcplen))
        if int(tcplen) > mss:
            problems.append("frame %s: segment of %s octets > mss %d" % (num, tcplen, mss))
        if status != "1":
            bad += 1
            problems.append("frame %s: TCP checksum status %s" % (num, status))
    if rst:
        problems.append("%d RST segment(s) from the front end" % rst)
    print(json.dumps({"fragmented_segments": len(done), "whole_segments": whole,
                      "segments": segs, "bad_checksums": bad, "rst": rst,
                      "max_payload": maxlen, "tcp_header_lengths": sorted(hdrlens),
                      "problems": len(problems)}))
    for p in problems[:20]:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
