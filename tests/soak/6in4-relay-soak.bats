#!/usr/bin/env bats
# 6in4-relay-soak.bats - the relay under a steady stream of 6in4 frames
# (tcpreplay, 2000 frames a second for 25 s) while its table is reloaded
# (SIGHUP) every second, alternately with one and with three destinations:
# every reload succeeds, the relayed count keeps growing, nothing crashes,
# RSS and open descriptors are the same at the end as after warm-up.
#
#   s  s0 192.0.2.1 (tunnel server, tcpreplay) ---- r0 192.0.2.2  relay

load soak

PPS=2000 SECS=25

setup_file() {
	command -v tcpreplay >/dev/null || { export LAB_UNAVAILABLE="needs tcpreplay"; return 0; }
	lab_require || return 0
	{
		lab_ns s && lab_ns relay && lab_link s s0 relay r0 &&
		lab_addr s s0 192.0.2.1/24 && lab_addr relay r0 192.0.2.2/24
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

@test "6in4-relay: ${PPS} frames/s for ${SECS} s, SIGHUP every second: reloads ok, relayed grows, RSS/fds flat" {
	local rmac smac i n relayed prev=0 ok
	rmac=$(lab_mac relay r0) smac=$(lab_mac s s0)
	# 100 frames toward two hosts of the table, 200 to 1400 octets of UDP
	/usr/bin/python3 - "$LAB_DIR/in.pcap" "$smac" "$rmac" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, UDP, wrpcap
out, smac, rmac = sys.argv[1:]
pk = [Ether(src=smac, dst=rmac) / IP(src="192.0.2.1", dst="192.0.2.2", proto=41) /
      IPv6(src="2001:db8:ffff::1", dst="2001:db8:1::%x" % (0xa + i % 2)) /
      UDP(sport=40000 + i, dport=53) / (b"x" * (200 + 12 * i)) for i in range(100)]
wrpcap(out, pk)
PY
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4\n' >"$LAB_DIR/table.1"
	printf '2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4\n2001:db8:1::b 192.0.2.11 02:00:00:00:00:0b 6in4\n2001:db8:2::/64 192.0.2.12 02:00:00:00:00:0c raw\n' >"$LAB_DIR/table.3"
	cp "$LAB_DIR/table.3" "$LAB_DIR/table"
	lab_bg relay "$V6KIT" 6in4-relay -i r0 -l 192.0.2.2 --table "$LAB_DIR/table" \
		--tunnel-server 192.0.2.1 --json --stats-interval 1
	RL_PID=$LAB_BG_PID RL_OUT=$LAB_BG_OUT RL_ERR=$LAB_BG_ERR
	lab_wait 10 grep -q '"type":"ready"\|"type":"stats"' "$RL_OUT" || sleep 1
	kill -0 "$RL_PID" || { cat "$RL_ERR"; return 1; }
	lab_bg s tcpreplay -q -i s0 --pps "$PPS" --loop 0 "$LAB_DIR/in.pcap"
	TR_PID=$LAB_BG_PID
	sleep 3
	soak_sample "$RL_PID" start
	for ((i = 0; i < SECS - 3; i++)); do
		if ((i % 2)); then cp "$LAB_DIR/table.1" "$LAB_DIR/table.new"
		else cp "$LAB_DIR/table.3" "$LAB_DIR/table.new"; fi
		mv "$LAB_DIR/table.new" "$LAB_DIR/table"
		kill -HUP "$RL_PID"
		sleep 1
	done
	soak_sample "$RL_PID" end
	kill "$TR_PID"
	sleep 0.3
	kill -INT "$RL_PID"
	wait "$RL_PID"
	cat "$RL_ERR"
	[ ! -s "$RL_ERR" ]
	n=$(grep -c '"type":"reload"' "$RL_OUT")
	ok=$(grep -c '"type":"reload".*"status":"ok"' "$RL_OUT")
	# relayed (every destination summed) in each stats line: never decreasing,
	# growing over the run
	local series
	series=$(/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("{"):
        t = json.loads(l)
        if t["type"] in ("stats", "summary"):
            print(sum(t["relayed"].values()), t["packets"])' "$RL_OUT")
	soak_note "6in4-relay: $n reloads ($ok ok); relayed, cumulative, once a second: $(echo "$series" | awk '{print $1}' | tr '\n' ' ')"
	soak_note "6in4-relay summary: $(grep '"type":"summary"' "$RL_OUT")"
	soak_flat 6in4-relay
	[ "$n" -ge $((SECS - 4)) ]
	[ "$ok" -eq "$n" ]
	echo "$series" | awk -v min=$((PPS * (SECS - 3) * 8 / 10)) '
		$1 < prev { print "relayed went down: " prev " -> " $1; bad = 1 }
		{ grows += ($1 > prev); prev = $1 }
		END { if (prev < min) { print "relayed " prev " < " min; bad = 1 }
		      if (grows < 15) { print "relayed grew in only " grows " stats lines"; bad = 1 }
		      exit bad }'
	[ "$(json_field "$RL_OUT" summary send_errors)" -eq 0 ]
}
