#!/usr/bin/python3
"""dns_golden.py - an independent decoder (scapy's DNS) for the answers the
core builds: one hex DNS message per input line, one summary line out:
  len=N id=N qr=B aa=B tc=B rcode=N qd=NAME/TYPE an=[...] ns=[...] ar=[...]
records as NAME/TYPE/TTL/RDATA; OPT as OPT/udp=N/do=B/pad=N (Padding
octets, -1 without the option, 'nz' appended when a padding octet is not 0).
Run by tests/core/test_probe.c; exit 3 when scapy is missing."""
import sys

try:
    from scapy.layers.dns import DNS
    from scapy.config import conf
except ImportError:
    sys.exit(3)

conf.verb = 0


def name(n):
    if isinstance(n, bytes):
        n = n.decode("latin-1")
    return n


def rr_text(rr):
    t = rr.type
    if t == 41:
        pad = -1
        nz = ""
        for o in (rr.rdata or []):
            if getattr(o, "optcode", None) == 12:
                data = bytes(o.optdata or b"")
                pad = o.optlen
                if pad != len(data):
                    nz = "badlen"
                if any(data):
                    nz = "nz"
        do = (rr.z >> 15) & 1
        return "OPT/udp=%d/do=%d/pad=%d%s" % (rr.rclass, do, pad, nz)
    if t == 6:
        rd = "%s,%s,%d,%d" % (name(rr.mname), name(rr.rname), rr.serial, rr.minimum)
    elif t == 16:
        rd = "txt%d" % sum(len(s) + 1 for s in rr.rdata)
    else:
        rd = rr.rdata
        rd = name(rd) if isinstance(rd, (bytes, str)) else str(rd)
    return "%s/%d/%d/%s" % (name(rr.rrname), t, rr.ttl, rd)


def records(sec):
    """scapy 2.5 chains a section's records as payloads; later ones list them."""
    if sec is None:
        return []
    if isinstance(sec, list):
        return sec
    out = []
    while sec is not None and (hasattr(sec, "rrname") or hasattr(sec, "qname")):
        out.append(sec)
        sec = sec.payload if sec.payload else None
    return out


def section(sec):
    return "[" + " ".join(rr_text(r) for r in records(sec)) + "]"


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    raw = bytes.fromhex(line)
    d = DNS(raw)
    qds = records(d.qd) if d.qdcount else []
    qd = qds[0] if qds else None
    q = "%s/%d" % (name(qd.qname), qd.qtype) if qd else "-"
    print("len=%d id=%d qr=%d aa=%d tc=%d rcode=%d qd=%s an=%s ns=%s ar=%s" % (
        len(raw), d.id, d.qr, d.aa, d.tc, d.rcode, q,
        section(d.an), section(d.ns), section(d.ar)))
    sys.stdout.flush()
