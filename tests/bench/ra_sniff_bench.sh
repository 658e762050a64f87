#!/usr/bin/env bash
# ra_sniff_bench.sh - `v6kit ra-sniff -r` against `tcpdump -r -v` with the
# equivalent filter, on one large capture: mostly non-RA traffic (TCP, UDP,
# ICMPv6 echo, neighbour solicitations, IPv4) plus a few thousand rich RAs.
# Same run, same file, page cache warm; medians of 7 rounds.  Fails only
# when either tool finds a different number of RAs than were written.
# Every frame goes through the one parser (no separate pre-check).
# A second capture times the reassembly path (RA-Guard evasion, RFC 7113):
# a flood of first fragments with random IDs plus RAs in 6 fragments,
# ra-sniff against tcpdump printing every fragment of the same file.
#   RA_BENCH_PACKETS (default 500000), RA_BENCH_RAS (default 3000),
#   RA_BENCH_FRAGS (default 200000)
set -u
: "${V6KIT:?}"
TOP=${V6KIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${RA_BENCH_PACKETS:-500000}
R=${RA_BENCH_RAS:-3000}
dir=${RA_BENCH_DIR:-$(mktemp -d)}
[ -n "${RA_BENCH_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT
cap=$dir/ra_bench.pcap

# scapy builds one template of each kind; a plain loop writes the records.
/usr/bin/python3 - "$cap" "$N" "$R" "$TOP/tests/fixtures/ra/gen.py" <<'PY' || exit 1
import importlib.util, struct, sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr
path, n, r, gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
spec = importlib.util.spec_from_file_location("gen", gen)
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
E = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:03")
others = [bytes(x) for x in (
    E / IPv6(src="2001:db8::2", dst="2001:db8::3") / TCP(sport=443, dport=50000, flags="A") / Raw(b"x" * 1200),
    E / IPv6(src="2001:db8::2", dst="2001:db8::3") / UDP(sport=53, dport=40000) / Raw(b"d" * 120),
    E / IPv6(src="2001:db8::3", dst="2001:db8::2") / ICMPv6EchoRequest(data=b"p" * 56),
    E / IPv6(src="fe80::3", dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt="2001:db8::2") / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:03"),
    E / IP(src="192.0.2.1", dst="192.0.2.2") / TCP(sport=80, dport=40001, flags="PA") / Raw(b"h" * 400),
)]
ra = bytes(g.ra() / g.rich_options())
every = max(1, n // r)
out = open(path, "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
recs, written = [], 0
for i in range(n):
    b = ra if (i % every == every // 2 and written < r) else others[i % len(others)]
    if b is ra:
        written += 1
    recs.append(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(b), len(b)) + b)
    if len(recs) == 8192:
        out.write(b"".join(recs)); recs = []
out.write(b"".join(recs))
out.close()
if written != r:
    sys.exit("wrote %d RAs, wanted %d" % (written, r))
PY

size=$(stat -c %s "$cap")
echo "# capture: $N packets ($R router advertisements), $((size / 1048576)) MiB"
cat "$cap" >/dev/null	# warm the page cache for both tools

# Both must see every RA.
got=$("$V6KIT" ra-sniff -r "$cap" --json | jq -r 'select(.type=="summary")|.ras')
[ "$got" = "$R" ] || { echo "ra-sniff found $got RAs, want $R"; exit 1; }
got=$(tcpdump -r "$cap" -nn -v 'icmp6 and ip6[40] == 134' 2>/dev/null | grep -c 'router advertisement')
[ "$got" = "$R" ] || { echo "tcpdump found $got RAs, want $R"; exit 1; }

# One round runs the three commands back to back, so a busy neighbour on a
# shared machine slows all of them alike; 7 rounds; medians of wall-clock
# and CPU (user+system, from getrusage) seconds.
python3 - "$V6KIT" "$cap" <<'PY'
import resource, subprocess, sys, time
v6kit, cap = sys.argv[1], sys.argv[2]
cmds = [("ra-sniff -r F", [v6kit, "ra-sniff", "-r", cap]),
        ("ra-sniff -r F --json", [v6kit, "ra-sniff", "-r", cap, "--json"]),
        ("tcpdump -r F -nn -v FILTER", ["tcpdump", "-r", cap, "-nn", "-v", "icmp6 and ip6[40] == 134"])]
res = {name: [] for name, _ in cmds}
for _ in range(7):
    for name, c in cmds:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        t1 = time.monotonic()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res[name].append((t1 - t0, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime))
med = {n: (sorted(x[0] for x in v)[len(v) // 2], sorted(x[1] for x in v)[len(v) // 2]) for n, v in res.items()}
print("%-28s %8s %8s" % ("", "wall s", "cpu s"))
for n, _ in cmds:
    print("%-28s %8.4f %8.4f" % (n, med[n][0], med[n][1]))
t, j, d = med["ra-sniff -r F"], med["ra-sniff -r F --json"], med["tcpdump -r F -nn -v FILTER"]
print("ratio ra-sniff/tcpdump: text %.2f wall, %.2f cpu; json %.2f wall, %.2f cpu (below 1 = faster)"
      % (t[0] / d[0], t[1] / d[1], j[0] / d[0], j[1] / d[1]))
PY

# ---- the reassembly path: fragment flood + fragmented RAs ----
F=${RA_BENCH_FRAGS:-200000}
fcap=$dir/ra_frag_bench.pcap
/usr/bin/python3 - "$fcap" "$F" "$TOP/tests/fixtures/ra/gen.py" <<'PY' || exit 1
import importlib.util, random, struct, sys
from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, Raw
path, n, gen = sys.argv[1], int(sys.argv[2]), sys.argv[3]
spec = importlib.util.spec_from_file_location("gen", gen)
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
body = g.icmp_body(g.ra() / g.rich_options())
random.seed(7)
head = bytes(Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:01") /
             IPv6(src="fe80::1", dst="ff02::1", hlim=255, nh=44))
def piece(src_last, ident, a, b, more):
    h = bytearray(head)
    struct.pack_into("!H", h, 18, 8 + b - a)
    h[14 + 22:14 + 24] = struct.pack("!H", src_last)	# fe80::XXXX
    return bytes(h) + struct.pack("!BBHI", 58, 0, a | more, ident) + body[a:b]
out = open(path, "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
recs, ras = [], 0
for i in range(n):
    if i % 1000 == 500:		# an RA in 6 fragments now and then
        edges = [0, 48, 96, 144, 192, 240, 288]
        fr = [piece(1, 0x10000 + i, edges[k], edges[k + 1], int(k < 5)) for k in range(6)]
        ras += 1
    else:
        fr = [piece(random.getrandbits(16), random.getrandbits(32), 0, 48, 1)]
    for b in fr:
        # 10 pieces per second of capture time: the flood stays within the
        # reassembler's bounds (1024 datagrams per 60 s), so every RA completes
        recs.append(struct.pack("<IIII", 1700000000 + i // 10, (i % 10) * 100000, len(b), len(b)) + b)
    if len(recs) >= 8192:
        out.write(b"".join(recs)); recs = []
out.write(b"".join(recs))
out.close()
PY
want=$(( (F + 500) / 1000 ))
echo "# fragment capture: $F first fragments with random IDs and $want RAs in 6 fragments"
cat "$fcap" >/dev/null
got=$("$V6KIT" ra-sniff -r "$fcap" --json | jq -r 'select(.type=="summary")|.fragmented')
[ "$got" = "$want" ] || { echo "ra-sniff rebuilt $got fragmented RAs, want $want"; exit 1; }
python3 - "$V6KIT" "$fcap" <<'PY'
import resource, subprocess, sys, time
v6kit, cap = sys.argv[1], sys.argv[2]
cmds = [("ra-sniff -r F (reassembling)", [v6kit, "ra-sniff", "-r", cap]),
        ("tcpdump -r F -nn -v ip6[6]==44", ["tcpdump", "-r", cap, "-nn", "-v", "ip6[6] == 44"])]
res = {name: [] for name, _ in cmds}
for _ in range(5):
    for name, c in cmds:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        t1 = time.monotonic()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res[name].append((t1 - t0, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime))
med = {n: (sorted(x[0] for x in v)[len(v) // 2], sorted(x[1] for x in v)[len(v) // 2]) for n, v in res.items()}
print("%-32s %8s %8s" % ("", "wall s", "cpu s"))
for n, _ in cmds:
    print("%-32s %8.4f %8.4f" % (n, med[n][0], med[n][1]))
a, b = med[cmds[0][0]], med[cmds[1][0]]
print("ratio ra-sniff/tcpdump on fragments: %.2f wall, %.2f cpu (below 1 = faster)" % (a[0] / b[0], a[1] / b[1]))
PY
