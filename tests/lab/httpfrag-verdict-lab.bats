#!/usr/bin/env bats
# httpfrag-verdict-lab.bats - measurement verdicts (SPEC §3) end to end: a
# stock curl downloads from nginx through httpfrag, and each binding's close
# line says whether the client's kernel acknowledged the fragmented octets:
# `delivered` (1 KB, 100 KB, 10 MB over HTTP and HTTPS), `none` (a reply of
# one small segment), `lost` with back-end retransmissions (nftables in the
# client drops every fragment), `partial` (a quota lets the first fragments
# through, then drops).  ICMPv6: the client's kernel answers lone first
# fragments with reassembly Time Exceeded (non-first fragments dropped,
# ip6frag_time 1) and httpfrag writes `icmp` lines naming the client and a
# fragment ID it really sent (tshark reads the IDs from a client capture);
# forged errors (scapy) are counted unmatched.  Bad input: ACKs far outside
# the window into a live binding (scapy) are counted, nothing breaks.
# Curl pins its port (--local-port) so each test finds its own binding line.
# Extension headers without fragments (issue 15): a second httpfrag on ADDR2
# with --eh ... --no-fragment tracks the segments carrying the chain whole:
# `delivered` for dst:8, `lost` for an unknown option with action 01 and for
# a header over the client's net.ipv6.max_dst_opts_number.
#
#   ns c (client)            ns f (front end)                  ns b (back end)
#   c0 2001:db8:1::100 <-> f0 2001:db8:1::1, ::80 (ADDR)
#                            f1 2001:db8:2::1      <->  b0 2001:db8:2::2  nginx :80 :443

load ../lib/lab
load ../lib/nginx

ADDR=2001:db8:1::80
ADDR2=2001:db8:1::81
BACKEND=2001:db8:2::2
CLIENT=2001:db8:1::100

setup_file() {
	[ -x "$V6KIT" ] || { echo "missing $V6KIT" >&2; return 1; }
	lab_require || return 0
	for t in nginx curl openssl nft tshark; do
		command -v "$t" >/dev/null || { export LAB_UNAVAILABLE="lab needs $t"; return 0; }
	done
	export D="$LAB_DIR/srv" WWW="$LAB_DIR/srv/www"
	mkdir -p "$WWW" "$D/tmp"
	head -c 1024 /dev/urandom >"$WWW/1k.bin"
	head -c 102400 /dev/urandom >"$WWW/100k.bin"
	head -c 10485760 /dev/urandom >"$WWW/10m.bin"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=httpfrag \
		-days 2 -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null || return 1
	# /tiny: a reply of one segment well under --tail (nothing to fragment)
	nginx_conf "$D" "$BACKEND" tls | sed 's|^\t\troot .*|&\n\t\tlocation = /tiny { server_tokens off; return 200 "ok"; }|' \
		>"$D/nginx.conf"
	nginx_lab3 "$D" "$ADDR" "$BACKEND" 1k.bin || { lab_cleanup; return 1; }
	# ADDR2: the --eh instance (NAT ports 30000-30999); f's kernel must not
	# answer its connections
	lab_addr f f0 "$ADDR2/64" || { lab_cleanup; return 1; }
	lab_exec f nft -f - <<-NFT || { lab_cleanup; return 1; }
	table inet verdict_eh {
		chain out {
			type filter hook output priority 0; policy accept;
			ip6 saddr $ADDR2 tcp sport 80 tcp flags & rst == rst drop
			ip6 daddr $BACKEND tcp sport 30000-30999 tcp flags & rst == rst drop
		}
	}
	NFT
	# the client: reassembly gives up after 1 s; no ICMPv6 rate limit
	lab_exec c sysctl -qw net.ipv6.ip6frag_time=1 net.ipv6.icmp.ratelimit=0 || { lab_cleanup; return 1; }
	# linger and idle 1 s: close lines come quickly
	lab_bg f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --json --manage-host \
		--binding-timeout 1
	if ! lab_wait 10 grep -q '"type":"ready"' "$LAB_BG_OUT"; then
		cat "$LAB_BG_ERR" >&2
		lab_cleanup
		return 1
	fi
	echo "$LAB_BG_PID $LAB_BG_OUT $LAB_BG_ERR" >"$LAB_DIR/hf"
}

setup() {
	lab_check
	read -r HF_PID HF_OUT HF_ERR <"$LAB_DIR/hf"
}

teardown() {
	lab_exec c nft delete table inet verdict_lab 2>/dev/null || true
	lab_exec c sysctl -qw net.ipv6.max_dst_opts_number=8 2>/dev/null || true
	[ -z "${EH_PID:-}" ] || kill -TERM "$EH_PID" 2>/dev/null || true
}

teardown_file() {
	lab_cleanup
}

# closed PORT: the close/evict line of the client's binding from PORT (waits for it).
closed() {
	lab_wait 6 grep -q "\"client_port\":$1,.*\"event\":\"\(close\|evict\)\"\|\"event\":\"\(close\|evict\)\".*\"client_port\":$1," "$HF_OUT" ||
		{ echo "no close line for client port $1" >&2; return 1; }
	jq -c "select(.type == \"binding\" and .event != \"open\" and .client_port == $1)" "$HF_OUT" | tail -1
}

# fetch SCHEME NAME PORT [MAXTIME]: curl from client port PORT; output discarded.
fetch() {
	lab_exec c curl -g -k -s -o "$BATS_TEST_TMPDIR/out" --local-port "$3" -m "${4:-30}" "$1://[$ADDR]/$2"
}

# The last stats line after a SIGUSR1.
stats() {
	local n; n=$(grep -c '"type":"stats"' "$HF_OUT")
	kill -USR1 "$HF_PID"
	lab_wait 5 eval "[ \$(grep -c '\"type\":\"stats\"' '$HF_OUT') -gt $n ]" || return 1
	grep '"type":"stats"' "$HF_OUT" | tail -1
}

# client_nft RULE: drop incoming packets matching RULE in the client before
# reassembly (priority -500 lies before conntrack's defragmentation, -400).
client_nft() {
	lab_exec c nft -f - <<-EOF
	table inet verdict_lab {
		chain pre {
			type filter hook prerouting priority -500; policy accept;
			$1
		}
	}
	EOF
}

@test "delivered: 1 KB, 100 KB, 10 MB over HTTP and HTTPS; every fragmented octet acknowledged" {
	local p=41000 s o line
	for s in http https; do
		for o in 1k.bin 100k.bin 10m.bin; do
			p=$((p + 1))
			fetch "$s" "$o" "$p"
			cmp -s "$BATS_TEST_TMPDIR/out" "$WWW/$o" || { echo "$s $o differs" >&2; return 1; }
		done
	done
	for p in 41001 41002 41003 41004 41005 41006; do
		line=$(closed "$p")
		echo "$line"
		[ "$(jq -r .verdict <<<"$line")" = delivered ]
		[ "$(jq '.frag_bytes > 0 and .frag_bytes == .frag_bytes_acked and .frag_segments > 0' <<<"$line")" = true ]
	done
	# 10 MB: the fragmented octets are nearly the whole object
	[ "$(closed 41003 | jq '.frag_bytes > 10000000')" = true ]
	[ "$(stats | jq '.verdicts.delivered >= 6')" = true ]
}

@test "none: a reply of one small segment is never fragmented" {
	run fetch http tiny 41020
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = ok ]
	line=$(closed 41020)
	echo "$line"
	[ "$(jq -r '"\(.verdict) \(.frag_segments) \(.frag_bytes)"' <<<"$line")" = "none 0 0" ]
	[ "$(jq '.segments > 0' <<<"$line")" = true ]
}

@test "lost: the client drops every fragment; the back end retransmits (HTTP and HTTPS)" {
	client_nft "exthdr frag exists drop"
	fetch http 100k.bin 41030 3 &
	fetch https 100k.bin 41031 3 &
	wait
	for p in 41030 41031; do
		line=$(closed "$p")
		echo "$line"
		[ "$(jq -r .verdict <<<"$line")" = lost ]
		[ "$(jq '.frag_bytes > 0 and .frag_bytes_acked == 0 and .retransmitted > 0' <<<"$line")" = true ]
	done
}

@test "partial: fragments pass up to a quota, then are dropped" {
	client_nft "exthdr frag exists quota over 40000 bytes drop"
	run fetch http 100k.bin 41040 3
	[ "$status" -ne 0 ]	# the download cannot complete
	line=$(closed 41040)
	echo "$line"
	[ "$(jq -r .verdict <<<"$line")" = partial ]
	[ "$(jq '.frag_bytes_acked > 20000 and .frag_bytes_acked < .frag_bytes' <<<"$line")" = true ]
}

@test "icmp: the client's reassembly Time Exceeded names the client and a fragment ID we sent" {
	# only this test's lines: the quota of the partial test may have cut a
	# pair between its fragments and drawn an error of its own
	local from=$(( $(wc -l <"$HF_OUT") + 1 ))
	client_nft "frag frag-off != 0 drop"
	lab_capture c c0 "$BATS_TEST_TMPDIR/c.pcap" ip6 and src host "$ADDR"
	run fetch http 100k.bin 41050 2
	sleep 1.2	# the last first fragments time out too
	lab_capture_stop "$BATS_TEST_TMPDIR/c.pcap"
	tshark -r "$BATS_TEST_TMPDIR/c.pcap" -Y ipv6.fraghdr -T fields -e ipv6.fraghdr.ident |
		while read -r id; do printf '%d\n' "$id"; done | sort -u >"$BATS_TEST_TMPDIR/sent"
	[ -s "$BATS_TEST_TMPDIR/sent" ]
	tail -n +"$from" "$HF_OUT" |
		jq -r 'select(.type == "icmp") | "\(.from) \(.icmp_type) \(.icmp_code) \(.client) \(.frag_id)"' \
		>"$BATS_TEST_TMPDIR/icmp"
	cat "$BATS_TEST_TMPDIR/icmp"
	[ -s "$BATS_TEST_TMPDIR/icmp" ]
	while read -r from type code client id; do
		[ "$from $type $code $client" = "$CLIENT 3 1 $CLIENT" ]
		grep -qx "$id" "$BATS_TEST_TMPDIR/sent"
	done <"$BATS_TEST_TMPDIR/icmp"
	# the binding: lost (nothing reassembled), the errors counted on it
	line=$(closed 41050)
	echo "$line"
	[ "$(jq '.verdict == "lost" and .icmp_count >= 1' <<<"$line")" = true ]
	# (errors about the back end's last re-sends may still be on their way)
	[ "$(stats | jq --argjson n "$(wc -l <"$BATS_TEST_TMPDIR/icmp")" '.icmp_errors.time_exceeded >= $n')" = true ]
}

@test "icmp: forged and unrelated errors are counted unmatched and written nowhere" {
	local before after
	before=$(stats)
	lab_exec c /usr/bin/python3 - "$ADDR" "$CLIENT" <<-'PY'
	import sys
	from scapy.all import IPv6, IPv6ExtHdrFragment, TCP, Raw, ICMPv6DestUnreach, ICMPv6TimeExceeded, send, raw, conf
	conf.verb = 0
	addr, client = sys.argv[1], sys.argv[2]
	frag = raw(IPv6(src=addr, dst=client) / IPv6ExtHdrFragment(id=0xdeadbeef, m=1) /
	           TCP(sport=80, dport=41099) / Raw(b"x" * 200))
	whole = raw(IPv6(src=addr, dst=client) / TCP(sport=80, dport=41099) / Raw(b"x" * 200))
	send(IPv6(src=client, dst=addr) / ICMPv6TimeExceeded(code=1) / Raw(frag), iface="c0")      # never sent
	send(IPv6(src=client, dst=addr) / ICMPv6DestUnreach(code=1) / Raw(whole), iface="c0")      # no Fragment header
	send(IPv6(src=client, dst=addr) / ICMPv6DestUnreach(code=1) / Raw(frag[:30]), iface="c0")  # quote cut short
	PY
	sleep 0.3
	after=$(stats)
	echo "$before"; echo "$after"
	d() { echo $(( $(jq "$1" <<<"$after") - $(jq "$1" <<<"$before") )); }
	[ "$(d .icmp_unmatched.unknown)" -eq 1 ]
	[ "$(d .icmp_unmatched.unfragmented)" -eq 1 ]
	[ "$(d .icmp_unmatched.truncated)" -eq 1 ]
	[ "$(d '.icmp_errors.time_exceeded + .icmp_errors.destination_unreachable')" -eq 0 ]
	! grep -q '"frag_id":3735928559' "$HF_OUT"
	kill -0 "$HF_PID"
}

@test "bad input: ACKs far outside the window into a live binding are counted, nothing breaks" {
	# the client's kernel must not answer the SYN-ACK scapy's connection gets
	client_nft "ip6 saddr $ADDR tcp dport 41060 drop"
	lab_exec c /usr/bin/python3 - "$ADDR" <<-'PY'
	import sys, time
	from scapy.all import IPv6, TCP, sr1, send, conf
	conf.verb = 0
	ip = IPv6(dst=sys.argv[1])
	sa = sr1(ip / TCP(sport=41060, dport=80, flags="S", seq=1000), timeout=3)
	assert sa is not None and sa[TCP].flags == "SA", "no SYN-ACK"
	for off in (0x40000000, 0x7fffffff, 0x50000000):   # ahead of anything sent
	    send(ip / TCP(sport=41060, dport=80, flags="A", seq=1001, ack=(sa[TCP].seq + 1 + off) & 0xffffffff))
	send(ip / TCP(sport=41060, dport=80, flags="R", seq=1001))
	PY
	line=$(closed 41060)
	echo "$line"
	[ "$(jq -r '"\(.verdict) \(.acks_out_of_window)"' <<<"$line")" = "none 3" ]
	# and the front end still serves
	fetch http 1k.bin 41061
	cmp -s "$BATS_TEST_TMPDIR/out" "$WWW/1k.bin"
	[ "$(stats | jq '.acks_out_of_window >= 3')" = true ]
}

@test "SIGTERM: the summary carries verdicts and icmp_errors" {
	kill -TERM "$HF_PID"
	lab_wait 10 eval "! kill -0 $HF_PID"
	line=$(grep '"type":"summary"' "$HF_OUT")
	echo "$line"
	[ "$(jq '.verdicts.delivered >= 6 and .verdicts.none >= 1 and .verdicts.lost >= 2 and .verdicts.partial >= 1' <<<"$line")" = true ]
	[ "$(jq '.icmp_errors.time_exceeded >= 1' <<<"$line")" = true ]
	# one icmp line per error counted, none for the unmatched
	[ "$(jq '[.icmp_errors[]] | add' <<<"$line")" -eq "$(grep -c '"type":"icmp"' "$HF_OUT")" ]
	[ "$(jq -c '.verdicts | keys' <<<"$line")" = '["delivered","lost","none","partial"]' ]
}

@test "V6KIT_HTTPFRAG_TRACK=0 (the benchmark's baseline): same relaying, no verdict fields, no ICMPv6 listening" {
	kill -0 "$HF_PID" 2>/dev/null && { kill -TERM "$HF_PID"; lab_wait 10 eval "! kill -0 $HF_PID"; }
	lab_bg f env V6KIT_HTTPFRAG_TRACK=0 "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --json \
		--manage-host --binding-timeout 1
	HF_PID=$LAB_BG_PID HF_OUT=$LAB_BG_OUT
	lab_wait 10 grep -q '"type":"ready"' "$HF_OUT"
	fetch http 100k.bin 41070
	cmp -s "$BATS_TEST_TMPDIR/out" "$WWW/100k.bin"
	line=$(closed 41070)
	echo "$line"
	[ "$(jq '.fragments > 0 and has("verdict") == false and has("frag_bytes") == false and has("icmp_count") == false' <<<"$line")" = true ]
	kill -TERM "$HF_PID"
	lab_wait 10 eval "! kill -0 $HF_PID"
	[ "$(grep '"type":"summary"' "$HF_OUT" | jq '[.verdicts[]] | add')" -eq 0 ]
	# no raw ICMPv6 socket was opened: nothing to report, nothing warned
	! grep -q ICMPv6 "$LAB_BG_ERR"
}

# eh_verdict PORT MAXTIME EHSPEC...: a second httpfrag on ADDR2 with these
# --eh values and --no-fragment; curl fetches 100k.bin from client port PORT
# (status in FETCH_RC); httpfrag stops and BINDING is that port's last
# binding line (the shutdown line if the binding was still open).
eh_verdict() {
	local port=$1 maxtime=$2 s args=(); shift 2
	for s in "$@"; do args+=(--eh "$s"); done
	lab_bg f "$V6KIT" httpfrag -i f0 -l "$ADDR2" --backend "$BACKEND" --json --no-host-check \
		--nat-ports 30000-30999 --binding-timeout 1 --no-fragment "${args[@]}"
	EH_PID=$LAB_BG_PID EH_OUT=$LAB_BG_OUT
	lab_wait 10 grep -q '"type":"ready"' "$EH_OUT" || { cat "$LAB_BG_ERR" >&2; return 1; }
	FETCH_RC=0
	lab_exec c curl -g -s -o "$BATS_TEST_TMPDIR/out" --local-port "$port" -m "$maxtime" \
		"http://[$ADDR2]/100k.bin" || FETCH_RC=$?
	sleep 0.3	# the last ACKs
	kill -TERM "$EH_PID"
	lab_wait 10 eval "! kill -0 $EH_PID"
	EH_PID=
	BINDING=$(jq -c "select(.type == \"binding\" and .event != \"open\" and .client_port == $port)" "$EH_OUT" | tail -1)
	echo "$BINDING"
	[ -n "$BINDING" ]
}

@test "eh: --eh dst:8 --no-fragment, the whole segments carrying the chain are delivered" {
	eh_verdict 41080 5 dst:8
	[ "$FETCH_RC" -eq 0 ]
	cmp -s "$BATS_TEST_TMPDIR/out" "$WWW/100k.bin"
	[ "$(jq -r .verdict <<<"$BINDING")" = delivered ]
	[ "$(jq '.fragments == 0 and .frag_segments > 0 and .frag_bytes >= 102400 and .frag_bytes == .frag_bytes_acked' <<<"$BINDING")" = true ]
	[ "$(jq -r .eh <<<"$BINDING")" = dst:8 ]
}

@test "eh: an unknown option with action 01 (opt=0x5e) is dropped by the client's kernel: lost" {
	eh_verdict 41081 3 dst:8,opt=0x5e
	[ "$FETCH_RC" -ne 0 ]
	[ "$(jq -r .verdict <<<"$BINDING")" = lost ]
	[ "$(jq '.fragments == 0 and .frag_bytes > 0 and .frag_bytes_acked == 0' <<<"$BINDING")" = true ]
}

@test "eh: a Destination Options header over net.ipv6.max_dst_opts_number is dropped: lost" {
	# dst:1024 holds 4 options of type 0x1e (RFC 4727, skip); a limit of 3 refuses it
	lab_exec c sysctl -qw net.ipv6.max_dst_opts_number=3
	eh_verdict 41082 3 dst:1024
	[ "$FETCH_RC" -ne 0 ]
	[ "$(jq -r .verdict <<<"$BINDING")" = lost ]
	[ "$(jq '.fragments == 0 and .frag_bytes > 0 and .frag_bytes_acked == 0' <<<"$BINDING")" = true ]
}
