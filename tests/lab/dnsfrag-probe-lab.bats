#!/usr/bin/env bats
# dnsfrag-probe-lab.bats - dnsfrag --probe-zone as a measurement instrument,
# against a real recursive resolver: unbound (Debian's, iterator only) with
# a stub zone pointing at dnsfrag.  dig asks unbound for probe names; dnsfrag
# answers LABEL.ZONE in fragments it cuts itself (--tx link and --tx raw),
# unbound reassembles them and follows the CNAME to LABEL-NONCE.ok.ZONE, so
# the probe comes out `delivered` with the follow-up from unbound's address.
# With incoming fragments dropped in the resolver's namespace (nftables),
# the probes come out `lost` after unbound's retries.  ICMPv6: the resolver's
# kernel, dropping non-first fragments with ip6frag_time=1, sends reassembly
# Time Exceeded, which dnsfrag reports as `icmp` lines; forged errors
# (scapy) are counted as unmatched.  Extension headers (issue 15): probe
# answers with `--eh dst:8` reach unbound (delivered, on the wire with the
# header); with an unknown option of action 01 its kernel drops them (lost);
# both verdict lines carry `eh`.
#
#   ns auth: a0 2001:db8:53::53/64 (dnsfrag)  <-- veth -->  ns res: r0 2001:db8:53::1/64
#   unbound listens on ::1 in ns res; dig, dnsperf and python run there too.

load ../lib/lab
load ../lib/unbound
load ../lib/dnsfrag

ZONE=probe.example
AUTH=2001:db8:53::53
RES=2001:db8:53::1

setup_file() {
	lab_require || return 0
	command -v unbound >/dev/null && command -v dig >/dev/null && command -v nft >/dev/null ||
		{ export LAB_UNAVAILABLE="needs unbound, dig and nft"; return 0; }
	{
		lab_ns auth && lab_ns res && lab_link auth a0 res r0 &&
		lab_addr auth a0 $AUTH/64 && lab_addr res r0 $RES/64 &&
		lab_exec res sysctl -qw net.ipv6.ip6frag_time=1
	} || { lab_cleanup; return 1; }
	unbound_conf "$ZONE" "$AUTH"
}

setup() {
	lab_check
}

teardown() {
	[ -z "${UB_PID:-}" ] || { kill "$UB_PID" 2>/dev/null; wait "$UB_PID" 2>/dev/null; UB_PID=; }
	stop_dnsfrag || true
	lab_exec res nft delete table ip6 v6kprobe 2>/dev/null || true
}

teardown_file() {
	lab_cleanup
}

start_unbound() {
	lab_bg res unbound -d -c "$LAB_DIR/unbound.conf"
	UB_PID=$LAB_BG_PID
	lab_wait 5 lab_exec res dig +time=1 +tries=1 +short @::1 -p 53 ns.$ZONE AAAA >/dev/null
}

stop_unbound() {
	kill "$UB_PID" 2>/dev/null
	wait "$UB_PID" 2>/dev/null
	UB_PID=
}

# verdicts FIELD: one line per verdict, "qname FIELD".
verdicts() {
	jq -r "select(.type == \"verdict\") | .qname + \" \" + (.$1 | tostring)" "$DF_OUT"
}

drop_fragments() {	# $1: nft match for the fragments to drop
	lab_exec res nft -f - <<-NFT
	table ip6 v6kprobe {
		chain pre {
			type filter hook prerouting priority -500;
			$1 drop
		}
	}
	NFT
}

probes_delivered() {	# dnsfrag's start options...
	start_dnsfrag auth 53 -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 2 "$@"
	start_unbound
	for i in 1 2 3; do
		run lab_exec res dig +time=3 +tries=1 +short @::1 "d$i.Probe.Example" AAAA
		echo "d$i: $output"
		[ "$status" -eq 0 ]
		echo "$output" | grep -qi "^d$i-[0-9a-f]\{16\}\.ok\.probe\.example\.$"
		echo "$output" | grep -qx "$AUTH"
	done
	# other names still go to --builtin (fragmented TXT)
	run lab_exec res dig +time=2 +tries=1 +short @$AUTH other.example TXT
	[ -n "$output" ]
	stop_unbound
	stop_dnsfrag
	cat "$DF_OUT" | grep -v '"type":"query"'
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$DF_OUT")" -eq 3 ]
	for i in 1 2 3; do
		[ "$(jq -r "select(.type == \"verdict\" and .qname == \"d$i.probe.example.\") |
			.verdict + \" \" + .end + \" \" + .followup_client + \" \" + (.fragments >= 2 | tostring)" \
			"$DF_OUT")" = "delivered followup $RES true" ]
	done
	# the probe answers went in fragments, the follow-ups whole
	[ "$(jq -s '[.[] | select(.type == "query" and (.qname | test("^d[0-9]\\.")) and .fragments < 2)] | length' "$DF_OUT")" -eq 0 ]
	[ "$(jq -s '[.[] | select(.type == "query" and (.qname | test("\\.ok\\.")) and .fragments != 1)] | length' "$DF_OUT")" -eq 0 ]
	[ "$(jq -r 'select(.type == "summary") | .verdicts.delivered' "$DF_OUT")" -eq 3 ]
	[ "$(jq -r 'select(.type == "summary") | .probes.followups' "$DF_OUT")" -ge 3 ]
}

@test "dnsfrag-probe: --tx link: unbound follows the CNAME of each fragmented probe answer: 'delivered', follow-up from the resolver" {
	probes_delivered -i a0
}

@test "dnsfrag-probe: --tx raw: the same probes come out 'delivered'" {
	probes_delivered --tx raw
}

@test "dnsfrag-probe: fragments dropped at the resolver: 'lost', attempts > 1, serving goes on" {
	drop_fragments "exthdr frag exists"
	start_dnsfrag auth 53 -i a0 -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 2.5
	start_unbound
	lab_exec res dig +time=2 +tries=1 @::1 lost1.$ZONE A >/dev/null &
	d1=$!
	lab_exec res dig +time=2 +tries=1 @::1 lost2.$ZONE A >/dev/null || true
	wait "$d1" || true
	# the zone's small answers still arrive whole, through the resolver
	run lab_exec res dig +time=2 +tries=1 +short @::1 ns.$ZONE AAAA
	echo "ns: $output"
	[ "$output" = "$AUTH" ]
	# no more retries from here on: the verdicts come at the timeout
	stop_unbound
	lab_wait 5 eval "[ \$(grep -c '\"type\":\"verdict\"' \"$DF_OUT\") -ge 2 ]"
	stop_dnsfrag
	verdicts verdict
	verdicts attempts
	for n in lost1 lost2; do
		[ "$(jq -r "select(.type == \"verdict\" and .qname == \"$n.$ZONE.\") | .verdict + \" \" + .end" "$DF_OUT")" = "lost timeout" ]
		[ "$(jq -r "select(.type == \"verdict\" and .qname == \"$n.$ZONE.\") | .attempts" "$DF_OUT")" -gt 1 ]
		[ "$(jq -r "select(.type == \"verdict\" and .qname == \"$n.$ZONE.\") | .client" "$DF_OUT")" = "$RES" ]
	done
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$DF_OUT")" -eq 2 ]
	[ "$(jq -r 'select(.type == "summary") | .verdicts.lost' "$DF_OUT")" -eq 2 ]
}

@test "dnsfrag-probe: 1,000 distinct probes through unbound (dnsperf): exactly one verdict line each" {
	command -v dnsperf >/dev/null || skip "no dnsperf"
	for i in $(seq 1 1000); do echo "load$i.$ZONE AAAA"; done >"$LAB_DIR/load.txt"
	start_dnsfrag auth 53 -i a0 -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 2 -q
	start_unbound
	run lab_exec res dnsperf -s ::1 -d "$LAB_DIR/load.txt" -n 1 -c 8 -Q 500 -t 4
	echo "$output" | grep -E 'Queries (sent|completed|lost)'
	stop_unbound
	# every open probe ends within the timeout
	lab_wait 5 eval "[ \$(grep -c '\"type\":\"verdict\"' \"$DF_OUT\") -ge 1000 ]"
	stop_dnsfrag
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$DF_OUT")" -eq 1000 ]
	[ "$(jq -r 'select(.type == "verdict") | .qname' "$DF_OUT" | sort -u | wc -l)" -eq 1000 ]
	delivered=$(jq -r 'select(.type == "summary") | .verdicts.delivered' "$DF_OUT")
	echo "delivered: $delivered of 1000"
	[ "$delivered" -ge 990 ]
}

# Queries straight at dnsfrag, from a plain UDP socket: $1 = python body
# using q(name_wire_bytes) -> sends one query.
direct_queries() {
	lab_exec res /usr/bin/python3 - "$@" <<-'PY'
	import socket, struct, sys, time
	s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	s.connect(("2001:db8:53::53", 53))
	s.setblocking(False)
	qid = 0
	def wire(name):
	    return b"".join(bytes([len(l)]) + l for l in name.split(b".") if l) + b"\0"
	def q(w, qtype=28):
	    global qid
	    qid = (qid + 1) & 0xffff
	    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
	    s.send(struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1) + w + struct.pack(">HH", qtype, 1) + opt)
	    try:
	        while True: s.recv(65535)
	    except BlockingIOError:
	        pass
	exec(sys.argv[1])
	time.sleep(0.3)
	PY
}

@test "dnsfrag-probe: a flood past --max-probes is evicted and counted ('unknown', end evict); odd labels refused; names over 253 octets malformed" {
	start_dnsfrag auth 53 -i a0 -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 30 \
		--max-probes 100 -q
	direct_queries '
for i in range(1000):
    q(wire(b"flood%d.probe.example" % i))
    if i % 50 == 0: time.sleep(0.01)
q(wire(b"a b.probe.example"))
q(wire(b"\x80\xff.probe.example"))
q(wire(b"x" * 47 + b".probe.example"))
q(b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + b"\0")
'
	stop_dnsfrag
	jq -c 'select(.type == "summary") | {verdicts, probes, malformed, refused}' "$DF_OUT"
	# every probe name got one verdict: 900 evicted, 100 open at shutdown
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$DF_OUT")" -eq 1000 ]
	[ "$(jq -s '[.[] | select(.type == "verdict" and .end == "evict")] | length' "$DF_OUT")" -eq 900 ]
	[ "$(jq -s '[.[] | select(.type == "verdict" and .end == "shutdown")] | length' "$DF_OUT")" -eq 100 ]
	[ "$(jq -r 'select(.type == "summary") | .probes.evicted' "$DF_OUT")" -eq 900 ]
	[ "$(jq -r 'select(.type == "summary") | .verdicts.unknown' "$DF_OUT")" -eq 1000 ]
	[ "$(jq -r 'select(.type == "summary") | .probes.names_refused.label_octets' "$DF_OUT")" -eq 2 ]
	[ "$(jq -r 'select(.type == "summary") | .probes.names_refused.label_long' "$DF_OUT")" -eq 1 ]
	[ "$(jq -r 'select(.type == "summary") | .malformed' "$DF_OUT")" -eq 1 ]
}

@test "dnsfrag-probe: reassembly Time Exceeded from the resolver's kernel: 'icmp' lines naming the client and the fragment ID" {
	drop_fragments "frag frag-off != 0"
	for tx in "-i a0" "--tx raw"; do
		# shellcheck disable=SC2086
		start_dnsfrag auth 53 $tx -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 2
		lab_exec res dig +time=1 +tries=1 @$AUTH -p 53 te1.$ZONE AAAA >/dev/null &
		d1=$!
		lab_exec res dig +time=1 +tries=1 @$AUTH -p 53 big.example TXT >/dev/null || true
		wait "$d1" || true
		lab_wait 4 eval "[ \$(grep -c '\"type\":\"icmp\"' \"$DF_OUT\") -ge 2 ]"
		lab_wait 4 eval "grep -q '\"type\":\"verdict\"' \"$DF_OUT\""
		stop_dnsfrag
		jq -c 'select(.type == "icmp")' "$DF_OUT"
		# each error names the client and one frag_id of a query line
		ids=$(jq -r 'select(.type == "query" and .frag_id != null) | .frag_id' "$DF_OUT" | sort -u)
		[ "$(jq -s '[.[] | select(.type == "icmp")] | length' "$DF_OUT")" -ge 2 ]
		for id in $(jq -r 'select(.type == "icmp") | .frag_id' "$DF_OUT"); do
			echo "$ids" | grep -qx "$id"
		done
		[ "$(jq -r 'select(.type == "icmp") | "\(.from) \(.client) \(.icmp_type) \(.icmp_code)"' "$DF_OUT" | sort -u)" = \
			"$RES $RES 3 1" ]
		[ "$(jq -r 'select(.type == "summary") | .icmp_errors.time_exceeded' "$DF_OUT")" -ge 2 ]
		[ "$(jq -r 'select(.type == "verdict") | .verdict' "$DF_OUT")" = lost ]
	done
}

@test "dnsfrag-probe: forged ICMPv6 errors (scapy) quoting packets dnsfrag never sent are counted as unmatched, no line" {
	start_dnsfrag auth 53 -i a0 -l $AUTH --builtin 2000
	lab_exec res /usr/bin/python3 - <<-'PY'
	from scapy.all import IPv6, IPv6ExtHdrFragment, UDP, Raw, ICMPv6TimeExceeded, ICMPv6PacketTooBig, ICMPv6DestUnreach, send, conf
	conf.verb = 0
	A, R = "2001:db8:53::53", "2001:db8:53::1"
	quote = lambda fid: IPv6(src=A, dst=R) / IPv6ExtHdrFragment(id=fid, m=1, nh=17) / UDP(sport=53, dport=4242) / Raw(b"x" * 64)
	for fid in (0x1234, 0x5678, 0x9abc):
	    send(IPv6(src=R, dst=A) / ICMPv6TimeExceeded(code=1) / quote(fid))
	send(IPv6(src=R, dst=A) / ICMPv6PacketTooBig(mtu=1280) / quote(7))
	# no Fragment header in the quote; a quote cut inside the IPv6 header
	send(IPv6(src=R, dst=A) / ICMPv6DestUnreach(code=1) / IPv6(src=A, dst=R) / UDP(sport=53, dport=1) / Raw(b"y" * 8))
	send(IPv6(src=R, dst=A) / ICMPv6DestUnreach(code=1) / Raw(b"\x60\0\0\0\0\x10"))
	PY
	lab_wait 3 eval "lab_exec auth true"
	sleep 0.3
	stop_dnsfrag
	jq -c 'select(.type == "summary") | {icmp_errors, icmp_unmatched}' "$DF_OUT"
	[ "$(jq -s '[.[] | select(.type == "icmp")] | length' "$DF_OUT")" -eq 0 ]
	[ "$(jq -r 'select(.type == "summary") | .icmp_unmatched.unknown' "$DF_OUT")" -eq 4 ]
	[ "$(jq -r 'select(.type == "summary") | .icmp_unmatched.unfragmented' "$DF_OUT")" -eq 1 ]
	[ "$(jq -r 'select(.type == "summary") | .icmp_unmatched.truncated' "$DF_OUT")" -eq 1 ]
	[ "$(jq -r 'select(.type == "summary") | [.icmp_errors[]] | add' "$DF_OUT")" -eq 0 ]
}

@test "dnsfrag-probe: --eh dst:8: unbound's kernel takes the answers with the header; 'delivered', eh on the verdict" {
	lab_capture res r0 "$BATS_TEST_TMPDIR/r.pcap" ip6 and src host $AUTH
	start_dnsfrag auth 53 -i a0 -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 2 --eh dst:8
	start_unbound
	run lab_exec res dig +time=3 +tries=1 +short @::1 e1.$ZONE AAAA
	echo "e1: $output"
	echo "$output" | grep -qi "^e1-[0-9a-f]\{16\}\.ok\.probe\.example\.$"
	echo "$output" | grep -qx "$AUTH"
	stop_unbound
	stop_dnsfrag
	lab_capture_stop "$BATS_TEST_TMPDIR/r.pcap"
	[ "$(jq -r "select(.type == \"verdict\") | \"\(.qname) \(.verdict) \(.eh)\"" "$DF_OUT")" = "e1.$ZONE. delivered dst:8" ]
	# every answer unbound got carried the Destination Options header
	n=$(tshark -r "$BATS_TEST_TMPDIR/r.pcap" -Y udp.srcport==53 2>/dev/null | wc -l)
	[ "$n" -ge 2 ]
	[ "$(tshark -r "$BATS_TEST_TMPDIR/r.pcap" -Y 'udp.srcport==53 && ipv6.dstopts' 2>/dev/null | wc -l)" -eq "$n" ]
}

@test "dnsfrag-probe: --eh dst:8,opt=0x5e (unknown option, action 01): unbound's kernel drops the answers; 'lost', eh on the verdict" {
	local before after
	before=$(lab_exec res awk '$1 == "Ip6InHdrErrors" { print $2 }' /proc/net/snmp6)
	start_dnsfrag auth 53 -i a0 -l $AUTH --builtin 2000 --probe-zone $ZONE --probe-timeout 2 --eh dst:8,opt=0x5e
	# (start_unbound's check would go through dnsfrag: ask unbound for localhost)
	lab_bg res unbound -d -c "$LAB_DIR/unbound.conf"
	UB_PID=$LAB_BG_PID
	lab_wait 5 lab_exec res dig +time=1 +tries=1 +short @::1 -p 53 localhost AAAA >/dev/null
	run lab_exec res dig +time=3 +tries=1 +short @::1 l1.$ZONE AAAA
	echo "l1: $output"
	! echo "$output" | grep -qi "ok\.probe\.example"
	stop_unbound
	lab_wait 5 eval "grep -q '\"type\":\"verdict\"' \"$DF_OUT\""
	stop_dnsfrag
	after=$(lab_exec res awk '$1 == "Ip6InHdrErrors" { print $2 }' /proc/net/snmp6)
	[ "$after" -gt "$before" ]
	[ "$(jq -r "select(.type == \"verdict\") | \"\(.qname) \(.verdict) \(.eh)\"" "$DF_OUT")" = "l1.$ZONE. lost dst:8,opt=0x5e" ]
	[ "$(jq -r 'select(.type == "summary") | .verdicts.lost' "$DF_OUT")" -eq 1 ]
}
