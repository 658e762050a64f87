#!/usr/bin/env bats
# ra-sniff-lab.bats - ra-sniff against a real radvd in a namespace lab:
# every advertised value in --json, agreement with rdisc6, --solicit timing,
# --gateway, a silent link, and a tcpdump capture of the lab decoded offline.
#
#   ns r (forwarding, radvd on r0)  r0 <-- veth --> h0  ns h
#                                   r1 <-- veth --> h1  (silent: no radvd)

bats_require_minimum_version 1.5.0

load ../lib/lab

setup_file() {
	: "${V6KIT:?}"
	lab_require
	command -v radvd >/dev/null || lab_skip "radvd not installed"
	command -v rdisc6 >/dev/null || lab_skip "rdisc6 (ndisc6) not installed"
	{
		lab_ns r forward && lab_ns h &&
		lab_link r r0 h h0 && lab_link r r1 h h1
	} || { lab_cleanup; return 1; }
	# Long intervals: after radvd's start-up RAs, only a solicitation gets one.
	cat >"$LAB_DIR/radvd.conf" <<-'CONF'
	interface r0 {
		AdvSendAdvert on;
		MinRtrAdvInterval 100;
		MaxRtrAdvInterval 200;
		AdvManagedFlag on;
		AdvOtherConfigFlag on;
		AdvDefaultPreference high;
		AdvLinkMTU 1480;
		AdvCurHopLimit 64;
		AdvReachableTime 30000;
		AdvRetransTimer 1000;
		AdvDefaultLifetime 1800;
		AdvSourceLLAddress on;
		prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on;
			AdvValidLifetime 86400; AdvPreferredLifetime 14400; };
		prefix 2001:db8:2::/64 { AdvOnLink on; AdvAutonomous off; AdvRouterAddr on;
			AdvValidLifetime infinity; AdvPreferredLifetime infinity; };
		prefix 2001:db8:3::/64 { AdvOnLink off; AdvAutonomous off;
			AdvValidLifetime 7200; AdvPreferredLifetime 3600; };
		route 2001:db8:100::/48 { AdvRoutePreference high; AdvRouteLifetime 3600; };
		route 2001:db8:200::/64 { AdvRoutePreference low; AdvRouteLifetime 600; };
		RDNSS 2001:db8::53 2001:db8::54 { AdvRDNSSLifetime 300; };
		DNSSL example.com lab.example.org { AdvDNSSLLifetime 300; };
	};
	CONF
	lab_capture h h0 "$LAB_DIR/lab.pcap" icmp6 || { lab_cleanup; return 1; }
	echo "${LAB_CAPS[$LAB_DIR/lab.pcap]}" >"$LAB_DIR/lab.pcap.pid"	# tests run in other processes
	lab_bg r radvd -C "$LAB_DIR/radvd.conf" -n -p "$LAB_DIR/radvd.pid" -m stderr
	# radvd answers a solicitation once it runs
	lab_exec h timeout 20 "$V6KIT" ra-sniff -i h0 --solicit --once --timeout 15 -q >/dev/null ||
		{ cat "$LAB_BG_ERR" >&2; lab_cleanup; return 1; }
}

teardown_file() {
	lab_cleanup
}

ll_addr() {	# $1 ns, $2 if: its link-local address
	lab_exec "$1" ip -6 -o addr show dev "$2" scope link | awk '{print $4}' | cut -d/ -f1
}

@test "--json --once reports every value radvd advertises" {
	run lab_exec h "$V6KIT" ra-sniff -i h0 --solicit --once --json --timeout 10
	[ "$status" -eq 0 ]
	j=$(jq -c 'select(.type=="ra")' <<<"$output")
	echo "$j" >"$LAB_DIR/live.json"
	t() { [ "$(jq -c "$1" <<<"$j")" = "$2" ] || { echo "$1: got $(jq -c "$1" <<<"$j"), want $2"; return 1; }; }
	mac=$(lab_mac r r0)
	t .router "\"$(ll_addr r r0)\""
	t .mac "\"$mac\""
	t .slla "\"$mac\""
	t .hop_limit 64
	t .flags '{"managed":true,"other":true,"home_agent":false,"proxy":false,"preference":"high","reserved":0}'
	t .router_lifetime 1800
	t .reachable_time 30000
	t .retrans_timer 1000
	t .mtu 1480
	t .prefixes '[{"prefix":"2001:db8:1::","length":64,"on_link":true,"autonomous":true,"router_address":false,"valid_lifetime":86400,"preferred_lifetime":14400},{"prefix":"2001:db8:2::","length":64,"on_link":true,"autonomous":false,"router_address":true,"valid_lifetime":4294967295,"preferred_lifetime":4294967295},{"prefix":"2001:db8:3::","length":64,"on_link":false,"autonomous":false,"router_address":false,"valid_lifetime":7200,"preferred_lifetime":3600}]'
	t .routes '[{"prefix":"2001:db8:100::","length":48,"preference":"high","lifetime":3600},{"prefix":"2001:db8:200::","length":64,"preference":"low","lifetime":600}]'
	t .rdnss '[{"servers":["2001:db8::53","2001:db8::54"],"lifetime":300}]'
	t .dnssl '[{"domains":["example.com","lab.example.org"],"lifetime":300}]'
	t .violations '[]'
	t .unknown_options '[]'
}

@test "ra-sniff agrees with rdisc6 on the same link" {
	[ -s "$LAB_DIR/live.json" ]
	run lab_exec h rdisc6 -1 -n h0
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$LAB_DIR/rdisc6.txt"
	run python3 "$BATS_TEST_DIRNAME/rdisc6_json.py" "$LAB_DIR/rdisc6.txt" "$LAB_DIR/live.json"
	echo "$output"
	[ "$status" -eq 0 ]
	# the comparison saw the options, not two empty lists
	grep -q '"2001:db8::54"' <<<"${lines[0]}"
	grep -q '"lab.example.org"' <<<"${lines[0]}"
}

@test "--solicit --once returns well before the next unsolicited RA" {
	sleep 3.2	# radvd answers at most one solicitation per 3 s (RFC 4861 MIN_DELAY_BETWEEN_RAS)
	t0=$(date +%s%N)
	run lab_exec h "$V6KIT" ra-sniff -i h0 --solicit --once --json --timeout 30
	t1=$(date +%s%N)
	[ "$status" -eq 0 ]
	ms=$(((t1 - t0) / 1000000))
	echo "elapsed ${ms} ms (unsolicited RAs come every 100-200 s)"
	[ "$ms" -lt 3000 ]
	# the answer is radvd's unicast reply to our solicitation, not a periodic RA
	[ "$(jq -r 'select(.type=="ra")|.destination' <<<"$output")" = "$(ll_addr h h0)" ]
	[ "$(jq -c 'select(.type=="summary")|[.ras,.solicitations]' <<<"$output")" = '[1,1]' ]
}

@test "--gateway prints radvd's interface MAC" {
	sleep 3.2
	GW=$(lab_exec h "$V6KIT" ra-sniff -i h0 --solicit --gateway --timeout 10)
	[ "$GW" = "$(lab_mac r r0)" ]
}

@test "a silent link with --timeout 2 exits 1 after about 2 s" {
	t0=$(date +%s%N)
	run lab_exec h "$V6KIT" ra-sniff -i h1 --timeout 2 --json
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "exit $status after ${ms} ms: $output"
	[ "$status" -eq 1 ]
	[ "$ms" -ge 1900 ]
	[ "$ms" -lt 3500 ]
	[ "$(jq -c 'select(.type=="summary")|.ras' <<<"$output")" = 0 ]
	run lab_exec h "$V6KIT" ra-sniff -i h1 --solicit --timeout 2 --json
	[ "$status" -eq 1 ]
	[ "$(jq -c 'select(.type=="summary")|[.ras,.solicitations]' <<<"$output")" = '[0,1]' ]
	run --separate-stderr lab_exec h "$V6KIT" ra-sniff -i h1 --solicit --gateway --timeout 1
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == "v6kit ra-sniff: no default router"*"time limit"* ]]
}

@test "unanswered --solicit: 3 RSs 4 s apart (RFC 4861 6.3.7), well-formed, then exit 1" {
	command -v tshark >/dev/null || skip "tshark not installed"
	lab_capture r r1 "$LAB_DIR/rs.pcap" icmp6
	t0=$(date +%s%N)
	run lab_exec h "$V6KIT" ra-sniff -i h1 --solicit --json
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "exit $status after ${ms} ms: $output"
	lab_capture_stop "$LAB_DIR/rs.pcap"
	[ "$status" -eq 1 ]
	[ "$ms" -ge 11500 ]
	[ "$ms" -lt 14000 ]
	[ "$(jq -c 'select(.type=="summary")|[.ras,.solicitations]' <<<"$output")" = '[0,3]' ]
	rs_fields() {
		tshark -r "$LAB_DIR/rs.pcap" -Y 'icmpv6.type == 133' -T fields -E separator=' ' \
			-e frame.time_relative -e ipv6.src -e ipv6.dst -e ipv6.hlim -e icmpv6.code \
			-e icmpv6.opt.linkaddr -e icmpv6.checksum.status 2>/dev/null
	}
	run rs_fields
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	src=$(ll_addr h h1) mac=$(lab_mac h h1)
	prev=
	for l in "${lines[@]}"; do
		read -r t s d hl code lla ck <<<"$l"
		[ "$s $d $hl $code $lla $ck" = "$src ff02::2 255 0 $mac 1" ]	# 1 = checksum good
		if [ -n "$prev" ]; then
			awk -v a="$prev" -v b="$t" 'BEGIN { d = b - a; exit !(d > 3.8 && d < 4.5) }'
		fi
		prev=$t
	done
}

@test "no such interface exits 3" {
	run lab_exec h "$V6KIT" ra-sniff -i nosuch0 --timeout 1
	[ "$status" -eq 3 ]
	[[ $output == "v6kit ra-sniff: "* ]]
}

@test "without CAP_NET_RAW exits 3" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	run lab_exec h setpriv --reuid=65534 --regid=65534 --clear-groups "$V6KIT" ra-sniff -i h0 --timeout 1
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"permission denied"* ]]
}

@test "installed with file capabilities instead of root, an unprivileged user solicits and decodes" {
	command -v setcap >/dev/null || skip "setcap (libcap2-bin) not installed"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	d=$(mktemp -d /tmp/v6kcap.XXXXXX)
	chmod 755 "$d"
	cp "$V6KIT" "$d/v6kit"
	chmod 755 "$d/v6kit"
	setcap cap_net_raw,cap_net_admin+ep "$d/v6kit"
	getcap "$d/v6kit" | grep -q cap_net_admin,cap_net_raw=ep
	run lab_exec h setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$d/v6kit" ra-sniff -i h0 --solicit --once --timeout 10 -j
	rm -rf "$d"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'select(.type=="ra") | .router_lifetime')" = 1800 ]
}

@test "SIGINT ends a live run cleanly with a summary line" {
	lab_bg h "$V6KIT" ra-sniff -i h1 --json
	pid=$LAB_BG_PID
	sleep 0.5
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	cat "$LAB_BG_OUT"
	[ "$st" -eq 1 ]	# no RA arrived
	[ "$(jq -r .type "$LAB_BG_OUT")" = summary ]
}

@test "a tcpdump capture of the lab decodes offline to the same values" {
	[ -s "$LAB_DIR/live.json" ]
	LAB_CAPS[$LAB_DIR/lab.pcap]=$(cat "$LAB_DIR/lab.pcap.pid")
	lab_capture_stop "$LAB_DIR/lab.pcap"
	run "$V6KIT" ra-sniff -r "$LAB_DIR/lab.pcap" --json
	[ "$status" -eq 0 ]
	n=$(grep -c '"type":"ra"' <<<"$output")
	echo "$n RAs in the capture"
	[ "$n" -ge 3 ]
	strip='del(.ts, .destination, .checksum)'
	want=$(jq -c "$strip" "$LAB_DIR/live.json")
	while IFS= read -r ra; do
		[ "$(jq -c "$strip" <<<"$ra")" = "$want" ] || { echo "offline: $ra"; echo "live: $want"; return 1; }
	done < <(jq -c 'select(.type=="ra")' <<<"$output")
}
