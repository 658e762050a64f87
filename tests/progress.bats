#!/usr/bin/env bats
# progress.bats - SPEC §2: long offline jobs (-r of a large capture) show a
# progress bar on stderr when it is a terminal; --no-progress and -q turn it
# off; never on a non-terminal (so never in a --json pipeline).  Driven
# through a pseudo-terminal by tests/lib/pty_drive.py.

bats_require_minimum_version 1.5.0

setup_file() {
	: "${V6KIT:?V6KIT must point at the binary}"
	BIG=$(mktemp -d)/big.pcap
	export BIG
	# 12000 Ethernet/IPv6/UDP frames, ~6 MB: above the 4 MiB threshold.
	/usr/bin/python3 - "$BIG" <<'PY'
import struct, sys
udp = struct.pack("!HHHH", 1, 2, 8 + 450, 0) + b"p" * 450
ip6 = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + bytes(15) + b"\1" + bytes(15) + b"\2"
frame = bytes(6) + bytes(6) + b"\x86\xdd" + ip6 + udp
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write((struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame) * 12000)
PY
	# The same with the right UDP checksum (0x2982) but in every 1000th
	# packet, which keeps 0 (invalid over IPv6): report lines on stdout while
	# the bar is up.
	BAD=$(dirname "$BIG")/bad.pcap
	export BAD
	/usr/bin/python3 - "$BIG" "$BAD" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
rec = (len(data) - 24) // 12000
for i in range(12000):
    off = 24 + i * rec + 16 + 14 + 40 + 6	# record, Ethernet, IPv6, UDP checksum
    if i % 1000:
        data[off:off + 2] = b"\x29\x82"
open(sys.argv[2], "wb").write(data)
PY
}

teardown_file() {
	rm -rf "$(dirname "$BIG")"
}

setup() {
	PTY="/usr/bin/python3 $BATS_TEST_DIRNAME/lib/pty_drive.py -t 30"
	BAR='expect=\] +[0-9]+% [0-9]+ packets'
}

# args_for APPLET: what the applet needs besides -r.
args_for() {
	case $1 in
	6in4-relay) echo "--dest 2001:db8::1,192.0.2.1,02:00:00:00:00:01" ;;
	esac
}

# done_re APPLET: a regex of its text summary on the big capture.
done_re() {
	case $1 in
	checksum) echo '12000 packets;' ;;
	ra-sniff) echo '12000 packets, 0 router' ;;
	6in4-relay) echo '12000 packets' ;;
	esac
}

@test "every offline applet: a bar on a terminal, erased at the end" {
	for a in checksum ra-sniff 6in4-relay; do
		run $PTY "$BAR" "expect=$(done_re $a)" -- "$V6KIT" "$a" -r "$BIG" $(args_for $a)
		[ "$status" -le 1 ] || { echo "$a: no bar (status $status): $output"; return 1; }
		[[ $output == *$'\e[K'* ]] || { echo "$a: bar not erased"; return 1; }
	done
}

@test "every offline applet: --no-progress and -q draw no bar; nor does a non-terminal" {
	for a in checksum ra-sniff 6in4-relay; do
		run $PTY "expect=$(done_re $a)" -- "$V6KIT" "$a" --no-progress -r "$BIG" $(args_for $a)
		[ "$status" -le 1 ]
		[[ $output != *"%"* ]] || { echo "$a --no-progress: $output"; return 1; }
		run $PTY -- "$V6KIT" "$a" -q -r "$BIG" $(args_for $a)
		[ "$status" -le 1 ]
		[[ $output != *"%"* ]] || { echo "$a -q: $output"; return 1; }
		run "$V6KIT" "$a" -j -r "$BIG" $(args_for $a)
		[ "$status" -le 1 ]
		[[ $output != *"%"* ]] || { echo "$a -j piped: $output"; return 1; }
	done
}

@test "report lines on the terminal never land on the bar's line" {
	run $PTY "expect=12000 packets;" -- "$V6KIT" checksum -r "$BAD"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'udp bad' <<<"$output")" -eq 12 ]
	[[ $output == *"% "*" packets"* ]] || { echo "no bar drawn"; return 1; }
	# After a bar is drawn, the next thing written is the erase, never text.
	if grep -E 'packets[^'$'\e'']*packet [0-9]+:' <<<"$output"; then
		echo "a report line follows the bar on its line"
		return 1
	fi
}
