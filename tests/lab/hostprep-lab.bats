#!/usr/bin/env bats
# hostprep-lab.bats - httpfrag --manage-host switches every TCP segmentation
# and receive-merge offload off, found by name in the kernel's own feature
# set (Linux 6.18's tx-tcp-accecn-segmentation included), and restores each
# to its previous value on exit (SIGTERM too); without --manage-host the
# check names what is on.  Asserts ethtool -k's summary lines, as a user
# reads them.
#
#   ns c: c0 2001:db8:1::100 <-> ns f: f0 2001:db8:1::1, ADDR   (httpfrag -i f0)
#                                ns f: f1 2001:db8:2::1 <-> ns b: b0 BACKEND

load ../lib/lab

ADDR=2001:db8:1::80
BACKEND=2001:db8:2::2

setup_file() {
	: "${V6KIT:?V6KIT must point at the binary}"
	lab_require || return 0
	{
		lab_ns c && lab_ns f && lab_ns b &&
		lab_link c c0 f f0 && lab_link f f1 b b0 &&
		lab_addr c c0 2001:db8:1::100/64 && lab_addr f f0 2001:db8:1::1/64 &&
		lab_addr f f0 "$ADDR/64" && lab_addr f f1 2001:db8:2::1/64 &&
		lab_addr b b0 "$BACKEND/64" &&
		lab_exec f ping -6 -c 1 -W 2 "$BACKEND" >/dev/null
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

# Every offload on, as a stock veth has them (tx checksumming too: TSO needs it).
offloads_on() {
	lab_exec f ethtool -K "$1" tx on sg on tso on gso on gro on >/dev/null 2>&1
	lab_exec f ethtool -K "$1" rx-gro-list on >/dev/null 2>&1 || true
}

summary() {	# summary IF: the ethtool -k lines a user reads
	lab_exec f ethtool -k "$1" | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|large-receive-offload|rx-gro-hw|rx-gro-list):'
}

start_httpfrag() {
	lab_bg f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --json "$@"
	HF_PID=$LAB_BG_PID HF_OUT=$LAB_BG_OUT HF_ERR=$LAB_BG_ERR
	lab_wait 10 grep -q '"type":"ready"' "$HF_OUT" || { cat "$HF_ERR" >&2; return 1; }
}

stop_httpfrag() {
	kill -TERM "$HF_PID"
	lab_wait 10 eval "! kill -0 $HF_PID"
}

@test "--manage-host: every TCP segmentation offload off while it runs, each restored after SIGTERM" {
	offloads_on f0
	offloads_on f1
	summary f0 | grep -qx 'tcp-segmentation-offload: on'
	lab_exec f ethtool -k f0 >"$LAB_DIR/f0.before"
	lab_exec f ethtool -k f1 >"$LAB_DIR/f1.before"
	start_httpfrag --manage-host
	for i in f0 f1; do
		run summary "$i"
		echo "$i: $output"
		[[ "$output" == *"tcp-segmentation-offload: off"* ]]
		[[ "$output" == *"generic-segmentation-offload: off"* ]]
		[[ "$output" == *"generic-receive-offload: off"* ]]
		[[ "$output" == *"large-receive-offload: off"* ]]
		[[ "$output" != *"rx-gro-list: on"* ]]
	done
	# the feature newer than any fixed list
	if lab_exec f ethtool -k f0 | grep -q tx-tcp-accecn-segmentation; then
		lab_exec f ethtool -k f0 | grep -qx $'\ttx-tcp-accecn-segmentation: off'
	fi
	stop_httpfrag
	lab_exec f ethtool -k f0 | diff "$LAB_DIR/f0.before" -
	lab_exec f ethtool -k f1 | diff "$LAB_DIR/f1.before" -
}

@test "--manage-host restores mixed values exactly: what was off stays off" {
	offloads_on f0
	lab_exec f ethtool -K f0 gro off tx-tcp6-segmentation off >/dev/null
	lab_exec f ethtool -k f0 >"$LAB_DIR/mixed.before"
	start_httpfrag --manage-host
	summary f0 | grep -qx 'tcp-segmentation-offload: off'
	stop_httpfrag
	lab_exec f ethtool -k f0 | diff "$LAB_DIR/mixed.before" -
}

@test "check mode: one TCP segmentation feature left on is named, with the command to run (exit 3)" {
	lab_exec f ethtool -K f0 tso off gso off gro off >/dev/null
	lab_exec f ethtool -K f1 tso off gso off gro off >/dev/null
	lab_exec f ethtool -K f0 rx-gro-list off >/dev/null 2>&1 || true
	lab_exec f ethtool -K f1 rx-gro-list off >/dev/null 2>&1 || true
	lab_exec f ethtool -k f0 | grep -q tx-tcp-accecn-segmentation || skip "kernel without tx-tcp-accecn-segmentation"
	lab_exec f ethtool -K f0 tx-tcp-accecn-segmentation on >/dev/null
	summary f0 | grep -qx 'tcp-segmentation-offload: on'
	run lab_exec f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --timeout 1
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"f0 has tx-tcp-accecn-segmentation"*"run: ethtool -K f0 gro off lro off gso off tso off"* ]]
	lab_exec f ethtool -K f0 tso off >/dev/null
	# rx-gro-list is not covered by "gro off": the command names it
	lab_exec f ethtool -K f0 rx-gro-list on >/dev/null 2>&1 || skip "no rx-gro-list to switch"
	run lab_exec f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --timeout 1
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"f0 has rx-gro-list"*"run: ethtool -K f0 gro off lro off gso off tso off rx-gro-list off"* ]]
	# and that command does the job
	lab_exec f ethtool -K f0 gro off lro off gso off tso off rx-gro-list off >/dev/null 2>&1 || true
	run summary f0
	[[ "$output" == *"rx-gro-list: off"* ]]
}
