#!/usr/bin/env bats
# pcap-replay-lab.bats - pcap-replay onto a veth: what the peer captures is
# the input frame for frame and in order (pcap and pcapng, every transmit
# method); pacing measured on the receiver's capture timestamps; loops and
# limits exact; failures counted and reflected in the exit status.
#
#   ns s: s0 (IPv6 off: sends nothing of its own)  <-- veth -->  ns r: r0 2001:db8::2/64

load ../lib/lab

bats_require_minimum_version 1.5.0

setup_file() {
	lab_require || return 0
	{
		lab_ns s && lab_ns r && lab_link s s0 r r0 &&
		lab_exec s sysctl -qw net.ipv6.conf.s0.disable_ipv6=1 &&
		lab_addr r r0 2001:db8::2/64
	} || { lab_cleanup; return 1; }
	export FX="$BATS_FILE_TMPDIR/fx"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/../fixtures/replay_gen.py" "$FX" "$(lab_mac r r0)" 2>/dev/null
}

setup() {
	lab_check
	: "${V6KIT:?}"
	CAP="$BATS_TEST_TMPDIR/cap.pcap"
}

teardown_file() {
	lab_cleanup
}

# Frames of a capture without timestamps, one block per frame.
octets() {
	tcpdump -nn -t -xx -r "$1" 2>/dev/null
}

count() {
	tcpdump -nn -r "$1" 2>/dev/null | wc -l
}

# Seconds from the first to the last frame of a capture.
span() {
	tcpdump -nn --nano -tt -r "$1" 2>/dev/null | awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.6f\n", l - f }'
}

json_field() {
	/usr/bin/python3 -c 'import json,sys
for l in sys.stdin:
    if l.startswith("{"):
        d = json.loads(l)
        if d.get("type") == "summary": print(d[sys.argv[1]])' "$1"
}

# replay ARGS...: capture on r0 (our frames only), run pcap-replay in ns s.
replay() {
	lab_capture r r0 "$CAP" ether src 02:00:00:00:00:01
	run --separate-stderr lab_exec s "$V6KIT" pcap-replay -j -i s0 "$@"
	sleep 0.2
	lab_capture_stop "$CAP"
}

@test "lab: the peer receives the input frame for frame, in order (pcap)" {
	replay "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field failed <<<"$output")" -eq 0 ]
	[ "$(json_field packets <<<"$output")" -eq 29 ]
	diff <(octets "$FX/mix.pcap") <(octets "$CAP")
}

@test "lab: pcapng input, the same frames in the same order" {
	replay "$FX/mix.pcapng"
	[ "$status" -eq 0 ]
	diff <(octets "$FX/mix.pcapng") <(octets "$CAP")
}

@test "lab: every transmit method (xdp, ring, mmsg, packet, pcap) delivers the input exactly" {
	for m in xdp ring mmsg packet pcap; do
		replay -t --tx-method "$m" "$FX/mix.pcap"
		[ "$status" -eq 0 ] || { echo "$m: status $status $stderr"; return 1; }
		[ "$(json_field tx_method <<<"$output")" = "$m" ]
		diff <(octets "$FX/mix.pcap") <(octets "$CAP") || { echo "$m differs"; return 1; }
	done
}

@test "lab: --topspeed 10k frames, all received in order" {
	replay -t "$FX/udp10k.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field packets <<<"$output")" -eq 10000 ]
	[ "$(count "$CAP")" -eq 10000 ]
	diff <(octets "$FX/udp10k.pcap") <(octets "$CAP")
}

@test "lab: --pps 5000 for 10k frames lasts 2.0 s within 2% (receiver timestamps)" {
	replay -p 5000 "$FX/udp10k.pcap"
	[ "$status" -eq 0 ]
	[ "$(count "$CAP")" -eq 10000 ]
	s=$(span "$CAP")
	echo "span $s s (want 1.9998)"
	awk -v s="$s" 'BEGIN { exit !(s > 1.9998 * 0.98 && s < 1.9998 * 1.02) }'
}

@test "lab: --multiplier 2 halves the capture's span within 5%" {
	replay -x 2 "$FX/gap1ms.pcap"
	[ "$status" -eq 0 ]
	[ "$(count "$CAP")" -eq 1000 ]
	s=$(span "$CAP")
	echo "span $s s (want 0.4995)"
	awk -v s="$s" 'BEGIN { exit !(s > 0.4995 * 0.95 && s < 0.4995 * 1.05) }'
}

@test "lab: --loop 3 over two files and --limit N are exact" {
	replay -t -l 3 "$FX/first.pcap" "$FX/second.pcap"
	[ "$status" -eq 0 ]
	diff <(for i in 1 2 3; do octets "$FX/first.pcap"; octets "$FX/second.pcap"; done) <(octets "$CAP")
	replay -t --limit 250 "$FX/udp10k.pcap"
	[ "$status" -eq 0 ]
	[ "$(count "$CAP")" -eq 250 ]
	diff <(octets "$FX/udp10k.pcap" | head -n "$(octets "$CAP" | wc -l)") <(octets "$CAP")
	replay -t --loop 0 --limit 31 "$FX/first.pcap"
	[ "$status" -eq 0 ]
	[ "$(count "$CAP")" -eq 31 ]
}

@test "lab: rewritten frames arrive with the new addresses and good checksums" {
	replay -t --src-mac 02:00:00:00:00:01 --src-ip 2001:db8:1::/48=2001:db8:77::/48 \
		--dst-ip 192.0.2.0/24=10.9.0.0/24 --dst-ip 198.51.100.0/24=10.8.0.0/24 "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[ "$(count "$CAP")" -eq 29 ]
	bad=$(tshark -r "$CAP" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmpv6.checksum.status == 0' \
		2>/dev/null | wc -l)
	[ "$bad" -eq 0 ]
	tshark -r "$CAP" -T fields -e ipv6.src 2>/dev/null | grep -q '^2001:db8:77::1$'
	tshark -r "$CAP" -T fields -e ip.dst 2>/dev/null | grep -q '^10.8.0.7$'
}

@test "lab: frames over the link MTU are counted as failed, the rest sent, exit 1" {
	replay -t "$FX/big.pcap"
	[ "$status" -eq 1 ]
	[ "$(json_field failed <<<"$output")" -eq 1 ]
	[ "$(json_field packets <<<"$output")" -eq 1 ]
	[ "$(count "$CAP")" -eq 1 ]
	[[ "$stderr" == *"Message too long"* ]]
}

@test "lab: jumbo MTU: AF_XDP takes 3062-octet frames (4 KiB chunks), exactly" {
	lab_exec s ip link set s0 mtu 3100
	lab_exec r ip link set r0 mtu 3100
	replay -t --tx-method xdp "$FX/big.pcap"
	lab_exec s ip link set s0 mtu 1500
	lab_exec r ip link set r0 mtu 1500
	[ "$status" -eq 0 ]
	[ "$(json_field tx_method <<<"$output")" = xdp ]
	[ "$(json_field packets <<<"$output")" -eq 2 ]
	[ "$(json_field failed <<<"$output")" -eq 0 ]
	diff <(octets "$FX/big.pcap") <(octets "$CAP")
}

@test "lab: an interface that is down: every frame counted as failed, exit 1" {
	lab_exec s ip link set s0 down
	run --separate-stderr lab_exec s "$V6KIT" pcap-replay -j -t -i s0 "$FX/first.pcap"
	lab_exec s ip link set s0 up
	[ "$status" -eq 1 ]
	[ "$(json_field failed <<<"$output")" -eq 5 ]
	[ "$(json_field packets <<<"$output")" -eq 0 ]
}

# Bring r0 back up with its address (a link going down drops IPv6 addresses).
r0_up() {
	lab_exec r ip link set r0 up
	lab_exec r ip -6 addr replace 2001:db8::2/64 dev r0 nodad
}

@test "lab: peer down (no carrier): xdp, ring and mmsg count every frame as failed, quickly, exit 1" {
	lab_exec r ip link set r0 down
	for m in xdp ring mmsg; do
		run --separate-stderr timeout 20 ip netns exec "$(lab_nsname s)" \
			"$V6KIT" pcap-replay -j -t --tx-method "$m" -L 1000 -i s0 "$FX/udp10k.pcap"
		[ "$status" -eq 1 ] || { echo "$m: status $status"; r0_up; return 1; }
		[ "$(json_field failed <<<"$output")" -eq 1000 ] || { echo "$m: $output"; r0_up; return 1; }
		[ "$(json_field packets <<<"$output")" -eq 0 ] || { r0_up; return 1; }
	done
	r0_up
}

@test "lab: AF_XDP back to back keeps AF_XDP; a concurrent second replay falls back to the TX ring; all frames arrive" {
	for i in 1 2 3; do
		run --separate-stderr lab_exec s "$V6KIT" pcap-replay -j -t -i s0 "$FX/first.pcap"
		[ "$status" -eq 0 ]
		[ "$(json_field tx_method <<<"$output")" = xdp ]
	done
	lab_capture r r0 "$CAP" ether src 02:00:00:00:00:01
	lab_exec s "$V6KIT" pcap-replay -j -x 0.5 -i s0 "$FX/udp10k.pcap" >"$BATS_TEST_TMPDIR/a.json" &
	sleep 0.3
	run --separate-stderr lab_exec s "$V6KIT" pcap-replay -j -t -i s0 "$FX/udp10k.pcap"
	wait $!
	sleep 0.2
	lab_capture_stop "$CAP"
	[ "$status" -eq 0 ]
	[ "$(json_field tx_method <<<"$output")" = ring ]
	[ "$(json_field tx_method <"$BATS_TEST_TMPDIR/a.json")" = xdp ]
	[ "$(json_field failed <"$BATS_TEST_TMPDIR/a.json")" -eq 0 ]
	[ "$(count "$CAP")" -eq 20000 ]
}

@test "lab: --tx-method xdp where AF_XDP cannot be used (--no-bypass): a warning, the TX ring, every frame" {
	replay -t --tx-method xdp --no-bypass "$FX/mix.pcap"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no AF_XDP socket"*"using the TX ring"* ]]
	[ "$(json_field tx_method <<<"$output")" = ring ]
	[ "$(json_field qdisc_bypass <<<"$output")" = False ]
	diff <(octets "$FX/mix.pcap") <(octets "$CAP")
}

@test "lab: --fragment output is reassembled by the receiving kernel (a UDP socket gets the payload)" {
	lab_bg r /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 9))
s.settimeout(10)
print("ready", flush=True)
for _ in range(2):
    d, a = s.recvfrom(65535)
    print(len(d), "".join(sorted(set(d.decode()))), a[0], flush=True)
'
	lab_wait 10 grep -q ready "$LAB_BG_OUT"
	run --separate-stderr lab_exec s "$V6KIT" pcap-replay -j -i s0 --fragment 1280 \
		--dst-ip 2001:db8:2::1=2001:db8::2 "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field fragments <<<"$output")" -eq 3 ]
	lab_wait 5 grep -q '^100 ' "$LAB_BG_OUT"
	cat "$LAB_BG_OUT"
	grep -qx '3000 B 2001:db8:1::1' "$LAB_BG_OUT"
	grep -qx '100 s 2001:db8:1::1' "$LAB_BG_OUT"
}

@test "lab: --eh hbh:8 dstu:16 dst:256 then --fragment 1280: the kernel reassembles, the socket gets the payload byte-identical" {
	lab_bg r /usr/bin/python3 -c '
import hashlib, socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 9))
s.settimeout(10)
print("ready", flush=True)
for _ in range(2):
    d, a = s.recvfrom(65535)
    print(len(d), hashlib.sha256(d).hexdigest(), a[0], flush=True)
'
	lab_wait 10 grep -q ready "$LAB_BG_OUT"
	reasm() { lab_exec r awk '$1 == "Ip6ReasmOKs" { print $2 }' /proc/net/snmp6; }
	before=$(reasm)
	lab_capture r r0 "$CAP" ether src 02:00:00:00:00:01
	run --separate-stderr lab_exec s "$V6KIT" pcap-replay -j -i s0 --eh dst:256 --eh dstu:16 --eh hbh:8 \
		--fragment 1280 --dst-ip 2001:db8:2::1=2001:db8::2 "$FX/big.pcap"
	[ "$status" -eq 0 ]
	[ "$(json_field eh_inserted <<<"$output")" -eq 2 ]
	[ "$(json_field fragments <<<"$output")" -eq 3 ]
	lab_wait 5 grep -q '^100 ' "$LAB_BG_OUT"
	sleep 0.2
	lab_capture_stop "$CAP"
	cat "$LAB_BG_OUT"
	big=$(/usr/bin/python3 -c 'import hashlib; print(hashlib.sha256(b"B" * 3000).hexdigest())')
	small=$(/usr/bin/python3 -c 'import hashlib; print(hashlib.sha256(b"s" * 100).hexdigest())')
	grep -qx "3000 $big 2001:db8:1::1" "$LAB_BG_OUT"
	grep -qx "100 $small 2001:db8:1::1" "$LAB_BG_OUT"
	[ "$(( $(reasm) - before ))" -eq 1 ]
	# on the wire: hbh and dstu in all three fragments, dst in the first only
	[ "$(tshark -r "$CAP" -Y 'ipv6.fraghdr && ipv6.hopopts && ipv6.dstopts' 2>/dev/null | wc -l)" -eq 3 ]
	[ "$(tshark -r "$CAP" -Y 'ipv6.fraghdr.offset == 0 && ipv6.fraghdr.nxt == 60' 2>/dev/null | wc -l)" -eq 1 ]
	[ "$(tshark -r "$CAP" -T fields -e ipv6.dstopts.len_oct -Y 'udp.length == 3008' 2>/dev/null)" = "16,256" ]
}
