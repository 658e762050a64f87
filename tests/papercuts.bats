#!/usr/bin/env bats
# papercuts.bats - the small things a first-time operator trips over
# (issue 21): messages that name a thing once and say the first thing to fix,
# warnings that are JSON "warning" lines, exit codes for odd inputs, help
# texts, 6in4-relay's -w output.  Completion items are in completions.bats.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TMP=$(mktemp -d)
	FX=$TOP/tests/fixtures/checksum
}

teardown() {
	rm -rf "$TMP"
}

# Run "$@" as nobody with a copy of the binary nobody can reach ($NB).
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
nobody_bin() {
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv"
	mkdir -p "$TMP/nb" && chmod 755 "$TMP" "$TMP/nb"
	cp "$V6KIT" "$TMP/nb/v6kit" && chmod 755 "$TMP/nb/v6kit"
	NB=$TMP/nb/v6kit
}

@test "a truncated capture is named once in every applet's message" {
	cp "$FX/truncated.pcap" "$TMP/trunc.pcap"
	cd "$TMP"
	for cmd in "checksum -r trunc.pcap" "ra-sniff -r trunc.pcap" "pcap-replay -w out.pcap trunc.pcap" \
		"6in4-relay -r trunc.pcap -w out.pcap --dest 2001:db8::1,192.0.2.1,02:00:00:00:00:01"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$V6KIT" $cmd
		echo "$cmd: $stderr"
		[ "$status" -eq 1 ]
		[[ $stderr == *"trunc.pcap: truncated dump file"* ]]
		[[ $stderr != *"trunc.pcap: trunc.pcap"* ]]
	done
	run --separate-stderr "$V6KIT" pcap-replay -j -w out.pcap trunc.pcap
	[ "$(jq -r 'select(.type == "error") | .file' <<<"$output")" = trunc.pcap ]
	[[ "$(jq -r 'select(.type == "error") | .message' <<<"$output")" == "truncated dump file"* ]]
}

@test "a missing interface is named once: dnsfrag, httpfrag, ra-sniff, pcap-replay, 6in4-relay" {
	for cmd in "dnsfrag -i nosuch0 --builtin 600" "dnsfrag -i nosuch0 --builtin 600 --tx raw" \
		"httpfrag -i nosuch0 -l 2001:db8::1 --backend 2001:db8::2" "ra-sniff -i nosuch0" \
		"ra-sniff -i nosuch0 --solicit" "pcap-replay -i nosuch0 $FX/mixed.pcap" \
		"pcap-replay -i nosuch0 --tx-method mmsg $FX/mixed.pcap" \
		"6in4-relay -i nosuch0 --dest 2001:db8::1,192.0.2.1,02:00:00:00:00:01"; do
		# shellcheck disable=SC2086
		run "$V6KIT" $cmd
		echo "$cmd: $output"
		[ "$status" -eq 3 ]
		[[ $output == *nosuch0* ]]
		[[ $output != *"nosuch0: nosuch0"* && $output != *"nosuch0: interface nosuch0"* ]]
		[ "$(grep -o nosuch0 <<<"$output" | wc -l)" -eq 1 ]
		# and in the same words everywhere
		[ "$output" = "v6kit ${cmd%% *}: nosuch0: no such interface" ]
	done
}

@test "unprivileged: a missing interface is said before the missing privilege" {
	nobody_bin
	run as_nobody "$NB" ra-sniff -i nosuch0
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$output" = "v6kit ra-sniff: nosuch0: no such interface" ]
	# an interface that is there: then it is the privilege
	run as_nobody "$NB" ra-sniff -i lo --timeout 0.1
	[ "$status" -eq 3 ]
	[[ $output == *"lo: permission denied capturing (need root or CAP_NET_RAW)"* ]]
}

@test "unprivileged httpfrag: the nftables check says privilege, not 'nft missing'" {
	nobody_bin
	command -v nft >/dev/null || skip "nft not installed"
	run as_nobody "$NB" httpfrag -i lo -l ::1 --backend ::1
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"cannot check the nftables ruleset for RST suppression: nft list ruleset is not permitted (need root or CAP_NET_ADMIN)"* ]]
	[[ $output != *"nft missing"* ]]
	# and when nft is really missing, it says that
	run as_nobody env PATH=/nonexistent "$NB" httpfrag -i lo -l ::1 --backend ::1
	[[ $output == *"nft(8) not found: install nftables"* ]]
}

@test "httpfrag --ports: 0 is refused, the range says 1..65535" {
	for p in 0 0-80 80,0 65536; do
		run "$V6KIT" httpfrag -i lo -l ::1 --backend ::1 --ports "$p"
		echo "$p: $output"
		[ "$status" -eq 2 ]
		[[ $output == *"invalid --ports value '$p': out of range (1..65535)"* ]]
	done
	# 6in4-relay --allow PROTO/PORT goes through the same parser
	run "$V6KIT" 6in4-relay -r "$FX/mixed.pcap" --dest 2001:db8::1,192.0.2.1,02:00:00:00:00:01 --allow tcp/0
	[ "$status" -eq 2 ]
}

@test "httpfrag host check: warnings are JSON warning lines; without --no-host-check an error stops the run" {
	[ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null || skip "needs root and unshare -n"
	cat >"$TMP/run.sh" <<'EOF'
ip link set lo up
ip -6 addr add 2001:db8::80/128 dev lo nodad
"$1" httpfrag -i lo -l 2001:db8::80 --backend ::1 --json --timeout 0.3 "${@:2}"
EOF
	# lo keeps its offloads on and nothing drops RSTs in a fresh namespace
	run --separate-stderr unshare -n bash "$TMP/run.sh" "$V6KIT" --no-host-check
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -s '[.[] | select(.type == "warning" and .applet == "httpfrag")] | length' <<<"$output")" -ge 2 ]
	[ "$(jq -s '[.[] | select(.type == "error")] | length' <<<"$output")" -eq 0 ]
	jq -e -s '[.[] | select(.type == "warning") | .message | test("segmentation|RST")] | all' <<<"$output" >/dev/null
	[ "$(tail -n1 <<<"$output" | jq -r .type)" = summary ]
	run --separate-stderr unshare -n bash "$TMP/run.sh" "$V6KIT"
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$(jq -s '[.[] | select(.type == "warning")] | length' <<<"$output")" -ge 2 ]
	[ "$(tail -n1 <<<"$output" | jq -r '.type + " " + .message')" = "error host not prepared (see above): run the commands, or use --manage-host, or --no-host-check to start anyway" ]
	! grep -q '"type":"summary"' <<<"$output"
}

@test "the warning type is documented (v6kit(1) and README)" {
	MANWIDTH=200 man -l "$TOP/man/v6kit.1" 2>/dev/null | grep -q '{"type":"warning","applet":...,"message":...}'
	grep -q '{"type":"warning",...}' "$TOP/README.md"
	MANWIDTH=200 man -l "$TOP/man/v6kit-httpfrag.1" 2>/dev/null | grep -A3 '^ *warning$' | grep -q 'applet, message'
	MANWIDTH=200 man -l "$TOP/man/v6kit-6in4-relay.1" 2>/dev/null | grep -q 'source MAC 00:00:00:00:00:00 and a warning'
	MANWIDTH=200 man -l "$TOP/man/v6kit.1" 2>/dev/null | grep -q 'zcat FILE | v6kit APPLET ... -r -' 
}

# A 6in4 capture: IPv4/41 to 192.0.2.2 holding IPv6 to 2001:db8:1::a, as
# nanosecond Ethernet pcap and as raw-IP pcap.
relay_inputs() {
	/usr/bin/python3 - "$TMP" <<'EOF'
import sys
from decimal import Decimal
from scapy.all import IP, IPv6, ICMPv6EchoRequest, Ether, CookedLinuxV2, PcapWriter
d = sys.argv[1]
p = IP(src="198.51.100.1", dst="192.0.2.2", proto=41) / IPv6(src="2001:db8:ff::1", dst="2001:db8:1::a") / ICMPv6EchoRequest()
w = PcapWriter(d + "/nsec.pcap", nano=True)
for i in range(3):
    f = Ether(src="02:00:00:00:00:fe", dst="02:00:00:00:00:02") / p
    f.time = Decimal("1700000000.123456789") + i
    w.write(f)
w.close()
w = PcapWriter(d + "/raw.pcap", linktype=101)
for i in range(3):
    f = p.copy()
    f.time = 1700000000 + i
    w.write(f)
w.close()
w = PcapWriter(d + "/sll2.pcap", linktype=276)
for i in range(3):
    f = CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6,
                      src=b"\x02\x00\x00\x00\x00\xfe\x00\x00") / p
    f.time = 1700000000 + i
    w.write(f)
w.close()
EOF
	DEST=(--dest 2001:db8:1::a,192.0.2.10,02:00:00:00:00:0a -l 192.0.2.2)
}

@test "6in4-relay -w keeps nanosecond timestamps (as checksum and pcap-replay do)" {
	relay_inputs
	run "$V6KIT" 6in4-relay -r "$TMP/nsec.pcap" "${DEST[@]}" -w "$TMP/out.pcap"
	[ "$status" -eq 0 ]
	# nanosecond pcap magic, little-endian: 4d 3c b2 a1
	[ "$(head -c4 "$TMP/out.pcap" | od -An -tx1 | tr -d ' ')" = 4d3cb2a1 ]
	[ "$(tshark -r "$TMP/out.pcap" -T fields -e frame.time_epoch 2>/dev/null | head -n1)" = 1700000000.123456789 ]
	[ "$(tshark -r "$TMP/out.pcap" -T fields -e frame.time_epoch 2>/dev/null | wc -l)" -eq 3 ]
	# a microsecond input stays a microsecond pcap
	run "$V6KIT" 6in4-relay -r "$TMP/raw.pcap" "${DEST[@]}" --mac 02:00:00:00:00:02 -w "$TMP/out2.pcap"
	[ "$(head -c4 "$TMP/out2.pcap" | od -An -tx1 | tr -d ' ')" = d4c3b2a1 ]
}

@test "6in4-relay: raw-IP and SLL2 input without --mac warn of the zero source MAC" {
	relay_inputs
	run --separate-stderr "$V6KIT" 6in4-relay -r "$TMP/sll2.pcap" "${DEST[@]}" -w "$TMP/out.pcap"
	[ "$status" -eq 0 ]
	[[ $stderr == *"sll2.pcap has no Ethernet header to learn our MAC from"* ]]
	[ "$(tshark -r "$TMP/out.pcap" -T fields -e eth.src 2>/dev/null | sort -u)" = 00:00:00:00:00:00 ]
	[ "$(tshark -r "$TMP/out.pcap" 2>/dev/null | wc -l)" -eq 3 ]
	run --separate-stderr "$V6KIT" 6in4-relay -r "$TMP/raw.pcap" "${DEST[@]}" -w "$TMP/out.pcap" --json
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *"raw.pcap has no Ethernet header to learn our MAC from: relayed frames get source MAC 00:00:00:00:00:00 (give --mac)"* ]]
	[ "$(jq -r 'select(.type == "warning") | .applet' <<<"$output")" = 6in4-relay ]
	[ "$(tshark -r "$TMP/out.pcap" -T fields -e eth.src 2>/dev/null | sort -u)" = 00:00:00:00:00:00 ]
	# with --mac: that MAC, no warning; Ethernet input: no warning either
	run --separate-stderr "$V6KIT" 6in4-relay -r "$TMP/raw.pcap" "${DEST[@]}" -w "$TMP/out.pcap" --mac 02:00:00:00:00:02
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(tshark -r "$TMP/out.pcap" -T fields -e eth.src 2>/dev/null | sort -u)" = 02:00:00:00:00:02 ]
	run --separate-stderr "$V6KIT" 6in4-relay -r "$TMP/nsec.pcap" "${DEST[@]}" -w "$TMP/out.pcap"
	[ -z "$stderr" ]
}

@test "6in4-relay: the write error comes before the summary, exit 3" {
	[ -w /dev/full ] || skip "no /dev/full"
	relay_inputs
	run --separate-stderr "$V6KIT" 6in4-relay -r "$TMP/nsec.pcap" "${DEST[@]}" -w /dev/full --json
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$(jq -r .type <<<"$output" | tr '\n' ' ')" = "error summary " ]
	[ "$(head -n1 <<<"$output" | jq -r .message)" = "/dev/full: write error: the output is incomplete" ]
	run "$V6KIT" 6in4-relay -r "$TMP/nsec.pcap" "${DEST[@]}" -w /dev/full
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == "v6kit 6in4-relay: /dev/full: write error: the output is incomplete" ]]
	[[ ${lines[1]} == summary:* ]]
}

@test "v6kit shell DIR or an unreadable SCRIPT: exit 2 with the reason" {
	mkdir "$TMP/dir"
	run "$V6KIT" shell "$TMP/dir"
	[ "$status" -eq 2 ]
	[ "$output" = "v6kit: $TMP/dir: Is a directory" ]
	run "$V6KIT" shell "$TMP/none"
	[ "$status" -eq 2 ]
	[ "$output" = "v6kit: $TMP/none: No such file or directory" ]
	nobody_bin
	printf 'checksum --hex 00\n' >"$TMP/script" && chmod 000 "$TMP/script"
	run as_nobody "$NB" shell "$TMP/script"
	[ "$status" -eq 2 ]
	[ "$output" = "v6kit: $TMP/script: Permission denied" ]
}

@test "help texts: v6kit --help shows 'shell SCRIPT'; every applet's --help names its man page" {
	run "$V6KIT" --help
	[[ $output == *"v6kit shell SCRIPT"* ]]
	[[ $output == *"v6kit --values APPLET"* ]]
	for a in $("$V6KIT" --list | cut -f1); do
		run "$V6KIT" "$a" --help
		[ "$status" -eq 0 ]
		[[ $output == *"See v6kit-$a(1)."* ]] || { echo "$a --help does not say 'See v6kit-$a(1).'"; return 1; }
	done
}

@test "a compressed capture: exit 2 with the command that reads it" {
	gzip -c "$FX/mixed.pcap" >"$TMP/m.pcap.gz"
	for a in checksum ra-sniff; do
		run "$V6KIT" "$a" -r "$TMP/m.pcap.gz"
		echo "$output"
		[ "$status" -eq 2 ]
		[ "$output" = "v6kit $a: $TMP/m.pcap.gz: compressed, not a pcap or pcapng capture: try 'zcat $TMP/m.pcap.gz | v6kit $a ... -r -'" ]
	done
	run "$V6KIT" pcap-replay -w "$TMP/o.pcap" "$TMP/m.pcap.gz"
	[ "$status" -eq 2 ]
	[[ $output == *"try 'zcat $TMP/m.pcap.gz | v6kit pcap-replay ... -r -'"* ]]
	# the hint works
	run "$V6KIT" checksum -r "$FX/mixed.pcap"
	want=$status
	zcat "$TMP/m.pcap.gz" | "$V6KIT" checksum -r - >/dev/null 2>&1 || got=$?
	[ "${got:-0}" -eq "$want" ]
	# xz and zstd say their own tool; a plain unknown file keeps the old message
	if command -v xz >/dev/null; then
		xz -c "$FX/mixed.pcap" >"$TMP/m.pcap.xz"
		run "$V6KIT" checksum -r "$TMP/m.pcap.xz"
		[[ $output == *"try 'xzcat "* ]]
	fi
	head -c 100 /dev/zero >"$TMP/zero.pcap"
	run "$V6KIT" checksum -r "$TMP/zero.pcap"
	[ "$status" -eq 2 ]
	[[ $output == *"not a pcap or pcapng capture"* && $output != *zcat* ]]
}
