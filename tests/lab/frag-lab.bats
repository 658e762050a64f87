#!/usr/bin/env bats
# frag-lab.bats - the fragmentation engine against the Linux kernel (RFC 8200
# §4.5): fragments cut by core/frag under a matrix of plans, with and without
# Hop-by-Hop, Routing and Destination Options headers, UDP and TCP with
# 20/32/40-octet headers,
# sent by the AF_PACKET sender, must be reassembled and delivered by the
# receiving kernel; and datagrams fragmented by scapy's fragment6 and by the
# kernel itself must reassemble in core/reasm to the original bytes.
#
#   ns a: a0 2001:db8:1::1/64  <-- veth (mtu 9000) -->  ns b: b0 2001:db8:1::2/64

load ../lib/lab

TOOLS="${V6KIT_TOOLS:-$(dirname "${V6KIT_TESTBIN:-$PWD/build/tests}")/tools}"
V6FRAG="$TOOLS/v6frag"
PY=/usr/bin/python3

setup_file() {
	[ -x "$V6FRAG" ] || { echo "missing $V6FRAG (make tools)" >&2; return 1; }
	lab_require || return 0
	{
		lab_ns a && lab_ns b && lab_link a a0 b b0 &&
		lab_exec a ip link set a0 mtu 9000 && lab_exec b ip link set b0 mtu 9000 &&
		lab_addr a a0 2001:db8:1::1/64 && lab_addr b b0 2001:db8:1::2/64
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
	PEERS=()
}

# Peers of one test end with it: the next test binds the same ports.
teardown() {
	local pid
	for pid in "${PEERS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}

teardown_file() {
	lab_cleanup
}

# UDP receiver in ns b on port 7000: one line per datagram,
# "ok|bad LEN SPORT" (ok = the payload is v6frag's pattern (i*7+3) & 255).
start_udp_receiver() {
	lab_bg b "$PY" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("::", 7000))
s.settimeout(30)
print("ready", flush=True)
while True:
    d, a = s.recvfrom(65535)
    ok = d == bytes((i * 7 + 3) & 255 for i in range(len(d)))
    print("ok" if ok else "bad", len(d), a[1], flush=True)
'
	UDP_OUT=$LAB_BG_OUT
	PEERS+=("$LAB_BG_PID")
	lab_wait 10 grep -q ready "$UDP_OUT"
}

# TCP listener in ns b on port 8080: the kernel answers a SYN it accepted
# (checksum verified on the reassembled segment) with a SYN-ACK.
start_tcp_listener() {
	lab_bg b "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8080))
s.listen(1024)
print("ready", flush=True)
time.sleep(60)
'
	PEERS+=("$LAB_BG_PID")
	lab_wait 10 grep -q ready "$LAB_BG_OUT"
}

# Extension chains: none, Hop-by-Hop (unfragmentable), Destination Options
# (fragmentable without a Routing header), and a Routing header (Segments
# Left 0) that makes the headers up to it unfragmentable (RFC 8200 §4.5).
CHAINS=("" "--hbh" "--dstopts" "--hbh --dstopts" "--rthdr --dstopts" "--hbh --rthdr --dstopts")

l4_args() {	# udp | tcp20 | tcp32 | tcp40
	case $1 in
	udp) echo "--proto udp --dport 7000" ;;
	tcp*) echo "--proto tcp --tcp-hlen ${1#tcp} --tcp-flags S --dport 8080" ;;
	esac
}

l4_hdr() {
	case $1 in udp) echo 8 ;; tcp*) echo "${1#tcp}" ;; esac
}

# run_plan NAME PAYLOAD_RULE PLAN_ARGS...: every chain x every transport.
# PAYLOAD_RULE "trail" makes (fragmentable length - 256) a multiple of 8.
run_plan() {
	local name=$1 rule=$2; shift 2
	local dir=$BATS_TEST_TMPDIR chain l4 sport=41000 pay hdr failures="" n_udp=0
	local -a udp_ports=() udp_pays=() tcp_ports=() combos=()
	local mac; mac=$(lab_mac b b0)
	start_udp_receiver
	start_tcp_listener
	lab_capture a a0 "$dir/synack.pcap" ip6 and tcp and src port 8080
	for chain in "${CHAINS[@]}"; do
		for l4 in udp tcp20 tcp32 tcp40; do
			sport=$((sport + 1))
			hdr=$(l4_hdr "$l4")
			case $rule in
			trail) pay=$((1200 + (8 - hdr % 8) % 8)) ;;
			*) pay=$rule ;;
			esac
			# shellcheck disable=SC2046,SC2086
			run lab_exec a "$V6FRAG" -i a0 --dst-mac "$mac" --src 2001:db8:1::1 --dst 2001:db8:1::2 \
				--sport "$sport" --payload-len "$pay" $(l4_args "$l4") $chain "$@"
			if [ "$status" -ne 0 ]; then
				failures+="[$name ${chain:-none} $l4: v6frag exit $status: $output] "
				continue
			fi
			echo "# $name ${chain:-none} $l4 payload $pay: $output" >&3
			combos+=("$name ${chain:-none} $l4")
			if [ "$l4" = udp ]; then
				udp_ports+=("$sport"); udp_pays+=("$pay")
			else
				tcp_ports+=("$sport")
			fi
		done
	done
	lab_wait 5 eval "[ \$(grep -c '^ok' '$UDP_OUT') -ge ${#udp_ports[@]} ]" || true
	sleep 0.5
	lab_capture_stop "$dir/synack.pcap"
	local i synacks
	synacks=$(tcpdump -r "$dir/synack.pcap" -n 2>/dev/null | grep 'Flags \[S\.\]')
	for i in "${!udp_ports[@]}"; do
		grep -q "^ok ${udp_pays[$i]} ${udp_ports[$i]}\$" "$UDP_OUT" ||
			failures+="[UDP sport ${udp_ports[$i]}: not delivered] "
	done
	for i in "${tcp_ports[@]}"; do
		grep -q "2001:db8:1::1\.$i: Flags \[S\.\]" <<<"$synacks" ||
			failures+="[TCP sport $i: no SYN-ACK] "
	done
	echo "# $name: ${#udp_ports[@]} UDP datagrams, ${#tcp_ports[@]} TCP SYNs sent; $(grep -c '^ok' "$UDP_OUT") delivered, $(grep -c . <<<"$synacks") SYN-ACKs" >&3
	[ -z "$failures" ] || { echo "$failures" >&2; return 1; }
	[ "${#udp_ports[@]}" -eq "${#CHAINS[@]}" ] && [ "${#tcp_ports[@]}" -eq $((3 * ${#CHAINS[@]})) ]
}

@test "kernel reassembles: max size 1280" {
	run_plan max1280 3001 --max 1280
}

@test "kernel reassembles: max size 576" {
	run_plan max576 3001 --max 576
}

@test "kernel reassembles: max size 512" {
	run_plan max512 3001 --max 512
}

@test "kernel reassembles: small first fragment (64 octets), RFC 7112 chain kept" {
	run_plan first64 3001 --max 1280 --first 64 --rfc7112
}

@test "kernel reassembles: two fragments, trailing 256 octets (httpfrag)" {
	run_plan trailing256 trail --trailing 256
}

@test "kernel reassembles: reverse order" {
	run_plan reverse 3001 --max 576 --order reverse
}

@test "kernel reassembles: random order, sequential IDs" {
	run_plan random 3001 --max 512 --order random --id sequential
}

@test "kernel reassembles: at least two fragments of a small datagram (dnsfrag)" {
	run_plan min2 100 --min 2
}

@test "kernel accepts atomic fragments (RFC 6946)" {
	run_plan atomic 500 --atomic
}

@test "control: overlapping fragments (the seed's offset bug) are not delivered (RFC 5722)" {
	local dir=$BATS_TEST_TMPDIR mac synacks
	mac=$(lab_mac b b0)
	start_udp_receiver
	start_tcp_listener
	lab_capture a a0 "$dir/synack.pcap" ip6 and tcp and src port 8080
	local common=(-i a0 --dst-mac "$mac" --src 2001:db8:1::1 --dst 2001:db8:1::2 --max 576 --payload-len 2000)
	lab_exec a "$V6FRAG" "${common[@]}" --proto udp --dport 7000 --sport 45001 --overlap
	lab_exec a "$V6FRAG" "${common[@]}" --proto tcp --dport 8080 --sport 45002 --overlap
	lab_exec a "$V6FRAG" "${common[@]}" --proto udp --dport 7000 --sport 45003
	lab_exec a "$V6FRAG" "${common[@]}" --proto tcp --dport 8080 --sport 45004
	lab_wait 5 grep -q "^ok 2000 45003" "$UDP_OUT"
	sleep 0.5
	lab_capture_stop "$dir/synack.pcap"
	synacks=$(tcpdump -r "$dir/synack.pcap" -n 2>/dev/null | grep 'Flags \[S\.\]')
	# (bats: a negated command never fails a test, so count instead)
	[ "$(grep -c " 45001\$" "$UDP_OUT")" -eq 0 ]
	grep -q "2001:db8:1::1\.45004: Flags \[S\.\]" <<<"$synacks"
	[ "$(grep -c "2001:db8:1::1\.45002: Flags \[S\.\]" <<<"$synacks")" -eq 0 ]
	# and core/reasm gives the same verdict
	"$V6FRAG" --src 2001:db8:1::1 --dst 2001:db8:1::2 --max 576 --payload-len 2000 -w "$dir/ov.pcap" --overlap
	run "$V6FRAG" --reassemble "$dir/ov.pcap"
	echo "$output"
	[[ $output == *"fragments 4 datagrams 0 discarded 3"* ]]
}

@test "an impossible plan is refused, nothing sent" {
	run "$V6FRAG" --src 2001:db8:1::1 --dst 2001:db8:1::2 -w "$BATS_TEST_TMPDIR/x.pcap" \
		--payload-len 1000 --trailing 250
	[ "$status" -eq 1 ]
	[[ $output == *"not a multiple of 8"* ]]
}

# compare_datagrams ORIG.pcap REASM.pcap: same number, same bytes in order.
compare_datagrams() {
	"$PY" - "$1" "$2" <<'EOF'
import sys
from scapy.all import rdpcap, raw
a = [raw(p) for p in rdpcap(sys.argv[1])]
b = [raw(p) for p in rdpcap(sys.argv[2])]
if len(a) != len(b) or not a:
    sys.exit("datagrams: %d original, %d reassembled" % (len(a), len(b)))
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit("datagram %d differs (%d vs %d octets)" % (i, len(x), len(y)))
print("identical", len(a))
EOF
}

@test "scapy fragment6 datagrams reassemble to the original bytes" {
	local dir=$BATS_TEST_TMPDIR
	"$PY" - "$dir" <<'EOF'
import sys
from scapy.all import IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, UDP, TCP, ICMPv6EchoRequest, Raw, fragment6, wrpcap, raw
d = sys.argv[1]
src, dst = "2001:db8::1", "2001:db8::2"
cases = [
    (IPv6(src=src, dst=dst), UDP(sport=1, dport=2) / Raw(bytes(range(256)) * 16), 1280),
    (IPv6(src=src, dst=dst) / IPv6ExtHdrHopByHop(), UDP(sport=3, dport=4) / Raw(b"x" * 3001), 600),
    (IPv6(src=src, dst=dst), IPv6ExtHdrDestOpt() / TCP(sport=5, dport=6, options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]) / Raw(b"y" * 2000), 576),
    (IPv6(src=src, dst=dst), ICMPv6EchoRequest(data=b"z" * 5000), 1500),
]
orig, frags = [], []
for front, rest, size in cases:
    whole = IPv6(raw(front / rest))
    orig.append(whole)
    frags += fragment6(front / IPv6ExtHdrFragment() / rest, size)
wrpcap(d + "/orig.pcap", orig)
wrpcap(d + "/frags.pcap", frags)
print(len(orig), "datagrams,", len(frags), "fragments")
EOF
	run "$V6FRAG" --reassemble "$dir/frags.pcap" -w "$dir/out.pcap"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"datagrams 4 discarded 0"* ]]
	run compare_datagrams "$dir/orig.pcap" "$dir/out.pcap"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "identical 4" ]
}

@test "datagrams fragmented by the Linux kernel (mtu 1280) reassemble to the sent bytes" {
	local dir=$BATS_TEST_TMPDIR
	lab_exec a ip link set a0 mtu 1280
	start_udp_receiver
	lab_capture b b0 "$dir/kernel.pcap" ip6 and not icmp6
	run lab_exec a "$PY" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:db8:1::1", 43210))
for n in (4000, 1500, 9999):
    s.sendto(bytes((i * 7 + 3) & 255 for i in range(n)), ("2001:db8:1::2", 7000))
'
	lab_wait 5 eval "[ \$(grep -c '^ok' '$UDP_OUT') -ge 3 ]"
	sleep 0.2
	lab_capture_stop "$dir/kernel.pcap"
	lab_exec a ip link set a0 mtu 9000
	run "$V6FRAG" --reassemble "$dir/kernel.pcap" -w "$dir/out.pcap"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"datagrams 3 discarded 0"* ]]
	run "$PY" - "$dir/out.pcap" <<'EOF'
import sys
from scapy.all import rdpcap, IPv6, UDP, raw
out = []
for p in rdpcap(sys.argv[1]):
    ip = IPv6(raw(p))
    u = ip[UDP]
    data = bytes(u.payload)
    ok = data == bytes((i * 7 + 3) & 255 for i in range(len(data)))
    c = u.chksum
    del u.chksum
    good = IPv6(raw(ip))[UDP].chksum == c
    out.append("%d:%s:%s:%s" % (len(data), ok, good, ip.src))
print(" ".join(sorted(out)))
EOF
	echo "$output"
	[ "$output" = "1500:True:True:2001:db8:1::1 4000:True:True:2001:db8:1::1 9999:True:True:2001:db8:1::1" ]
	# the kernel really cut them
	frags=$(tcpdump -r "$dir/kernel.pcap" -n 2>/dev/null | grep -c frag)
	[ "$frags" -ge 13 ]
}
