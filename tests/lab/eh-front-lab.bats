#!/usr/bin/env bats
# eh-front-lab.bats - extension headers from the front ends (--eh, issue 15):
# the Linux kernel of the client is the receiver.  DNS answers (dnsfrag
# --builtin, read by a kernel UDP socket) and HTTP downloads (httpfrag in
# front of nginx, curl) with hbh:8, dst:8, dst:256, dstu:8 and a
# combination, each fragmented and whole (--no-fragment), arrive octet for
# octet; the client-side capture shows the headers and tshark finds no
# malformed packet and no bad checksum.  An unknown option with action 01
# is dropped silently by the client's kernel, one with action 10 draws an
# ICMPv6 Parameter Problem code 2 pointing at it (dnsfrag's icmp line
# carries it, whole or fragmented answer), and a Destination Options
# header with more options than net.ipv6.max_dst_opts_number is dropped.
#
#   ns c (client)            ns f (front ends)                 ns b (back end)
#   c0 2001:db8:1::100 <-> f0 2001:db8:1::1 (dnsfrag :5353), ::80 (httpfrag)
#                            f1 2001:db8:2::1      <->  b0 2001:db8:2::2  nginx :80

load ../lib/lab
load ../lib/nginx
load ../lib/dnsfrag

ADDR=2001:db8:1::80
ADDR2=2001:db8:1::81
BACKEND=2001:db8:2::2
DNS=2001:db8:1::1
EHQ="$BATS_TEST_DIRNAME/../lib/ehq.py"
TSHARK_CK=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE)

setup_file() {
	[ -x "$V6KIT" ] || { echo "missing $V6KIT" >&2; return 1; }
	lab_require || return 0
	for t in nginx curl nft tshark; do
		command -v "$t" >/dev/null || { export LAB_UNAVAILABLE="lab needs $t"; return 0; }
	done
	export D="$LAB_DIR/srv" WWW="$LAB_DIR/srv/www"
	mkdir -p "$WWW" "$D/tmp"
	head -c 204800 /dev/urandom >"$WWW/200k.bin"
	nginx_conf "$D" "$BACKEND" >"$D/nginx.conf"
	nginx_lab3 "$D" "$ADDR" "$BACKEND" 200k.bin || { lab_cleanup; return 1; }
	lab_exec c sysctl -qw net.ipv6.ip6frag_time=1
	lab_addr f f0 "$ADDR2/64" || { lab_cleanup; return 1; }
	# The kernel of f must not answer the relayed connections (httpfrag
	# --manage-host would do this at every start: once here instead).
	lab_exec f nft -f - <<-NFT || { lab_cleanup; return 1; }
	table inet ehlab {
		chain out {
			type filter hook output priority 0; policy accept;
			ip6 saddr { $ADDR, $ADDR2 } tcp sport 80 tcp flags & rst == rst drop
			ip6 saddr 2001:db8:2::1 ip6 daddr $BACKEND tcp sport 20000-29999 tcp flags & rst == rst drop
		}
	}
	NFT
	# The answer without any extension header: what every run must deliver.
	start_dnsfrag f 5353 -i f0 -l "$DNS" --builtin 1000 --no-fragment || { lab_cleanup; return 1; }
	lab_exec c /usr/bin/python3 "$EHQ" "$DNS" 5353 eh.example >"$LAB_DIR/dns.base"
	stop_dnsfrag
	grep -q '^[0-9][0-9][0-9][0-9]* ' "$LAB_DIR/dns.base" || { cat "$LAB_DIR/dns.base" >&2; lab_cleanup; return 1; }
}

setup() {
	lab_check
	CAP="$BATS_TEST_TMPDIR/c.pcap"
}

teardown() {
	[ -n "${DF_PID:-}" ] && { kill -INT "$DF_PID" 2>/dev/null; wait "$DF_PID" 2>/dev/null; }
	[ -n "${HF_PID:-}" ] && { kill -TERM "$HF_PID" 2>/dev/null; lab_wait 5 eval "! kill -0 $HF_PID"; }
	return 0
}

teardown_file() {
	lab_cleanup
}

# tshark_clean PCAP: no malformed packet, no bad checksum, no expert error.
tshark_clean() {
	local bad
	bad=$(tshark -r "$1" "${TSHARK_CK[@]}" -Y '_ws.malformed or _ws.expert.severity >= 8388608 or
		udp.checksum.status == 0 or tcp.checksum.status == 0 or icmpv6.checksum.status == 0' \
		-T fields -e frame.number 2>"$1.tshark") || { cat "$1.tshark" >&2; return 1; }
	[ -z "$bad" ] || { echo "tshark: bad frames: $bad" >&2; tshark -r "$1" "${TSHARK_CK[@]}" -V >&2; return 1; }
}

# scan PCAP: one line per frame, "src|hbh next|dst next|fragment id|length" in PCAP.scan.
scan() {
	tshark -r "$1" -T fields -E separator='|' -E occurrence=f -e ipv6.src -e ipv6.hopopts.nxt \
		-e ipv6.dstopts.nxt -e ipv6.fraghdr.ident -e frame.len >"$1.scan" 2>/dev/null
}

# count PCAP SRC KIND: frames from SRC (after scan) with KIND: hbh, dst
# (that header), hbh-whole, dst-whole (the header, no Fragment header),
# frag (a Fragment header), big (over what a 1500-octet MTU carries).
count() {
	awk -F'|' -v s="$2" -v k="$3" '$1 == s && ((k == "hbh" && $2 != "") || (k == "dst" && $3 != "") ||
		(k == "hbh-whole" && $2 != "" && $4 == "") || (k == "dst-whole" && $3 != "" && $4 == "") ||
		(k == "frag" && $4 != "") || (k == "big" && $5 > 1514)) { n++ } END { print n + 0 }' "$1.scan"
}

# dns_run ARGS...: dnsfrag with ARGS, one query from c (captured), its "LEN SHA" in $ANS.
dns_run() {
	lab_capture c c0 "$CAP" ip6 and host "$DNS" || return 1
	start_dnsfrag f 5353 -i f0 -l "$DNS" --builtin 1000 "$@" || return 1
	ANS=$(lab_exec c /usr/bin/python3 "$EHQ" "$DNS" 5353 eh.example "${WAIT:-2}")
	stop_dnsfrag
	lab_capture_stop "$CAP"
}

# kinds SPEC: the count() kind of a SPEC's header
kind() {
	case $1 in hbh*) echo hbh ;; *) echo dst ;; esac
}

# dns_same SPEC...: with these --eh values, fragmented (port 5353) and whole
# (--no-fragment, port 5354, at the same time), the answer reaches the
# client's socket unchanged and the headers were on the wire.
dns_same() {
	local args=() s fpid fout a1 a2 base k
	for s in "$@"; do args+=(--eh "$s"); done
	base=$(cat "$LAB_DIR/dns.base")
	lab_capture c c0 "$CAP" ip6 and host "$DNS" || return 1
	start_dnsfrag f 5353 -i f0 -l "$DNS" --builtin 1000 "${args[@]}" || return 1
	fpid=$DF_PID fout=$DF_OUT
	start_dnsfrag f 5354 -i f0 -l "$DNS" --builtin 1000 --no-fragment "${args[@]}" || return 1
	a1=$(lab_exec c /usr/bin/python3 "$EHQ" "$DNS" 5353 eh.example)
	a2=$(lab_exec c /usr/bin/python3 "$EHQ" "$DNS" 5354 eh.example)
	stop_dnsfrag
	DF_PID=$fpid
	stop_dnsfrag
	lab_capture_stop "$CAP"
	[ "$a1" = "$base" ] || { echo "fragmented $*: got '$a1'" >&2; return 1; }
	[ "$a2" = "$base" ] || { echo "whole $*: got '$a2'" >&2; return 1; }
	tshark_clean "$CAP"
	scan "$CAP"
	grep '"type":"query"' "$fout" | grep -q "\"eh\":\"$*\"" || { cat "$fout" >&2; return 1; }
	grep '"type":"summary"' "$DF_OUT" | grep -q "\"eh\":\"$*\"" || { cat "$DF_OUT" >&2; return 1; }
	# whole: one packet, no Fragment header; fragmented: at least two
	grep '"type":"query"' "$DF_OUT" | grep -q '"fragments":1,"fragment_sizes":\[[0-9]*\],"frag_id":null'
	[ "$(count "$CAP" "$DNS" frag)" -ge 2 ] || { echo "no fragments" >&2; return 1; }
	for s in "$@"; do
		k=$(kind "$s")
		[ "$(count "$CAP" "$DNS" "$k-whole")" -ge 1 ] || { echo "whole: no $s on the wire" >&2; return 1; }
		[ "$(count "$CAP" "$DNS" "$k")" -gt "$(count "$CAP" "$DNS" "$k-whole")" ] ||
			{ echo "fragmented: no $s on the wire" >&2; return 1; }
	done
	# hbh and dstu are unfragmentable: in every fragment (RFC 8200 §4.5)
	case " $* " in *" hbh"*) [ "$(count "$CAP" "$DNS" hbh)" -eq "$(( $(count "$CAP" "$DNS" frag) + 1 ))" ] || return 1 ;; esac
	case " $* " in *" dstu"*) [ "$(count "$CAP" "$DNS" dst)" -gt "$(count "$CAP" "$DNS" frag)" ] || return 1 ;; esac
}

@test "dnsfrag --eh hbh:8: answers arrive whole and fragmented, byte-identical" {
	dns_same hbh:8
}

@test "dnsfrag --eh dst:8: answers arrive whole and fragmented, byte-identical" {
	dns_same dst:8
}

@test "dnsfrag --eh dst:256: answers arrive whole and fragmented, byte-identical" {
	dns_same dst:256
}

@test "dnsfrag --eh dstu:8: answers arrive whole and fragmented, byte-identical" {
	dns_same dstu:8
}

@test "dnsfrag --eh hbh:16 --eh dstu:8 --eh dst:64,opt=30: the combination arrives" {
	dns_same hbh:16 dstu:8 dst:64,opt=30
}

snmp() {	# $1 = counter in the client's /proc/net/snmp6
	lab_exec c awk -v k="$1" '$1 == k { print $2 }' /proc/net/snmp6
}

@test "an unknown option with action 01 is dropped silently by the client's kernel" {
	local before after
	before=$(snmp Ip6InHdrErrors)
	WAIT=1 dns_run --eh dst:8,opt=0x5e --no-fragment
	[ "$ANS" = timeout ]
	after=$(snmp Ip6InHdrErrors)
	[ "$after" -gt "$before" ]
	# sent, and nothing came back: no ICMPv6 error for action 01
	tshark_clean "$CAP"
	scan "$CAP"
	[ "$(count "$CAP" "$DNS" dst)" -ge 1 ]
	[ -z "$(tshark -r "$CAP" -Y 'icmpv6.type == 4' 2>/dev/null)" ]
}

@test "an unknown option with action 10 draws Parameter Problem code 2 pointing at it" {
	WAIT=1 dns_run --eh dst:8,opt=0x9e --no-fragment
	[ "$ANS" = timeout ]
	tshark_clean "$CAP"
	# the option type is octet 42: 40 IPv6 header + Next Header + Hdr Ext Len
	run tshark -r "$CAP" -Y 'icmpv6.type == 4' -T fields -E occurrence=f -e ipv6.src -e icmpv6.code \
		-e icmpv6.pointer
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$(printf '2001:db8:1::100\t2\t42')" ]
	# dnsfrag's ICMPv6 listener attributes it to the whole answer it sent:
	# one icmp line, no frag ID (none was sent), nothing unmatched
	icmp_line 'null' 'null'
	! grep '"type":"summary"' "$DF_OUT" | grep -q '"icmp_unmatched":{[^}]*":[1-9]'
}

# icmp_line FRAG_ID FRAG_OFF: $DF_OUT holds exactly one icmp line, Parameter
# Problem code 2 pointer 42 from the client about an answer to it.
icmp_line() {
	local l
	l=$(jq -c 'select(.type == "icmp")' "$DF_OUT")
	echo "$l"
	[ "$(wc -l <<<"$l")" -eq 1 ]
	[ "$(jq -r '[.icmp_type, .icmp_code, .icmp_code_name, .pointer, .from, .client, .frag_id, .frag_off] |
		map(tostring) | join(" ")' <<<"$l")" = "4 2 unrecognized_option 42 2001:db8:1::100 2001:db8:1::100 $1 $2" ]
	[ "$(jq -r 'select(.type == "summary") | .icmp_errors.parameter_problem' "$DF_OUT")" -eq 1 ]
}

@test "action 10 in a fragmented answer: the Parameter Problem quotes the reassembled datagram, attributed with its frag ID" {
	WAIT=1 dns_run --eh dst:8,opt=0x9e
	[ "$ANS" = timeout ]
	tshark_clean "$CAP"
	scan "$CAP"
	[ "$(count "$CAP" "$DNS" frag)" -ge 2 ]
	# Linux quotes the reassembled packet: no Fragment header in the quote
	run tshark -r "$CAP" -Y 'icmpv6.type == 4' -T fields -E occurrence=l -e icmpv6.code -e icmpv6.pointer \
		-e ipv6.fraghdr.ident
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$(printf '2\t42\t')" ]
	id=$(jq -r 'select(.type == "query") | .frag_id' "$DF_OUT" | tail -n 1)
	[[ $id =~ ^[0-9]+$ ]]
	icmp_line "$id" 'null'
}

@test "a Destination Options header over net.ipv6.max_dst_opts_number is dropped" {
	# dst:1024 holds 4 options of type 0x1e (RFC 4727, skip); a limit of 3 refuses it
	lab_exec c sysctl -qw net.ipv6.max_dst_opts_number=3
	WAIT=1 dns_run --eh dst:1024 --frag-size 1400
	lab_exec c sysctl -qw net.ipv6.max_dst_opts_number=8
	[ "$ANS" = timeout ]
	tshark_clean "$CAP"
	scan "$CAP"
	[ "$(count "$CAP" "$DNS" dst)" -ge 1 ]
	# the same answer under the default limit arrives
	dns_run --eh dst:1024 --frag-size 1400
	[ "$ANS" = "$(cat "$LAB_DIR/dns.base")" ]
}

# ---- httpfrag ----

start_httpfrag() {
	lab_bg f "$V6KIT" httpfrag -i f0 --backend "$BACKEND" --ports 80 --json --no-host-check "$@"
	HF_PID=$LAB_BG_PID HF_OUT=$LAB_BG_OUT HF_ERR=$LAB_BG_ERR
	lab_wait 10 grep -q '"type":"ready"' "$HF_OUT" || { cat "$HF_ERR" >&2; return 1; }
}

stop_httpfrag() {
	kill -TERM "$HF_PID"
	lab_wait 10 eval "! kill -0 $HF_PID"
	HF_PID=
	grep -q '"type":"summary"' "$HF_OUT"
}

# http_same SPEC...: with these --eh values, fragmented (ADDR) and whole
# (--no-fragment, ADDR2, at the same time), curl downloads the object octet
# for octet and the headers were on the wire.
http_same() {
	local args=() s k fpid fout
	for s in "$@"; do args+=(--eh "$s"); done
	lab_capture c c0 "$CAP" ip6 and "(host $ADDR or host $ADDR2)"
	start_httpfrag -l "$ADDR" --nat-ports 20000-24999 "${args[@]}"
	fpid=$HF_PID fout=$HF_OUT
	start_httpfrag -l "$ADDR2" --nat-ports 25000-29999 --no-fragment "${args[@]}"
	lab_exec c curl -g -s -S -f -m 10 -o "$BATS_TEST_TMPDIR/got1" "http://[$ADDR]/200k.bin" &&
		lab_exec c curl -g -s -S -f -m 10 -o "$BATS_TEST_TMPDIR/got2" "http://[$ADDR2]/200k.bin" ||
		{ stop_httpfrag; HF_PID=$fpid; stop_httpfrag; return 1; }
	lab_capture_stop "$CAP"
	stop_httpfrag
	HF_PID=$fpid
	stop_httpfrag
	for s in got1 got2; do
		[ "$(sha256sum <"$BATS_TEST_TMPDIR/$s")" = "$(sha256sum <"$WWW/200k.bin")" ] ||
			{ echo "$s $*: download differs" >&2; return 1; }
	done
	tshark_clean "$CAP"
	scan "$CAP"
	for s in "$fout" "$HF_OUT"; do
		grep '"type":"binding"' "$s" | grep -q "\"eh\":\"$*\"" || { cat "$s" >&2; return 1; }
		grep '"type":"summary"' "$s" | grep -q "\"eh\":\"$*\""
	done
	[ "$(count "$CAP" "$ADDR" frag)" -ge 20 ] || return 1
	[ "$(count "$CAP" "$ADDR2" frag)" -eq 0 ] || return 1
	# every whole packet fits the client link's MTU with the chain
	[ "$(count "$CAP" "$ADDR2" big)" -eq 0 ] || return 1
	for s in "$@"; do
		k=$(kind "$s")
		[ "$(count "$CAP" "$ADDR" "$k")" -ge 20 ] || { echo "fragmented: no $s on the wire" >&2; return 1; }
		[ "$(count "$CAP" "$ADDR2" "$k")" -ge 20 ] || { echo "whole: no $s on the wire" >&2; return 1; }
	done
	case " $* " in *" dstu"*) [ "$(count "$CAP" "$ADDR" dst)" -ge "$(count "$CAP" "$ADDR" frag)" ] || return 1 ;; esac
}

@test "httpfrag --eh hbh:8: curl downloads whole and fragmented data byte-identical" {
	http_same hbh:8
}

@test "httpfrag --eh dst:8: curl downloads whole and fragmented data byte-identical" {
	http_same dst:8
}

@test "httpfrag --eh dst:256: curl downloads whole and fragmented data byte-identical" {
	http_same dst:256
}

@test "httpfrag --eh dstu:8: curl downloads whole and fragmented data byte-identical" {
	http_same dstu:8
}

@test "httpfrag --eh hbh:8 --eh dst:512: the combination arrives" {
	http_same hbh:8 dst:512
}

@test "httpfrag refuses a chain the leading fragment cannot hold (RFC 7112) unless --allow-split-chain; split, Linux drops it" {
	run lab_exec f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --ports 80 --no-host-check \
		--eh dst:1440 --timeout 0.1
	[ "$status" -eq 2 ]
	[[ $output == *"RFC 7112"* ]]
	[[ $output == *"MTU 1500 of f0"* ]]
	[[ $output == *"--allow-split-chain"* ]]
	# allowed, the chain is split across fragments and Linux drops them
	start_httpfrag -l "$ADDR" --eh dst:1440 --allow-split-chain
	lab_capture c c0 "$CAP" ip6 and host "$ADDR"
	run lab_exec c curl -g -s -f -m 3 -o /dev/null "http://[$ADDR]/200k.bin"
	[ "$status" -ne 0 ]
	lab_capture_stop "$CAP"
	stop_httpfrag
	scan "$CAP"
	[ "$(count "$CAP" "$ADDR" frag)" -ge 2 ]
	[ "$(count "$CAP" "$ADDR" big)" -eq 0 ]
	grep '"type":"summary"' "$HF_OUT" | grep -q '"fragments":[1-9]'
}

@test "httpfrag, action 10 in fragmented data: the Parameter Problems quoting reassembled segments are icmp lines" {
	start_httpfrag -l "$ADDR" --eh dst:8,opt=0x9e
	run lab_exec c curl -g -s -f -m 3 -o /dev/null "http://[$ADDR]/200k.bin"
	[ "$status" -ne 0 ]
	sleep 0.3
	stop_httpfrag
	jq -c 'select(.type == "icmp" or .type == "summary")' "$HF_OUT" | head -n 5
	# at least one quote of a reassembled fragmented segment, with its frag ID
	[ "$(jq -s '[.[] | select(.type == "icmp" and .icmp_type == 4 and .icmp_code == 2 and .pointer == 42
		and .client == "2001:db8:1::100" and (.frag_id | type) == "number" and .frag_off == null)] | length' \
		"$HF_OUT")" -ge 1 ]
	[ "$(jq -r 'select(.type == "summary") | .icmp_errors.parameter_problem' "$HF_OUT")" -ge 1 ]
}
