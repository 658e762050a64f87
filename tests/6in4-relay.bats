#!/usr/bin/env bats
# 6in4-relay.bats - the relay offline (-r/-w) on crafted captures from
# tests/fixtures/relay/gen.py: every drop reason counted, rewritten bytes
# checked with tshark (IPv4 checksums, MACs, TTL, hop limit), tables with
# file:line errors, option errors and exit codes.

bats_require_minimum_version 1.5.0

setup_file() {
	: "${V6KIT:?V6KIT must point at the binary}"
	FIX=$(mktemp -d)
	export FIX
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/relay/gen.py" "$FIX" >/dev/null
}

teardown_file() {
	rm -rf "$FIX"
}

setup() {
	TMP=$(mktemp -d)
	R=("$V6KIT" 6in4-relay)
	BASE=(-r "$FIX/in.pcap" --table "$FIX/table" -l 192.0.2.2 --tunnel-server 198.51.100.1)
}

teardown() {
	rm -rf "$TMP"
}

summary() {	# JSON summary line of $output
	printf '%s\n' "$output" | grep '"type":"summary"'
}

tsv() {	# tshark fields of $TMP/out.pcap, checksum validation on
	tshark -r "$TMP/out.pcap" -o ip.check_checksum:TRUE -T fields "$@" 2>/dev/null
}

@test "offline: every decision of the crafted capture is counted" {
	run "${R[@]}" "${BASE[@]}" --outbound -w "$TMP/out.pcap" --json
	[ "$status" -eq 0 ]
	s=$(summary)
	[ "$(jq -c .relayed <<<"$s")" = '{"2001:db8:1::a":3,"2001:db8:1::b":2}' ]
	[ "$(jq .packets <<<"$s")" -eq 18 ]
	[ "$(jq .outbound <<<"$s")" -eq 1 ]
	[ "$(jq .ignored <<<"$s")" -eq 2 ]
	for r in not_proto41 bad_outer_header bad_outer_checksum outer_fragment \
		 tunnel_server_mismatch bad_inner_header bad_inner_source no_destination truncated ttl_exceeded; do
		[ "$(jq ".dropped.$r" <<<"$s")" -eq 1 ] || { echo "reason $r: $s"; return 1; }
	done
	[ "$(jq .dropped.not_allowed <<<"$s")" -eq 0 ]
	[ "$(jq '.dropped | length' <<<"$s")" -eq 12 ]
}

@test "offline: 6in4 frames are re-addressed with a valid IPv4 checksum, TTL-1, our and the table's MAC" {
	run "${R[@]}" "${BASE[@]}" -w "$TMP/out.pcap" -q
	[ "$status" -eq 0 ]
	run tsv -Y 'ip.proto == 41' -e eth.src -e eth.dst -e ip.src -e ip.dst -e ip.ttl -e ip.checksum.status -e ipv6.dst
	[ "${#lines[@]}" -eq 3 ]
	for l in "${lines[@]}"; do
		[ "$l" = $'02:00:00:00:00:01\t02:00:00:00:00:0a\t198.51.100.1\t192.0.2.10\t59\t1\t2001:db8:1::a' ] ||
			{ echo "bad 6in4 frame: $l"; return 1; }
	done
	# nothing else changed: the inner packets are byte-identical to the input's
	run /usr/bin/python3 -c '
import sys
from scapy.all import rdpcap
a = [bytes(p)[34:] for i, p in enumerate(rdpcap(sys.argv[1])) if i + 1 in (1, 3, 16)]
b = [bytes(p)[34:] for p in rdpcap(sys.argv[2]) if bytes(p)[12:14] == b"\x08\x00"]
sys.exit(0 if a == b and len(a) == 3 else 1)' "$FIX/in.pcap" "$TMP/out.pcap"
	[ "$status" -eq 0 ]
}

@test "offline: raw frames carry the bare IPv6 packet (0x86dd), hop limit - 1, to the table's MAC" {
	run "${R[@]}" "${BASE[@]}" -w "$TMP/out.pcap" -q
	[ "$status" -eq 0 ]
	run tsv -Y 'eth.type == 0x86dd' -e eth.src -e eth.dst -e ipv6.src -e ipv6.dst -e ipv6.hlim -e tcp.dstport -e tcp.checksum.status -o tcp.check_checksum:TRUE
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = $'02:00:00:00:00:01\t02:00:00:00:00:0b\t2001:db8:ffff::1\t2001:db8:1::b\t62\t80\t1' ]
	[ "${lines[1]}" = $'02:00:00:00:00:01\t02:00:00:00:00:0b\t2001:db8:ffff::1\t2001:db8:1::b\t62\t22\t1' ]
	run tsv -e ip.src
	[ "$(printf '%s\n' "$output" | grep -c .)" -eq 3 ]	# only 6in4 frames have IPv4
}

@test "offline: --outbound encapsulates the raw host's IPv6 from -l to the first tunnel server" {
	run "${R[@]}" "${BASE[@]}" --tunnel-server 203.0.113.9 --outbound --gateway-mac 02:00:00:00:00:fe -w "$TMP/out.pcap" -q
	[ "$status" -eq 0 ]
	run tsv -Y 'ipv6.src == 2001:db8:1::b' -e eth.src -e eth.dst -e ip.src -e ip.dst -e ip.proto -e ip.flags.df -e ip.checksum.status -e ipv6.hlim
	[ "$output" = $'02:00:00:00:00:01\t02:00:00:00:00:fe\t192.0.2.2\t198.51.100.1\t41\tFalse\t1\t63' ] ||
	[ "$output" = $'02:00:00:00:00:01\t02:00:00:00:00:fe\t192.0.2.2\t198.51.100.1\t41\t0\t1\t63' ]
	# the second tunnel server is accepted too
	run "${R[@]}" "${BASE[@]}" --tunnel-server 203.0.113.9 --json
	[ "$(summary | jq .dropped.tunnel_server_mismatch)" -eq 0 ]
}

@test "offline: without --outbound the raw host's frame is ignored" {
	run "${R[@]}" "${BASE[@]}" --json -w "$TMP/out.pcap"
	[ "$(summary | jq .outbound)" -eq 0 ]
	[ "$(summary | jq .ignored)" -eq 3 ]
	run tsv -Y 'ipv6.src == 2001:db8:1::b'
	[ -z "$output" ]
}

@test "offline: --allow looks through extension headers at the transport port" {
	run "${R[@]}" "${BASE[@]}" --allow icmpv6 --allow tcp/80 --json --log-packets
	[ "$status" -eq 0 ]
	[ "$(summary | jq .dropped.not_allowed)" -eq 2 ]
	[ "$(summary | jq -c .relayed)" = '{"2001:db8:1::a":2,"2001:db8:1::b":1}' ]
	# the two refused are tcp/22, one of them behind hop-by-hop + destination options
	run jq -r 'select(.type=="drop" and .reason=="not_allowed") | .inner_dst' <<<"$output"
	[ "$output" = $'2001:db8:1::a\n2001:db8:1::b' ]
}

@test "offline: --log-packets writes relay and drop lines with the stable fields" {
	run "${R[@]}" "${BASE[@]}" --outbound --json --log-packets
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c 'select(.type=="relay")' | wc -l)" -eq 6 ]
	[ "$(printf '%s\n' "$output" | jq -c 'select(.type=="drop")' | wc -l)" -eq 10 ]
	l=$(printf '%s\n' "$output" | grep '"type":"relay"' | head -1)
	[ "$(jq -r '[.ts,.outer_src,.inner_src,.inner_dst,.mode]|join(" ")' <<<"$l")" = \
	  "2023-11-14T22:14:00.000000Z 198.51.100.1 2001:db8:ffff::1 2001:db8:1::a 6in4" ] ||
	[ "$(jq -r '[.outer_src,.inner_src,.inner_dst,.mode]|join(" ")' <<<"$l")" = \
	  "198.51.100.1 2001:db8:ffff::1 2001:db8:1::a 6in4" ]
	[[ $(jq -r .ts <<<"$l") =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}\.[0-9]{6}Z$ ]]
	l=$(printf '%s\n' "$output" | grep '"reason":"bad_inner_source"')
	[ "$(jq -r '[.outer_src,.inner_src,.inner_dst]|join(" ")' <<<"$l")" = "198.51.100.1 ff02::1 2001:db8:1::a" ]
}

@test "offline: text summary names the counters" {
	run "${R[@]}" "${BASE[@]}"
	[ "$status" -eq 0 ]
	[[ $output == *"summary: 18 packets, 5 relayed, 0 outbound, 10 dropped, 3 ignored"* ]]
	[[ $output == *"dropped bad_outer_checksum"*1* ]]
}

@test "offline: a snap-length cut is counted as truncated, never relayed" {
	run "${R[@]}" -r "$FIX/snap.pcap" --table "$FIX/table" -w "$TMP/out.pcap" --json
	[ "$status" -eq 0 ]
	[ "$(summary | jq .dropped.truncated)" -eq 2 ]
	[ "$(tshark -r "$TMP/out.pcap" 2>/dev/null | wc -l)" -eq 0 ]
}

@test "offline: -c stops after N packets; --dest works without a table" {
	run "${R[@]}" -r "$FIX/in.pcap" --dest 2001:db8:1::a,192.0.2.10,02:00:00:00:00:0a -c 3 --json
	[ "$status" -eq 0 ]
	[ "$(summary | jq .packets)" -eq 3 ]
	[ "$(summary | jq -c .relayed)" = '{"2001:db8:1::a":2}' ]
	[ "$(summary | jq .dropped.no_destination)" -eq 1 ]
}

@test "offline: a prefix destination relays the whole prefix" {
	# no -l and no --tunnel-server: frames 1-3, 8 (any source), 11 (::99),
	# 14 (any IPv4 destination), 16 and 17 all go to the /64's host
	run "${R[@]}" -r "$FIX/in.pcap" --dest "2001:db8:1::/64 192.0.2.10 02:00:00:00:00:0a" --json
	[ "$status" -eq 0 ]
	[ "$(summary | jq -c .relayed)" = '{"2001:db8:1::/64":8}' ]
	[ "$(summary | jq .dropped.no_destination)" -eq 0 ]
}

@test "offline: a truncated capture file: earlier frames processed, exit 1" {
	head -c $(( $(stat -c %s "$FIX/in.pcap") - 10 )) "$FIX/in.pcap" >"$TMP/cut.pcap"
	run "${R[@]}" -r "$TMP/cut.pcap" --table "$FIX/table" --json
	[ "$status" -eq 1 ]
	[ "$(summary | jq .packets)" -eq 17 ]
	printf '%s\n' "$output" | grep -q '"type":"error"'
}

@test "bad tables: file:line errors and exit 2" {
	printf '# ok\n2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a\n2001:db8:1::b 192.0.2.311 02:00:00:00:00:0b raw\n' >"$TMP/t1"
	run "${R[@]}" -r "$FIX/in.pcap" --table "$TMP/t1"
	[ "$status" -eq 2 ]
	[[ $output == *"v6kit 6in4-relay: $TMP/t1:3: invalid IPv4 address '192.0.2.311'"* ]]
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a sit\n' >"$TMP/t2"
	run "${R[@]}" -r "$FIX/in.pcap" --table "$TMP/t2"
	[ "$status" -eq 2 ]
	[[ $output == *"$TMP/t2:1: invalid mode 'sit'"* ]]
	printf '\n\n2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a\n2001:db8:1::A 192.0.2.11 02:00:00:00:00:0b\n' >"$TMP/t3"
	run "${R[@]}" -r "$FIX/in.pcap" --table "$TMP/t3"
	[ "$status" -eq 2 ]
	[[ $output == *"$TMP/t3:4: duplicate destination 2001:db8:1::a (first on line 3)"* ]]
	printf '2001:db8:1::a 02:00:00:00:00:0a\n' >"$TMP/t4"
	run "${R[@]}" -r "$FIX/in.pcap" --table "$TMP/t4"
	[ "$status" -eq 2 ]
	[[ $output == *"$TMP/t4:1: expected IPV6-ADDR IPV4-ADDR MAC"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$TMP/none"
	[ "$status" -eq 2 ]
	[[ $output == *"$TMP/none: No such file or directory"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$TMP/t1" --json
	[ "$status" -eq 2 ]
	[ "$(printf '%s\n' "$output" | grep '"type":"error"' | jq -r .applet)" = 6in4-relay ]
}

@test "wrong options: exit 2 with a clear message" {
	run "${R[@]}" --table "$FIX/table"
	[ "$status" -eq 2 ]; [[ $output == *"need -i IFACE or -r FILE"* ]]
	run "${R[@]}" -r "$FIX/in.pcap"
	[ "$status" -eq 2 ]; [[ $output == *"need --table FILE or --dest SPEC"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" -i lo --table "$FIX/table"
	[ "$status" -eq 2 ]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --outbound
	[ "$status" -eq 2 ]; [[ $output == *"--outbound needs --tunnel-server"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --outbound --tunnel-server 198.51.100.1
	[ "$status" -eq 2 ]; [[ $output == *"needs -l"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --allow tcp/99999
	[ "$status" -eq 2 ]; [[ $output == *"invalid --allow value 'tcp/99999'"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --allow frob/1
	[ "$status" -eq 2 ]; [[ $output == *"unknown protocol 'frob'"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --tunnel-server 1.2.3
	[ "$status" -eq 2 ]; [[ $output == *"invalid --tunnel-server value '1.2.3'"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --dest "2001:db8::1 192.0.2.1"
	[ "$status" -eq 2 ]; [[ $output == *"invalid --dest value"* ]]
	run "${R[@]}" -r "$TMP/missing.pcap" --table "$FIX/table"
	[ "$status" -eq 2 ]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --bogus
	[ "$status" -eq 2 ]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" extra
	[ "$status" -eq 2 ]
	run "${R[@]}" -i lo --table "$FIX/table" --user no-such-user-v6kit
	[ "$status" -eq 2 ]; [[ $output == *"invalid --user value"*"no such user"* ]]
}

@test "live: a missing interface is a missing resource (exit 3)" {
	run "${R[@]}" -i v6knoif$$ --table "$FIX/table" -l 192.0.2.2
	[ "$status" -eq 3 ]
}

@test "--help: usage on stdout, exit 0; --options lists the long options" {
	run "${R[@]}" --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: v6kit 6in4-relay"* ]]
	run "$V6KIT" --options 6in4-relay
	[[ $output == *"--tunnel-server="* && $output == *"--outbound"* && $output == *"--table="* ]]
}

@test "offline: -w - writes the pcap to stdout and the records to stderr" {
	"${R[@]}" "${BASE[@]}" -w - --json >"$TMP/stdout.pcap" 2>"$TMP/stderr"
	[ "$(tshark -r "$TMP/stdout.pcap" 2>/dev/null | wc -l)" -eq 5 ]
	[ "$(grep '"type":"summary"' "$TMP/stderr" | jq -c .relayed)" = '{"2001:db8:1::a":3,"2001:db8:1::b":2}' ]
}

@test "--max-destinations bounds the table: a larger one is refused with file:line, exit 2" {
	n=$(grep -cvE '^\s*(#|$)' "$FIX/table")
	[ "$n" -ge 2 ]
	run -0 "${R[@]}" "${BASE[@]}" --max-destinations "$n" -j
	run -2 "${R[@]}" "${BASE[@]}" --max-destinations $((n - 1))
	[[ "$output" == *"$FIX/table:"*"more than $((n - 1)) destinations (--max-destinations)"* ]]
	run -2 "${R[@]}" "${BASE[@]}" --max-destinations 0
	[[ "$output" == *"invalid --max-destinations value '0'"* ]]
}

# router.pcap: from raw host B an oversized packet, a hop-limit-1 packet and
# an oversized ICMPv6 error; from the tunnel a packet for B with hop limit 1;
# a 1500-octet tunnelled packet for B and one for A in outer fragments (out
# of order); a tunnelled packet tagged VLAN 7.
router_pcap() {
	/usr/bin/python3 - "$TMP/router.pcap" <<-'PY'
	import sys
	from scapy.all import Ether, Dot1Q, IP, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, fragment, wrpcap
	R, N, B = "02:00:00:00:00:01", "02:00:00:00:00:fe", "02:00:00:00:00:0b"
	def tun(inner, **kw):
	    return IP(src="198.51.100.1", dst="192.0.2.2", proto=41, **kw) / inner
	out = Ether(src=B, dst=R) / IPv6(src="2001:db8:1::b", dst="2001:db8:ffff::1")
	frames = [
	    out / ICMPv6EchoReply(data=b"x" * 1452),                       # 1500 > 1480: Packet Too Big
	    Ether(src=B, dst=R) / IPv6(src="2001:db8:1::b", dst="2001:db8:ffff::1", hlim=1) / ICMPv6EchoReply(),
	    out / ICMPv6DestUnreach() / (b"y" * 1452),                      # an error: no error about it
	    Ether(src=N, dst=R) / tun(IPv6(src="2001:db8:ffff::1", dst="2001:db8:1::b", hlim=1) / ICMPv6EchoRequest()),
	]
	for i, dst in enumerate(["2001:db8:1::b", "2001:db8:1::a"]):
	    big = tun(IPv6(src="2001:db8:ffff::1", dst=dst) / ICMPv6EchoRequest(data=b"z" * 1432), id=100 + i)
	    frs = fragment(big, fragsize=600)
	    frames += [Ether(src=N, dst=R) / f for f in reversed(frs)]
	frames.append(Ether(src=N, dst=R) / Dot1Q(vlan=7) / tun(IPv6(src="2001:db8:ffff::1", dst="2001:db8:1::a") / ICMPv6EchoRequest()))
	for i, f in enumerate(frames):
	    f.time = 1700000000 + i * 0.01
	wrpcap(sys.argv[1], frames)
	PY
}

@test "offline: the raw hosts' router answers: Packet Too Big, Time Exceeded both ways, counted" {
	router_pcap
	run "${R[@]}" -r "$TMP/router.pcap" --table "$FIX/table" -l 192.0.2.2 --tunnel-server 198.51.100.1 \
		--outbound --mac 02:00:00:00:00:01 --gateway-mac 02:00:00:00:00:fe -w "$TMP/out.pcap" --json
	[ "$status" -eq 0 ]
	s=$(summary)
	[ "$(jq -c .icmp_sent <<<"$s")" = '{"packet_too_big":1,"time_exceeded":2}' ]
	[ "$(jq .dropped.too_big <<<"$s")" -eq 2 ]
	[ "$(jq .dropped.ttl_exceeded <<<"$s")" -eq 2 ]
	# Packet Too Big to B, MTU 1480, from the link-local address of --mac, checksum right
	run tsv -Y "icmpv6.type == 2" -E occurrence=f \
		-e eth.dst -e ipv6.src -e ipv6.dst -e icmpv6.mtu -e icmpv6.checksum.status -e frame.len
	echo "$output"
	[ "$output" = "02:00:00:00:00:0b	fe80::ff:fe00:1	2001:db8:1::b	1480	1	1294" ]
	# Time Exceeded to B on the LAN, and back through the tunnel to the tunnel server
	run tsv -Y "icmpv6.type == 3" -E occurrence=f -e eth.dst -e ip.dst -e ip.checksum.status -e ipv6.dst
	echo "$output"
	[ "${lines[0]}" = "02:00:00:00:00:0b			2001:db8:1::b" ]
	[ "${lines[1]}" = "02:00:00:00:00:fe	198.51.100.1	1	2001:db8:ffff::1" ]
	# --tunnel-mtu moves the threshold; --icmp-rate 0 silences the errors
	run "${R[@]}" -r "$TMP/router.pcap" --table "$FIX/table" -l 192.0.2.2 --tunnel-server 198.51.100.1 \
		--outbound --mac 02:00:00:00:00:01 --tunnel-mtu 1500 --icmp-rate 0 --json
	s=$(summary)
	[ "$(jq .dropped.too_big <<<"$s")" -eq 0 ]
	[ "$(jq -c .icmp_sent <<<"$s")" = '{"packet_too_big":0,"time_exceeded":0}' ]
	[ "$(jq .icmp_rate_limited <<<"$s")" -eq 0 ]
}

@test "offline: outer IPv4 fragments are reassembled and relayed whole; tagged frames keep their tag" {
	router_pcap
	run "${R[@]}" -r "$TMP/router.pcap" --table "$FIX/table" -l 192.0.2.2 --tunnel-server 198.51.100.1 \
		--mac 02:00:00:00:00:01 -w "$TMP/out.pcap" --json
	[ "$status" -eq 0 ]
	s=$(summary)
	[ "$(jq .reassembled <<<"$s")" -eq 2 ]
	[ "$(jq .fragments_held <<<"$s")" -eq 4 ]
	[ "$(jq .dropped.outer_fragment <<<"$s")" -eq 0 ]
	run tsv -o ip.defragment:FALSE -Y "icmpv6.type == 128 && frame.len > 1400" -E occurrence=f \
		-e eth.dst -e ip.dst -e ip.flags.mf -e ip.frag_offset -e ip.checksum.status -e ipv6.plen
	echo "$output"
	[ "${lines[0]}" = "02:00:00:00:00:0b					1440" ]
	[ "${lines[1]}" = "02:00:00:00:00:0a	192.0.2.10	0	0	1	1440" ]
	run tsv -Y "vlan" -e vlan.id -e eth.dst -e ip.dst
	[ "$output" = "7	02:00:00:00:00:0a	192.0.2.10" ]
	# --lan-vlan retags every frame to the LAN
	run "${R[@]}" -r "$TMP/router.pcap" --table "$FIX/table" -l 192.0.2.2 --tunnel-server 198.51.100.1 \
		--mac 02:00:00:00:00:01 --lan-vlan 42 -w "$TMP/out.pcap"
	[ "$status" -eq 0 ]
	run tsv -Y "eth.src == 02:00:00:00:00:01" -e vlan.id
	[ "${#lines[@]}" -eq 3 ]
	for l in "${lines[@]}"; do [ "$l" = 42 ]; done
}

@test "wrong values for the router options: exit 2 naming the option" {
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --tunnel-mtu 1279
	[ "$status" -eq 2 ]; [[ $output == *"invalid --tunnel-mtu value '1279'"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --icmp-rate -1
	[ "$status" -eq 2 ]; [[ $output == *"invalid --icmp-rate value"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --icmp-source 192.0.2.1
	[ "$status" -eq 2 ]; [[ $output == *"invalid --icmp-source value"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --lan-vlan 0
	[ "$status" -eq 2 ]; [[ $output == *"invalid --lan-vlan value '0'"* ]]
	run "${R[@]}" -r "$FIX/in.pcap" --table "$FIX/table" --lan-vlan 4095
	[ "$status" -eq 2 ]
}
