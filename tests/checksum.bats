#!/usr/bin/env bats
# checksum.bats - v6kit checksum against the ground truth of
# tests/fixtures/checksum/gen.py (scapy) and against tshark with checksum
# validation on; --fix checked by tshark and by cmpfix.py (only checksum
# octets change); tcprewrite 4.4.3 -C regressions; bad input.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	FX=$TOP/tests/fixtures/checksum
	TMP=$(mktemp -d)
}

teardown() {
	rm -rf "$TMP"
}

# "PACKET LAYER" of every bad checksum v6kit reports, sorted.
v6bad() {
	"$V6KIT" checksum -j "$@" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["type"] == "checksum" and o["status"] == "bad":
        print(o["packet"], o["layer"])' | sort -n -k1,1 -k2
}

# The same from the ground truth.
truthbad() {
	awk '{ print $1, $2 }' "$1" | sort -n -k1,1 -k2
}

# "FRAME LAYER" of every checksum tshark finds bad (status 0 = bad,
# 4 = illegal: UDP zero over IPv6), at every depth.
# Where tshark 4.0 and v6kit differ, and how the tests account for it:
#  - a reassembled datagram's checksum: tshark reports it on the fragment that
#    completed the datagram, v6kit on the offset-0 fragment (SPEC); the truth
#    file carries both numbers.
#  - UDP zero over IPv6: tshark "illegal" (4), v6kit "bad": same verdict.
#  - a frame cut by the snap length: tshark "unverified" (2), v6kit a counted
#    skip ("truncated"); an incomplete datagram: neither verifies it.
#  Everything else (VLAN, extension headers, Routing header type 0 and SRH
#  final destination, 6in4, 6in6, 4in6, fragments in and around tunnels) agrees.
tshark_bad() {
	tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -E occurrence=a -E aggregator=, \
		-e frame.number -e ip.checksum.status -e tcp.checksum.status \
		-e udp.checksum.status -e icmp.checksum.status -e icmpv6.checksum.status 2>/dev/null |
	awk -F'\t' '{
		split("ipv4 tcp udp icmp icmpv6", name, " ")
		for (i = 2; i <= 6; i++) {
			n = split($i, v, ",")
			for (k = 1; k <= n; k++)
				if (v[k] == "0" || v[k] == "4")
					print $1, name[i - 1]
		}
	}' | sort -n -k1,1 -k2
}

# Ground truth as tshark numbers it: a reassembled datagram's checksum is
# reported on the fragment that completed it (column 4).
truth_tshark() {
	awk '{ print ($3 == "reassembled" ? $4 : $1), $2 }' "$1" | sort -n -k1,1 -k2
}

@test "--help prints usage on stdout and exits 0" {
	run -0 "$V6KIT" checksum --help
	[[ "$output" == *"Usage: v6kit checksum"* ]]
	[[ "$output" == *"--pseudo6"* ]]
}

@test "mixed.pcap: the bad checksums are exactly the ground truth" {
	run -1 "$V6KIT" checksum -r "$FX/mixed.pcap"
	v6bad -r "$FX/mixed.pcap" >"$TMP/v6"
	truthbad "$FX/mixed.truth" >"$TMP/truth"
	diff -u "$TMP/truth" "$TMP/v6"
	[ "$(wc -l <"$TMP/truth")" -ge 20 ]
}

@test "sll.pcap, raw.pcap, nsec.pcap, tunnelfrag.pcap and mixed.pcapng agree with their ground truth" {
	for f in sll raw nsec tunnelfrag; do
		v6bad -r "$FX/$f.pcap" >"$TMP/v6"
		truthbad "$FX/$f.truth" >"$TMP/truth"
		[ -s "$TMP/truth" ]
		diff -u "$TMP/truth" "$TMP/v6"
	done
	v6bad -r "$FX/mixed.pcapng" >"$TMP/v6"
	truthbad "$FX/mixed.truth" >"$TMP/truth"
	diff -u "$TMP/truth" "$TMP/v6"
}

@test "tshark (checksum validation on) agrees with the ground truth on every fixture" {
	command -v tshark >/dev/null || skip "tshark not installed"
	for f in mixed sll raw nsec tunnelfrag; do
		tshark_bad "$FX/$f.pcap" >"$TMP/ts"
		truth_tshark "$FX/$f.truth" >"$TMP/truth"
		diff -u "$TMP/truth" "$TMP/ts"
	done
}

@test "JSON: every line parses; checksum lines carry the fixed fields; summary counts match" {
	run -1 "$V6KIT" checksum -j -r "$FX/mixed.pcap"
	printf '%s\n' "$output" >"$TMP/out"
	/usr/bin/python3 - "$TMP/out" "$FX/mixed.truth" "$FX/mixed.skips" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
truth = [l.split() for l in open(sys.argv[2])]
skips = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[3]))
checks = [o for o in lines if o["type"] == "checksum"]
summ = [o for o in lines if o["type"] == "summary"]
assert len(summ) == 1 and lines[-1]["type"] == "summary", lines[-1]
s = summ[0]
for o in checks:
    assert set(o) >= {"packet", "layer", "stored", "computed", "status", "reassembled", "fixed"}, o
    assert o["status"] == "bad" and o["fixed"] is False, o
    assert o["stored"].startswith("0x") and len(o["computed"]) == 6, o
assert s["packets"] == 50, s
for layer in ("ipv4", "tcp", "udp", "icmp", "icmpv6"):
    want = sum(1 for t in truth if t[1] == layer)
    assert s["bad"][layer] == want, (layer, s["bad"], want)
    assert s["checked"][layer] >= want
assert s["fixed"] == 0 and isinstance(s["elapsed_s"], float)
for k, v in skips.items():
    assert s["skipped"].get(k) == v, (k, s["skipped"])
reass = [o for o in checks if o["reassembled"]]
assert sorted(o["packet"] for o in reass) == sorted(int(t[0]) for t in truth if len(t) > 2), reass
print("ok")
PY
}

@test "UDP checksum zero: bad over IPv6 (computed shown), none over IPv4" {
	run -1 "$V6KIT" checksum -v -j -r "$FX/mixed.pcap"
	line29=$(printf '%s\n' "$output" | grep '"packet":29,')
	[[ "$line29" == *'"status":"bad"'* ]]
	[[ "$line29" == *'"stored":"0x0000"'* ]]
	[[ "$line29" != *'"computed":"0x0000"'* ]]
	line30=$(printf '%s\n' "$output" | grep '"packet":30,')
	[[ "$line30" == *'"layer":"udp"'* && "$line30" == *'"status":"none"'* ]]
}

@test "-v reports good checksums too; -q prints nothing; exit status unchanged" {
	run -1 "$V6KIT" checksum -v -r "$FX/mixed.pcap"
	[[ "$output" == *"packet 1: ipv4 good"* ]]
	[[ "$output" == *"packet 1: tcp good"* ]]
	run -1 "$V6KIT" checksum -q -r "$FX/mixed.pcap"
	[ -z "$output" ]
	run -0 "$V6KIT" checksum -q -r "$FX/mixed.pcap" -c 6
}

@test "-c N stops after N packets" {
	run -1 "$V6KIT" checksum -j -c 8 -r "$FX/mixed.pcap"
	[[ "${lines[-1]}" == *'"packets":8,'* ]]
	[ "$(printf '%s\n' "$output" | grep -c '"type":"checksum"')" -eq 2 ]
}

@test "stdin input with -r -" {
	run -1 "$V6KIT" checksum -j -r - <"$FX/mixed.pcap"
	[[ "${lines[-1]}" == *'"packets":50,'* ]]
}

@test "--fix: tshark finds no bad checksum, only checksum octets change, exit 0" {
	run -0 "$V6KIT" checksum -r "$FX/mixed.pcap" --fix -w "$TMP/fixed.pcap"
	[[ "$output" == *"fixed"* ]]
	/usr/bin/python3 "$FX/cmpfix.py" "$FX/mixed.pcap" "$TMP/fixed.pcap"
	# a microsecond pcap stays a microsecond pcap
	[ "$(od -An -tx1 -N4 "$TMP/fixed.pcap" | tr -d ' ')" = "d4c3b2a1" ]
	run -0 "$V6KIT" checksum -r "$TMP/fixed.pcap"
	if command -v tshark >/dev/null; then
		tshark_bad "$TMP/fixed.pcap" >"$TMP/ts"
		[ ! -s "$TMP/ts" ] || { cat "$TMP/ts"; return 1; }
	fi
}

@test "--fix summary: fixed equals the number of bad checksums" {
	run -0 "$V6KIT" checksum -j -r "$FX/mixed.pcap" --fix -w "$TMP/fixed.pcap"
	n=$(wc -l <"$FX/mixed.truth")
	[[ "${lines[-1]}" == *"\"fixed\":$n,"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '"fixed":true')" -eq "$n" ]
}

@test "cmpfix.py can fail: a changed payload octet and a changed timestamp are caught" {
	cp "$FX/mixed.pcap" "$TMP/m.pcap"
	printf '\x99' | dd of="$TMP/m.pcap" bs=1 seek=92 conv=notrunc 2>/dev/null
	run ! /usr/bin/python3 "$FX/cmpfix.py" "$FX/mixed.pcap" "$TMP/m.pcap"
	[[ "$output" == *"not a checksum field"* ]]
	cp "$FX/mixed.pcap" "$TMP/t.pcap"
	printf '\x07' | dd of="$TMP/t.pcap" bs=1 seek=28 conv=notrunc 2>/dev/null
	run ! /usr/bin/python3 "$FX/cmpfix.py" "$FX/mixed.pcap" "$TMP/t.pcap"
	[[ "$output" == *"timestamp"* ]]
}

@test "--fix keeps link type and timestamps: nanosecond, SLL, raw captures, fragments in tunnels" {
	for f in nsec sll raw tunnelfrag; do
		run -0 "$V6KIT" checksum -r "$FX/$f.pcap" --fix -w "$TMP/$f.pcap"
		/usr/bin/python3 "$FX/cmpfix.py" "$FX/$f.pcap" "$TMP/$f.pcap"
		run -0 "$V6KIT" checksum -r "$TMP/$f.pcap"
		if command -v tshark >/dev/null; then
			tshark_bad "$TMP/$f.pcap" >"$TMP/ts"
			[ ! -s "$TMP/ts" ] || { cat "$TMP/ts"; return 1; }
		fi
	done
	# nanosecond input stays a nanosecond pcap
	[ "$(od -An -tx1 -N4 "$TMP/nsec.pcap" | tr -d ' ')" = "4d3cb2a1" ]
	[ "$(od -An -tx1 -N4 "$TMP/sll.pcap" | tr -d ' ')" = "d4c3b2a1" ]
}

@test "--fix -w - writes the pcap to stdout and the report to stderr" {
	"$V6KIT" checksum -r "$FX/mixed.pcap" --fix -w - >"$TMP/o.pcap" 2>"$TMP/err"
	/usr/bin/python3 "$FX/cmpfix.py" "$FX/mixed.pcap" "$TMP/o.pcap"
	grep -q "packets" "$TMP/err"
}

@test "tcprewrite 4.4.3 -C regression: Ethernet addresses untouched" {
	run -0 "$V6KIT" checksum -r "$FX/mixed.pcap" --fix -w "$TMP/f.pcap"
	command -v tshark >/dev/null || skip "tshark not installed"
	tshark -r "$FX/mixed.pcap" -T fields -e eth.src -e eth.dst 2>/dev/null >"$TMP/a"
	tshark -r "$TMP/f.pcap" -T fields -e eth.src -e eth.dst 2>/dev/null >"$TMP/b"
	diff "$TMP/a" "$TMP/b"
	grep -q "02:00:00:00:00:01" "$TMP/b"
}

@test "tcprewrite 4.4.3 -C regression: IPv6 payload length a multiple of 256 is fixed" {
	# packets 31 (UDP, payload length 256) and 32 (TCP, 512) carry bad sums
	v6bad -r "$FX/mixed.pcap" | grep -qx "31 udp"
	v6bad -r "$FX/mixed.pcap" | grep -qx "32 tcp"
	tshark -r "$FX/mixed.pcap" -Y 'frame.number == 31 || frame.number == 32' -T fields -e ipv6.plen 2>/dev/null |
		tr '\n' ' ' | grep -q "256 512"
	run -0 "$V6KIT" checksum -r "$FX/mixed.pcap" --fix -w "$TMP/f.pcap"
	run -0 "$V6KIT" checksum -v -j -r "$TMP/f.pcap"
	printf '%s\n' "$output" | grep '"packet":31,' | grep -q '"status":"good"'
	printf '%s\n' "$output" | grep '"packet":32,' | grep -q '"status":"good"'
}

@test "tcprewrite 4.4.3 -C regression: a computed zero UDP checksum is written 0xffff" {
	run -1 "$V6KIT" checksum -j -r "$FX/mixed.pcap"
	printf '%s\n' "$output" | grep '"packet":33,' | grep -q '"computed":"0xffff"'
	run -0 "$V6KIT" checksum -r "$FX/mixed.pcap" --fix -w "$TMP/f.pcap"
	run -0 "$V6KIT" checksum -v -j -r "$TMP/f.pcap"
	printf '%s\n' "$output" | grep '"packet":33,' | grep '"status":"good"' | grep '"stored":"0xffff"' | grep -q '"computed":"0xffff"'
	# and the IPv4 one scapy already wrote as 0xffff stays good
	printf '%s\n' "$output" | grep '"packet":34,' | grep '"layer":"udp"' | grep -q '"stored":"0xffff"'
}

@test "the fixture reproduces tcprewrite 4.4.3 -C's failures (so the regressions above can fail)" {
	tcprewrite --version 2>&1 | grep -q "version: 4.4.3" || skip "needs tcprewrite 4.4.3"
	tcprewrite -C -i "$FX/mixed.pcap" -o "$TMP/tr.pcap" >/dev/null 2>&1
	v6bad -r "$TMP/tr.pcap" >"$TMP/trbad"
	grep -qx "31 udp" "$TMP/trbad"		# IPv6 payload length 256 skipped
	grep -qx "32 tcp" "$TMP/trbad"		# 512 too
	grep -qx "29 udp" "$TMP/trbad"		# zero UDP checksum over IPv6 left alone
	run -1 "$V6KIT" checksum -j -r "$TMP/tr.pcap"
	printf '%s\n' "$output" | grep '"packet":33,' | grep -q '"stored":"0x0000"'	# computed zero written 0x0000
	run ! /usr/bin/python3 "$FX/cmpfix.py" "$FX/mixed.pcap" "$TMP/tr.pcap"
	[[ "$output" == *"packet 4: octet 0 differs"* ]]	# Ethernet address rewritten
}

@test "--hex: raw IPv6 by version nibble, --link ether, every checksum shown" {
	hex=$(/usr/bin/python3 -c 'from scapy.all import *; print(bytes(IPv6(src="2001:db8::1",dst="2001:db8::2")/UDP(sport=1,dport=2,chksum=0x1234)/b"hello").hex())')
	run -1 "$V6KIT" checksum --hex "$hex"
	[[ "$output" == *"packet 1: udp bad, stored 0x1234, computed 0x"* ]]
	good=$(/usr/bin/python3 -c 'from scapy.all import *; print(bytes(Ether()/IP(src="192.0.2.1",dst="192.0.2.2")/TCP()).hex())')
	run -0 "$V6KIT" checksum --link ether --hex "$good"
	[[ "$output" == *"ipv4 good"* && "$output" == *"tcp good"* ]]
	run -0 "$V6KIT" checksum -j --hex "$hex" --fix
	fixed=$(printf '%s\n' "$output" | /usr/bin/python3 -c 'import json,sys; print([o for o in map(json.loads, sys.stdin) if o["type"]=="fixed"][0]["hex"])')
	run -0 "$V6KIT" checksum --hex "$fixed"
	[[ "$output" == *"udp good"* ]]
}

@test "--sum: RFC 1071 example and the IPv6 pseudo-header agree with a transport checksum" {
	# RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2, checksum 0x220d
	run -0 "$V6KIT" checksum --sum < <(printf '\x00\x01\xf2\x03\xf4\xf5\xf6\xf7')
	[ "$output" = "0x220d" ]
	run -0 "$V6KIT" checksum -j --sum < <(printf '\x00\x01\xf2\x03\xf4\xf5\xf6\xf7')
	[[ "$output" == *'"checksum":"0x220d"'* && "$output" == *'"sum":"0xddf2"'* && "$output" == *'"length":8'* ]]
	# a UDP segment with its checksum field zeroed, summed with the pseudo-header,
	# gives the checksum scapy computed
	/usr/bin/python3 -c '
from scapy.all import *
p = IPv6(bytes(IPv6(src="2001:db8::1", dst="2001:db8::2")/UDP(sport=5, dport=6)/b"odd!x"))
open("'"$TMP"'/want", "w").write("0x%04x" % p[UDP].chksum)
u = bytearray(bytes(p[UDP])); u[6:8] = b"\0\0"
open("'"$TMP"'/seg", "wb").write(u)'
	run -0 "$V6KIT" checksum --sum --pseudo6 2001:db8::1,2001:db8::2,17 <"$TMP/seg"
	[ "$output" = "$(cat "$TMP/want")" ]
}

@test "truncated packets inside a good file: counted skip, never bad" {
	run -1 "$V6KIT" checksum -j -r "$FX/mixed.pcap"
	[[ "${lines[-1]}" == *'"truncated":1'* ]]
	run -1 "$V6KIT" checksum -j -r "$FX/mixed.pcap"
	! printf '%s\n' "$output" | grep -q '"packet":48,'
	# every packet of mixed.pcap cut to 60 octets by the snap length
	editcap -s 60 "$FX/mixed.pcap" "$TMP/snap.pcap" 2>/dev/null || skip "editcap missing"
	run "$V6KIT" checksum -j -r "$TMP/snap.pcap"
	[ "$status" -le 1 ]
	[[ "${lines[-1]}" == *'"type":"summary"'* ]]
}

@test "truncated capture file: what precedes is processed, error reported, exit 1" {
	run -1 "$V6KIT" checksum -j -r "$FX/truncated.pcap"
	[[ "$output" == *'"type":"error"'* ]]
	[[ "${lines[-1]}" == *'"type":"summary"'* ]]
	n=$(printf '%s\n' "${lines[-1]}" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
	[ "$n" -gt 10 ] && [ "$n" -lt 50 ]
	# --fix too: output written up to the cut, exit 1
	run -1 "$V6KIT" checksum -r "$FX/truncated.pcap" --fix -w "$TMP/t.pcap"
	[ -s "$TMP/t.pcap" ]
}

@test "bad input: garbage, empty file, missing path exit 2 with a message" {
	for f in garbage.pcap empty.pcap; do
		run -2 "$V6KIT" checksum -r "$FX/$f"
		[[ "$output" == *"v6kit checksum:"* ]]
	done
	run -2 "$V6KIT" checksum -r "$TMP/nonexistent.pcap"
	[[ "$output" == *"v6kit checksum:"* ]]
	run -2 "$V6KIT" checksum -j -r "$TMP/nonexistent.pcap"
	printf '%s\n' "$output" | grep '"type":"error"' | /usr/bin/python3 -c 'import json,sys; o=json.loads(sys.stdin.readline()); assert o["applet"]=="checksum"'
}

@test "bad hex and wrong options exit 2" {
	run -2 "$V6KIT" checksum --hex 6zz0
	[[ "$output" == *"not a hex digit"* ]]
	run -2 "$V6KIT" checksum --hex 600
	[[ "$output" == *"odd number"* ]]
	run -2 "$V6KIT" checksum --hex ""
	run -2 "$V6KIT" checksum
	run -2 "$V6KIT" checksum -r "$FX/mixed.pcap" --hex 00
	run -2 "$V6KIT" checksum -r "$FX/mixed.pcap" --fix
	run -2 "$V6KIT" checksum -r "$FX/mixed.pcap" -w "$TMP/x.pcap"
	run -2 "$V6KIT" checksum --hex 00 --link token-ring
	run -2 "$V6KIT" checksum --sum --pseudo6 2001:db8::1,17 </dev/null
	run -2 "$V6KIT" checksum --sum --pseudo6 2001:db8::1,2001:db8::2,300 </dev/null
	run -2 "$V6KIT" checksum --sum --pseudo6 nope,2001:db8::2,17 </dev/null
	run -2 "$V6KIT" checksum -r "$FX/mixed.pcap" -c 0
	run -2 "$V6KIT" checksum --bogus
	run -2 "$V6KIT" checksum -r "$FX/mixed.pcap" extra
}

@test "garbage packets of every length in a capture never crash" {
	/usr/bin/python3 - "$TMP/junk.pcap" <<'PY'
import random, struct, sys
random.seed(4)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(400):
        n = random.randint(0, 120)
        b = bytearray(random.getrandbits(8) for _ in range(n))
        if n > 14 and i % 2:
            b[12:14] = b"\x86\xdd" if i % 4 == 1 else b"\x08\x00"
            if n > 15:
                b[14] = 0x60 if i % 4 == 1 else 0x45
        f.write(struct.pack("<IIII", i, 0, n, n + random.randint(0, 3)) + bytes(b))
PY
	run "$V6KIT" checksum -j -r "$TMP/junk.pcap"
	[ "$status" -le 1 ]
	[[ "${lines[-1]}" == *'"packets":400,'* ]]
}

@test "v6kit --options checksum lists the long options" {
	run -0 "$V6KIT" --options checksum
	for o in --hex= --link= --sum --pseudo6= --fix --read= --write= --count= --json --no-progress; do
		printf '%s\n' "$output" | grep -qx -- "$o"
	done
}

@test "progress bar on a terminal for a large capture; --no-progress turns it off" {
	/usr/bin/python3 - "$TMP/big.pcap" <<'PY'
import struct, sys
from scapy.all import Ether, IPv6, UDP
b = bytes(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2) / (b"p" * 450))
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    rec = struct.pack("<IIII", 1, 0, len(b), len(b)) + b
    f.write(rec * 12000)
PY
	run -0 /usr/bin/python3 "$TOP/tests/lib/pty_drive.py" -t 20 'expect=\] +[0-9]+% [0-9]+ packets' \
		'expect=12000 packets;' -- "$V6KIT" checksum -r "$TMP/big.pcap"
	run -0 /usr/bin/python3 "$TOP/tests/lib/pty_drive.py" -t 20 'expect=12000 packets;' \
		-- "$V6KIT" checksum --no-progress -r "$TMP/big.pcap"
	[[ "$output" != *"%"* ]]
	# not a terminal: no bar either
	run -0 "$V6KIT" checksum -r "$TMP/big.pcap"
	[[ "$output" != *"%"* ]]
}

@test "mixed.pcap cut at many lengths: exit 1 or 2 with a message, never a crash" {
	size=$(stat -c %s "$FX/mixed.pcap")
	for ((n = 0; n < size; n += (n < 64 ? 1 : 29))); do
		head -c "$n" "$FX/mixed.pcap" >"$TMP/cut.pcap"
		run "$V6KIT" checksum -q -r "$TMP/cut.pcap"
		if [ "$n" -lt 24 ]; then
			[ "$status" -eq 2 ] || { echo "cut at $n: exit $status"; return 1; }
		else
			[ "$status" -le 1 ] || { echo "cut at $n: exit $status $output"; return 1; }
		fi
	done
}

@test "ip_layer tells which IP header through tunnels" {
	run -1 "$V6KIT" checksum -j -r "$FX/mixed.pcap"
	printf '%s\n' "$output" | grep '"packet":24,' | grep '"layer":"ipv4"' | grep -q '"ip_layer":1'
	printf '%s\n' "$output" | grep '"packet":24,' | grep '"layer":"tcp"' | grep -q '"ip_layer":2'
	printf '%s\n' "$output" | grep '"packet":28,' | grep '"layer":"ipv4"' | grep -q '"ip_layer":2'
	printf '%s\n' "$output" | grep '"packet":7,' | grep -q '"ip_layer":1'
}

@test "--fix to a full device: exit 3 (an output that cannot be written) with the write error" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -3 "$V6KIT" checksum -q -r "$FX/mixed.pcap" --fix -w /dev/full
	[[ "$output" == *"/dev/full: write error"* ]]
}

@test "reassembly bounds are options; an overflow is a counted skip, not growth" {
	/usr/bin/python3 - "$TMP/inc.pcap" <<-'PY' 2>/dev/null
	import sys
	from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, UDP, wrpcap
	pk = []
	for i in range(5):	# five datagrams whose last fragment never comes
	    pk.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
	              IPv6(src="2001:db8::1", dst="2001:db8::2") /
	              IPv6ExtHdrFragment(id=100 + i, offset=0, m=1) / UDP(sport=1, dport=2, len=1008) / (b"x" * 32))
	wrpcap(sys.argv[1], pk)
	PY
	run -0 "$V6KIT" checksum -r "$TMP/inc.pcap" -j
	[ "$(echo "${lines[-1]}" | jq -c .skipped)" = '{"incomplete_datagram":5}' ]
	run -0 "$V6KIT" checksum -r "$TMP/inc.pcap" -j --reasm-max-datagrams 2
	[ "$(echo "${lines[-1]}" | jq -c .skipped)" = '{"limit_datagrams":3,"incomplete_datagram":2}' ]
	run -0 "$V6KIT" checksum -r "$TMP/inc.pcap" -j --reasm-max-per-source 1
	[ "$(echo "${lines[-1]}" | jq -r .skipped.limit_source)" = 4 ]
	run -2 "$V6KIT" checksum -r "$TMP/inc.pcap" --reasm-max-datagrams 0
	[[ "$output" == *"invalid --reasm-max-datagrams value '0'"* ]]
	run -2 "$V6KIT" checksum -r "$TMP/inc.pcap" --reasm-timeout -1
}

@test "--sum: inputs spanning several read chunks at odd sizes agree with an independent RFC 1071 sum" {
	for sz in 1 65535 65537 131071 200001; do
		head -c "$sz" /dev/urandom >"$TMP/b"
		want=$(/usr/bin/python3 -c "
d = open('$TMP/b', 'rb').read()
d += b'\0' * (len(d) % 2)
s = sum(d[i] << 8 | d[i + 1] for i in range(0, len(d), 2))
while s >> 16: s = (s & 0xffff) + (s >> 16)
print('0x%04x' % (~s & 0xffff))")
		run -0 "$V6KIT" checksum --sum <"$TMP/b"
		[ "$output" = "$want" ] || { echo "size $sz: $output != $want"; return 1; }
	done
}
