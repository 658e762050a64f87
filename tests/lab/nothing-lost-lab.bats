#!/usr/bin/env bats
# nothing-lost-lab.bats - dnsfrag under faults (issue 20): a --log file on a
# full disk, a low open-file limit.
#
#   c   c0 2001:db8:1::2 ---- f0 2001:db8:1::1   f (dnsfrag; a silent back end
#                                                   on [2001:db8:1::1]:5353)

load ../lib/lab
load ../lib/dnsfrag

DNSQ="/usr/bin/python3 $BATS_TEST_DIRNAME/../lib/dnsq.py"

setup_file() {
	lab_require || return 0
	{
		lab_ns c && lab_ns f && lab_link c c0 f f0 &&
		lab_addr c c0 2001:db8:1::2/64 && lab_addr f f0 2001:db8:1::1/64
	} || { lab_cleanup; return 1; }
	lab_bg f /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:db8:1::1", 5353))
print("ready", flush=True)
while True:
    s.recv(65535)'
	lab_wait 5 grep -q ready "$LAB_BG_OUT" || { lab_cleanup; return 1; }
	mkdir -p "$LAB_DIR/small"
	mount -t tmpfs -o size=64k tmpfs "$LAB_DIR/small" || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown() {
	stop_dnsfrag
}

teardown_file() {
	[ -n "${LAB_DIR:-}" ] && umount "$LAB_DIR/small" 2>/dev/null
	lab_cleanup
}

@test "--log on a full disk: warned once, lost lines counted in log_lost, no partial line, resumes when space returns" {
	local log=$LAB_DIR/small/q.log
	rm -f "$LAB_DIR/small/"*
	start_dnsfrag f 5300 -i f0 --builtin 300 --log "$log"
	run lab_exec c $DNSQ 2001:db8:1::1 5300 5 a.lab --wait 3
	[[ $output == "answered 5 "* ]]
	[ "$(wc -l <"$log")" -eq 5 ]
	# fill the file system (to the last block: a line that does not fit is cut)
	dd if=/dev/zero of="$LAB_DIR/small/fill" bs=1k count=1000 2>/dev/null || true
	run lab_exec c $DNSQ 2001:db8:1::1 5300 20 b.lab --wait 3
	[[ $output == "answered 20 "* ]]		# answering goes on
	# space returns
	rm -f "$LAB_DIR/small/fill"
	run lab_exec c $DNSQ 2001:db8:1::1 5300 5 c.lab --wait 3
	[[ $output == "answered 5 "* ]]
	stop_dnsfrag
	cat "$DF_ERR"
	lost=$(summary_field log_lost)
	echo "log_lost=$lost lines=$(wc -l <"$log")"
	[ "$lost" -ge 1 ]
	# 30 queries and the summary: each is in the log or counted lost
	[ $(( $(wc -l <"$log") + lost )) -eq 31 ]
	grep -q '"type":"summary"' "$log"
	grep -q '"qname":"c\.lab' "$log"		# resumed
	# every line is a whole JSON object
	/usr/bin/python3 -c '
import json, sys
for n, l in enumerate(open(sys.argv[1]), 1):
    assert l.endswith("\n"), "line %d not terminated" % n
    json.loads(l)' "$log"
	[ "$(grep -c -- '--log: write error' "$DF_ERR")" -eq 1 ]	# warned once per outage
	grep -q -- '--log writable again' "$DF_ERR"
}

@test "a low open-file limit lowers --max-inflight to what it allows; EMFILE is inflight_full, not a back-end error" {
	# 40 descriptors: the default --max-inflight 4096 cannot be had
	lab_bg f prlimit --nofile=40:40 "$V6KIT" dnsfrag -p 5301 --json -i f0 \
		--backend '[2001:db8:1::1]:5353' --backend-timeout 1500
	DF_PID=$LAB_BG_PID DF_OUT=$LAB_BG_OUT DF_ERR=$LAB_BG_ERR
	lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :5301' | grep -q ." || { cat "$DF_ERR" >&2; false; }
	cat "$DF_ERR"
	max=$(sed -n 's/.*--max-inflight lowered to \([0-9]*\) by the open-file limit (40).*/\1/p' "$DF_ERR")
	[ -n "$max" ] && [ "$max" -ge 1 ] && [ "$max" -lt 40 ]
	run lab_exec c $DNSQ 2001:db8:1::1 5301 60 x.lab --wait 3
	echo "$output"
	stop_dnsfrag
	grep '"type":"summary"' "$DF_OUT"
	[ "$(summary_field backend_errors)" -eq 0 ]
	[ "$(summary_field inflight_peak)" -le "$max" ]
	[ "$(summary_field inflight_full)" -eq $((60 - $(summary_field inflight_peak))) ]
	[ "$(summary_field backend_timeouts)" -eq "$(summary_field inflight_peak)" ]
}

# 6in4-relay: r0 in namespace f faces the tunnel server ts (t0); every frame
# the relay sends goes back out r0 to a MAC nobody has (only its counters
# matter here).
relay_lab() {
	lab_ns ts && lab_link ts t0 f r0 &&
		lab_addr ts t0 192.0.2.1/24 && lab_addr f r0 192.0.2.2/24
}

@test "6in4-relay: SIGHUP reloads of a 65,536-line table under 2000 pps lose no frame" {
	relay_lab
	local rmac tsmac table=$LAB_DIR/table
	rmac=$(lab_mac f r0) tsmac=$(lab_mac ts t0)
	/usr/bin/python3 - "$table" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4\n")
    for i in range(1, 65536):
        f.write("2001:db8:2::%x:%x 192.0.2.11 02:00:00:00:00:0b raw\n" % (i >> 8, i & 0xff))
PY
	[ "$(wc -l <"$table")" -eq 65536 ]
	# 4000 protocol-41 frames, 0.5 ms apart: 2 s at 2000 pps
	/usr/bin/python3 - "$LAB_DIR/p41.pcap" "$rmac" "$tsmac" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, ICMPv6EchoRequest, wrpcap
out, rmac, tsmac = sys.argv[1:]
frames = []
for i in range(4000):
    p = (Ether(dst=rmac, src=tsmac) / IP(src="192.0.2.1", dst="192.0.2.2", proto=41) /
         IPv6(src="2001:db8:ffff::1", dst="2001:db8:1::a") / ICMPv6EchoRequest(id=1, seq=i))
    p.time = 1700000000 + i * 0.0005
    frames.append(p)
wrpcap(out, frames)
PY
	lab_bg f "$V6KIT" 6in4-relay -i r0 -l 192.0.2.2 --table "$table" --json -v
	local pid=$LAB_BG_PID out=$LAB_BG_OUT err=$LAB_BG_ERR
	lab_wait 10 grep -q "relaying protocol 41" "$err" || { cat "$err"; false; }
	lab_bg ts "$V6KIT" pcap-replay -i t0 "$LAB_DIR/p41.pcap"
	local rp=$LAB_BG_PID n=0
	# reload after reload while the 2 s of traffic go through
	while kill -0 "$rp" 2>/dev/null; do
		kill -HUP "$pid"
		n=$((n + 1))
		lab_wait 5 eval "[ \$(grep -c '\"type\":\"reload\"' '$out') -ge $n ]"
	done
	wait "$rp"
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" || true
	grep '"type":"reload"' "$out"
	echo "# $n reloads during the replay" >&3
	[ "$n" -ge 2 ]
	[ "$(grep -c '"type":"reload".*"status":"ok".*"destinations":65536' "$out")" -eq "$n" ]
	s=$(grep '"type":"summary"' "$out")
	echo "$s"
	[ "$(jq '.relayed["2001:db8:1::a"]' <<<"$s")" -eq 4000 ]
	[ "$(jq .capture_dropped <<<"$s")" -eq 0 ]
	lab_exec ts true
	ip netns del "$(lab_nsname ts)" 2>/dev/null || true
}

@test "6in4-relay: a reload of a half-written table (no final newline) fails with file and line; the old table stays" {
	local table=$LAB_DIR/table2
	lab_ns ts2 && lab_link ts2 t0 f r1 && lab_addr f r1 192.0.2.2/24
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4\n' >"$table"
	lab_bg f "$V6KIT" 6in4-relay -i r1 -l 192.0.2.2 --table "$table" --json -v
	local pid=$LAB_BG_PID out=$LAB_BG_OUT err=$LAB_BG_ERR
	lab_wait 10 grep -q "relaying protocol 41" "$err" || { cat "$err"; false; }
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4\n2001:db8:1::b 192.0.2.11 02:00:00:0' >"$table"
	kill -HUP "$pid"
	lab_wait 5 grep -q '"type":"reload"' "$out"
	kill -INT "$pid"
	wait "$pid" || true
	r=$(grep '"type":"reload"' "$out")
	echo "$r"
	[ "$(jq -r .status <<<"$r")" = failed ]
	[ "$(jq -r .file <<<"$r")" = "$table" ]
	[ "$(jq .line <<<"$r")" -eq 2 ]
	jq -r .message <<<"$r" | grep -q "$table:2: the last line has no newline"
	grep -q "reload failed, keeping the old table: $table:2:" "$err"
	ip netns del "$(lab_nsname ts2)" 2>/dev/null || true
}
