#!/usr/bin/env bats
# ra-sniff-lab.bats - ra-sniff against a real radvd in a namespace lab:
# every advertised value in --json, agreement with rdisc6, --solicit timing,
# --gateway, a silent link, and a tcpdump capture of the lab decoded offline.
# Then RA-Guard evasion (RFC 7113, RFC 6980) on the silent link from a
# third-party RA source (ipv6toolkit's ra6; scapy for reverse order and
# overlaps): live, offline and tshark agree; --gateway and dnsfrag's
# --gateway-mac auto ignore fragmented RAs; a flood of fragments stays bounded.
#
#   ns r (forwarding, radvd on r0)  r0 <-- veth --> h0  ns h
#                                   r1 <-- veth --> h1  (silent: no radvd;
#                                                        rogue RAs in the evasion tests)

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

# ---- RA-Guard evasion (RFC 7113) on the silent link h1 ----

ROGUE=fe80::99

# rogue_ra ARGS...: one RA from ra6 (ipv6toolkit) on r1 toward ff02::1,
# router lifetime 1800, SLLA, MTU 1480, two prefixes (88 octets of ICMPv6).
rogue_ra() {
	lab_exec r ra6 -i r1 -s "$ROGUE" -d ff02::1 -t 1800 -e -M 1480 \
		-P 2001:db8:9::/64 -P 2001:db8:8::/64 "$@" >/dev/null
}

# scapy_frags ORDER: the same kind of RA built by scapy, sent on r1 in 6
# fragments: "reverse" order, or "overlap" (an overlapping set, RFC 5722).
scapy_frags() {
	lab_exec r /usr/bin/python3 - "$1" "$(lab_mac r r1)" <<-'PY'
	import sys
	from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, Raw, sendp
	from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo
	mode, mac = sys.argv[1], sys.argv[2]
	ip = IPv6(src="fe80::98", dst="ff02::1", hlim=255)
	ra = ip / ICMPv6ND_RA(chlim=64, routerlifetime=900, M=1) / ICMPv6NDOptSrcLLAddr(lladdr=mac) / \
	    ICMPv6NDOptMTU(mtu=1400) / ICMPv6NDOptPrefixInfo(prefix="2001:db8:7::", prefixlen=64)
	body = bytes(ra)[40:]			# 64 octets, checksum by scapy
	def frag(a, b, last, ident):
	    fh = IPv6ExtHdrFragment(nh=58, offset=a // 8, m=int(not last), id=ident)
	    return Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::98", dst="ff02::1", hlim=255, nh=44) / Raw(bytes(fh) + body[a:b])
	if mode == "reverse":
	    edges = [0, 16, 24, 32, 40, 48, 64]
	    pk = [frag(edges[i], edges[i + 1], i == 5, 0x5151) for i in range(6)][::-1]
	else:
	    pk = [frag(0, 40, False, 0x5252), frag(32, 64, True, 0x5252)]
	sendp(pk, iface="r1", verbose=0)
	PY
}

@test "evasion: ra6 plain, HBH, 8/200-octet Destination Options, 2 and 6 fragments; scapy reverse and overlap: live = offline = tshark" {
	command -v ra6 >/dev/null || skip "ra6 (ipv6toolkit) not installed"
	command -v tshark >/dev/null || skip "tshark not installed"
	cap=$LAB_DIR/evasion.pcap
	lab_capture h h1 "$cap" ip6
	lab_bg h "$V6KIT" ra-sniff -i h1 --json
	pid=$LAB_BG_PID out=$LAB_BG_OUT
	sleep 1
	rogue_ra			# plain
	rogue_ra -H 8			# behind Hop-by-Hop
	rogue_ra -u 8			# behind an 8-octet Destination Options header
	rogue_ra -u 200			# behind a 200-octet one
	rogue_ra -y 64			# 2 fragments
	rogue_ra -y 16			# 6 fragments
	scapy_frags reverse
	scapy_frags overlap
	rogue_ra			# plain again: the overlap hides nothing after it
	sleep 1
	kill -INT "$pid"
	wait "$pid" || true
	lab_capture_stop "$cap"
	live=$(jq -c 'select(.type=="ra")|del(.ts)' "$out")
	echo "$live" | jq -c '[.router,.extension_headers,.fragments,.violations]'
	[ "$(wc -l <<<"$live")" -eq 8 ]
	[ "$(jq -c '[.extension_headers,.fragments]' <<<"$live" | tr -d '\n')" = \
		'[[],0][["hop-by-hop"],0][["destination"],0][["destination"],0][["fragment"],2][["fragment"],6][["fragment"],6][[],0]' ]
	[ "$(jq -c 'select(.type=="summary")|[.ras,.fragmented,.extension_headers,.fragments.discarded.overlap]' "$out")" = '[8,3,3,2]' ]
	# every RA decodes to the same options, however it travelled
	[ "$(jq -c 'select(.router=="fe80::99")|[.router_lifetime,.mtu,.slla,[.prefixes[].prefix]]' <<<"$live" | sort -u | wc -l)" -eq 1 ]
	# offline: the same records, field for field
	off=$("$V6KIT" ra-sniff -r "$cap" --json | jq -c 'select(.type=="ra")|del(.ts)')
	[ "$off" = "$live" ] || { diff <(echo "$live") <(echo "$off"); return 1; }
	# tshark (its own reassembly) on the same capture; it rebuilds overlapping
	# sets that RFC 5722 says to discard, so those are left out of its list
	tshark -r "$cap" -Y 'icmpv6.type == 134 && !ipv6.fragment.overlap' -T fields -E separator='|' \
		-E occurrence=a -E aggregator=, -e frame.protocols -e ipv6.src -e ipv6.fragment.count \
		-e icmpv6.nd.ra.cur_hop_limit -e icmpv6.nd.ra.flag.m -e icmpv6.nd.ra.flag.o \
		-e icmpv6.nd.ra.router_lifetime -e icmpv6.nd.ra.reachable_time -e icmpv6.nd.ra.retrans_timer \
		-e icmpv6.opt.linkaddr -e icmpv6.opt.mtu -e icmpv6.opt.prefix -e icmpv6.opt.prefix.length \
		-e icmpv6.checksum.status 2>/dev/null >"$LAB_DIR/tshark.txt"
	cat "$LAB_DIR/tshark.txt"
	mine=$(jq -r '[([.extension_headers[] | {"hop-by-hop":"ipv6.hopopts","destination":"ipv6.dstopts","fragment":"ipv6.fraghdr"}[.]] | join(":")),
		.router, (if .fragmented then .fragments else "" end), .hop_limit,
		(if .flags.managed then 1 else 0 end), (if .flags.other then 1 else 0 end),
		.router_lifetime, .reachable_time, .retrans_timer, .slla, .mtu,
		([.prefixes[].prefix]|join(",")), ([.prefixes[].length|tostring]|join(",")),
		(if .violations|map(test("checksum"))|any then 0 else 1 end)] | map(tostring) | join("|")' <<<"$live")
	theirs=$(sed -E 's/^eth:ethertype:ipv6:?([^|]*)(:icmpv6)?\|/\1|/; s/^([^|]*):icmpv6\|/\1|/' "$LAB_DIR/tshark.txt" | sed -E 's/^icmpv6\|/|/')
	printf 'ra-sniff: %s\n' "$mine"
	[ "$(wc -l <<<"$theirs")" -eq 8 ]
	[ "$mine" = "$theirs" ] || { diff <(echo "$mine") <(echo "$theirs"); return 1; }
}

@test "evasion: --gateway on a link whose only RA is fragmented exits 1 with the reason" {
	command -v ra6 >/dev/null || skip "ra6 (ipv6toolkit) not installed"
	lab_bg h "$V6KIT" ra-sniff -i h1 --gateway --timeout 3 -v
	pid=$LAB_BG_PID
	sleep 0.7
	rogue_ra -y 64
	rogue_ra -y 16
	st=0
	wait "$pid" || st=$?
	cat "$LAB_BG_ERR"
	[ "$st" -eq 1 ]
	[ ! -s "$LAB_BG_OUT" ]
	grep -q "ignoring a fragmented RA from $ROGUE (2 fragments): hosts discard it (RFC 6980)" "$LAB_BG_ERR"
	grep -q "ignoring a fragmented RA from $ROGUE (6 fragments)" "$LAB_BG_ERR"
	grep -q "no default router: the only RAs before the time limit were fragmented (2 ignored" "$LAB_BG_ERR"
	# the same RA behind a Hop-by-Hop header only: a host takes it
	lab_bg h "$V6KIT" ra-sniff -i h1 --gateway --timeout 3
	pid=$LAB_BG_PID
	sleep 0.7
	rogue_ra -H 8
	wait "$pid"
	[ "$(cat "$LAB_BG_OUT")" = "$(lab_mac r r1)" ]
}

@test "evasion: dnsfrag --gateway-mac auto ignores fragmented RAs and says so with -v" {
	command -v ra6 >/dev/null || skip "ra6 (ipv6toolkit) not installed"
	lab_exec h ip -6 addr add 2001:db8:99::2/64 dev h1 nodad 2>/dev/null || true
	lab_bg r ra6 -i r1 -s "$ROGUE" -d ff02::1 -t 1800 -e -M 1480 -P 2001:db8:9::/64 \
		-P 2001:db8:8::/64 -y 64 -l -z 1
	ra6pid=$LAB_BG_PID
	run --separate-stderr lab_exec h timeout 20 "$V6KIT" dnsfrag -i h1 -l 2001:db8:99::2 -p 5353 \
		--builtin 1000 --gateway-mac auto -v
	kill "$ra6pid" 2>/dev/null || true
	echo "exit $status: $stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"ignoring a fragmented RA from $ROGUE (2 fragments): hosts discard it (RFC 6980)"* ]]
	[[ $stderr == *"fragmented RA(s) ignored (RFC 6980)"* ]]
	[[ $stderr == *"--gateway-mac auto: no router advertisement on h1"* ]]
}

@test "evasion: a flood of 10,000 fragment pieces with random IDs: memory bounded, overflow counted, valid RAs still reported" {
	command -v ra6 >/dev/null || skip "ra6 (ipv6toolkit) not installed"
	lab_bg h "$V6KIT" ra-sniff -i h1 --json
	pid=$LAB_BG_PID out=$LAB_BG_OUT
	sleep 1
	hwm0=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	rogue_ra
	# valid RAs every second while the flood runs
	lab_bg r ra6 -i r1 -s "$ROGUE" -d ff02::1 -t 1800 -e -M 1400 -l -z 1
	ra6pid=$LAB_BG_PID
	# first fragments of RAs (M set, never completed) from random link-local
	# sources with random IDs: every one is held until the reassembler's bounds
	lab_exec r /usr/bin/python3 - "$(lab_mac r r1)" <<-'PY'
	import random, sys
	from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, Raw, conf
	from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6NDOptMTU
	mac = sys.argv[1]
	body = bytes(IPv6(src="fe80::1", dst="ff02::1") / ICMPv6ND_RA() / ICMPv6NDOptMTU(mtu=1500) / ICMPv6NDOptMTU(mtu=1500))[40:]
	s = conf.L2socket(iface="r1")
	for i in range(10000):
	    src = "fe80::%x:%x" % (random.getrandbits(16), random.getrandbits(16))
	    fh = IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=random.getrandbits(32))
	    s.send(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=src, dst="ff02::1", hlim=255, nh=44) / Raw(bytes(fh) + body[:24]))
	s.close()
	PY
	sleep 1.2
	kill "$ra6pid"
	hwm1=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	kill -INT "$pid"
	wait "$pid" || true
	echo "VmHWM before ${hwm0} kB, after ${hwm1} kB"
	jq -c 'select(.type=="summary")' "$out"
	# the valid RAs sent before and during the flood are all reported, as valid
	[ "$(jq -c 'select(.type=="ra")|[.router,.valid]' "$out" | sort -u)" = "[\"$ROGUE\",true]" ]
	[ "$(jq -c 'select(.type=="ra")|.mtu' "$out" | head -1)" = 1480 ]
	[ "$(jq -c 'select(.type=="ra" and .mtu == 1400)' "$out" | wc -l)" -ge 2 ]
	s=$(jq -c 'select(.type=="summary")' "$out")
	rcv=$(jq .fragments.received <<<"$s")
	[ "$rcv" -ge 9900 ]		# a few may be lost to the capture buffer
	# every piece is accounted for: dropped at a bound, or held until the end
	[ "$(jq '.fragments.discarded | (.limit_datagrams // 0) + (.limit_bytes // 0) + (.limit_source // 0) + (.timeout // 0)' <<<"$s")" -eq "$rcv" ]
	[ "$(jq '.fragments.discarded.limit_datagrams' <<<"$s")" -ge $((rcv - 1024)) ]
	[ "$(jq '.fragments.held_bytes_max' <<<"$s")" -le $((4 * 1048576)) ]
	[ $((hwm1 - hwm0)) -lt 16384 ]	# kB: the reassembler's bounds, not the flood's size
}
