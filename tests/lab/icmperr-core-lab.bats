#!/usr/bin/env bats
# icmperr-core-lab.bats - ICMPv6 error matching (core/icmperr) against the
# errors a real kernel sends about fragments: a router namespace answers
# fragments sent with hop limit 1 (Time Exceeded, hop limit; one per
# fragment, first and non-first) and fragments over its next link's MTU
# (Packet Too Big); the destination answers a lone first fragment after its
# reassembly timeout (Time Exceeded, reassembly).  Forged errors quoting
# fragments never sent, or disagreeing with what was sent, are counted as
# unknown / mismatch.  Fragments come from scapy; the capture is matched by
# tests/tools/icmpmatch.  (Seen here: Linux 6.18's nftables `reject with
# icmpv6 admin-prohibited` on the input hook sends nothing for UDP
# fragments -- nf_reject validates the transport checksum first, which a
# fragment cannot pass -- so a lab wanting admin-prohibited errors about
# fragments needs another source of them.)
#
#   ns a: a0 2001:db8:1::1  <->  ns r (router): r0 2001:db8:1::ff, r1 2001:db8:2::ff (MTU 1280)
#                                                <->  ns b: b0 2001:db8:2::2 (reassembly time 1 s)

load ../lib/lab

TOOLS="${V6KIT_TOOLS:-$(dirname "${V6KIT_TESTBIN:-$PWD/build/tests}")/tools}"
ICMPMATCH="$TOOLS/icmpmatch"

setup_file() {
	[ -x "$ICMPMATCH" ] || { echo "missing $ICMPMATCH (make tools)" >&2; return 1; }
	lab_require || return 0
	{
		lab_ns a && lab_ns r forward && lab_ns b &&
		lab_link a a0 r r0 && lab_link r r1 b b0 &&
		lab_exec r ip link set r1 mtu 1280 && lab_exec b ip link set b0 mtu 1280 &&
		lab_addr a a0 2001:db8:1::1/64 && lab_addr r r0 2001:db8:1::ff/64 &&
		lab_addr r r1 2001:db8:2::ff/64 && lab_addr b b0 2001:db8:2::2/64 &&
		lab_exec a ip -6 route add default via 2001:db8:1::ff &&
		lab_exec b ip -6 route add default via 2001:db8:2::ff &&
		lab_exec b sysctl -qw net.ipv6.ip6frag_time=1 &&
		lab_exec a ping -6 -c1 -W2 2001:db8:2::2 >/dev/null
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

@test "icmperr-core: kernel errors about our fragments are matched to client and frag ID; forged ones are not" {
	lab_capture a a0 "$LAB_DIR/a.pcap" icmp6
	lab_exec a /usr/bin/python3 - <<-'PY'
	from scapy.all import IPv6, IPv6ExtHdrFragment, UDP, Raw, ICMPv6DestUnreach, fragment6, send, raw, conf
	conf.verb = 0
	def dgram(i, hlim=64, n=1000):
	    return IPv6(src="2001:db8:1::1", dst="2001:db8:2::2", hlim=hlim) / \
	        IPv6ExtHdrFragment(id=i) / UDP(sport=53, dport=5353) / Raw(b"x" * n)
	send(fragment6(dgram(0xabcdef01), 600)[0], iface="a0")      # lone first fragment
	for f in fragment6(dgram(0xabcdef02, hlim=1), 600):         # hop limit 1
	    send(f, iface="a0")
	for f in fragment6(dgram(0xabcdef03, n=2000), 1400):        # over r1's MTU
	    send(f, iface="a0")
	# forged: an error "from b" quoting a fragment never sent, and one
	# quoting a sent ID with another source port
	for q in (dgram(0xdeadbeef), IPv6(src="2001:db8:1::1", dst="2001:db8:2::2") /
	          IPv6ExtHdrFragment(id=0xabcdef02) / UDP(sport=54, dport=5353) / Raw(b"x" * 1000)):
	    first = raw(fragment6(q, 600)[0])
	    send(IPv6(src="2001:db8:2::2", dst="2001:db8:1::1") / ICMPv6DestUnreach(code=1) / Raw(first), iface="a0")
	PY
	sleep 2.5	# b's reassembly timeout (1 s) and its error
	lab_capture_stop "$LAB_DIR/a.pcap"
	run "$ICMPMATCH" "$LAB_DIR/a.pcap" 2001:db8:1::1 2001:db8:2::2 17 53 5353 0xabcdef01 0xabcdef02 0xabcdef03
	echo "$output"
	[ "$status" -eq 0 ]
	icmp() { echo "$output" | jq -r "select(.type == \"icmp\") | $1"; }
	# hop limit: one error per fragment, from the router, first and non-first
	[ "$(icmp 'select(.frag_id == 2882400002 and .icmp_code == 0) | .from' | sort -u)" = 2001:db8:1::ff ]
	[ "$(icmp 'select(.frag_id == 2882400002) | .frag_off' | sort -n | tr '\n' ' ')" = "0 552 " ]
	# reassembly timeout: from the destination, quoting the first fragment
	[ "$(icmp 'select(.frag_id == 2882400001) | "\(.from) \(.icmp_type) \(.icmp_code) \(.icmp_code_name) \(.client)"')" = \
	  "2001:db8:2::2 3 1 reassembly_time_exceeded 2001:db8:2::2" ]
	# packet too big from the router with its MTU
	[ "$(icmp 'select(.frag_id == 2882400003) | "\(.icmp_type) \(.mtu)"' | sort -u)" = "2 1280" ]
	# the forged ones
	[ "$(echo "$output" | jq 'select(.type == "summary") | .results.unknown')" -eq 1 ]
	[ "$(echo "$output" | jq 'select(.type == "summary") | .results.mismatch')" -eq 1 ]
}
