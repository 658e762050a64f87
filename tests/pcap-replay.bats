#!/usr/bin/env bats
# pcap-replay.bats - offline replay (-w): exact reproduction, order, loops,
# limits, pacing into a file, rewriting with checksums checked by tshark,
# bad input and bad usage.  The wire is in tests/lab/pcap-replay-lab.bats.

bats_require_minimum_version 1.5.0

setup_file() {
	export FX="$BATS_FILE_TMPDIR/fx"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/replay_gen.py" "$FX" 2>/dev/null
}

setup() {
	: "${V6KIT:?}"
	OUT="$BATS_TEST_TMPDIR"
}

# One line per frame: timestamp (ns) and every octet, for comparing captures
# whatever their format (pcap, pcapng, precision).
frames() {
	tcpdump -nn --nano -tt -xx -r "$1" 2>/dev/null
}

# Count frames with a bad IPv4/TCP/UDP/ICMPv6 checksum, per tshark.
tshark_bad() {
	tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE \
		-Y 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmpv6.checksum.status == 0' \
		2>/dev/null | wc -l
}

json_field() {	# json_field FIELD <<< JSON-line
	/usr/bin/python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if d.get("type") == "summary": print(d[sys.argv[1]])' "$1"
}

@test "--help: usage on stdout, exit 0; --options lists the long options" {
	run "$V6KIT" pcap-replay --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: v6kit pcap-replay"* ]]
	[[ "$output" == *"--topspeed"* ]]
	run "$V6KIT" --options pcap-replay
	[ "$status" -eq 0 ]
	for o in --interface= --write= --multiplier= --pps= --mbps= --topspeed --loop= \
		--preload-pcap --limit= --duration= --src-mac= --dst-mac= --src-ip= --dst-ip= --mtu= --json; do
		grep -qx -- "$o" <<<"$output" || { echo "missing $o"; return 1; }
	done
}

@test "-w without rewriting reproduces a microsecond pcap byte for byte" {
	run "$V6KIT" pcap-replay -q -w "$OUT/o.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	cmp "$FX/mix.pcap" "$OUT/o.pcap"
}

@test "-w reproduces a nanosecond pcap byte for byte" {
	run "$V6KIT" pcap-replay -q -w "$OUT/o.pcap" "$FX/mix_ns.pcap"
	[ "$status" -eq 0 ]
	cmp "$FX/mix_ns.pcap" "$OUT/o.pcap"
}

@test "-w from pcapng and from stdin: same frames and timestamps" {
	run "$V6KIT" pcap-replay -q -w "$OUT/ng.pcap" "$FX/mix.pcapng"
	[ "$status" -eq 0 ]
	diff <(frames "$FX/mix.pcapng") <(frames "$OUT/ng.pcap")
	"$V6KIT" pcap-replay -q -w "$OUT/in.pcap" - <"$FX/mix.pcap"
	diff <(frames "$FX/mix.pcap") <(frames "$OUT/in.pcap")
	[ "$(frames "$OUT/in.pcap" | grep -c '^[0-9]')" -eq 29 ]
}

@test "-w - writes the pcap to stdout and the summary to stderr" {
	run --separate-stderr "$V6KIT" pcap-replay -j -w - "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	"$V6KIT" pcap-replay -j -w - "$FX/mix.pcap" 2>"$OUT/err" >"$OUT/o.pcap"
	cmp "$FX/mix.pcap" "$OUT/o.pcap"
	[ "$(json_field packets <"$OUT/err")" -eq 29 ]
}

@test "JSON summary carries the fixed fields with the right counts" {
	run --separate-stderr "$V6KIT" pcap-replay -j -w "$OUT/o.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	/usr/bin/python3 -c 'import json,sys
d = json.loads(sys.argv[1])
assert d["type"] == "summary", d
for k in ("packets", "bytes", "failed", "truncated", "elapsed_s", "pps", "mbps"):
    assert k in d, k
assert d["packets"] == 29 and d["failed"] == 0 and d["truncated"] == 0, d
assert d["bytes"] == int(sys.argv[2]), d' "$output" \
		"$(tshark -r "$FX/mix.pcap" -T fields -e frame.len 2>/dev/null | paste -sd+ | bc)"
}

@test "several inputs go out in order; --loop N repeats them with rising time" {
	run "$V6KIT" pcap-replay -q -w "$OUT/two.pcap" "$FX/first.pcap" "$FX/second.pcap"
	[ "$status" -eq 0 ]
	diff <(frames "$FX/first.pcap"; frames "$FX/second.pcap") <(frames "$OUT/two.pcap")
	run "$V6KIT" pcap-replay -j -l 3 -w "$OUT/loop.pcap" "$FX/first.pcap" "$FX/second.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field packets <<<"$output")" -eq 27 ]
	[ "$(json_field loops <<<"$output")" -eq 3 ]
	# The octets repeat three times; the timestamps never go backwards.
	diff <(for i in 1 2 3; do frames "$FX/first.pcap"; frames "$FX/second.pcap"; done | cut -d' ' -f2- ) \
		<(frames "$OUT/loop.pcap" | cut -d' ' -f2-)
	frames "$OUT/loop.pcap" | awk '/^[0-9]/ { if ($1 < last) exit 1; last = $1 }'
}

@test "--limit N and --loop 0 stop after exactly N frames" {
	run "$V6KIT" pcap-replay -j --limit 7 -w "$OUT/l.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field packets <<<"$output")" -eq 7 ]
	[ "$(frames "$OUT/l.pcap" | grep -c '^[0-9]')" -eq 7 ]
	run "$V6KIT" pcap-replay -j --loop 0 -L 100 -w "$OUT/l.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(frames "$OUT/l.pcap" | grep -c '^[0-9]')" -eq 100 ]
	diff <(frames "$FX/mix.pcap" | cut -d' ' -f2- | head -n "$(frames "$FX/mix.pcap" | grep -n '^[0-9]' | sed -n 2p | cut -d: -f1)") \
		<(frames "$OUT/l.pcap" | cut -d' ' -f2- | head -n "$(frames "$FX/mix.pcap" | grep -n '^[0-9]' | sed -n 2p | cut -d: -f1)")
}

@test "--pps paces into a file too: 200 frames at 1000 pps take 0.199 s" {
	run "$V6KIT" pcap-replay -j -p 1000 -L 200 -w "$OUT/p.pcap" "$FX/udp10k.pcap"
	[ "$status" -eq 0 ]
	el=$(json_field elapsed_s <<<"$output")
	awk -v e="$el" 'BEGIN { exit !(e > 0.199 * 0.98 && e < 0.199 * 1.05) }'
}

@test "--src-ip/--dst-ip prefix maps (IPv6 and IPv4) leave zero bad checksums per tshark" {
	run "$V6KIT" pcap-replay -j -w "$OUT/rw.pcap" \
		--src-ip 2001:db8:1::/48=2001:db8:aaaa::/48 --dst-ip 2001:db8:2::1=fd00::1:2 \
		--src-ip 192.0.2.0/24=10.20.30.0/24 --dst-ip 198.51.100.0/25=203.0.113.0/25 \
		"$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field rewritten <<<"$output")" -eq 29 ]
	[ "$(tshark_bad "$OUT/rw.pcap")" -eq 0 ]
	# The checksum applet (core/pktsum, full recompute) agrees.
	"$V6KIT" checksum -r "$OUT/rw.pcap" >/dev/null
	# The maps did apply, host parts kept; unmatched addresses untouched.
	src6=$(tshark -r "$OUT/rw.pcap" -T fields -e ipv6.src 2>/dev/null | grep -v '^$' | sort -u)
	grep -q '^2001:db8:aaaa::1$' <<<"$src6"
	grep -q '^2001:db8:aaaa::99$' <<<"$src6"
	! grep -q '^2001:db8:1::' <<<"$src6"
	dst6=$(tshark -r "$OUT/rw.pcap" -T fields -e ipv6.dst 2>/dev/null | sort | uniq -c)
	grep -q ' 12 fd00::1:2$' <<<"$dst6"
	grep -q '2001:db8:2::2$' <<<"$dst6"
	v4=$(tshark -r "$OUT/rw.pcap" -T fields -e ip.src -e ip.dst 2>/dev/null | grep -v '^\s*$' | sort -u)
	grep -q $'^10.20.30.1\t203.0.113.7$' <<<"$v4"
	grep -q $'^10.20.30.50\t203.0.113.8$' <<<"$v4"
	! grep -q '192.0.2\.' <<<"$v4"
	# A UDP checksum of 0 (none, over IPv4) stays 0.
	[ "$(tshark -r "$OUT/rw.pcap" -Y 'ip.src == 10.20.30.50' -T fields -e udp.checksum 2>/dev/null)" = 0x0000 ]
}

@test "rewriting inside 6in4 and behind a Routing header keeps checksums right" {
	run "$V6KIT" pcap-replay -q -w "$OUT/t.pcap" --src-ip 192.0.2.60=10.0.0.60 \
		--src-ip 2001:db8:1::/64=2001:db8:bbbb::/64 --dst-ip 2001:db8:2::/64=2001:db8:cccc::/64 "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(tshark_bad "$OUT/t.pcap")" -eq 0 ]
	tshark -r "$OUT/t.pcap" -Y 'ip.proto == 41' -T fields -e ip.src -e ipv6.src 2>/dev/null |
		grep -q $'^10.0.0.60\t2001:db8:bbbb::60$'
	# The Routing-header packet: its destination field is rewritten, its
	# pseudo-header (the final destination, in the header) is not.
	tshark -r "$OUT/t.pcap" -Y 'ipv6.routing' -T fields -e ipv6.dst 2>/dev/null | grep -q '^2001:db8:cccc::4$'
}

@test "a wrong checksum stays exactly as wrong after rewriting" {
	[ "$(tshark_bad "$FX/badsum.pcap")" -eq 1 ]
	run "$V6KIT" pcap-replay -q -w "$OUT/b.pcap" --src-ip 2001:db8:1::/48=2001:db8:9::/48 "$FX/badsum.pcap"
	[ "$status" -eq 0 ]
	[ "$(tshark_bad "$OUT/b.pcap")" -eq 1 ]
}

@test "--src-mac/--dst-mac set the Ethernet addresses" {
	run "$V6KIT" pcap-replay -q -w "$OUT/m.pcap" --src-mac 02:aa:bb:cc:dd:01 --enet-dmac 02-AA-BB-CC-DD-02 "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(tshark -r "$OUT/m.pcap" -T fields -e eth.src -e eth.dst 2>/dev/null | sort -u)" = $'02:aa:bb:cc:dd:01\t02:aa:bb:cc:dd:02' ]
	[ "$(tshark_bad "$OUT/m.pcap")" -eq 0 ]
}

@test "--mtu skips and counts frames whose IP packet is larger" {
	run "$V6KIT" pcap-replay -j --mtu 1500 -w "$OUT/mtu.pcap" "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field skipped_mtu <<<"$output")" -eq 1 ]
	[ "$(json_field packets <<<"$output")" -eq 1 ]
	[ "$(tshark -r "$OUT/mtu.pcap" -T fields -e frame.len 2>/dev/null)" = 162 ]
}

@test "a truncated capture: frames before the cut are written, reported, exit 1" {
	size=$(stat -c %s "$FX/mix.pcap")
	head -c $((size - 30)) "$FX/mix.pcap" >"$OUT/cut.pcap"
	run --separate-stderr "$V6KIT" pcap-replay -j -w "$OUT/o.pcap" "$OUT/cut.pcap" "$FX/first.pcap"
	[ "$status" -eq 1 ]
	[ "$(json_field truncated <<<"$output")" -eq 1 ]
	[ "$(json_field packets <<<"$output")" -eq 33 ]
	grep -q '"type":"error"' <<<"$output"
	grep -q 'cut.pcap' <<<"$stderr"
	# Every frame before the cut, in order, then the next file.
	diff <(frames "$FX/mix.pcap" | head -n "$(frames "$OUT/o.pcap" | grep -n '^[0-9]' | sed -n 28p | cut -d: -f1)" | head -n -1) \
		<(frames "$OUT/o.pcap" | head -n "$(frames "$OUT/o.pcap" | grep -n '^[0-9]' | sed -n 28p | cut -d: -f1)" | head -n -1)
}

@test "every truncation of a capture: no crash; exit 1 when cut inside a record" {
	# Record boundaries of the file: a cut there is a shorter, valid capture.
	bounds=$(/usr/bin/python3 -c 'import struct,sys
b = open(sys.argv[1], "rb").read(); o = 24; print(o)
while o < len(b):
    o += 16 + struct.unpack("<I", b[o + 8:o + 12])[0]; print(o)' "$FX/first.pcap")
	size=$(stat -c %s "$FX/first.pcap")
	for n in $(seq 0 3 "$size"); do
		head -c "$n" "$FX/first.pcap" >"$OUT/t.pcap"
		run "$V6KIT" pcap-replay -q -w "$OUT/o.pcap" "$OUT/t.pcap"
		if [ "$n" -lt 24 ]; then want=2
		elif grep -qx "$n" <<<"$bounds"; then want=0
		else want=1; fi
		[ "$status" -eq "$want" ] || { echo "cut at $n: status $status, want $want"; return 1; }
	done
}

@test "garbage, empty and missing inputs are bad input (exit 2) before anything is written" {
	head -c 3000 /dev/urandom >"$OUT/garbage.pcap"
	: >"$OUT/empty.pcap"
	for f in "$OUT/garbage.pcap" "$OUT/empty.pcap" "$OUT/nope.pcap"; do
		run --separate-stderr "$V6KIT" pcap-replay -w "$OUT/o.pcap" "$FX/mix.pcap" "$f"
		[ "$status" -eq 2 ] || { echo "$f: $status"; return 1; }
		[[ "$stderr" == "v6kit pcap-replay: "* ]]
	done
}

@test "inputs of different link types cannot share one -w file" {
	run --separate-stderr "$V6KIT" pcap-replay -w "$OUT/o.pcap" "$FX/mix.pcap" "$FX/raw.pcap"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"link type"* ]]
}

@test "wrong usage exits 2 with one message form" {
	for args in "" "$FX/mix.pcap" "-w $OUT/o.pcap" "-w $OUT/o.pcap -p 5 -t $FX/mix.pcap" \
		"-w $OUT/o.pcap -p 0 $FX/mix.pcap" "-w $OUT/o.pcap -x nope $FX/mix.pcap" \
		"-w $OUT/o.pcap --loop -1 $FX/mix.pcap" "-w $OUT/o.pcap --src-ip 2001:db8::1 $FX/mix.pcap" \
		"-w $OUT/o.pcap --src-ip 2001:db8::/32=10.0.0.0/8 $FX/mix.pcap" \
		"-w $OUT/o.pcap --dst-mac 02:00:00 $FX/mix.pcap" "-w $OUT/o.pcap --mtu 20 $FX/mix.pcap" \
		"-w $OUT/o.pcap --tx-method carrier-pigeon $FX/mix.pcap" "--bogus" \
		"-w $OUT/o.pcap -l 2 -"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$V6KIT" pcap-replay $args </dev/null
		[ "$status" -eq 2 ] || { echo "'$args': status $status"; return 1; }
		[[ "$stderr" == "v6kit pcap-replay: "* ]] || { echo "'$args': $stderr"; return 1; }
	done
	run --separate-stderr "$V6KIT" pcap-replay -w "$OUT/o.pcap" --pps abc "$FX/mix.pcap"
	[[ "$stderr" == *"invalid --pps value 'abc'"* ]]
}

@test "-i with a missing interface exits 3" {
	run --separate-stderr "$V6KIT" pcap-replay -i v6knosuchif0 "$FX/mix.pcap"
	[ "$status" -eq 3 ]
	[[ "$stderr" == "v6kit pcap-replay: "* ]]
}

@test "a 1 GiB capture streams through in constant memory (peak RSS < 64 MB)" {
	command -v /usr/bin/time >/dev/null || skip "needs GNU time"
	# 1 GiB of 1500-octet frames, generated on the fly into a pipe.
	/usr/bin/python3 -c 'import struct, sys
out = sys.stdout.buffer
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
fr = bytes.fromhex("020000000002020000000001") + b"\x86\xdd\x60" + bytes(1485)
rec = b"".join(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr for i in range(64))
for _ in range((1 << 30) // len(rec) + 1):
    out.write(rec)' |
		/usr/bin/time -f "%M" -o "$OUT/rss" "$V6KIT" pcap-replay -j -w /dev/null - >"$OUT/sum"
	rss=$(tail -1 "$OUT/rss")
	echo "peak RSS $rss kB"
	[ "$(json_field bytes <"$OUT/sum")" -ge 1000000000 ]
	[ "$rss" -lt 65536 ]
}

@test "-K/--preload-pcap: same output; looping over stdin needs it and works with it" {
	run "$V6KIT" pcap-replay -q -K -w "$OUT/k.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	cmp "$FX/mix.pcap" "$OUT/k.pcap"
	run "$V6KIT" pcap-replay -j -K -l 2 -w "$OUT/k2.pcap" - <"$FX/first.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field packets <<<"$output")" -eq 10 ]
	diff <(frames "$FX/first.pcap" | cut -d' ' -f2-; frames "$FX/first.pcap" | cut -d' ' -f2-) \
		<(frames "$OUT/k2.pcap" | cut -d' ' -f2-)
}

@test "--mbps paces by octets: 200 frames of 80 octets at 0.64 Mbit/s take 0.199 s" {
	run "$V6KIT" pcap-replay -j -M 0.64 -L 200 -w "$OUT/m.pcap" "$FX/udp10k.pcap"
	[ "$status" -eq 0 ]
	el=$(json_field elapsed_s <<<"$output")
	awk -v e="$el" 'BEGIN { exit !(e > 0.199 * 0.98 && e < 0.199 * 1.05) }'
}

@test "--duration stops on time with exit 0; SIGINT stops with a summary and exit 1" {
	run "$V6KIT" pcap-replay -j -p 1000 --duration 0.3 -w "$OUT/d.pcap" "$FX/udp10k.pcap"
	[ "$status" -eq 0 ]
	n=$(json_field packets <<<"$output")
	[ "$n" -ge 270 ] && [ "$n" -le 302 ]
	"$V6KIT" pcap-replay -j -p 200 -w "$OUT/s.pcap" "$FX/udp10k.pcap" >"$OUT/sum" 2>"$OUT/err" &
	pid=$!
	sleep 0.5
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(json_field interrupted <"$OUT/sum")" = True ]
	n=$(json_field packets <"$OUT/sum")
	[ "$n" -gt 10 ] && [ "$n" -lt 10000 ]
	[ "$(frames "$OUT/s.pcap" | grep -c '^[0-9]')" -eq "$n" ]
}

@test "--fragment SIZE: longer IPv6 packets leave as fragments that tshark reassembles, checksum good" {
	run "$V6KIT" pcap-replay -j --fragment 1280 -w "$OUT/f.pcap" "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field fragmented <<<"$output")" -eq 1 ]
	[ "$(json_field fragments <<<"$output")" -eq 3 ]
	[ "$(json_field packets <<<"$output")" -eq 4 ]
	# No frame over 14 + 1280 octets; the short packet goes out whole.
	[ "$(tshark -r "$OUT/f.pcap" -T fields -e frame.len 2>/dev/null | sort -n | tail -1)" -le 1294 ]
	[ "$(tshark -r "$OUT/f.pcap" -Y 'ipv6.fraghdr' 2>/dev/null | wc -l)" -eq 3 ]
	[ "$(tshark -r "$OUT/f.pcap" -o udp.check_checksum:TRUE \
		-Y 'udp.length == 3008 && udp.checksum.status == 1' 2>/dev/null | wc -l)" -eq 1 ]
	[ "$(tshark_bad "$OUT/f.pcap")" -eq 0 ]
	# Rewriting first, then cutting: still reassembles with a good checksum.
	run "$V6KIT" pcap-replay -q --fragment 600 --dst-ip 2001:db8:2::/64=2001:db8:9::/64 -w "$OUT/g.pcap" "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(tshark -r "$OUT/g.pcap" -o udp.check_checksum:TRUE \
		-Y 'ipv6.dst == 2001:db8:9::1 && udp.length == 3008 && udp.checksum.status == 1' 2>/dev/null | wc -l)" -eq 1 ]
}

@test "--fragment: a packet that cannot be cut is sent whole and counted" {
	# The Routing-header packet's unfragmentable part (64 octets) does not
	# fit in 56-octet fragments.
	run --separate-stderr "$V6KIT" pcap-replay -j --fragment 56 -w "$OUT/f.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field unfragmentable <<<"$output")" -ge 1 ]
	[[ "$stderr" == *"cannot fragment"* ]]
	[ "$(tshark -r "$OUT/f.pcap" -Y 'ipv6.routing' 2>/dev/null | wc -l)" -ge 1 ]
}

@test "--fix-checksums corrects a wrong checksum (and rewrites with it); tshark finds none bad" {
	[ "$(tshark_bad "$FX/badsum.pcap")" -eq 1 ]
	run "$V6KIT" pcap-replay -j --fix-checksums -w "$OUT/f.pcap" "$FX/badsum.pcap" "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field fixed <<<"$output")" -eq 1 ]
	[ "$(tshark_bad "$OUT/f.pcap")" -eq 0 ]
	# Only the wrong checksum changed: the rest of the input is as it was.
	diff <(frames "$FX/mix.pcap") <(frames "$OUT/f.pcap" | tail -n "$(frames "$FX/mix.pcap" | wc -l)")
	run "$V6KIT" pcap-replay -j -C --src-ip 2001:db8:1::/48=2001:db8:9::/48 -w "$OUT/g.pcap" "$FX/badsum.pcap"
	[ "$status" -eq 0 ]
	[ "$(tshark_bad "$OUT/g.pcap")" -eq 0 ]
}
