#!/usr/bin/env bash
# pcap_replay_bench.sh - v6kit pcap-replay against tcpreplay on the same veth,
# the same file, in the same run.
#
# Throughput (--topspeed, frames/s; median of ROUNDS runs, the tools
# alternating so that machine load hits both alike) in three labs:
#   l2drop    the receiver's MAC differs from the frames' destination: the
#             frames die in the receiving IPv6 input (PACKET_OTHERHOST)
#   full      frames addressed to the receiver's MAC and IPv6 address, UDP
#             port 9 with no listener (full IPv6/UDP input, ICMPv6 errors
#             rate-limited by the kernel)
#   listener  the same with a UDP socket bound to port 9 that never reads
# Every run is checked against the receiver's rx_packets counter: a tool that
# reports frames the receiver never got would be caught.
#
# --eh (SPEC.md §3): v6kit --eh dst:8 against plain v6kit, same file, same
# run, alternating, median of ROUNDS (target: ratio >= 0.90): on the veth
# (l2drop, so the receiver's Destination Options processing is not what is
# measured) and into a file (-w, CPU cost of the insertion alone).
# EH_ONLY=1 runs only this part.
#
# Pacing at PACE_PPS (default 100k/s) for both tools: a tcpdump on the
# receiver timestamps every frame (on a veth the receive path runs in the
# sender's softirq, so these are the send times plus a constant); from them:
# mean rate error, gap p99.9 and the longest gap (stall).
#
# Usage: tests/bench/pcap_replay_bench.sh   (root; env ROUNDS, FRAMES, PACE_PPS)
set -u
cd "$(dirname "$0")/../.."
: "${V6KIT:=$PWD/build/v6kit}"
: "${ROUNDS:=7}" "${FRAMES:=300000}" "${PACE_PPS:=100000}" "${PACE_FRAMES:=200000}"

[ "$(id -u)" -eq 0 ] || { echo "pcap_replay_bench: needs root (network namespaces)"; exit 0; }
command -v tcpreplay >/dev/null || { echo "pcap_replay_bench: tcpreplay not installed"; exit 0; }
[ -x "$V6KIT" ] || { echo "pcap_replay_bench: no $V6KIT" >&2; exit 1; }

# shellcheck source=../lib/lab.bash
. tests/lib/lab.bash
trap lab_cleanup EXIT
lab_require || { echo "pcap_replay_bench: no lab: ${LAB_UNAVAILABLE:-}"; exit 0; }
touch "$LAB_DIR/pids"
lab_ns s && lab_ns r && lab_link s s0 r r0 || exit 1
lab_exec s sysctl -qw net.ipv6.conf.s0.disable_ipv6=1
lab_addr r r0 2001:db8::2/64
RMAC=$(lab_mac r r0)
W=$LAB_DIR
/usr/bin/python3 - "$W/udp.pcap" "$FRAMES" "$RMAC" 10 <<'EOF' || exit 1
import socket, struct, sys
out, n, dmac, gap_us = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
src = socket.inet_pton(socket.AF_INET6, "2001:db8::1")
dst = socket.inet_pton(socket.AF_INET6, "2001:db8::2")
mac = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex("020000000001")
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        pay = struct.pack("!I", i) + b"p" * 14
        udp = struct.pack("!HHHH", 40000 + i % 1000, 9, 8 + len(pay), 0) + pay
        c = csum(src + dst + struct.pack("!I3xB", len(udp), 17) + udp) or 0xffff
        udp = udp[:6] + struct.pack("!H", c) + udp[8:]
        fr = mac + b"\x86\xdd" + struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + src + dst + udp
        t = 1700000000 * 1000000 + i * gap_us
        f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)) + fr)
EOF

rx() { lab_exec r cat /sys/class/net/r0/statistics/rx_packets; }

# One run of one tool: prints frames/s; fails if the receiver got fewer frames.
# $1: v6kit's --tx-method (default auto, which is AF_XDP where it works).
run_v6kit() {
	local before after pps
	before=$(rx)
	pps=$(lab_exec s "$V6KIT" pcap-replay -j -t --tx-method "${1:-auto}" -i s0 "$W/udp.pcap" | /usr/bin/python3 -c \
		'import json,sys; d=json.loads(sys.stdin.readline()); print(int(d["pps"]) if d["failed"] == 0 else 0)')
	after=$(rx)
	[ $((after - before)) -ge "$FRAMES" ] || { echo "v6kit: receiver got $((after - before)) of $FRAMES" >&2; return 1; }
	echo "$pps"
}

run_tcpreplay() {
	local before after pps
	before=$(rx)
	pps=$(lab_exec s tcpreplay -t -i s0 "$W/udp.pcap" 2>&1 | sed -n 's/.*Mbps, \([0-9.]*\) pps.*/\1/p' | head -1)
	after=$(rx)
	[ $((after - before)) -ge "$FRAMES" ] || { echo "tcpreplay: receiver got $((after - before)) of $FRAMES" >&2; return 1; }
	printf '%.0f\n' "$pps"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

throughput() {	# $1 = lab name, $2 = v6kit --tx-method
	local i v t vs=() ts=()
	for i in $(seq "$ROUNDS"); do
		v=$(run_v6kit "$2") || return 1
		t=$(run_tcpreplay) || return 1
		vs+=("$v"); ts+=("$t")
	done
	v=$(printf '%s\n' "${vs[@]}" | median)
	t=$(printf '%s\n' "${ts[@]}" | median)
	printf '%-9s %-5s v6kit %8d pps  tcpreplay %8d pps  ratio %.2f   (v6kit runs: %s; tcpreplay runs: %s)\n' \
		"$1" "$2" "$v" "$t" "$(awk -v a="$v" -v b="$t" 'BEGIN { print b ? a / b : 0 }')" "${vs[*]}" "${ts[*]}"
}

# v6kit with extra options: frames/s (receiver count checked).
run_v6kit_opts() {
	local before after pps
	before=$(rx)
	pps=$(lab_exec s "$V6KIT" pcap-replay -j -t -i s0 "$@" "$W/udp.pcap" | /usr/bin/python3 -c \
		'import json,sys; d=json.loads(sys.stdin.readline()); print(int(d["pps"]) if d["failed"] == 0 else 0)')
	after=$(rx)
	[ $((after - before)) -ge "$FRAMES" ] || { echo "v6kit $*: receiver got $((after - before)) of $FRAMES" >&2; return 1; }
	echo "$pps"
}

# Into a file: frames/s, and every frame must carry the chain.  The CPU
# seconds (user + system) of the run go to $W/cpu (wall-clock rates swing
# with the load of a shared machine; CPU time much less).
run_v6kit_file() {
	lab_exec s /usr/bin/time -f '%U %S' -o "$W/cpu.one" "$V6KIT" pcap-replay -j -t -w "$W/eh-out.pcap" "$@" "$W/udp.pcap" |
		/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.readline())
ok = d["failed"] == 0 and d["written"] == int(sys.argv[1]) and (d["eh"] == "" or d["eh_inserted"] == int(sys.argv[1]))
print(int(d["pps"]) if ok else 0)' "$FRAMES"
	awk '{ print $1 + $2 }' "$W/cpu.one" >>"$W/cpu.$#"
}

eh_compare() {	# $1 = link|file
	local i p e ps=() es=() fn=run_v6kit_opts
	[ "$1" = file ] && fn=run_v6kit_file
	rm -f "$W/cpu.0" "$W/cpu.2"
	for i in $(seq "$ROUNDS"); do
		p=$($fn) || return 1
		e=$($fn --eh dst:8) || return 1
		[ "$p" -gt 0 ] && [ "$e" -gt 0 ] || { echo "eh_compare $1: a run failed" >&2; return 1; }
		ps+=("$p"); es+=("$e")
	done
	p=$(printf '%s\n' "${ps[@]}" | median)
	e=$(printf '%s\n' "${es[@]}" | median)
	printf '%-5s --eh dst:8 %8d pps  plain %8d pps  ratio %.2f (target >= 0.90)   (eh runs: %s; plain runs: %s)\n' \
		"$1" "$e" "$p" "$(awk -v a="$e" -v b="$p" 'BEGIN { print b ? a / b : 0 }')" "${es[*]}" "${ps[*]}"
	if [ "$1" = file ]; then
		p=$(median <"$W/cpu.0")
		e=$(median <"$W/cpu.2")
		printf 'file  CPU s per run (user+sys, median): --eh dst:8 %s  plain %s  throughput ratio by CPU %.2f\n' \
			"$e" "$p" "$(awk -v a="$e" -v b="$p" 'BEGIN { print a ? b / a : 0 }')"
	fi
}

if [ "${EH_ONLY:-0}" = 1 ]; then
	echo "# pcap-replay --eh dst:8 vs plain, $FRAMES frames, median of $ROUNDS, topspeed"
	lab_exec r ip link set r0 address 02:00:00:00:99:99
	eh_compare link || exit 1
	eh_compare file || exit 1
	exit 0
fi

echo "# pcap-replay throughput, $FRAMES frames of $(( $(stat -c %s "$W/udp.pcap") / FRAMES - 16 )) octets, median of $ROUNDS"
# L2 drop: the receiver's own MAC differs from the frames' destination.
# v6kit's default (auto: AF_XDP here) and, for reference, its TX ring.
lab_exec r ip link set r0 address 02:00:00:00:99:99
throughput l2drop auto || exit 1
throughput l2drop ring || exit 1
lab_exec r ip link set r0 address "$RMAC"
lab_exec r ip -6 neigh flush dev r0 2>/dev/null
throughput full auto || exit 1
lab_bg r /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 9)); print("ready", flush=True); time.sleep(3600)'
lab_wait 10 grep -q ready "$LAB_BG_OUT" || exit 1
throughput listener auto || exit 1
kill "$LAB_BG_PID" 2>/dev/null
echo "# pcap-replay --eh dst:8 vs plain (l2drop link, and into a file)"
lab_exec r ip link set r0 address 02:00:00:00:99:99
eh_compare link || exit 1
eh_compare file || exit 1
lab_exec r ip link set r0 address "$RMAC"
lab_exec r ip -6 neigh flush dev r0 2>/dev/null

# Pacing: receiver-side timestamps of PACE_FRAMES frames at PACE_PPS.
head_frames() {	# first N frames of the file
	lab_exec s "$V6KIT" pcap-replay -q -t -L "$PACE_FRAMES" -w "$W/pace.pcap" "$W/udp.pcap"
}
head_frames || exit 1
pace_stats() {	# $1 = tool, $2 = capture
	local ts="$W/$1.ts"
	tcpdump -nn --nano -tt -r "$2" 2>/dev/null | awk '{ print $1 }' >"$ts"
	[ -s "$ts" ] || { echo "$1: nothing captured"; return 1; }
	# Gaps in µs, sorted; timestamps are split at the '.' to keep ns precision.
	awk -F. 'NR > 1 { print ($1 - s) * 1e6 + ($2 - n) / 1e3 } { s = $1; n = $2 }' "$ts" | sort -n >"$ts.gaps"
	awk -F. -v tool="$1" -v want="$PACE_PPS" -v sent="$PACE_FRAMES" -v gaps="$ts.gaps" '
		NR == 1 { s0 = $1; n0 = $2 } { s1 = $1; n1 = $2; c++ }
		END {
			span = (s1 - s0) + (n1 - n0) / 1e9; rate = (c - 1) / span
			while ((getline g < gaps) > 0) a[++k] = g
			printf "%-9s  captured %d/%d  rate %.1f pps  mean rate error %+.3f%%  gap p50 %.2f us  p99.9 %.2f us  longest %.1f us\n",
				tool, c, sent, rate, (rate / want - 1) * 100, a[int(k * 0.5)], a[int(k * 0.999)], a[k]
		}' "$ts"
}
echo "# pacing at $PACE_PPS pps, $PACE_FRAMES frames, receiver-side capture timestamps"
for tool in v6kit tcpreplay; do
	lab_capture r r0 "$W/$tool.cap" -s 64 ether src 02:00:00:00:00:01 || exit 1
	if [ "$tool" = v6kit ]; then
		lab_exec s "$V6KIT" pcap-replay -j -p "$PACE_PPS" -i s0 "$W/pace.pcap" >"$W/v6kit.json"
	else
		lab_exec s tcpreplay -p "$PACE_PPS" -i s0 "$W/pace.pcap" >"$W/tcpreplay.out" 2>&1
	fi
	sleep 0.3
	lab_capture_stop "$W/$tool.cap" || echo "$tool: the capture dropped frames; the numbers below are incomplete"
	pace_stats "$tool" "$W/$tool.cap"
done
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("v6kit own view: late_mean_us %.2f late_max_us %.1f elapsed_s %.4f" % (d.get("late_mean_us", 0), d.get("late_max_us", 0), d["elapsed_s"]))' "$W/v6kit.json"
