#!/usr/bin/env bats
# 6in4-relay-lab.bats - the relay live, after the µTasker note's figures 5-2
# and 8-1: a tunnel server, the relay (the NAT's DMZ host) and two hosts on
# one LAN: host A tunnels itself (table mode 6in4), host B has plain IPv6
# (mode raw, default router = the relay's link-local address, --outbound).
#
#   ts (192.0.2.1, 2001:db8:ffff::1 on a 6in4 endpoint, 2001:db8:1::/64 -> 192.0.2.2)
#    |            relay (192.0.2.2, v6kit 6in4-relay -i r0 --user nobody)
#   lan bridge -- a (192.0.2.10, 2001:db8:1::a on a 6in4 endpoint to 192.0.2.1)
#                 b (192.0.2.11, 2001:db8:1::b/64 on b0, via the relay)
#
# The 6in4 endpoints are the kernel's sit when `ip link add ... type sit`
# works, otherwise tests/lib/sit6in4.py (TUN + raw protocol-41 socket, same
# rules).  Drop reasons are provoked with scapy frames sent from host A.

bats_require_minimum_version 1.5.0
load ../lib/lab


setup_file() {
	: "${V6KIT:?V6KIT must point at the binary}"
	lab_require || return 0
	{
		lab_ns ts && lab_ns relay && lab_ns a && lab_ns b && lab_ns lan &&
		lab_exec lan ip link add br0 type bridge && lab_exec lan ip link set br0 up &&
		no_bridge_netfilter &&
		lab_link ts t0 lan pt && lab_link relay r0 lan pr &&
		lab_link a a0 lan pa && lab_link b b0 lan pb &&
		bridge_ports pt pr pa pb &&
		lab_addr ts t0 192.0.2.1/24 && lab_addr relay r0 192.0.2.2/24 &&
		lab_addr a a0 192.0.2.10/24 && lab_addr b b0 192.0.2.11/24 &&
		lab_addr b b0 2001:db8:1::b/64 && lab_exec b ip link set b0 mtu 1480 &&
		build_lab
	} || { lab_cleanup; return 1; }
}

teardown_file() {
	[ -f "$LAB_DIR/dirs" ] && xargs rm -rf <"$LAB_DIR/dirs"
	lab_cleanup
}

# With br_netfilter loaded the bridge would check (and drop) the bad IPv4
# checksums the drop test sends: a plain switch does not.
no_bridge_netfilter() {
	[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || return 0
	lab_exec lan sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 >/dev/null
}

bridge_ports() {
	local p
	for p in "$@"; do
		lab_exec lan ip link set "$p" master br0 || return 1
	done
}

setup() {
	lab_check
}

# Which 6in4 endpoint: the kernel's sit, or the userspace one.
sit_available() {
	local ns="$LAB_ID-sitprobe" ok=1
	ip netns add "$ns" 2>/dev/null || return 1
	ip -n "$ns" link add sitprobe type sit local 192.0.2.1 remote any 2>/dev/null && ok=0
	ip netns del "$ns"
	return $ok
}

# endpoint NS LOCAL REMOTE ADDR [ROUTE | PEER_PREFIX=IPV4]
endpoint() {
	local ns=$1 local4=$2 remote=$3 addr=$4 route=$5
	if [ "$LAB_SIT" = kernel ]; then
		lab_exec "$ns" ip link add s6 type sit local "$local4" remote "$remote" ttl 64 || return 1
		lab_exec "$ns" ip link set s6 mtu 1480 up || return 1
		lab_exec "$ns" ip -6 addr add "$addr" dev s6 nodad || return 1
		case $route in
		*=*) lab_exec "$ns" ip -6 route add "${route%=*}" via "::${route#*=}" dev s6 onlink ;;
		*) lab_exec "$ns" ip -6 route add "$route" dev s6 ;;
		esac
	else
		local extra=(--route "$route")
		[[ $route == *=* ]] && extra=(--peer "$route")
		lab_bg "$ns" /usr/bin/python3 "$V6KIT_TOP/tests/lib/sit6in4.py" --dev s6 \
			--local "$local4" --remote "$remote" --addr "$addr" "${extra[@]}"
		lab_wait 10 grep -q ready "$LAB_BG_OUT" || { cat "$LAB_BG_ERR" >&2; return 1; }
	fi
}

build_lab() {
	: "${V6KIT_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
	export V6KIT_TOP
	if sit_available; then LAB_SIT=kernel; else LAB_SIT=userspace; fi
	export LAB_SIT
	echo "# 6in4 endpoints: $LAB_SIT" >&3
	endpoint ts 192.0.2.1 any 2001:db8:ffff::1/128 2001:db8:1::/64=192.0.2.2 || return 1
	endpoint a 192.0.2.10 192.0.2.1 2001:db8:1::a/128 default || return 1

	local rll
	rll=$(lab_exec relay ip -6 -o addr show dev r0 scope link | awk '{print $4}' | cut -d/ -f1)
	[ -n "$rll" ] || return 1
	# A raw host: its default router is the relay's link-local address.
	lab_exec b ip -6 route add default via "$rll" dev b0 || return 1

	export AMAC BMAC RMAC TABLE
	AMAC=$(lab_mac a a0) BMAC=$(lab_mac b b0) RMAC=$(lab_mac relay r0)
	# --user nobody must be able to read the table on SIGHUP
	TABLE_DIR=$(mktemp -d /tmp/v6k-relay-XXXXXX)
	chmod 755 "$TABLE_DIR"
	echo "$TABLE_DIR" >>"$LAB_DIR/dirs"
	TABLE=$TABLE_DIR/table
	{
		echo "# v6kit 6in4-relay lab table"
		echo "2001:db8:1::a 192.0.2.10 $AMAC 6in4"
		echo "2001:db8:1::b 192.0.2.11 $BMAC raw"
	} >"$TABLE"
	chmod 644 "$TABLE"
	lab_bg relay "$V6KIT" 6in4-relay -i r0 -l 192.0.2.2 --table "$TABLE" \
		--tunnel-server 192.0.2.1 --outbound --allow icmpv6 --allow tcp/8080 \
		--json --log-packets --user nobody -v
	export RELAY_PID=$LAB_BG_PID RELAY_OUT=$LAB_BG_OUT RELAY_ERR=$LAB_BG_ERR
	lab_wait 10 grep -q "relaying protocol 41" "$RELAY_ERR" || { cat "$RELAY_ERR" >&2; return 1; }
}

tsh() {	# tshark without its "running as root" note
	tshark "$@" 2>/dev/null
}

stats() {	# ask for a stats line; print it
	local n
	n=$(grep -c '"type":"stats"' "$RELAY_OUT")
	kill -USR1 "$RELAY_PID"
	lab_wait 5 eval "[ \$(grep -c '\"type\":\"stats\"' '$RELAY_OUT') -gt $n ]" || return 1
	grep '"type":"stats"' "$RELAY_OUT" | tail -1
}

@test "lab: the relay runs unprivileged after opening its sockets (--user nobody)" {
	uid=$(awk '/^Uid:/ {print $2, $3, $4}' "/proc/$RELAY_PID/status")
	[ "$uid" = "65534 65534 65534" ]
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$RELAY_PID/status"
}

@test "lab: ping -6 from the tunnel server reaches host A (6in4) and host B (raw) through the relay" {
	lab_exec ts ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::a
	lab_exec ts ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::b
	s=$(stats)
	[ "$(jq '.relayed["2001:db8:1::a"]' <<<"$s")" -ge 3 ]
	[ "$(jq '.relayed["2001:db8:1::b"]' <<<"$s")" -ge 3 ]
	[ "$(jq .outbound <<<"$s")" -ge 3 ]
}

@test "lab: a TCP connection from the tunnel-server side reaches A and B" {
	d=$(mktemp -d)
	echo "v6kit-relay-token-$$" >"$d/token"
	lab_bg a /usr/bin/python3 -m http.server --bind 2001:db8:1::a --directory "$d" 8080
	lab_bg b /usr/bin/python3 -m http.server --bind 2001:db8:1::b --directory "$d" 8080
	lab_wait 10 eval "lab_exec a ss -Htln 'sport = :8080' | grep -q ."
	lab_wait 10 eval "lab_exec b ss -Htln 'sport = :8080' | grep -q ."
	run lab_exec ts curl -g -s -m 5 "http://[2001:db8:1::a]:8080/token"
	[ "$output" = "v6kit-relay-token-$$" ]
	run lab_exec ts curl -g -s -m 5 "http://[2001:db8:1::b]:8080/token"
	[ "$output" = "v6kit-relay-token-$$" ]
	rm -rf "$d"
}

@test "lab: relayed frames have valid IPv4 checksums (tshark), the relay's MAC and the table's MAC" {
	lab_capture a a0 "$LAB_DIR/a.pcap" ip proto 41
	lab_capture b b0 "$LAB_DIR/b.pcap" icmp6
	lab_exec ts ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::a
	lab_exec ts ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::b
	lab_capture_stop "$LAB_DIR/a.pcap"
	lab_capture_stop "$LAB_DIR/b.pcap"
	run tsh -r "$LAB_DIR/a.pcap" -o ip.check_checksum:TRUE -Y "eth.src == $RMAC" \
		-T fields -e eth.dst -e ip.src -e ip.dst -e ip.checksum.status -e ipv6.dst
	[ "${#lines[@]}" -ge 3 ]
	for l in "${lines[@]}"; do
		[ "$l" = "$AMAC	192.0.2.1	192.0.2.10	1	2001:db8:1::a" ] || { echo "bad frame: $l"; return 1; }
	done
	run tsh -r "$LAB_DIR/b.pcap" -Y "eth.src == $RMAC && icmpv6.type == 128" -T fields -e eth.dst -e eth.type -e ipv6.dst
	[ "${#lines[@]}" -ge 3 ]
	for l in "${lines[@]}"; do
		[ "$l" = "$BMAC	0x86dd	2001:db8:1::b" ] || { echo "bad frame: $l"; return 1; }
	done
}

@test "lab: --outbound lets raw host B answer: its replies leave as protocol 41 from the relay" {
	lab_capture ts t0 "$LAB_DIR/ts.pcap" ip proto 41 and src host 192.0.2.2
	before=$(stats | jq .outbound)
	lab_exec ts ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::b
	lab_capture_stop "$LAB_DIR/ts.pcap"
	after=$(stats | jq .outbound)
	[ $((after - before)) -ge 2 ]
	run tsh -r "$LAB_DIR/ts.pcap" -o ip.check_checksum:TRUE -Y icmpv6.type==129 -T fields \
		-e ip.dst -e ip.checksum.status -e ipv6.src -e ipv6.dst
	[ "${#lines[@]}" -ge 2 ]
	[ "${lines[0]}" = "192.0.2.1	1	2001:db8:1::b	2001:db8:ffff::1" ]
}

@test "lab: every drop reason provoked live is counted once" {
	before=$(stats)
	lab_exec a /usr/bin/python3 - "$RMAC" <<-'EOF'
	import sys
	from scapy.all import Ether, IP, IPv6, ICMPv6EchoRequest, TCP, sendp
	rmac = sys.argv[1]
	def tun(inner, src="192.0.2.1", **kw):
	    return Ether(dst=rmac) / IP(src=src, dst="192.0.2.2", proto=41, **kw) / inner
	def echo(src="2001:db8:ffff::1", dst="2001:db8:1::a"):
	    return IPv6(src=src, dst=dst) / ICMPv6EchoRequest(data=b"drop-test")
	short = IPv6(bytes(echo()))
	short.plen += 16
	frames = [
	    tun(echo(dst="2001:db8:1::99")),                              # no_destination
	    tun(echo(), src="192.0.2.10"),                                # tunnel_server_mismatch
	    tun(IPv6(src="2001:db8:ffff::1", dst="2001:db8:1::a") / TCP(dport=9, flags="S")),  # not_allowed
	    tun(echo(), chksum=0x1234),                                   # bad_outer_checksum
	    tun(echo(src="ff02::1")),                                     # bad_inner_source
	    tun(short),                                                   # truncated
	]
	sendp(frames, iface="a0", verbose=False)
	EOF
	lab_wait 5 eval "[ \$(grep -c '\"type\":\"drop\"' '$RELAY_OUT') -ge 6 ]" || { tail -5 "$RELAY_OUT"; return 1; }
	after=$(stats)
	for r in no_destination tunnel_server_mismatch not_allowed bad_outer_checksum bad_inner_source truncated; do
		d=$(( $(jq ".dropped.$r" <<<"$after") - $(jq ".dropped.$r" <<<"$before") ))
		[ "$d" -eq 1 ] || { echo "$r: +$d"; echo "$after"; return 1; }
	done
	# each one also has its own drop line
	grep '"type":"drop"' "$RELAY_OUT" | jq -r .reason | sort -u | grep -qx bad_outer_checksum
	grep '"reason":"bad_inner_source"' "$RELAY_OUT" | jq -e '.inner_src == "ff02::1" and .outer_src == "192.0.2.1"'
}

# free_b8080: stop whatever an earlier test left listening on B's port 8080.
free_b8080() {
	local pids
	pids=$(lab_exec b ss -Htlnp 'sport = :8080' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
	[ -z "$pids" ] && return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	lab_wait 5 eval "! lab_exec b ss -Htln 'sport = :8080' | grep -q ."
}

# http_b DIR: python's HTTP server on host B, port 8080 (allowed), serving DIR.
http_b() {
	free_b8080
	lab_bg b /usr/bin/python3 -m http.server --bind 2001:db8:1::b --directory "$1" 8080
	lab_wait 10 eval "lab_exec b ss -Htln 'sport = :8080' | grep -q ."
}

@test "lab: PMTUD through the relay: B at MTU 1500 serves 1 MB to curl on the tunnel side (Packet Too Big 1480)" {
	d=$(mktemp -d)
	head -c 1048576 /dev/urandom >"$d/1m.bin"
	# B left at 1500 and a tunnel side that advertises MSS 1440: B's
	# full-size segments do not fit the tunnel, only PMTUD can save them
	lab_exec b ip link set b0 mtu 1500
	lab_exec ts ip link set s6 mtu 1500
	lab_exec b ip -6 route flush cache
	before=$(stats)
	http_b "$d"
	run lab_exec ts curl -g -s -f -m 30 -o "$d/got.bin" "http://[2001:db8:1::b]:8080/1m.bin"
	lab_exec b ip -6 route get 2001:db8:ffff::1 >"$d/route" || true
	lab_exec ts ip link set s6 mtu 1480
	lab_exec b ip link set b0 mtu 1480
	after=$(stats)
	[ "$status" -eq 0 ] || { echo "curl: $status"; echo "$after"; return 1; }
	cmp "$d/1m.bin" "$d/got.bin"
	# B learnt the tunnel's MTU from the relay's Packet Too Big
	cat "$d/route"
	grep -q 'mtu 1480' "$d/route"
	ptb=$(( $(jq .icmp_sent.packet_too_big <<<"$after") - $(jq .icmp_sent.packet_too_big <<<"$before") ))
	big=$(( $(jq .dropped.too_big <<<"$after") - $(jq .dropped.too_big <<<"$before") ))
	echo "packet_too_big sent: $ptb, too_big dropped: $big"
	[ "$ptb" -ge 1 ]
	[ "$big" -ge "$ptb" ]
	[ "$(jq .send_errors <<<"$after")" -eq 0 ]
	kill "$LAB_BG_PID"
	rm -rf "$d"
}

@test "lab: Time Exceeded from the relay: hop limit 1 from raw host B, and toward B from the tunnel side" {
	before=$(stats)
	run lab_exec b ping -6 -c 1 -t 1 -W 2 2001:db8:ffff::1
	echo "$output"
	[[ $output == *"Time exceeded"* ]]
	lab_capture ts t0 "$LAB_DIR/te.pcap" ip proto 41 and src host 192.0.2.2
	run lab_exec ts ping -6 -c 1 -t 1 -W 2 2001:db8:1::b
	echo "$output"
	lab_capture_stop "$LAB_DIR/te.pcap"
	[[ $output == *"Time exceeded"* ]]
	run tsh -r "$LAB_DIR/te.pcap" -o ip.check_checksum:TRUE -Y "icmpv6.type == 3" \
		-E occurrence=f -T fields -e ip.dst -e ip.checksum.status -e ipv6.dst -e icmpv6.checksum.status
	echo "$output"
	[ "${lines[0]}" = "192.0.2.1	1	2001:db8:ffff::1	1" ]
	after=$(stats)
	te=$(( $(jq .icmp_sent.time_exceeded <<<"$after") - $(jq .icmp_sent.time_exceeded <<<"$before") ))
	[ "$te" -eq 2 ]
}

@test "lab: outer IPv4 fragments made by the tunnel server's kernel are reassembled and relayed (RFC 4213 3.6)" {
	# ts's path to the relay: 1280 octets, so the kernel fragments every
	# protocol-41 packet over that (a 1448-octet ping is 1468 outside)
	lab_exec ts ip route add 192.0.2.2/32 dev t0 mtu lock 1280
	before=$(stats)
	lab_capture relay r0 "$LAB_DIR/frag.pcap" ip proto 41 and src host 192.0.2.1
	run lab_exec ts ping -6 -c 3 -i 0.2 -W 2 -s 1400 2001:db8:1::b
	ok_b=$status out_b=$output
	run lab_exec ts ping -6 -c 3 -i 0.2 -W 2 -s 1400 2001:db8:1::a
	ok_a=$status out_a=$output
	# and a TCP upload to raw host B: full-size segments, every one fragmented
	head -c 262144 /dev/urandom >"$LAB_DIR/up.bin"
	free_b8080
	lab_bg b /usr/bin/python3 -c '
import hashlib, socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("2001:db8:1::b", 8080)); s.listen(1); c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b)
print(h.hexdigest(), flush=True)'
	up=$LAB_BG_OUT
	lab_wait 10 eval "lab_exec b ss -Htln 'sport = :8080' | grep -q ."
	lab_exec ts /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("2001:db8:1::b", 8080), timeout=20)
s.sendall(open(sys.argv[1], "rb").read()); s.shutdown(socket.SHUT_WR); s.recv(1)' "$LAB_DIR/up.bin"
	lab_wait 10 grep -q . "$up"
	lab_capture_stop "$LAB_DIR/frag.pcap"
	lab_exec ts ip route del 192.0.2.2/32 dev t0
	after=$(stats)
	echo "$out_b"; echo "$out_a"; echo "$after"
	[ "$ok_b" -eq 0 ]
	[ "$ok_a" -eq 0 ]
	[ "$(cut -d' ' -f1 "$up")" = "$(sha256sum <"$LAB_DIR/up.bin" | cut -d' ' -f1)" ]
	# the kernel did fragment: first fragments with MF on the relay's link
	n=$(tsh -r "$LAB_DIR/frag.pcap" -o ip.defragment:FALSE -Y "ip.flags.mf == 1" -T fields -e ip.id | wc -l)
	[ "$n" -ge 6 ]
	re=$(( $(jq .reassembled <<<"$after") - $(jq .reassembled <<<"$before") ))
	[ "$re" -ge "$n" ]
	[ "$(jq .dropped.outer_fragment <<<"$after")" -eq "$(jq .dropped.outer_fragment <<<"$before")" ]
}

@test "lab: SIGHUP adds a host without a restart; a bad table keeps the old one" {
	lab_addr b b0 2001:db8:1::c/128
	run lab_exec ts ping -6 -c 1 -W 1 2001:db8:1::c
	[ "$status" -ne 0 ]
	echo "2001:db8:1::c 192.0.2.11 $BMAC raw" >>"$TABLE"
	kill -HUP "$RELAY_PID"
	lab_wait 5 grep -q '"type":"reload".*"status":"ok"' "$RELAY_OUT"
	grep '"type":"reload"' "$RELAY_OUT" | tail -1 | jq -e '.destinations == 3'
	lab_exec ts ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::c
	# a broken table: the reload fails with file:line, the old table stays
	cp "$TABLE" "$TABLE.good"
	echo "2001:db8:1::d 192.0.2.999 $BMAC raw" >>"$TABLE"
	kill -HUP "$RELAY_PID"
	lab_wait 5 grep -q '"status":"failed"' "$RELAY_OUT"
	grep '"status":"failed"' "$RELAY_OUT" | jq -r .message | grep -q "$TABLE:5: invalid IPv4 address '192.0.2.999'"
	lab_exec ts ping -6 -c 1 -W 2 2001:db8:1::c
	lab_exec ts ping -6 -c 1 -W 2 2001:db8:1::a
	[ "$(kill -0 "$RELAY_PID" && echo alive)" = alive ]
	mv "$TABLE.good" "$TABLE"
}

@test "lab: 802.1Q: a raw host on VLAN 100 (an access port) gets relayed frames tagged 100" {
	# host D sits behind an access port of VLAN 100 (tests/lib/vlanport.py:
	# this kernel has neither 8021q nor bridge VLAN filtering); the relay's
	# link is the trunk.  D has never spoken: the relay cannot know its tag.
	lab_ns d && lab_link d d0 lan pd && bridge_ports pd
	lab_bg d /usr/bin/python3 "$V6KIT_TOP/tests/lib/vlanport.py" --trunk d0 --access dv --vid 100
	lab_wait 10 grep -q ready "$LAB_BG_OUT" || { cat "$LAB_BG_ERR"; return 1; }
	rll=$(lab_exec relay ip -6 -o addr show dev r0 scope link | awk '{print $4}' | cut -d/ -f1)
	lab_exec d ip link set dv mtu 1480
	lab_addr d dv 2001:db8:1::d/64
	# no 8021q on the relay host either: its kernel cannot answer D's
	# Neighbor Solicitations, so D knows its router's MAC statically
	lab_exec d ip -6 neigh replace "$rll" lladdr "$RMAC" dev dv nud permanent
	lab_exec d ip -6 route add default via "$rll" dev dv
	DMAC=$(lab_mac d dv)
	echo "2001:db8:1::d 192.0.2.13 $DMAC raw" >>"$TABLE"
	n=$(grep -c '"type":"reload"' "$RELAY_OUT" || true)
	kill -HUP "$RELAY_PID"
	lab_wait 5 eval "[ \$(grep -c '\"type\":\"reload\"' '$RELAY_OUT') -gt $n ]"
	grep '"type":"reload"' "$RELAY_OUT" | tail -1 | jq -e '.status == "ok"'
	lab_capture d d0 "$LAB_DIR/trunk.pcap" ether src "$RMAC"
	# D speaks first (tagged 100 on the trunk): its replies come back tagged
	run lab_exec d ping -6 -c 3 -i 0.2 -W 2 2001:db8:ffff::1
	ok_d=$status out_d=$output
	# and now the tunnel side reaches D
	run lab_exec ts ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::d
	ok_ts=$status out_ts=$output
	lab_capture_stop "$LAB_DIR/trunk.pcap"
	echo "$out_d"; echo "$out_ts"
	[ "$ok_d" -eq 0 ]
	[ "$ok_ts" -eq 0 ]
	run tsh -r "$LAB_DIR/trunk.pcap" -Y "ipv6.dst == 2001:db8:1::d" -T fields -e vlan.id -e eth.dst
	echo "$output"
	[ "${#lines[@]}" -ge 6 ]
	for l in "${lines[@]}"; do
		[ "$l" = "100	$DMAC" ] || { echo "bad frame: $l"; return 1; }
	done
	kill "$LAB_BG_PID"
}

@test "lab: SIGTERM stops the relay cleanly with a summary line" {
	kill -TERM "$RELAY_PID"
	lab_wait 5 eval "! kill -0 $RELAY_PID"
	s=$(grep '"type":"summary"' "$RELAY_OUT")
	[ "$(jq '.relayed["2001:db8:1::a"]' <<<"$s")" -ge 6 ]
	[ "$(jq '.relayed["2001:db8:1::c"]' <<<"$s")" -ge 2 ]
	[ "$(jq '.dropped | length' <<<"$s")" -ge 10 ]
	[ "$(jq .send_errors <<<"$s")" -eq 0 ]
}
