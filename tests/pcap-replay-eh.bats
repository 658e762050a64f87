#!/usr/bin/env bats
# pcap-replay-eh.bats - pcap-replay --eh (SPEC.md §3 "Extension headers"),
# offline: on a mixed capture (UDP, TCP, ICMPv6, existing Hop-by-Hop,
# Destination Options and Routing headers, fragments, an atomic fragment,
# 6in4, IPv4, ARP) every IPv6 packet that can take the chain gains it and
# nothing else changes (an independent rebuild in tests/fixtures/eh_replay.py
# compares byte for byte), tshark finds no malformed field and no bad
# checksum, skips are counted by reason; --eh then --fragment gives RFC
# 7112-compliant fragments with the unfragmentable part in each; checksum and
# ra-sniff report such packets exactly; bad usage exits 2 with the reason.
# The kernel as receiver: tests/lab/pcap-replay-lab.bats.

bats_require_minimum_version 1.5.0

setup_file() {
	export FX="$BATS_FILE_TMPDIR/fx"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/replay_gen.py" "$FX" 2>/dev/null
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/eh_replay.py" gen "$FX" 2>/dev/null
}

setup() {
	: "${V6KIT:?}"
	OUT="$BATS_TEST_TMPDIR"
	EXPECT="$BATS_TEST_DIRNAME/fixtures/eh_replay.py"
}

json_field() {	# json_field FIELD[.SUB] <<< JSON lines: the summary's value
	/usr/bin/python3 -c 'import json,sys
for l in sys.stdin:
    if not l.startswith("{"): continue
    d = json.loads(l)
    if d.get("type") != "summary": continue
    for k in sys.argv[1].split("."): d = d.get(k, 0) if isinstance(d, dict) else 0
    print(d)' "$1"
}

# Frames tshark (checksum validation on) calls malformed or bad; with
# "strict", expert errors too (RFC order output has none).
tshark_bad() {
	local f="_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmpv6.checksum.status == 0"
	[ "${2:-}" = strict ] && f="$f || _ws.expert.severity >= \"Error\""
	tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -Y "$f" 2>/dev/null | wc -l
}

# Checksums tshark verified good (UDP, TCP, ICMPv6), one per checked packet.
tshark_good() {
	tshark -r "$1" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-T fields -e udp.checksum.status -e tcp.checksum.status -e icmpv6.checksum.status 2>/dev/null |
		tr -s '\t' '\n' | grep -c '^1$'
}

@test "--help and --options list --eh, --eh-order, --allow-split-chain" {
	run "$V6KIT" pcap-replay --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--eh SPEC"* && "$output" == *"--eh-order"* && "$output" == *"--allow-split-chain"* ]]
	run "$V6KIT" --options pcap-replay
	for o in --eh= --eh-order= --allow-split-chain; do
		grep -qx -- "$o" <<<"$output" || { echo "missing $o"; return 1; }
	done
}

@test "--eh dst:16 --eh dstu:8: every IPv6 packet gains the chain in RFC 8200 order, nothing else changes" {
	run --separate-stderr "$V6KIT" pcap-replay -j --eh dst:16 --eh dstu:8 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[ "$status" -eq 0 ]
	run /usr/bin/python3 "$EXPECT" expect "$FX/ehmix.pcap" "$OUT/o.pcap" rfc dst:16 dstu:8
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "inserted 8 skipped 4" ]
	run "$V6KIT" pcap-replay -j --eh dst:16 --eh dstu:8 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[ "$(json_field eh <<<"$output")" = "dst:16 dstu:8" ]	# as given
	[ "$(json_field eh_inserted <<<"$output")" -eq 8 ]
	[ "$(json_field eh_skipped <<<"$output")" -eq 4 ]
	[ "$(json_field eh_skip.not_ipv6 <<<"$output")" -eq 2 ]	# IPv4 UDP, ARP
	[ "$(json_field eh_skip.fragment <<<"$output")" -eq 2 ]	# dst cannot go into a fragment
	[ "$(tshark_bad "$OUT/o.pcap" strict)" -eq 0 ]
	# 7 UDP (6in4 and IPv4 too, the fragmented datagram once), 2 TCP, 1 ICMPv6: good
	[ "$(tshark_good "$OUT/o.pcap")" -eq 10 ]
	[ "$(tshark -r "$OUT/o.pcap" -Y 'ipv6.dstopts' 2>/dev/null | wc -l)" -eq 8 ]
	# the text summary says the same
	run "$V6KIT" pcap-replay --eh dst:16 --eh dstu:8 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[[ "$output" == *"extension headers 'dst:16 dstu:8': inserted into 8 frames, 4 left as they were (2 not_ipv6, 2 fragment)"* ]]
}

@test "--eh hbh:8 --eh dstu:8,opt=30: fragments take it before the Fragment header; a packet with its own Hop-by-Hop header is skipped" {
	run "$V6KIT" pcap-replay -j --eh hbh:8 --eh dstu:8,opt=30 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field eh_inserted <<<"$output")" -eq 9 ]
	[ "$(json_field eh_skip.has_hop_by_hop <<<"$output")" -eq 1 ]
	run /usr/bin/python3 "$EXPECT" expect "$FX/ehmix.pcap" "$OUT/o.pcap" rfc hbh:8 dstu:8,opt=30
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tshark_bad "$OUT/o.pcap" strict)" -eq 0 ]
	[ "$(tshark_good "$OUT/o.pcap")" -eq 10 ]
	# the captured fragments still reassemble (tshark), with their new headers
	[ "$(tshark -r "$OUT/o.pcap" -o udp.check_checksum:TRUE -Y 'ipv6.hopopts && udp.length == 1508 && udp.checksum.status == 1' 2>/dev/null | wc -l)" -eq 1 ]
}

@test "--eh-order given: the chain right after the IPv6 header as given (tshark: no malformed field, checksums good)" {
	run "$V6KIT" pcap-replay -j --eh-order given --eh dst:8 --eh hbh:2048 --eh dst:8,opt=158 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field eh_inserted <<<"$output")" -eq 10 ]
	run /usr/bin/python3 "$EXPECT" expect "$FX/ehmix.pcap" "$OUT/o.pcap" given dst:8 hbh:2048 dst:8,opt=158
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tshark_bad "$OUT/o.pcap")" -eq 0 ]
	[ "$(tshark_good "$OUT/o.pcap")" -eq 10 ]
}

@test "--eh then --fragment 1280: RFC 7112 first fragments, hbh and dstu in every fragment, reassembled checksum good" {
	run "$V6KIT" pcap-replay -j --eh dst:1200 --eh dstu:16 --eh hbh:8 --fragment 1280 -w "$OUT/f.pcap" "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field fragmented <<<"$output")" -eq 2 ]
	[ "$(json_field unfragmentable <<<"$output")" -eq 0 ]
	/usr/bin/python3 - "$OUT/f.pcap" <<'EOF'
import sys
from scapy.all import rdpcap, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, UDP, raw
n = 0
for p in rdpcap(sys.argv[1]):
    assert len(p) <= 14 + 1280, len(p)
    ip = p[IPv6]
    # unfragmentable part: IPv6, Hop-by-Hop (8), Destination Options (16), then Fragment
    b = raw(ip)
    assert ip.nh == 0 and b[40] == 60 and b[41] == 0, b[:48].hex()
    assert b[48] == 44 and b[49] == 1, b[48:64].hex()
    fo = int.from_bytes(b[66:68], "big")
    nh = b[64]
    if fo & ~7 == 0:
        # first fragment: the whole chain (dst 1200 + UDP 8) after the Fragment header
        assert nh == 60 and (b[73] + 1) * 8 == 1200 and b[72] == 17, b[64:80].hex()
        assert len(b) >= 72 + 1200 + 8
    n += 1
assert n == 6, n   # 3000 octets: 4 fragments; the 100-octet one, 1372 with the chain: 2
EOF
	[ "$(json_field fragments <<<"$output")" -eq 6 ]
	[ "$(tshark_bad "$OUT/f.pcap" strict)" -eq 0 ]
	[ "$(tshark -r "$OUT/f.pcap" -o udp.check_checksum:TRUE -Y 'udp.length == 3008 && udp.checksum.status == 1' 2>/dev/null | wc -l)" -eq 1 ]
	# the checksum applet reassembles and verifies the same way
	run "$V6KIT" checksum -j -r "$OUT/f.pcap"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"bad":{"ipv4":0,"tcp":0,"udp":0,"icmp":0,"icmpv6":0}'* ]]
	[[ "$output" == *'"udp":2'* ]]
}

@test "a chain --fragment cannot carry: exit 2 naming the sizes; --allow-split-chain sends it split" {
	run --separate-stderr "$V6KIT" pcap-replay --eh dst:2048 --eh hbh:8 --fragment 1280 -w "$OUT/f.pcap" "$FX/big.pcap"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--fragment 1280 cannot carry --eh 'dst:2048 hbh:8'"*"48 octets"*"2056 octets"*"2112 octets in all"*"--allow-split-chain"* ]]
	[ ! -s "$OUT/f.pcap" ]
	run --separate-stderr "$V6KIT" pcap-replay -j --eh dst:2048 --eh hbh:8 --fragment 1280 --allow-split-chain -w "$OUT/f.pcap" "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field unfragmentable <<<"$output")" -eq 0 ]
	# tshark reassembles: the datagram's checksum good
	[ "$(tshark -r "$OUT/f.pcap" -o udp.check_checksum:TRUE -Y 'udp.length == 3008 && udp.checksum.status == 1' 2>/dev/null | wc -l)" -eq 1 ]
	# the first fragment lacks the upper-layer header (RFC 7112 broken, as asked)
	[ "$(tshark -r "$OUT/f.pcap" -Y 'ipv6.fraghdr.offset == 0 && ipv6.fraghdr.more == 1' 2>/dev/null | wc -l)" -eq 2 ]
	run "$V6KIT" pcap-replay --eh dst:256 --mtu 300 -w "$OUT/f.pcap" "$FX/big.pcap"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--mtu 300 cannot carry --eh 'dst:256'"*"304 octets"* ]]
}

@test "a packet whose own headers leave the chain no room in the first fragment is sent whole and counted" {
	# TCP with 40 octets of header: dst:1224 + 40 > 1280 - 48; UDP (8) would fit
	/usr/bin/python3 - "$OUT/t.pcap" <<'EOF'
import sys
from scapy.all import Ether, IPv6, TCP, Raw, wrpcap
wrpcap(sys.argv[1], [Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") /
       TCP(options=[("NOP", None)] * 20) / Raw(b"x" * 2000)])
EOF
	run --separate-stderr "$V6KIT" pcap-replay -j --eh dst:1216 --fragment 1280 -w "$OUT/o.pcap" "$OUT/t.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field unfragmentable <<<"$output")" -eq 1 ]
	[[ "$stderr" == *"header chain split (RFC 7112)"*"1232 octets"*"1256 octets"* ]]
}

@test "--mtu applies after the insertion: a packet the chain makes too long is skipped and counted" {
	run "$V6KIT" pcap-replay -j --mtu 350 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[ "$(json_field skipped_mtu <<<"$output")" -eq 2 ]	# the two captured fragments
	run "$V6KIT" pcap-replay -j --eh dst:256 --mtu 350 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field skipped_mtu <<<"$output")" -eq 3 ]	# and the TCP packet: 102 + 256 octets
	[ "$(json_field packets <<<"$output")" -eq 9 ]
	# no IP packet over 350 octets left (Ethernet frames: 14 octets of header)
	[ "$(tshark -r "$OUT/o.pcap" -T fields -e frame.len 2>/dev/null | awk '$1 - 14 > 350' | wc -l)" -eq 0 ]
}

@test "frames that cannot take the chain go on unchanged, counted by reason (bad chain, too big, 6in4 in an IPv4 fragment)" {
	/usr/bin/python3 - "$OUT/s.pcap" <<'EOF'
import sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, wrpcap, raw
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
# a Destination Options header whose length runs past the packet
bad = Ether(raw(e / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=60, plen=8) / Raw(b"\x11\x05" + bytes(6))))
# 6in4 in an IPv4 fragment: no IPv6 layer the parser can follow
frag4 = e / IP(src="192.0.2.1", dst="198.51.100.1", proto=41, flags="MF") / \
    IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=9) / Raw(b"z" * 16)
# 65527 octets of payload: 16 more would pass 65535
big = e / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=9) / Raw(b"J" * 65519)
wrpcap(sys.argv[1], [bad, frag4, big])
EOF
	run "$V6KIT" pcap-replay -j --eh dst:16 -w "$OUT/o.pcap" "$OUT/s.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field eh_inserted <<<"$output")" -eq 0 ]
	[ "$(json_field eh_skip.bad_ipv6_chain <<<"$output")" -eq 1 ]
	[ "$(json_field eh_skip.not_ipv6 <<<"$output")" -eq 1 ]
	[ "$(json_field eh_skip.too_big <<<"$output")" -eq 1 ]
	[ "$(json_field packets <<<"$output")" -eq 3 ]
	cmp <(tcpdump -nn -xx -r "$OUT/s.pcap" 2>/dev/null) <(tcpdump -nn -xx -r "$OUT/o.pcap" 2>/dev/null)
}

@test "bad --eh usage: exit 2 with the reason" {
	while IFS='|' read -r args want; do
		run --separate-stderr "$V6KIT" pcap-replay $args -w "$OUT/x.pcap" "$FX/mix.pcap"
		echo "$args -> $status $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"$want"* ]]
	done <<'EOF'
--eh hbh:7|invalid --eh value 'hbh:7': length
--eh dst:12|invalid --eh value 'dst:12': length 12 is not a multiple of 8
--eh dst:4096|invalid --eh value 'dst:4096': length: out of range (8..2048)
--eh dst:8,opt=300|invalid --eh value 'dst:8,opt=300': option type: out of range (0..255)
--eh rh:8|unknown header kind
--eh hbh:8 --eh hbh:16|two hbh headers: RFC 8200 §4.1 allows one Hop-by-Hop Options header
--eh dst:8 --eh-order odd|invalid --eh-order value 'odd'
EOF
	# the same two under --eh-order given go
	run "$V6KIT" pcap-replay -q --eh-order given --eh hbh:8 --eh hbh:16 -w "$OUT/x.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
}

@test "checksum reports packets with hbh/dst chains exactly (no bad, the same counts as without)" {
	"$V6KIT" pcap-replay -q --eh hbh:8 --eh dstu:24 --eh dst:256,opt=30 -w "$OUT/o.pcap" "$FX/ehmix.pcap"
	run "$V6KIT" checksum -j -r "$FX/ehmix.pcap"
	want=$(grep '"summary"' <<<"$output" | sed 's/"elapsed_s":[0-9.e-]*//')
	run "$V6KIT" checksum -j -r "$OUT/o.pcap"
	[ "$status" -eq 0 ]
	got=$(grep '"summary"' <<<"$output" | sed 's/"elapsed_s":[0-9.e-]*//')
	[ "$got" = "$want" ]
	[[ "$got" == *'"bad":{"ipv4":0,"tcp":0,"udp":0,"icmp":0,"icmpv6":0}'* ]]
	# a wrong checksum behind the chain is found as before
	"$V6KIT" pcap-replay -q --eh dst:8 -w "$OUT/b.pcap" "$FX/badsum.pcap"
	run "$V6KIT" checksum -j -r "$OUT/b.pcap"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"udp":1,"icmp"'* ]]
}

@test "ra-sniff finds the RA behind dst:8, and behind hbh + dst:256 in fragments (RFC 7113 evasion)" {
	"$V6KIT" pcap-replay -q --eh dst:8 -w "$OUT/r1.pcap" "$FX/ra.pcap"
	run "$V6KIT" ra-sniff -j -r "$OUT/r1.pcap"
	[[ "$output" == *'"router":"fe80::1"'*'"extension_headers":["destination"]'*'"fragmented":false'*'"prefix":"2001:db8:5::"'* ]]
	[[ "$output" == *'"violations":["extension headers before ICMPv6 (RFC 7113 evasion)"]'* ]]
	[[ "$output" == *'"ras":1,'*'"extension_headers":1'* ]]
	"$V6KIT" pcap-replay -q --eh dst:256 --eh hbh:8 --fragment 200 --allow-split-chain -w "$OUT/r2.pcap" "$FX/ra.pcap"
	[ "$(tshark -r "$OUT/r2.pcap" -Y ipv6.fraghdr 2>/dev/null | wc -l)" -eq 3 ]
	run "$V6KIT" ra-sniff -j -r "$OUT/r2.pcap"
	[[ "$output" == *'"extension_headers":["hop-by-hop","fragment","destination"]'*'"fragmented":true,"fragments":3'* ]]
	[[ "$output" == *'"violations":["fragmented RA (RFC 6980)","extension headers before ICMPv6 (RFC 7113 evasion)"]'* ]]
	[[ "$output" == *'"prefix":"2001:db8:5::"'* ]]
}
