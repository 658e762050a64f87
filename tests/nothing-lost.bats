#!/usr/bin/env bats
# nothing-lost.bats - issue 20 without a lab: write errors on standard
# output and -w files, unwritable link types, timestamps out of range,
# pcap-replay pacing (backward steps, --max-sleep, why a run stopped),
# checksum --hex on no packet, half-written relay tables.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?}"
	FX="$BATS_TEST_DIRNAME/fixtures"
	T="$BATS_TEST_TMPDIR"
	DEST="2001:db8::1 192.0.2.2 02:00:00:00:00:01"
}

teardown() {
	if mountpoint -q "$T/small" 2>/dev/null; then umount "$T/small"; fi
}

# the command with its standard output on /dev/full (run captures stderr)
full() {
	"$V6KIT" "$@" >/dev/full
}

# pcap.py OUT LINKTYPE "SEC:USEC:LEN ..." - a classic microsecond pcap.
mkpcap() {
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
out, lt, recs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, lt))
    for i, r in enumerate(recs):
        s, u, n = (int(x) for x in r.split(":"))
        d = bytes([0x02] * 6 + [0x04] * 6 + [0x86, 0xdd]) + bytes((i + j) & 0xff for j in range(n - 14))
        f.write(struct.pack("<IIII", s, u, len(d), len(d)) + d)
PY
}

@test "standard output on a full device: every applet exits 3 with 'write error' (--list, --version, --help too)" {
	[ -w /dev/full ] || skip "no /dev/full"
	local cmds=(
		"--list" "--version" "--help" "checksum --help"
		"checksum -r $FX/checksum/mixed.pcap -j"
		"checksum -r $FX/checksum/mixed.pcap"
		"ra-sniff -r $FX/ra/rich.pcap -j"
		"ra-sniff -r $FX/ra/rich.pcap"
		"pcap-replay -t -w $T/o.pcap $FX/checksum/mixed.pcap"
		"pcap-replay -t -w $T/o.pcap $FX/checksum/mixed.pcap -j"
	)
	for c in "${cmds[@]}"; do
		# shellcheck disable=SC2086
		run -3 full $c
		[[ $output == *"write error"*"No space left on device"* ]] || { echo "$c: $output"; false; }
	done
	run -3 full 6in4-relay -r "$FX/checksum/mixed.pcap" -l 192.0.2.1 --dest "$DEST" -j
	[[ $output == *"v6kit 6in4-relay: write error"* ]]
	# pcap data on standard output (-w -) to a full device
	run -3 full pcap-replay -t -q -w - "$FX/checksum/mixed.pcap"
	[[ $output == *"write error"* ]]
	run -3 full checksum -q -r "$FX/checksum/mixed.pcap" --fix -w -
	[[ $output == *"write error"* ]]
}

@test "a link type a pcap file cannot hold: exit 2 naming the output file, nothing left behind" {
	mkpcap "$T/lt.pcap" 12345 "1:0:60"
	run -2 "$V6KIT" checksum -r "$T/lt.pcap" --fix -w "$T/out.pcap"
	[[ $output == *"$T/out.pcap: cannot write link type"*"12345"* ]]
	[ ! -e "$T/out.pcap" ]
	run -2 "$V6KIT" pcap-replay -w "$T/out2.pcap" "$T/lt.pcap"
	[[ $output == *"$T/out2.pcap: cannot write link type"* ]]
	[ ! -e "$T/out2.pcap" ]
	run -2 "$V6KIT" checksum -r "$T/lt.pcap" --fix -w "$T/out.pcap" --json
	printf '%s\n' "$output" | grep '"type":"error"' | jq -e '.message | contains("cannot write link type")'
}

@test "unwritable output paths: exit 3 in every applet" {
	run -3 "$V6KIT" checksum -r "$FX/checksum/mixed.pcap" --fix -w /nonexistent-dir/x.pcap
	run -3 "$V6KIT" pcap-replay -w /nonexistent-dir/x.pcap "$FX/checksum/mixed.pcap"
	run -3 "$V6KIT" 6in4-relay -r "$FX/checksum/mixed.pcap" -w /nonexistent-dir/x.pcap -l 192.0.2.1 --dest "$DEST"
	for a in checksum ra-sniff dnsfrag httpfrag pcap-replay 6in4-relay; do
		"$V6KIT" "$a" --help | tr '\n' ' ' | grep -q "3 .*output that cannot be created or written" ||
			{ echo "$a --help"; false; }
		man_page="$BATS_TEST_DIRNAME/../man/v6kit-$a.1"
		awk '/^\.SH EXIT/{p=1} /^\.SH [^E]/{p=0} p' "$man_page" | tr '\n' ' ' |
			grep -q "output that cannot be created or written" || { echo "$man_page"; false; }
	done
}

@test "pcap-replay -w on a full disk: the frames really in the file are reported, none cut short" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
	mkdir "$T/small"
	mount -t tmpfs -o size=64k tmpfs "$T/small" || skip "cannot mount tmpfs"
	local recs="" i
	for i in $(seq 0 199); do recs+=" 1000:$i:1000"; done
	mkpcap "$T/big.pcap" 1 "$recs"
	run -3 "$V6KIT" pcap-replay -t -w "$T/small/o.pcap" "$T/big.pcap" -j
	echo "$output"
	n=$(printf '%s\n' "$output" | grep '"type":"summary"' | jq .written)
	[ "$n" -gt 0 ] && [ "$n" -lt 200 ]
	[[ $output == *"only $n of 200 frames were written"* ]]
	[ "$(printf '%s\n' "$output" | grep '"type":"summary"' | jq -r .stopped_by)" = "write error" ]
	# exactly n whole records: 24 + n * (16 + 1000) octets, and tcpdump reads them all
	[ "$(stat -c %s "$T/small/o.pcap")" -eq $((24 + n * 1016)) ]
	[ "$(tcpdump -r "$T/small/o.pcap" 2>/dev/null | wc -l)" -eq "$n" ]
	umount "$T/small"
}

@test "a microseconds field of 10^6 or more is reported (file, packet), not carried into the next second" {
	mkpcap "$T/us.pcap" 1 "100:5:60 100:1500000:60 101:0:60 101:2000000:60"
	run "$V6KIT" pcap-replay -t -w "$T/o.pcap" "$T/us.pcap" --json
	echo "$output"
	e=$(printf '%s\n' "$output" | grep '"type":"error"' | head -1)
	[ "$(jq -r .file <<<"$e")" = "$T/us.pcap" ]
	[ "$(jq .packet <<<"$e")" -eq 2 ]
	jq -r .message <<<"$e" | grep -q "timestamp fraction 1500000 us is not below one second"
	printf '%s\n' "$output" | grep -q '"message":"2 packets had a timestamp fraction of a second or more"'
	# the second stays 100 (not 101.5): time never goes past the next frame's
	tcpdump -tt -r "$T/o.pcap" 2>/dev/null >"$T/o.txt"
	cat "$T/o.txt"
	[[ $(sed -n 2p "$T/o.txt") == 100.999999* ]]
	[[ $(sed -n 3p "$T/o.txt") == 101.000000* ]]
	run "$V6KIT" checksum -r "$T/us.pcap"
	[[ $output == *"$T/us.pcap: packet 2: timestamp fraction 1500000 us"* ]]
}

@test "pcap-replay pacing: a timestamp stepping back never rewinds the schedule" {
	# 0 s, 2 s, back to 0 s, 2.2 s at -x 4: 0.55 s in all (the old schedule
	# waited the whole step again: 1.05 s)
	mkpcap "$T/back.pcap" 1 "1000:0:60 1002:0:60 1000:0:60 1002:200000:60"
	run "$V6KIT" pcap-replay -x 4 -w "$T/o.pcap" "$T/back.pcap" --json
	echo "$output"
	s=$(printf '%s\n' "$output" | grep '"type":"summary"')
	[ "$(jq .timestamps_backwards <<<"$s")" -eq 1 ]
	jq -e '.elapsed_s > 0.5 and .elapsed_s < 0.85' <<<"$s"
	[ "$(jq -r .stopped_by <<<"$s")" = "end of input" ]
}

@test "pcap-replay --max-sleep: a gap of a year is cut, warned about and counted" {
	mkpcap "$T/gap.pcap" 1 "1000000000:0:60 1031536000:0:60 1031536000:100000:60"
	run "$V6KIT" pcap-replay -x 1 --max-sleep 0.3 -w "$T/o.pcap" "$T/gap.pcap" --json
	echo "$output"
	s=$(printf '%s\n' "$output" | grep '"type":"summary"')
	[ "$(jq .gaps_capped <<<"$s")" -eq 1 ]
	jq -e '.elapsed_s > 0.35 and .elapsed_s < 1.5' <<<"$s"
	[ "$(jq .written <<<"$s")" -eq 3 ]
	printf '%s\n' "$output" | grep '"type":"error"' | jq -r .message |
		grep -q "packet 2: a gap of 31536000.000 s in the capture is cut to --max-sleep 0.300 s"
	run -2 "$V6KIT" pcap-replay --max-sleep 0 -w "$T/o.pcap" "$T/gap.pcap"
	run -2 "$V6KIT" pcap-replay --max-sleep soon -w "$T/o.pcap" "$T/gap.pcap"
	"$V6KIT" --options pcap-replay | grep -qx -- '--max-sleep='
}

@test "pcap-replay --duration: the summary says why the run stopped" {
	mkpcap "$T/slow.pcap" 1 "1000:0:60 1000:100000:60 1010:0:60"
	run "$V6KIT" pcap-replay -x 1 --duration 0.5 -w "$T/o.pcap" "$T/slow.pcap" --json
	echo "$output"
	s=$(printf '%s\n' "$output" | grep '"type":"summary"')
	jq -r .stopped_by <<<"$s" | grep -q '^duration'
	[ "$(jq .written <<<"$s")" -eq 2 ]
	jq -e '.elapsed_s < 0.6' <<<"$s"
	run "$V6KIT" pcap-replay -t --limit 2 -w "$T/o.pcap" "$T/slow.pcap" --json
	[ "$(printf '%s\n' "$output" | grep '"type":"summary"' | jq -r .stopped_by)" = limit ]
	run "$V6KIT" pcap-replay -t -w "$T/o.pcap" "$T/slow.pcap"
	[[ $output == *"stopped by: end of input"* ]]
}

@test "checksum --hex on bytes that are no packet: exit 2 with a hint" {
	run -2 "$V6KIT" checksum --hex deadbeef
	[[ $output == *"--hex: the 4 octets are no IPv4 or IPv6 packet (invalid); for an Ethernet frame use --link ether"* ]]
	eth=3333000000010200000000ff86dd6000000000003b40fe800000000000000000000000000001fe800000000000000000000000000002
	run -2 "$V6KIT" checksum --hex "$eth" --json
	printf '%s\n' "$output" | grep '"type":"error"' | jq -r .message | grep -q "it looks like an Ethernet frame: add --link ether"
	run -0 "$V6KIT" checksum --hex "$eth" --link ether
	run -2 "$V6KIT" checksum --hex 6000 --link ether
	[[ $output == *"no Ethernet packet"*"use --link raw"* ]]
	# a packet with nothing to check is still a packet
	run -0 "$V6KIT" checksum --hex "${eth:28}"
}

@test "6in4-relay: a table whose last line has no newline is refused with FILE:LINE (text and JSON)" {
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a\n2001:db8:1::b 192.0.2.11 02:00:00:0' >"$T/half"
	run -2 "$V6KIT" 6in4-relay -r "$FX/checksum/mixed.pcap" -l 192.0.2.1 --table "$T/half"
	[[ $output == *"v6kit 6in4-relay: $T/half:2: the last line has no newline"*"write-then-rename"* ]]
	run -2 "$V6KIT" 6in4-relay -r "$FX/checksum/mixed.pcap" -l 192.0.2.1 --table "$T/half" --json
	e=$(printf '%s\n' "$output" | grep '"type":"error"')
	[ "$(jq -r .file <<<"$e")" = "$T/half" ]
	[ "$(jq .line <<<"$e")" -eq 2 ]
	# even a last line that would parse
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a' >"$T/nonl"
	run -2 "$V6KIT" 6in4-relay -r "$FX/checksum/mixed.pcap" -l 192.0.2.1 --table "$T/nonl"
	[[ $output == *"$T/nonl:1: the last line has no newline"* ]]
	grep -q "write-then-rename" "$BATS_TEST_DIRNAME/../man/v6kit-6in4-relay.1"
}

@test "6in4-relay: 65,536 table lines load in well under a second" {
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(65536):
        f.write("2001:db8::%x:%x 192.0.2.1 02:00:00:00:00:01\n" % (i >> 8, i & 0xff))' "$T/big"
	local t0 t1
	t0=$(date +%s%N)
	run -0 "$V6KIT" 6in4-relay -r "$FX/checksum/mixed.pcap" -l 192.0.2.1 --table "$T/big" -q
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 )) ms"
	[ $(( (t1 - t0) / 1000000 )) -lt 3000 ]	# quadratic: 6 s
}

@test "pcapng with interfaces of different link types (mergecap): each packet decoded with its own, as tshark does" {
	command -v mergecap >/dev/null || skip "needs mergecap"
	mergecap -F pcapng -w "$T/mixed.pcapng" "$FX/checksum/mixed.pcap" "$FX/checksum/raw.pcap"
	local want
	want=$(tshark -r "$T/mixed.pcapng" 2>/dev/null | wc -l)
	run -1 "$V6KIT" checksum -r "$T/mixed.pcapng" --json
	mixed_out=$output
	s=$(printf '%s\n' "$output" | grep '"type":"summary"')
	[ "$(jq .packets <<<"$s")" -eq "$want" ]
	# the raw-IP packets are checked too: more than the Ethernet file alone
	run -1 "$V6KIT" checksum -r "$FX/checksum/mixed.pcap" --json
	e=$(printf '%s\n' "$output" | grep '"type":"summary"')
	[ "$(jq '[.checked[]] | add' <<<"$s")" -gt "$(jq '[.checked[]] | add' <<<"$e")" ]
	# bad checksums per tshark, layer by layer, agree with ours
	# the raw-IP interface's frames tshark finds bad are the ones we report bad
	tbad=$(tshark -r "$T/mixed.pcapng" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o tcp.check_checksum:TRUE -T fields -e frame.number -Y 'frame.interface_id == 1 &&
		(ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0 ||
		icmpv6.checksum.status == 0)' 2>/dev/null | sort -n | tr '\n' ' ')
	echo "tshark: bad raw-IP frames: $tbad"
	[ -n "$tbad" ]
	for n in $tbad; do
		printf '%s\n' "$mixed_out" | grep '"type":"checksum"' | grep -q "\"packet\":$n," ||
			{ echo "frame $n: tshark says bad, we do not"; false; }
	done
	# --fix -w: the Ethernet frames in OUT, the raw-IP ones in OUT.RAW.pcap, all fixed
	run -0 "$V6KIT" checksum -r "$T/mixed.pcapng" --fix -w "$T/fixed.pcap" -q
	[[ $output == *"frames of link type RAW go to $T/fixed.RAW.pcap"* ]]
	[ $(( $(tshark -r "$T/fixed.pcap" 2>/dev/null | wc -l) + $(tshark -r "$T/fixed.RAW.pcap" 2>/dev/null | wc -l) )) -eq "$want" ]
	run -0 "$V6KIT" checksum -r "$T/fixed.RAW.pcap" -q
	# standard output holds one link type
	run "$V6KIT" checksum -r "$T/mixed.pcapng" --fix -w - -q
	[[ $output == *"mixes link types"* ]]
	# the other offline applets read it too
	run "$V6KIT" 6in4-relay -r "$T/mixed.pcapng" -l 192.0.2.1 --dest "$DEST" --json
	[ "$(printf '%s\n' "$output" | grep '"type":"summary"' | jq .packets)" -eq "$want" ]
	# pcap-replay sends one link type: the others are skipped, counted, reported
	run -0 "$V6KIT" pcap-replay -t -w "$T/o.pcap" "$T/mixed.pcapng" --json
	s=$(printf '%s\n' "$output" | grep '"type":"summary"')
	eth=$(tshark -r "$T/mixed.pcapng" -Y 'frame.interface_id == 0' 2>/dev/null | wc -l)
	[ "$(jq .written <<<"$s")" -eq "$eth" ]
	[ "$(jq .skipped_link <<<"$s")" -eq $((want - eth)) ]
	[[ $output == *"frames of link type RAW skipped"* ]]
}
