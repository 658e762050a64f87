#!/usr/bin/env bats
# dnsfrag-lab.bats - dnsfrag end to end: a real resolver (dnsmasq) behind it,
# real clients (dig, a Python load generator) in front, the wire checked
# with tshark after reassembly.
#
#   c   c0 2001:db8:1::2 ---- f0 2001:db8:1::1            f   (front end)
#   d   d0 2001:db8:3::2 -- r1|r  r0 2001:db8:2::2 ---- f1 2001:db8:2::1
#   b   b0 2001:db8:53::53, 192.0.2.53 ---- f2 2001:db8:53::1, 192.0.2.1
#
# c is an on-link client, d a routed one (r forwards).  b runs dnsmasq with
# TXT records whose answers are ~100, ~600, ~1500 and ~3500 octets.

load ../lib/lab
load ../lib/dnsfrag

DNSQ="/usr/bin/python3 $BATS_TEST_DIRNAME/../lib/dnsq.py"
NAMES="t100.lab t600.lab t1500.lab t3500.lab"

# n strings of up to 200 characters adding up to $1 octets of TXT data.
txt_strings() {
	local left=$1 out="" i=0 piece
	while [ "$left" -gt 0 ]; do
		piece=$((left > 200 ? 200 : left))
		out+=",\"$(printf '%*s' "$piece" '' | tr ' ' "$(printf "\\x$(printf %x $((97 + i % 26)))")")\""
		left=$((left - piece))
		i=$((i + 1))
	done
	printf '%s' "${out#,}"
}

setup_file() {
	command -v dnsmasq >/dev/null || { export LAB_UNAVAILABLE="needs dnsmasq"; return 0; }
	command -v dig >/dev/null || { export LAB_UNAVAILABLE="needs dig"; return 0; }
	command -v tshark >/dev/null || { export LAB_UNAVAILABLE="needs tshark"; return 0; }
	lab_require || return 0
	{
		lab_ns c && lab_ns d && lab_ns r forward && lab_ns f && lab_ns b &&
		lab_link c c0 f f0 && lab_link r r0 f f1 && lab_link d d0 r r1 && lab_link b b0 f f2 &&
		lab_addr c c0 2001:db8:1::2/64 && lab_addr f f0 2001:db8:1::1/64 &&
		lab_addr r r0 2001:db8:2::2/64 && lab_addr f f1 2001:db8:2::1/64 &&
		lab_addr r r1 2001:db8:3::1/64 && lab_addr d d0 2001:db8:3::2/64 &&
		lab_addr b b0 2001:db8:53::53/64 && lab_addr f f2 2001:db8:53::1/64 &&
		lab_addr b b0 192.0.2.53/24 && lab_addr f f2 192.0.2.1/24 &&
		lab_exec f ip -6 route add 2001:db8:3::/64 via 2001:db8:2::2 dev f1 &&
		lab_exec d ip -6 route add default via 2001:db8:3::1 dev d0 &&
		lab_exec r ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1 dev r0
	} || { lab_cleanup; return 1; }
	lab_bg b dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts -p 53 \
		--listen-address=2001:db8:53::53 --listen-address=192.0.2.53 --bind-interfaces \
		--edns-packet-max=4096 --user=root --pid-file="$LAB_DIR/dnsmasq.pid" \
		--txt-record="t100.lab,$(txt_strings 50)" \
		--txt-record="t600.lab,$(txt_strings 540)" \
		--txt-record="t1500.lab,$(txt_strings 1420)" \
		--txt-record="t3500.lab,$(txt_strings 3400)"
	lab_wait 10 lab_exec f dig +short +time=1 +tries=1 @2001:db8:53::53 t100.lab TXT ||
		{ cat "$LAB_BG_ERR" >&2; lab_cleanup; return 1; }
	# a back end on port 5353 that reads queries and never answers
	lab_bg b /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:db8:53::53", 5353))
print("ready", flush=True)
while True:
    s.recv(65535)'
	lab_wait 5 grep -q ready "$LAB_BG_OUT" || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown() {
	stop_dnsfrag
}

teardown_file() {
	lab_cleanup
}

# The capture holds, from SRC: only fragments (Fragment header present),
# none larger than MAX octets of IPv6 packet, at least two per datagram, and
# N reassembled DNS answers whose UDP checksum tshark finds good.
check_wire() {	# FILE SRC MAX N
	local file=$1 src=$2 max=$3 n=$4 out
	out=$(tshark -r "$file" -o udp.check_checksum:TRUE -Y "ipv6.src == $src" -T fields \
		-e ipv6.plen -e ipv6.fraghdr.ident -e udp.checksum.status -e dns.flags.response 2>"$file.tshark")
	echo "$out" | awk -v max="$max" -v n="$n" -F'\t' '
		$1 == "" { print "unparsed line: " $0; bad++; next }
		$2 == "" { print "packet without a Fragment header: " $0; bad++ }
		$1 + 40 > max { print "packet of " $1 + 40 " octets > " max; bad++ }
		{ frags[$2]++ }
		$4 == "1" { answers++; if ($3 != "1") { print "bad UDP checksum: " $0; bad++ } }
		END {
			for (id in frags) if (frags[id] < 2) { print "datagram " id " in one fragment"; bad++ }
			if (answers != n) { print answers + 0 " reassembled answers, expected " n; bad++ }
			exit bad > 0
		}'
}

# dig +short through the front end equals dig +short from the back end, for
# every record size; the client capture shows only valid fragments.
same_answers_through() {	# CLIENT_NS CLIENT_IF SERVER SRC FRAG_SIZE DIRECT_BACKEND
	local cns=$1 cif=$2 server=$3 src=$4 max=$5 backend=$6 name via direct
	lab_capture "$cns" "$cif" "$LAB_DIR/$cns.pcap" ip6 and not icmp6
	for name in $NAMES; do
		via=$(lab_exec "$cns" dig +short +time=3 +tries=1 +bufsize=4096 +ignore -p 5300 @"$server" "$name" TXT)
		direct=$(lab_exec f dig +short +time=3 +tries=1 +bufsize=4096 +ignore @"$backend" "$name" TXT)
		[ -n "$via" ] || { echo "no answer for $name through dnsfrag"; return 1; }
		[ "$via" = "$direct" ] || { echo "$name differs"; return 1; }
	done
	lab_capture_stop "$LAB_DIR/$cns.pcap"
	check_wire "$LAB_DIR/$cns.pcap" "$src" "$max" 4
}

@test "IPv6 back end, on-link client, --tx link: same answers, every one in valid fragments" {
	start_dnsfrag f 5300 -i f0 -l 2001:db8:1::1 --backend 2001:db8:53::53
	same_answers_through c c0 2001:db8:1::1 2001:db8:1::1 512 2001:db8:53::53
	stop_dnsfrag
	[ "$(summary_field answered)" -eq 4 ]
	# the default pattern: a 184-octet first fragment (UDP header + 128 DNS octets)
	[ "$(grep -c '"fragment_sizes":\[184,' "$DF_OUT")" -eq 3 ]	# all but the 100-octet one
	grep '"qname":"t3500.lab."' "$DF_OUT" | grep -q '"rcode_name":"NOERROR".*"backend_ms":[0-9.]*,'
}

@test "IPv4 back end (IPV4:PORT), --frag-size 1280, --order reverse" {
	start_dnsfrag f 5300 -i f0 --backend 192.0.2.53:53 --frag-size 1280 --order reverse
	same_answers_through c c0 2001:db8:1::1 2001:db8:1::1 1280 192.0.2.53
	stop_dnsfrag
	[ "$(summary_field answered)" -eq 4 ]
}

@test "--tx raw, on-link client, --order random --frag-id sequential" {
	start_dnsfrag f 5300 --tx raw --backend '[2001:db8:53::53]:53' --order random --frag-id sequential
	same_answers_through c c0 2001:db8:1::1 2001:db8:1::1 512 2001:db8:53::53
	stop_dnsfrag
	# sequential IDs: each answer's ID is the previous one + 1
	ids=$(sed -n 's/.*"frag_id":\([0-9]*\).*/\1/p' "$DF_OUT")
	prev=
	for id in $ids; do
		[ -z "$prev" ] || [ "$id" -eq $(((prev + 1) % 4294967296)) ]
		prev=$id
	done
	[ "$(wc -w <<<"$ids")" -eq 4 ]
}

@test "routed client (through a router), --tx link to the next hop from the kernel tables" {
	start_dnsfrag f 5300 -i f1 -l 2001:db8:2::1 --backend 2001:db8:53::53
	same_answers_through d d0 2001:db8:2::1 2001:db8:2::1 512 2001:db8:53::53
	stop_dnsfrag
	[ "$(summary_field send_errors)" -eq 0 ]
}

@test "routed client, --gateway-mac set to the router's MAC" {
	start_dnsfrag f 5300 -i f1 -l 2001:db8:2::1 --backend 2001:db8:53::53 \
		--gateway-mac "$(lab_mac r r0)" --first-frag 256 --frag-size 600
	same_answers_through d d0 2001:db8:2::1 2001:db8:2::1 600 2001:db8:53::53
	stop_dnsfrag
	[ "$(grep -c '"fragment_sizes":\[312,' "$DF_OUT")" -eq 3 ]	# 40 + 8 + 8 + 256 (not t100)
}

@test "routed client, --gateway-mac auto: the router learnt from its RA" {
	command -v radvd >/dev/null || skip "needs radvd"
	cat >"$LAB_DIR/radvd.conf" <<-EOF
	interface r0 {
		AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 10;
		prefix 2001:db8:2::/64 { };
	};
	EOF
	lab_bg r radvd -n -C "$LAB_DIR/radvd.conf" -p "$LAB_DIR/radvd.pid" -m stderr
	local radvd_pid=$LAB_BG_PID
	start_dnsfrag f 5300 -i f1 -l 2001:db8:2::1 --backend 2001:db8:53::53 --gateway-mac auto ||
		{ kill "$radvd_pid"; return 1; }
	same_answers_through d d0 2001:db8:2::1 2001:db8:2::1 512 2001:db8:53::53
	kill "$radvd_pid"
}

@test "routed client, --tx raw" {
	start_dnsfrag f 5300 --tx raw -l 2001:db8:2::1 --backend 2001:db8:53::53
	same_answers_through d d0 2001:db8:2::1 2001:db8:2::1 512 2001:db8:53::53
}

@test "--builtin: answers of the asked size with no resolver, in fragments" {
	start_dnsfrag f 5300 -i f0 --builtin 3000
	lab_capture c c0 "$LAB_DIR/builtin.pcap" ip6 and not icmp6
	run lab_exec c dig +time=3 +tries=1 +bufsize=4096 +ignore -p 5300 @2001:db8:1::1 any.name.example TXT
	[ "$status" -eq 0 ]
	[[ $output == *"status: NOERROR"* ]]
	[[ $output == *"ANSWER: 1,"* ]]
	[[ $output == *"MSG SIZE  rcvd: 3000"* ]]
	run lab_exec c dig +time=3 +tries=1 +bufsize=4096 +ignore -p 5300 @2001:db8:1::1 host.example AAAA
	[[ $output == *"status: NOERROR"* ]]
	[[ $output == *"ANSWER: 0,"* ]]		# TXT padding goes to the additional section
	lab_capture_stop "$LAB_DIR/builtin.pcap"
	check_wire "$LAB_DIR/builtin.pcap" 2001:db8:1::1 512 2
}

@test "400 queries in flight at once, replies out of order among decoys: each client gets its own answer" {
	# a back end that answers after 300-600 ms, out of order, and sends a
	# wrong-ID reply, a wrong-question reply and a late duplicate per query
	lab_bg b /usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/slowdns.py" 2001:db8:53::53 5354 300 --decoys
	lab_wait 5 grep -q ready "$LAB_BG_OUT"
	start_dnsfrag f 5300 -i f0 -q --backend '[2001:db8:53::53]:5354'
	run lab_exec c $DNSQ 2001:db8:1::1 5300 400 "${NAMES// /,}" --wait 15
	echo "$output"
	stop_dnsfrag
	grep '"type":"summary"' "$DF_OUT"
	[[ $output == "answered 400 rcodes {0: 400} unanswered 0 wrong 0" ]]
	[ "$(summary_field answered)" -eq 400 ]
	# two decoys per query, plus the late duplicates that reach a pooled socket
	m=$(summary_field backend_mismatched)
	[ "$m" -ge 800 ] && [ "$m" -le 1200 ]
	[ "$(summary_field inflight_peak)" -ge 300 ]
}

@test "a burst of 150 queries through to dnsmasq, all answered" {
	start_dnsfrag f 5300 -i f0 -q --backend 2001:db8:53::53
	run lab_exec c $DNSQ 2001:db8:1::1 5300 150 "${NAMES// /,}" --wait 10
	echo "$output"
	stop_dnsfrag
	[[ $output == "answered 150 rcodes {0: 150} unanswered 0 wrong 0" ]]
}

@test "answers up to the largest UDP datagram: 60000 octets from the back end, 65000 built in" {
	lab_bg b /usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/slowdns.py" 2001:db8:53::53 5355 0
	lab_wait 5 grep -q ready "$LAB_BG_OUT"
	start_dnsfrag f 5300 -i f0 --backend '[2001:db8:53::53]:5355' --frag-size 1500
	lab_capture c c0 "$LAB_DIR/big.pcap" ip6 and not icmp6
	run lab_exec c dig +time=3 +tries=1 +bufsize=65535 +ignore -p 5300 @2001:db8:1::1 big60000.lab TXT
	[[ $output == *"status: NOERROR"* ]]
	[[ $output =~ MSG\ SIZE\ \ rcvd:\ (5[89][0-9]{3}|60[0-9]{3}) ]]
	stop_dnsfrag
	start_dnsfrag f 5300 -i f0 --builtin 65000
	run lab_exec c dig +time=3 +tries=1 +bufsize=65535 +ignore -p 5300 @2001:db8:1::1 big.example TXT
	[[ $output == *"MSG SIZE  rcvd: 65000"* ]]
	stop_dnsfrag
	lab_capture_stop "$LAB_DIR/big.pcap"
	check_wire "$LAB_DIR/big.pcap" 2001:db8:1::1 1500 2
	grep -q '"size":65000,"fragments":141,' "$DF_OUT"	# 136 octets, then 140 packets of at most 464
}

@test "back end silent: SERVFAIL within about --backend-timeout, and it keeps serving" {
	start_dnsfrag f 5300 -i f0 --backend '[2001:db8:53::53]:5353' --backend-timeout 400
	for i in 1 2 3; do
		t0=$(date +%s%N)
		run lab_exec c dig +time=3 +tries=1 -p 5300 @2001:db8:1::1 "q$i.lab" TXT
		t1=$(date +%s%N)
		[[ $output == *"status: SERVFAIL"* ]]
		ms=$(((t1 - t0) / 1000000))
		echo "answer after $ms ms"
		[ "$ms" -ge 350 ] && [ "$ms" -lt 1500 ]
	done
	# many at once, too
	run lab_exec c $DNSQ 2001:db8:1::1 5300 100 x.lab --wait 5
	[[ $output == "answered 100 rcodes {2: 100} unanswered 0 wrong 0" ]]
	kill -0 "$DF_PID"
	stop_dnsfrag
	[ "$(summary_field backend_timeouts)" -eq 103 ]
	[ "$(summary_field servfail)" -eq 103 ]
}

@test "back end port closed: SERVFAIL at once; --drop-on-timeout sends nothing" {
	start_dnsfrag f 5300 -i f0 --backend '[2001:db8:53::53]:5399'
	run lab_exec c dig +time=2 +tries=1 -p 5300 @2001:db8:1::1 closed.lab TXT
	[[ $output == *"status: SERVFAIL"* ]]
	stop_dnsfrag
	[ "$(summary_field backend_errors)" -eq 1 ]
	[ "$(summary_field servfail)" -eq 1 ]	# the SERVFAIL went out: not "dropped"
	[ "$(summary_field dropped)" -eq 0 ]
	start_dnsfrag f 5300 -i f0 --backend '[2001:db8:53::53]:5353' --backend-timeout 300 --drop-on-timeout
	run lab_exec c dig +time=1 +tries=1 -p 5300 @2001:db8:1::1 dropped.lab TXT
	[[ $output == *"timed out"* ]]
	stop_dnsfrag
	grep -q '"outcome":"dropped"' "$DF_OUT"
	[ "$(summary_field backend_timeouts)" -eq 1 ]
}

@test "--max-inflight: queries beyond the bound go unanswered, counted as inflight_full" {
	start_dnsfrag f 5300 -i f0 --backend '[2001:db8:53::53]:5353' --backend-timeout 1000 --max-inflight 3
	run lab_exec c $DNSQ 2001:db8:1::1 5300 10 full.lab --wait 3
	echo "$output"
	# three wait for the silent back end and get SERVFAIL; seven are dropped
	[[ $output == "answered 3 rcodes {2: 3} unanswered 7 wrong 0" ]]
	stop_dnsfrag
	[ "$(summary_field inflight_peak)" -eq 3 ]
	[ "$(summary_field inflight_full)" -eq 7 ]
	[ "$(summary_field dropped)" -eq 7 ]
	[ "$(summary_field servfail)" -eq 3 ]
	grep -q '"outcome":"dropped","error":"too many queries in flight (--max-inflight)"' "$DF_OUT"
}

@test "--allow: other clients get REFUSED; listed ones an answer" {
	start_dnsfrag f 5300 -i f0 --builtin 700 --allow 2001:db8:99::/64 --allow 2001:db8:3::/64
	run lab_exec c dig +time=2 +tries=1 -p 5300 @2001:db8:1::1 who.lab TXT
	[[ $output == *"status: REFUSED"* ]]
	stop_dnsfrag
	[ "$(summary_field refused)" -eq 1 ]
	start_dnsfrag f 5300 -i f0 --builtin 700 --allow 2001:db8:1::/64
	run lab_exec c dig +time=2 +tries=1 -p 5300 @2001:db8:1::1 who.lab TXT
	[[ $output == *"status: NOERROR"* ]]
}

@test "--rate-limit per /64: the excess is not answered and is counted" {
	start_dnsfrag f 5300 -i f0 --builtin 500 --rate-limit 5 -q
	run lab_exec c $DNSQ 2001:db8:1::1 5300 40 r.lab --wait 1
	echo "$output"
	[[ $output =~ ^answered\ ([0-9]+) ]]
	n=${BASH_REMATCH[1]}
	[ "$n" -ge 4 ] && [ "$n" -le 8 ]	# the 5-query burst (+ refill while sending)
	stop_dnsfrag
	[ "$(summary_field rate_limited)" -eq $((40 - n)) ]
}

@test "garbage and malformed queries are counted in summary.malformed, never answered" {
	start_dnsfrag f 5300 -i f0 --backend 2001:db8:53::53 -q
	run lab_exec c $DNSQ 2001:db8:1::1 5300 20 t600.lab --garbage 50
	[[ $output == "answered 20 rcodes {0: 20} unanswered 0 wrong 0" ]]
	stop_dnsfrag
	[ "$(summary_field malformed)" -eq 100 ]
	[ "$(summary_field queries)" -eq 20 ]
}
