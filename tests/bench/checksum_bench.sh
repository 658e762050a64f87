#!/usr/bin/env bash
# checksum_bench.sh - v6kit checksum against tshark (checksum validation on)
# and `v6kit checksum --fix` against `tcprewrite -C`, on one generated capture
# of N packets (default 200000; CHECKSUM_BENCH_PACKETS overrides): mixed
# IPv4/IPv6 TCP/UDP/ICMP/ICMPv6 over Ethernet, 60-1514 octets, 1% with a bad
# checksum.  Prints times and ratios (targets: >=50x tshark, >=2x tcprewrite).
# Each time is the best of RUNS runs (default 3; CHECKSUM_BENCH_RUNS) so a
# busy shared machine disturbs the ratios less.
# Fails only on a wrong result: v6kit and tshark must find the same number of
# bad checksums, and the fixed capture must have none.
set -u
: "${V6KIT:?V6KIT must point at the binary}"
N=${CHECKSUM_BENCH_PACKETS:-200000}
RUNS=${CHECKSUM_BENCH_RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP/big.pcap" "$N" <<'PY' || exit 1
import logging, random, struct, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest
path, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
tmpl = []
for i in range(1000):
    size = random.choice([0, 10, 40, 100, 200, 512, 900, 1200, 1400])
    pay = bytes(random.getrandbits(8) for _ in range(size))
    v6 = i % 2 == 0
    ip = IPv6(src="2001:db8::%x" % (i + 1), dst="2001:db8:1::%x" % (i + 7)) if v6 else \
         IP(src="192.0.2.%d" % (i % 250 + 1), dst="198.51.100.%d" % (i % 200 + 1), id=i)
    kind = i % 5
    if kind < 2:
        l4 = TCP(sport=1024 + i, dport=443, seq=i * 1000, flags="PA")
    elif kind < 4:
        l4 = UDP(sport=1024 + i, dport=53)
    else:
        l4 = ICMPv6EchoRequest(id=i, seq=i) if v6 else ICMP(id=i, seq=i)
    b = bytearray(bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip / l4 / pay))
    if i % 100 == 7:	# 1%: a bad transport checksum (never zero, never the right one)
        off = 14 + (40 if v6 else 20) + {0: 16, 1: 16, 2: 6, 3: 6, 4: 2}[kind]
        b[off] ^= 0x5a
    tmpl.append(bytes(b))
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t = 1700000000 * 1000000
    rec = struct.Struct("<IIII")
    out = []
    for k in range(n):
        b = tmpl[k % len(tmpl)]
        t += 13
        out.append(rec.pack(t // 1000000, t % 1000000, len(b), len(b)))
        out.append(b)
        if len(out) > 20000:
            f.write(b"".join(out)); out = []
    f.write(b"".join(out))
PY
size=$(stat -c %s "$TMP/big.pcap")
echo "# capture: $N packets, $((size / 1048576)) MiB; best of $RUNS runs each"

now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

# best TIME RC: run "$@" RUNS times; sets $best (seconds) and $rc (last exit)
best() {
	local t0 t1 i
	best=
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		"$@"
		rc=$?
		t1=$(now)
		best=$(awk -v a="$t0" -v b="$t1" -v m="$best" 'BEGIN { d = b - a; printf "%.3f", (m == "" || d < m) ? d : m }')
	done
}

# warm the page cache so every tool reads from memory
cat "$TMP/big.pcap" >/dev/null

v6check() { "$V6KIT" checksum -j -r "$TMP/big.pcap" --no-progress >"$TMP/v6.json"; }
best v6check
[ $rc -eq 1 ] || { echo "v6kit checksum exited $rc (want 1: bad checksums present)"; exit 1; }
v6_time=$best
v6_bad=$(grep -c '"type":"checksum"' "$TMP/v6.json")
echo "v6kit checksum -r:        ${v6_time} s  ($v6_bad bad checksums)"

if command -v tshark >/dev/null; then
	tscheck() {
	tshark -r "$TMP/big.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -E occurrence=a -e frame.number \
		-e tcp.checksum.status -e udp.checksum.status -e icmp.checksum.status \
		-e icmpv6.checksum.status -Y 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || icmpv6.checksum.status == 0' \
		>"$TMP/ts.txt" 2>/dev/null
	}
	best tscheck
	ts_time=$best
	ts_bad=$(wc -l <"$TMP/ts.txt")
	echo "tshark (validation on):   ${ts_time} s  ($ts_bad bad packets)"
	echo "ratio tshark / v6kit:     $(ratio "$ts_time" "$v6_time")x  (target >= 50x)"
	[ "$ts_bad" -eq "$v6_bad" ] || { echo "tshark and v6kit disagree: $ts_bad != $v6_bad"; exit 1; }
else
	echo "tshark not installed: comparison skipped"
fi

v6fix() { "$V6KIT" checksum -q -r "$TMP/big.pcap" --fix -w "$TMP/fixed.pcap" --no-progress; }
best v6fix
[ $rc -eq 0 ] || { echo "v6kit checksum --fix exited $rc"; exit 1; }
fix_time=$best
echo "v6kit checksum --fix:     ${fix_time} s"
"$V6KIT" checksum -q -r "$TMP/fixed.pcap" || { echo "the fixed capture still has bad checksums"; exit 1; }

if command -v tcprewrite >/dev/null; then
	trfix() { tcprewrite -C -i "$TMP/big.pcap" -o "$TMP/tcprewrite.pcap" >/dev/null 2>&1; }
	best trfix
	tr_time=$best
	echo "tcprewrite -C:            ${tr_time} s"
	echo "ratio tcprewrite / v6kit: $(ratio "$tr_time" "$fix_time")x  (target >= 2x)"
else
	echo "tcprewrite not installed: comparison skipped"
fi
