#!/usr/bin/env bats
# nothing-lost-lab.bats - dnsfrag under faults (issue 20): a --log file on a
# full disk, a low open-file limit.
#
#   c   c0 2001:db8:1::2 ---- f0 2001:db8:1::1   f (dnsfrag; a silent back end
#                                                   on [2001:db8:1::1]:5353)

load ../lib/lab

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

start_dnsfrag() {	# PORT ARGS...
	local port=$1; shift
	lab_bg f "$V6KIT" dnsfrag -p "$port" --json "$@"
	DF_PID=$LAB_BG_PID DF_OUT=$LAB_BG_OUT DF_ERR=$LAB_BG_ERR
	lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :$port' | grep -q ." ||
		{ cat "$DF_ERR" >&2; return 1; }
}

stop_dnsfrag() {
	[ -n "${DF_PID:-}" ] || return 0
	kill -INT "$DF_PID" 2>/dev/null
	wait "$DF_PID"
	local rc=$?
	DF_PID=
	return $rc
}

summary_field() {	# $1 = counter name
	grep '"type":"summary"' "$DF_OUT" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

@test "--log on a full disk: warned once, lost lines counted in log_lost, no partial line, resumes when space returns" {
	local log=$LAB_DIR/small/q.log
	rm -f "$LAB_DIR/small/"*
	start_dnsfrag 5300 -i f0 --builtin 300 --log "$log"
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
