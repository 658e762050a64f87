#!/usr/bin/env bats
# httpfrag-oneif-lab.bats - httpfrag with a single interface: the back end is
# reached through the same interface clients come in on (via a router), so
# both legs, both captures and the NAT source address share f0.
#
#   ns f (front end)              ns c (client and router)         ns b (back end)
#   f0 2001:db8:1::1, ::80 <-> c0 2001:db8:1::100   c1 2001:db8:2::1 <-> b0 2001:db8:2::2 nginx
#   f: 2001:db8:2::/64 via 2001:db8:1::100          b: 2001:db8:1::/64 via 2001:db8:2::1

load ../lib/lab
load ../lib/nginx

ADDR=2001:db8:1::80
BACKEND=2001:db8:2::2
CHECK="$BATS_TEST_DIRNAME/../lib/httpfrag_capcheck.py"

setup_file() {
	[ -x "$V6KIT" ] || { echo "missing $V6KIT" >&2; return 1; }
	lab_require || return 0
	for t in nginx curl nft tshark; do
		command -v "$t" >/dev/null || { export LAB_UNAVAILABLE="lab needs $t"; return 0; }
	done
	export D="$LAB_DIR/srv"
	mkdir -p "$D/www" "$D/tmp"
	head -c 5242880 /dev/urandom >"$D/www/5m.bin"
	nginx_conf "$D" "$BACKEND" >"$D/nginx.conf"
	{
		lab_ns c forward && lab_ns f && lab_ns b &&
		lab_link c c0 f f0 && lab_link c c1 b b0 &&
		lab_addr c c0 2001:db8:1::100/64 && lab_addr f f0 2001:db8:1::1/64 &&
		lab_addr f f0 "$ADDR/64" && lab_addr c c1 2001:db8:2::1/64 && lab_addr b b0 "$BACKEND/64" &&
		lab_exec f ip -6 route add 2001:db8:2::/64 via 2001:db8:1::100 &&
		lab_exec b ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1 &&
		lab_bg b nginx -p "$D" -c "$D/nginx.conf" -e "$D/error.log" &&
		lab_wait 10 lab_exec f curl -g -s -f -o /dev/null "http://[$BACKEND]/5m.bin"
	} || { cat "$D/error.log" >&2; lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

@test "one interface for both legs: identical download, two fragments per segment" {
	lab_bg f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --manage-host --json
	local pid=$LAB_BG_PID out=$LAB_BG_OUT
	lab_wait 10 grep -q '"type":"ready"' "$out" || { cat "$LAB_BG_ERR"; return 1; }
	grep -q '"interface":"f0","backend":"2001:db8:2::2","backend_interface":"f0"' "$out"
	lab_capture f f0 "$BATS_TEST_TMPDIR/f.pcap" ip6 and host "$ADDR"
	lab_exec c curl -g -s -S -f -m 60 -o "$BATS_TEST_TMPDIR/got" "http://[$ADDR]/5m.bin" ||
		{ kill "$pid"; return 1; }
	lab_capture_stop "$BATS_TEST_TMPDIR/f.pcap"
	kill -TERM "$pid"
	lab_wait 10 eval "! kill -0 $pid"
	cmp "$BATS_TEST_TMPDIR/got" "$D/www/5m.bin"
	# the capture on f0 holds both legs; the checker looks at what left ADDR
	# toward the client (the back-end leg carries no payload from ADDR)
	run "$CHECK" "$BATS_TEST_TMPDIR/f.pcap" "$ADDR" 1200 256
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"dropped":{"malformed":0,"truncated":0,"fragment":0,"not_ours":0,"no_binding":0' "$out"
}
