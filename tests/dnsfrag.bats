#!/usr/bin/env bats
# dnsfrag.bats - the dnsfrag applet without a lab: options, usage errors and
# exit codes; as root, a loopback run with --tx raw answered through
# fragments, a SIGUSR1 stats line, --log reopened on SIGHUP, and hostile
# datagrams counted as malformed.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
	TMP=$(mktemp -d)
}

teardown() {
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
	rm -rf "$TMP"
}

usage_error() {	# args...: exit 2, a "v6kit dnsfrag:" message, a --help hint
	run -2 "$V6KIT" dnsfrag "$@"
	[[ ${lines[0]} == "v6kit dnsfrag: "* ]]
	[[ $output == *"Try 'v6kit dnsfrag --help'."* ]] || [[ $output == *"invalid"* ]]
}

@test "--help: usage on stdout, exit 0, every long option mentioned" {
	run -0 "$V6KIT" dnsfrag --help
	[[ ${lines[0]} == "Usage: v6kit dnsfrag -i IFACE"* ]]
	for o in $("$V6KIT" --options dnsfrag); do
		o=${o%=}
		[[ $output == *"$o"* ]] || { echo "usage lacks $o"; return 1; }
	done
}

@test "needs exactly one of --backend and --builtin" {
	usage_error -i lo
	usage_error -i lo --builtin 512 --backend ::1
}

@test "--builtin is range-checked (256..65000)" {
	usage_error -i lo --builtin 255
	usage_error -i lo --builtin 65001
	usage_error -i lo --builtin big
	[[ $output == *"invalid --builtin value 'big'"* ]]
}

@test "fragment options are checked" {
	usage_error -i lo --builtin 512 --frag-size 111
	usage_error -i lo --builtin 512 --frag-size 65536
	usage_error -i lo --builtin 512 --first-frag 12
	[[ $output == *"multiple of 8"* ]]
	usage_error -i lo --builtin 512 --first-frag 1000
	[[ $output == *"does not fit --frag-size 512"* ]]
	usage_error -i lo --builtin 512 --order sideways
	usage_error -i lo --builtin 512 --frag-id often
	usage_error -i lo --builtin 512 --frag-id 4294967296
	usage_error -i lo --builtin 512 --tx pigeon
}

@test "addresses, prefixes, MACs and numbers are checked" {
	usage_error -i lo --builtin 512 -l 192.0.2.1
	usage_error -i lo --builtin 512 -p 0
	usage_error -i lo --builtin 512 --gateway-mac 00:11:22
	usage_error -i lo --builtin 512 --allow 192.0.2.0/24
	usage_error -i lo --builtin 512 --allow 2001:db8::/129
	usage_error -i lo --builtin 512 --rate-limit 0
	usage_error -i lo --backend ::1 --backend-timeout 0
	usage_error -i lo --backend '[::1'
	usage_error -i lo --backend '[::1]:99999'
	usage_error -i lo --backend 192.0.2.1:0
	usage_error -i lo --backend no-such-host.invalid
	usage_error -i lo --builtin 512 surplus-argument
}

@test "combinations that make no sense are usage errors" {
	usage_error --builtin 512
	[[ $output == *"-i IFACE is needed"* ]]
	usage_error --tx raw --builtin 512 --gateway-mac 00:11:22:33:44:55
	usage_error -i lo --builtin 512 --drop-on-timeout
}

@test "probe options are checked (--probe-zone, --probe-size, --probe-timeout, --max-probes)" {
	for z in "" . "a..b" "bad zone" "a/b.example" "$(printf 'x%.0s' $(seq 64)).example"; do
		usage_error -i lo -l ::1 --builtin 512 --probe-zone "$z"
		[[ $output == *"invalid --probe-zone value"* ]]
	done
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --probe-size 511
	[[ $output == *"invalid --probe-size value"* ]]
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --probe-size 65001
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --probe-size 1k
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --probe-timeout 0
	[[ $output == *"invalid --probe-timeout value"* ]]
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --probe-timeout soon
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --max-probes 0
	[[ $output == *"invalid --max-probes value"* ]]
	usage_error -i lo -l ::1 --builtin 512 --probe-zone p.example --max-probes 16777217
	# the follow-ups' AAAA is the listen address
	usage_error -i lo --builtin 512 --probe-zone p.example
	[[ $output == *"--probe-zone needs -l ADDR"* ]]
	# tuning without a zone
	usage_error -i lo -l ::1 --builtin 512 --probe-size 1500
	[[ $output == *"need --probe-zone"* ]]
	usage_error -i lo -l ::1 --builtin 512 --max-probes 10
}

@test "--json: a usage error is also a JSON error line" {
	run -2 "$V6KIT" dnsfrag --json -i lo --builtin 100
	grep -q '^{"type":"error","applet":"dnsfrag","message":"invalid --builtin value' <<<"$output"
}

@test "a missing interface is a missing resource (exit 3)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (AF_PACKET)"
	run -3 "$V6KIT" dnsfrag -i v6k-no-such-if0 --builtin 512
	[[ $output == *"v6k-no-such-if0"* ]]
}

@test "--user with an unknown user is bad input" {
	run -2 "$V6KIT" dnsfrag --tx raw -l ::1 -p $((20000 + RANDOM % 20000)) --builtin 512 \
		--user v6kit-no-such-user --timeout 1
	[[ $output == *"no such user"* ]]
}

# Start dnsfrag on ::1 with --tx raw (loopback, no lab needed); DPORT, DPID, DOUT.
start_loopback() {
	DPORT=$((20000 + RANDOM % 20000))
	DOUT=$TMP/out
	"$V6KIT" dnsfrag --tx raw -l ::1 -p "$DPORT" "$@" >"$DOUT" 2>"$TMP/err" &
	DPID=$!
	for _ in $(seq 50); do
		ss -Hlun "sport = :$DPORT" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	cat "$TMP/err"
	return 1
}

@test "loopback: --builtin answered through fragments, summary on SIGTERM" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 2000 --json
	run dig +time=3 +tries=1 +bufsize=4096 +ignore -p "$DPORT" @::1 loop.example TXT
	[ "$status" -eq 0 ]
	[[ $output == *"status: NOERROR"* ]]
	[[ $output == *"MSG SIZE  rcvd: 2000"* ]]
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
	q=$(grep '"type":"query"' "$DOUT")
	[[ $q == *'"qname":"loop.example."'* ]]
	[[ $q == *'"size":2000'* ]]
	# 2008 UDP octets: 136 in the first fragment, then 464 per 512-octet packet
	[[ $q == *'"fragments":6'* ]]
	[[ $q == *'"fragment_sizes":[184,512,512,512,512,64]'* ]]
	[[ $q == *'"outcome":"answered"'* ]]
	s=$(grep '"type":"summary"' "$DOUT")
	[[ $s == *'"queries":1,"answered":1,'* ]]
	[[ $s == *'"fragments_sent":6'* ]]
}

@test "loopback: SIGUSR1 prints stats, SIGHUP reopens --log, garbage is counted" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	start_loopback --builtin 600 --json -q --log "$TMP/log"
	python3 - "$DPORT" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
port = int(sys.argv[1])
bad = [b"", b"\x00", b"garbage!" * 3,
       # header claiming a question that is not there
       bytes.fromhex("1234 0100 0001 0000 0000 0000"),
       # a response (QR set), not a query
       bytes.fromhex("1234 8100 0001 0000 0000 0000 00 0001 0001"),
       # a question name that points at itself
       bytes.fromhex("1234 0100 0001 0000 0000 0000 c00c 0001 0001"),
       # two questions
       bytes.fromhex("1234 0100 0002 0000 0000 0000 00 0001 0001 00 0001 0001")]
for b in bad:
    s.sendto(b, ("::1", port))
# then one good query, whose answer proves the daemon survived
q = bytes.fromhex("abcd 0100 0001 0000 0000 0000 04746573740000100001")
s.sendto(q, ("::1", port))
s.settimeout(3)
d, _ = s.recvfrom(65535)
assert d[:2] == b"\xab\xcd" and len(d) == 600, (d[:4], len(d))
EOF
	mv "$TMP/log" "$TMP/log.1"
	kill -HUP "$DPID"
	kill -USR1 "$DPID"
	for _ in $(seq 50); do grep -q '"type":"stats"' "$DOUT" && break; sleep 0.05; done
	st=$(grep '"type":"stats"' "$DOUT")
	[[ $st == *'"queries":1,'* ]]
	[[ $st == *'"malformed":7,'* ]]
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
	grep -q '"type":"query"' "$TMP/log.1"		# written before the rotation
	grep -q '"type":"stats"' "$TMP/log"		# the reopened file
	grep -q '"type":"summary"' "$TMP/log"
	! grep -q '"type":"query"' "$DOUT"		# -q: no per-query lines on stdout
}

@test "loopback: -c stops after N queries with exit 0" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 300 -c 2 --timeout 10
	dig +time=2 +tries=1 -p "$DPORT" @::1 one.example TXT >/dev/null
	dig +time=2 +tries=1 -p "$DPORT" @::1 two.example A >/dev/null
	wait "$DPID"
	DPID=
	grep -q "one.example. TXT NOERROR 300 octets" "$DOUT"
	grep -q "two.example. A NOERROR 300 octets" "$DOUT"
	grep -q "^summary: .* 2 queries: 2 answered" "$DOUT"
}

@test "loopback: --user drops privileges after the sockets are open and keeps answering" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	start_loopback --builtin 800 --user nobody
	for _ in $(seq 40); do	# the port listens a moment before the switch
		[ "$(awk '/^Uid:/ { print $2 }' "/proc/$DPID/status")" = "$(id -u nobody)" ] && break
		sleep 0.05
	done
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$DPID/status")" = "$(id -u nobody)" ]
	[ "$(awk '/^Gid:/ { print $2 }' "/proc/$DPID/status")" = "$(id -g nobody)" ]
	# no supplementary group but its own, no capability
	[ -z "$(awk '/^Groups:/ { for (i = 2; i <= NF; i++) print $i }' "/proc/$DPID/status" | grep -vx "$(id -g nobody)")" ]
	[ "$(awk '/^CapEff:/ { print $2 }' "/proc/$DPID/status")" = 0000000000000000 ]
	run dig +time=3 +tries=1 +bufsize=4096 -p "$DPORT" @::1 priv.example TXT
	[[ $output == *"MSG SIZE  rcvd: 800"* ]]
}

@test "loopback: --probe-zone: a probe, its follow-up, one 'delivered' verdict; stats and summary count verdicts and ICMPv6 errors" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 512 --json --probe-zone probe.test --probe-timeout 5 --probe-size 1400
	run dig +time=3 +tries=1 +bufsize=4096 +short -p "$DPORT" @::1 Lab1.probe.test AAAA
	[ "$status" -eq 0 ]
	echo "$output"
	target=$(head -1 <<<"$output")
	[[ $target =~ ^lab1-[0-9a-f]{16}\.ok\.probe\.test\.$ ]]
	run dig +time=3 +tries=1 +short -p "$DPORT" @::1 "$target" AAAA
	[ "$output" = "::1" ]
	# a forged NONCE: NXDOMAIN, no verdict
	run dig +time=3 +tries=1 -p "$DPORT" @::1 lab1-0123456789abcdef.ok.probe.test AAAA
	[[ $output == *"status: NXDOMAIN"* ]]
	kill -USR1 "$DPID"
	sleep 0.2
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
	cat "$DOUT"
	[ "$(grep -c '"type":"verdict"' "$DOUT")" -eq 1 ]
	v=$(grep '"type":"verdict"' "$DOUT")
	[[ $v == *'"qname":"lab1.probe.test.","client":"::1","clients":1,'* ]]
	[[ $v == *'"followup":true,"followup_client":"::1",'* ]]
	[[ $v == *'"verdict":"delivered","end":"followup"'* ]]
	# the probe answer: 1400 octets in fragments; the follow-up whole
	grep '"qname":"Lab1.probe.test."' "$DOUT" | grep -q '"size":1400,"fragments":4,'
	grep '"qname":"lab1-[0-9a-f]*\.ok' "$DOUT" | grep -q '"fragments":1,'
	for t in stats summary; do
		l=$(grep "\"type\":\"$t\"" "$DOUT")
		[[ $l == *'"verdicts":{"delivered":1,"lost":0,"unknown":0}'* ]]
		[[ $l == *'"bad_nonce":1,'* ]]
		[[ $l == *'"icmp_errors":{"destination_unreachable":0,"packet_too_big":0,"time_exceeded":0,"parameter_problem":0}'* ]]
	done
}
