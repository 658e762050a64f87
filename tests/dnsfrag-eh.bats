#!/usr/bin/env bats
# dnsfrag-eh.bats - dnsfrag --eh, --eh-order, --allow-split-chain and
# --no-fragment without a lab: usage errors with their reasons, the RFC 7112
# start-up refusal naming the sizes, and (as root) loopback runs whose
# fragment sizes and JSON `eh` fields show the chain.  The kernel as the
# receiver of these answers: tests/lab/eh-front-lab.bats.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
	TMP=$(mktemp -d)
}

teardown() {
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
	rm -rf "$TMP"
}

usage_error() {	# args...: exit 2 and a "v6kit dnsfrag:" message
	run -2 "$V6KIT" dnsfrag -i lo --builtin 600 "$@"
	[[ ${lines[0]} == "v6kit dnsfrag: "* ]]
}

@test "--eh: bad SPECs are usage errors with the reason" {
	usage_error --eh hbh:7
	[[ $output == *"'hbh:7'"* ]]
	usage_error --eh hbh:12
	[[ $output == *"not a multiple of 8"* ]]
	usage_error --eh dst:4096
	[[ $output == *"'dst:4096'"*"2048"* ]]
	usage_error --eh dst:8,opt=300
	[[ $output == *"option type"*"255"* ]]
	usage_error --eh rth:8
	[[ $output == *"hbh, dst or dstu"* ]]
	usage_error --eh hbh:8 --eh hbh:16
	[[ $output == *"two hbh headers"*"RFC 8200"* ]]
	usage_error --eh-order sideways
	[[ $output == *"rfc"*"given"* ]]
	usage_error --no-fragment --frag-size 600
	[[ $output == *"--no-fragment"* ]]
}

@test "--eh-order given sends two hbh headers; the order is accepted" {
	run -0 "$V6KIT" dnsfrag -i lo --builtin 600 --tx raw -l ::1 -p $((20000 + RANDOM % 20000)) \
		--eh hbh:8 --eh hbh:16 --eh-order given --timeout 0.05
}

@test "RFC 7112: a first fragment that cannot hold the chain is refused, naming the sizes" {
	usage_error --eh dst:512 --frag-size 512
	[[ $output == *"RFC 7112"* ]]
	[[ $output == *"568 octets"* ]]
	[[ $output == *"464 data octets"* ]]
	[[ $output == *"--allow-split-chain"* ]]
	# an unfragmentable part that leaves no data is refused even then
	usage_error --eh dstu:512 --frag-size 512 --allow-split-chain
	[[ $output == *"560 octets"* ]]
	usage_error --eh dst:8 --first-frag 456
	[[ $output == *"at most 448 DNS octets"* ]]
}

# Start dnsfrag on ::1 with --tx raw (loopback, no lab needed); DPORT, DPID, DOUT.
start_loopback() {
	DPORT=$((20000 + RANDOM % 20000))
	DOUT=$TMP/out
	"$V6KIT" dnsfrag --tx raw -l ::1 -p "$DPORT" --json "$@" >"$DOUT" 2>"$TMP/err" &
	DPID=$!
	for _ in $(seq 50); do
		ss -Hlun "sport = :$DPORT" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	cat "$TMP/err"
	return 1
}

ask() {	# one dig through the loopback front end, then stop it
	run dig +time=3 +tries=1 +bufsize=4096 +ignore -p "$DPORT" @::1 eh.example TXT
	[ "$status" -eq 0 ]
	[[ $output == *"MSG SIZE  rcvd: 2000"* ]]
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
}

@test "loopback: --eh hbh:8 --eh dst:16 in every answer, fragment sizes and eh fields show it" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 2000 --eh dst:16 --eh hbh:8
	ask
	q=$(grep '"type":"query"' "$DOUT")
	# first: 40 + hbh 8 + Fragment 8 + dst 16 + UDP 8 + 128 DNS; hbh repeats in
	# each: 2024 fragmentable octets, 152 in the first, then 456 per fragment
	[[ $q == *'"fragment_sizes":[208,512,512,512,512,104]'* ]]
	[[ $q == *'"eh":"dst:16 hbh:8"'* ]]
	grep '"type":"summary"' "$DOUT" | grep -q '"eh":"dst:16 hbh:8"'
}

@test "loopback: --no-fragment sends the answer whole, with the chain" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 2000 --eh dst:16 --no-fragment
	ask
	q=$(grep '"type":"query"' "$DOUT")
	[[ $q == *'"fragments":1,"fragment_sizes":[2064],"frag_id":null'* ]]
}

@test "loopback: --allow-split-chain cuts the chain; Linux, an RFC 7112 receiver, drops it" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 2000 --eh dst:512 --allow-split-chain
	run dig +time=1 +tries=1 +bufsize=4096 +ignore -p "$DPORT" @::1 eh.example TXT
	[[ $output == *"timed out"* ]]
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
	q=$(grep '"type":"query"' "$DOUT")
	# 512 + 8 + 2000 fragmentable octets, 464 per 512-octet fragment: the
	# UDP header is in the second fragment
	[[ $q == *'"fragment_sizes":[512,512,512,512,512,248]'* ]]
	[[ $q == *'"outcome":"answered"'* ]]
}

@test "no --eh: eh is the empty string" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (raw socket)"
	command -v dig >/dev/null || skip "needs dig"
	start_loopback --builtin 2000
	ask
	grep '"type":"query"' "$DOUT" | grep -q '"eh":""'
	grep '"type":"summary"' "$DOUT" | grep -q '"eh":""'
}
