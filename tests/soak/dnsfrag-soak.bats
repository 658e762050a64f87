#!/usr/bin/env bats
# dnsfrag-soak.bats - dnsfrag under sustained load (200 queries a second for
# 30 s) while its back end (dnsmasq) is killed and restarted every 5 s:
# every query is answered (SERVFAIL while the back end is down, the record
# while it is up), nothing crashes, the summary adds up, and RSS and open
# descriptors are the same at the end as after warm-up.
#
#   c  c0 2001:db8:1::2 ---- f0 2001:db8:1::1   f (dnsfrag)
#   b  b0 2001:db8:53::53 -- f2 2001:db8:53::1

load soak

RATE=200 SECS=30

start_dnsmasq() {
	lab_bg b dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts -p 53 \
		--listen-address=2001:db8:53::53 --bind-interfaces --user=root \
		--pid-file= --edns-packet-max=4096 \
		--txt-record="t600.lab,$(printf '%0200d,%0200d,%0140d' 0 0 0 | sed 's/\([0-9]*\)/"\1"/g')"
	DM_PID=$LAB_BG_PID
}

setup_file() {
	for t in dnsmasq dig; do
		command -v "$t" >/dev/null || { export LAB_UNAVAILABLE="needs $t"; return 0; }
	done
	lab_require || return 0
	{
		lab_ns c && lab_ns f && lab_ns b &&
		lab_link c c0 f f0 && lab_link b b0 f f2 &&
		lab_addr c c0 2001:db8:1::2/64 && lab_addr f f0 2001:db8:1::1/64 &&
		lab_addr b b0 2001:db8:53::53/64 && lab_addr f f2 2001:db8:53::1/64
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

@test "dnsfrag: ${RATE} q/s for ${SECS} s, back end restarted every 5 s: all answered, no crash, RSS/fds flat" {
	start_dnsmasq
	lab_wait 10 lab_exec f dig +short +time=1 +tries=1 @2001:db8:53::53 t600.lab TXT
	lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:1::1 -p 5300 --backend 2001:db8:53::53 \
		--backend-timeout 300 --json -q
	DF_PID=$LAB_BG_PID DF_OUT=$LAB_BG_OUT DF_ERR=$LAB_BG_ERR
	lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :5300' | grep -q ." || { cat "$DF_ERR"; return 1; }
	lab_bg c "$BATS_TEST_DIRNAME/dnsload.py" 2001:db8:1::1 5300 "$RATE" "$SECS" t600.lab 3
	LOAD_PID=$LAB_BG_PID LOAD_OUT=$LAB_BG_OUT
	sleep 3
	soak_sample "$DF_PID" start
	local cycles=0 t0=$SECONDS
	# down 2.5 s, up 2.5 s, until the load ends
	while [ $((SECONDS - t0)) -lt $((SECS - 6)) ]; do
		kill "$DM_PID"; wait "$DM_PID" 2>/dev/null
		sleep 2.5
		start_dnsmasq
		sleep 2.5
		cycles=$((cycles + 1))
		kill -0 "$DF_PID"
	done
	wait "$LOAD_PID"
	cat "$LOAD_OUT"
	sleep 0.5	# the last back-end timeouts
	soak_sample "$DF_PID" end
	kill -INT "$DF_PID"
	wait "$DF_PID"		# exit status 0: no crash, no sanitizer report
	cat "$DF_ERR"
	[ ! -s "$DF_ERR" ]
	local sent noerror servfail unanswered q ans sf
	read -r sent noerror servfail unanswered < <(/usr/bin/python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); print(r["sent"], r["noerror"], r["servfail"], r["unanswered"])' "$LOAD_OUT")
	q=$(json_field "$DF_OUT" summary queries)
	ans=$(json_field "$DF_OUT" summary answered)
	sf=$(json_field "$DF_OUT" summary servfail)
	soak_note "dnsfrag: $sent queries sent, $noerror answered, $servfail SERVFAIL, $unanswered unanswered; $cycles back-end restarts"
	soak_note "dnsfrag summary: $(grep '"type":"summary"' "$DF_OUT")"
	# idle back-end sockets are pooled (at most 512, see v6kit-dnsfrag(1)):
	# the pool may end larger than after warm-up, never above the peak
	# number of queries in flight
	peak=$(json_field "$DF_OUT" summary inflight_peak)
	SOAK_FDS=$peak soak_flat dnsfrag
	# the back end was up and down: both kinds of answer
	[ "$noerror" -gt $((sent / 4)) ]
	[ "$servfail" -gt $((sent / 10)) ]
	# every query answered (a veth drops nothing at this rate)
	[ "$unanswered" -eq 0 ]
	[ "$((noerror + servfail))" -eq "$sent" ]
	# dnsfrag saw them all and counts what the client got
	[ "$q" -eq "$sent" ]
	[ "$ans" -eq "$noerror" ]
	[ "$(json_field "$DF_OUT" summary dropped)" -eq 0 ]
	[ "$sf" -eq "$servfail" ]
	[ "$(json_field "$DF_OUT" summary inflight)" -eq 0 ]
}
