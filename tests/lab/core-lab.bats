#!/usr/bin/env bats
# core-lab.bats - the packet core end to end in a two-namespace lab: frames
# built by core/build, sent by core/pio (AF_PACKET and pcap_inject), received
# by a real kernel UDP socket; next-hop MACs resolved by core/netlink.
#
#   ns a: a0 2001:db8:1::1/64  <-- veth -->  ns b: b0 2001:db8:1::2/64, fe80::b/64
#   ns a routes 2001:db8:2::/64 via 2001:db8:1::2 and 2001:db8:3::/64 via fe80::b

load ../lib/lab

V6SEND="${V6KIT_TOOLS:-$(dirname "${V6KIT_TESTBIN:-$PWD/build/tests}")/tools}/v6send"

setup_file() {
	[ -x "$V6SEND" ] || { echo "missing $V6SEND (make tools)" >&2; return 1; }
	lab_require || return 0
	{
		lab_ns a && lab_ns b && lab_link a a0 b b0 &&
		lab_addr a a0 2001:db8:1::1/64 && lab_addr b b0 2001:db8:1::2/64 &&
		lab_addr b b0 fe80::b/64 &&
		lab_exec a ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2 dev a0 &&
		lab_exec a ip -6 route add 2001:db8:3::/64 via fe80::b dev a0
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

# A kernel UDP socket in ns b on port $1: prints "ready", then
# "PAYLOAD SRC SPORT" for the first datagram (5 s timeout).
start_receiver() {
	lab_bg b python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
s.settimeout(5)
print("ready", flush=True)
d, a = s.recvfrom(65535)
print(d.decode(), a[0], a[1], flush=True)
' "$1"
	lab_wait 10 grep -q ready "$LAB_BG_OUT"
}

send_and_receive() {	# $1 = tx kind, $2 = port
	local payload="v6kit-$1-$RANDOM$RANDOM"
	start_receiver "$2"
	run lab_exec a "$V6SEND" -i a0 --dst 2001:db8:1::2 --dport "$2" --sport 4242 \
		--payload "$payload" --tx "$1"
	[ "$status" -eq 0 ]
	[[ $output == "sent 1 frame(s) of $((14 + 40 + 8 + ${#payload})) octets via $1" ]]
	wait "$LAB_BG_PID"
	run cat "$LAB_BG_OUT"
	[ "${lines[1]}" = "$payload 2001:db8:1::1 4242" ]
}

@test "AF_PACKET sender delivers a UDP/IPv6 datagram to a kernel socket" {
	send_and_receive packet 5001
}

@test "pcap_inject sender delivers a UDP/IPv6 datagram to a kernel socket" {
	send_and_receive pcap 5002
}

@test "frame on the wire is byte-identical to the one dumped by pio_dump" {
	local dir=$BATS_TEST_TMPDIR mac
	mac=$(lab_mac b b0)
	lab_capture b b0 "$dir/wire.pcap" udp port 5003
	run lab_exec a "$V6SEND" -i a0 --dst 2001:db8:1::2 --dport 5003 --dst-mac "$mac" \
		--payload "odd-length-payload" -w "$dir/sent.pcap"
	[ "$status" -eq 0 ]
	lab_wait 5 test -s "$dir/wire.pcap"
	sleep 0.2
	lab_capture_stop "$dir/wire.pcap"
	sent=$(tcpdump -r "$dir/sent.pcap" -n -t -xx 2>/dev/null)
	wire=$(tcpdump -r "$dir/wire.pcap" -n -t -xx 2>/dev/null)
	[ -n "$sent" ]
	[ "$sent" = "$wire" ]
	# and tshark agrees the UDP checksum is right
	csum_status=$(tshark -r "$dir/wire.pcap" -o udp.check_checksum:TRUE -T fields \
		-e udp.checksum.status 2>/dev/null)
	[ "$csum_status" = 1 ]
	# the source MAC is a0's own (nl_ifmac), the destination the one given
	eth=$(tshark -r "$dir/wire.pcap" -T fields -e eth.src -e eth.dst 2>/dev/null)
	[ "$eth" = "$(printf '%s\t%s' "$(lab_mac a a0)" "$mac")" ]
}

@test "VLAN-tagged frame carries the 802.1Q tag" {
	local dir=$BATS_TEST_TMPDIR
	run lab_exec a "$V6SEND" -i a0 --dst 2001:db8:1::2 --dport 5004 --dst-mac 02:00:00:00:00:01 \
		--vlan 0x2064 -w "$dir/vlan.pcap" --payload x
	[ "$status" -eq 0 ]
	fields=$(tshark -r "$dir/vlan.pcap" -T fields -e vlan.id -e vlan.priority \
		-e udp.dstport 2>/dev/null)
	[ "$fields" = "$(printf '100\t1\t5004')" ]
}

@test "nl_nexthop6 resolves an on-link neighbour (matches ip neigh and the peer's MAC)" {
	local mac
	mac=$(lab_mac b b0)
	lab_exec a ip -6 neigh flush dev a0
	run lab_exec a "$V6SEND" --resolve 2001:db8:1::2 --timeout 3000
	[ "$status" -eq 0 ]
	[ "$output" = "a0 2001:db8:1::2 $mac" ]
	run lab_exec a ip -6 neigh show 2001:db8:1::2 dev a0
	[[ $output == *"lladdr $mac"* ]]
}

@test "nl_nexthop6 resolves the gateway of a routed destination" {
	lab_exec a ip -6 neigh flush dev a0
	run lab_exec a "$V6SEND" --resolve 2001:db8:2::5 --timeout 3000
	[ "$status" -eq 0 ]
	[ "$output" = "a0 2001:db8:1::2 $(lab_mac b b0)" ]
}

@test "nl_nexthop6 resolves a link-local gateway" {
	lab_exec a ip -6 neigh flush dev a0
	run lab_exec a "$V6SEND" --resolve 2001:db8:3::7 --timeout 3000
	[ "$status" -eq 0 ]
	[ "$output" = "a0 fe80::b $(lab_mac b b0)" ]
}

@test "nl_nexthop6 resolves a link-local destination on a given interface" {
	lab_exec a ip -6 neigh flush dev a0
	run lab_exec a "$V6SEND" --resolve fe80::b -i a0 --timeout 3000
	[ "$status" -eq 0 ]
	[ "$output" = "a0 fe80::b $(lab_mac b b0)" ]
}

@test "nl_nexthop6 gives up on an absent neighbour within its timeout" {
	local t0 t1
	t0=$(date +%s%N)
	run lab_exec a "$V6SEND" --resolve 2001:db8:1::99 --timeout 700
	t1=$(date +%s%N)
	[ "$status" -eq 1 ]
	[[ $output == *"next hop 2001:db8:1::99 on a0 did not resolve within 700 ms"* ]]
	[ $(( (t1 - t0) / 1000000 )) -ge 700 ]
	[ $(( (t1 - t0) / 1000000 )) -lt 3000 ]
}

@test "nl_nexthop6 reports a destination without a route" {
	run lab_exec a "$V6SEND" --resolve 2001:db8:99::1
	[ "$status" -eq 1 ]
	[[ $output == *"no route to 2001:db8:99::1"* ]]
}

@test "sending on an absent interface exits 3 with a clear message" {
	run lab_exec a "$V6SEND" -i nosuch0 --dst 2001:db8:1::2 --dport 9 --dst-mac 02:00:00:00:00:01
	[ "$status" -eq 3 ]
	[[ $output == *"nosuch0: no such interface"* ]]
}
