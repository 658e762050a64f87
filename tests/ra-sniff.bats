#!/usr/bin/env bats
# ra-sniff.bats - the ra-sniff applet offline: golden RAs built by scapy
# (tests/fixtures/ra/gen.py) checked field by field in --json, each RFC 4861
# violation reported, bad files and every golden RA cut at every length.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?}"
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	FX=$TOP/tests/fixtures/ra
}

ra_json() {	# $1 = fixture name: the first "ra" line of --json output
	"$V6KIT" ra-sniff -r "$FX/$1.pcap" --json | jq -c 'select(.type == "ra")' | head -1
}

@test "--help prints usage and exits 0" {
	run "$V6KIT" ra-sniff --help
	[ "$status" -eq 0 ]
	[[ $output == *"--solicit"* ]]
	[[ $output == *"--gateway"* ]]
}

@test "long options for completions and the shell" {
	run "$V6KIT" --options ra-sniff
	[ "$status" -eq 0 ]
	for o in --interface= --read= --count= --timeout= --solicit --once --gateway --json; do
		grep -qx -- "$o" <<<"$output" || { echo "missing $o"; return 1; }
	done
}

@test "usage errors exit 2" {
	run "$V6KIT" ra-sniff
	[ "$status" -eq 2 ]
	run "$V6KIT" ra-sniff -i lo -r "$FX/rich.pcap"
	[ "$status" -eq 2 ]
	run "$V6KIT" ra-sniff -r "$FX/rich.pcap" --solicit
	[ "$status" -eq 2 ]
	run "$V6KIT" ra-sniff -i lo --timeout abc
	[ "$status" -eq 2 ]
	[[ $output == *"invalid --timeout value 'abc'"* ]]
	run "$V6KIT" ra-sniff -r "$FX/rich.pcap" -c 0
	[ "$status" -eq 2 ]
	run "$V6KIT" ra-sniff -r "$FX/rich.pcap" --bogus
	[ "$status" -eq 2 ]
}

@test "missing, garbage and empty files are bad input (exit 2)" {
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/nope.pcap"
	[ "$status" -eq 2 ]
	[[ $output == "v6kit ra-sniff: "* ]]
	head -c 300 /dev/urandom >"$BATS_TEST_TMPDIR/garbage.pcap"
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/garbage.pcap"
	[ "$status" -eq 2 ]
	: >"$BATS_TEST_TMPDIR/empty.pcap"
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/empty.pcap"
	[ "$status" -eq 2 ]
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/garbage.pcap" --json
	[ "$status" -eq 2 ]
	[ "$(jq -r .type <<<"${lines[-1]}")" = error ]
}

@test "rich RA: every header field and option in --json" {
	j=$(ra_json rich)
	[ -n "$j" ]
	t() { [ "$(jq -c "$1" <<<"$j")" = "$2" ] || { echo "$1: got $(jq -c "$1" <<<"$j"), want $2"; return 1; }; }
	t .ts '"2023-11-14T22:13:20.250000Z"'
	t .router '"fe80::1"'
	t .destination '"ff02::1"'
	t .mac '"02:00:00:00:00:01"'
	t .hop_limit 64
	t .flags '{"managed":true,"other":true,"home_agent":false,"proxy":true,"preference":"high","reserved":0}'
	t .router_lifetime 1800
	t .reachable_time 30000
	t .retrans_timer 1000
	t .slla '"02:00:00:00:00:aa"'
	t .mtu 1480
	t '.prefixes|length' 2
	t '.prefixes[0]' '{"prefix":"2001:db8:1::","length":64,"on_link":true,"autonomous":true,"router_address":false,"valid_lifetime":86400,"preferred_lifetime":14400}'
	t '.prefixes[1]' '{"prefix":"2001:db8:2::","length":56,"on_link":true,"autonomous":false,"router_address":true,"valid_lifetime":4294967295,"preferred_lifetime":4294967295}'
	t '.routes' '[{"prefix":"2001:db8:100::","length":48,"preference":"high","lifetime":3600},{"prefix":"::","length":0,"preference":"low","lifetime":600},{"prefix":"2001:db8:aaaa:bbbb:cccc::","length":80,"preference":"medium","lifetime":4294967295}]'
	t '.rdnss' '[{"servers":["2001:db8::53","2001:db8::54"],"lifetime":600}]'
	t '.dnssl' '[{"domains":["example.com","lab.example.org"],"lifetime":1200}]'
	t '.pref64' '{"prefix":"64:ff9b::","length":96,"lifetime":1800}'
	t .captive_portal '"https://portal.example/api"'
	t .nonce '"0102030405060708090a0b0c0d0e"'
	t .unknown_options '[]'
	t .violations '[]'
	t .valid true
	t .truncated false
}

@test "rich RA: human output modelled on rdisc6" {
	run "$V6KIT" ra-sniff -r "$FX/rich.pcap"
	[ "$status" -eq 0 ]
	[[ $output == *"from fe80::1 (02:00:00:00:00:01)"* ]]
	grep -Eq '^Router preference +: +high$' <<<"$output"
	grep -Eq '^ Prefix +: 2001:db8:2::/56$' <<<"$output"
	grep -Eq '^  Valid time +: +infinite \(0xffffffff\)$' <<<"$output"
	grep -Eq '^ Route +: 2001:db8:aaaa:bbbb:cccc::/80$' <<<"$output"
	[ "$(grep -c '^ Recursive DNS server' <<<"$output")" -eq 2 ]
	grep -Eq '^ DNS search list +: lab.example.org$' <<<"$output"
	grep -Eq '^ MTU +: +1480 bytes$' <<<"$output"
	grep -q '^1 packets, 1 router advertisements (0 with violations)$' <<<"$output"
}

@test "minimal RA: flags clear, lifetime 0, optional fields null" {
	j=$(ra_json minimal)
	[ "$(jq -c '[.flags.managed,.flags.other,.flags.proxy,.flags.preference,.router_lifetime,.reachable_time]' <<<"$j")" = '[false,false,false,"medium",0,0]' ]
	[ "$(jq -c '[.slla,.mtu,.pref64,.captive_portal,.nonce,.prefixes,.violations]' <<<"$j")" = '[null,null,null,null,null,[],[]]' ]
}

violation() {	# $1 fixture, $2 expected violation substring: it is the only one
	j=$(ra_json "$1")
	v=$(jq -r '.violations[]' <<<"$j")
	echo "violations of $1: $v"
	[ "$(jq '.violations|length' <<<"$j")" -eq 1 ]
	[[ $v == *"$2"* ]]
	[ "$(jq .valid <<<"$j")" = false ]
}

@test "violation: option with length 0 (and decoding stops there)" {
	violation zero_len_opt "option type 5 at offset 24 has length 0"
	[ "$(jq -c '[.slla,.mtu]' <<<"$j")" = '["02:00:00:00:00:aa",null]' ]
}

@test "violation: option extending past the message" {
	violation opt_past_end "option type 3 at offset 24 (32 octets) extends past the end"
	[ "$(jq '.mtu' <<<"$j")" = 1400 ]
}

@test "violation: bad ICMPv6 checksum" {
	violation bad_checksum "bad ICMPv6 checksum 0x1234"
}

@test "violation: hop limit 64" {
	violation hop_limit_64 "IP hop limit 64 is not 255"
}

@test "violation: global source address" {
	violation global_source "source address is not link-local"
	[ "$(jq -r .router <<<"$j")" = 2001:db8::1 ]
}

@test "violation: ICMP code 1" {
	violation code_1 "ICMP code 1 is not 0"
}

@test "violation: ICMP length below 16" {
	violation short_icmp "ICMP length 8 is below 16"
}

@test "an unknown option is kept as type/length/hex and later options still decode" {
	j=$(ra_json unknown_then_known)
	[ "$(jq -c .unknown_options <<<"$j")" = '[{"type":200,"length":2,"hex":"0102030405060708090a0b0c0d0e"},{"type":253,"length":1,"hex":"aabbccddeeff"}]' ]
	[ "$(jq .mtu <<<"$j")" = 1500 ]
	[ "$(jq -c .rdnss <<<"$j")" = '[{"servers":["2001:db8::1","2001:db8::2","2001:db8::3"],"lifetime":4294967295}]' ]
	[ "$(jq -c .violations <<<"$j")" = '[]' ]
}

@test "malformed DNSSL: compression pointer and label overrun are violations; names before survive" {
	violation dnssl_pointer "compression pointer"
	[ "$(jq -c .dnssl <<<"$j")" = '[{"domains":["foo"],"lifetime":300}]' ]
	[ "$(jq .mtu <<<"$j")" = 1400 ]
	violation dnssl_overrun "label runs past the option"
	[ "$(jq -c .dnssl <<<"$j")" = '[{"domains":[],"lifetime":300}]' ]
	[ "$(jq .mtu <<<"$j")" = 1400 ]
}

@test "DNSSL labels with odd octets are escaped as dig does" {
	j=$(ra_json dnssl_escape)
	[ "$(jq -r '.dnssl[0].domains[0]' <<<"$j")" = 'a\.b\001.c\032d' ]
}

@test "Linux cooked and raw-IPv6 captures decode too" {
	j=$(ra_json sll)
	[ "$(jq -c '[.mac,.slla,.router_lifetime]' <<<"$j")" = '["02:00:00:00:00:01","02:00:00:00:00:aa",900]' ]
	j=$(ra_json raw)
	[ "$(jq -c '[.mac,.mtu,.valid]' <<<"$j")" = '[null,9000,true]' ]
}

@test "RAs behind an 802.1Q tag or a Hop-by-Hop header are decoded" {
	[ "$(ra_json vlan | jq -c '[.mtu,.router_lifetime,.valid,.extension_headers,.fragmented]')" = '[1500,600,true,[],false]' ]
	[ "$(ra_json hbh | jq -c '[.mtu,.router_lifetime,.valid,.extension_headers,.fragmented,.violations]')" = \
		'[1500,600,false,["hop-by-hop"],false,["extension headers before ICMPv6 (RFC 7113 evasion)"]]' ]
}

@test "RA-Guard evasion: RAs behind 8- and 200-octet Destination Options headers" {
	for f in dst8 dst200; do
		j=$(ra_json $f)
		[ "$(jq -c '[.mtu,.router_lifetime,.extension_headers,.fragmented,.valid,.violations]' <<<"$j")" = \
			'[1500,600,["destination"],false,false,["extension headers before ICMPv6 (RFC 7113 evasion)"]]' ]
	done
	run "$V6KIT" ra-sniff -r "$FX/dst200.pcap" --json
	[ "$(jq -c 'select(.type=="summary")|[.ras,.invalid,.extension_headers,.fragmented]' <<<"$output")" = '[1,1,1,0]' ]
}

# The rich RA of rich.pcap: every field but the violations, and how it travelled.
rich_fields='del(.ts,.violations,.valid,.extension_headers,.fragmented,.fragments,.checksum)'

@test "RA-Guard evasion: RAs in 2 and 6 fragments, in order and reversed, decode as the whole RA" {
	whole=$(ra_json rich | jq -c "$rich_fields")
	for f in frag2:2 frag6:6 frag6_reverse:6; do
		n=${f#*:} f=${f%:*}
		run "$V6KIT" ra-sniff -r "$FX/$f.pcap" --json
		[ "$status" -eq 0 ]
		j=$(jq -c 'select(.type=="ra")' <<<"$output")
		[ "$(jq -c "$rich_fields" <<<"$j")" = "$whole" ] || { echo "$f: $j"; return 1; }
		[ "$(jq -c '[.extension_headers,.fragmented,.fragments,.valid,.violations]' <<<"$j")" = \
			"[[\"fragment\"],true,$n,false,[\"fragmented RA (RFC 6980)\"]]" ]
		[ "$(jq -c 'select(.type=="summary")|[.packets,.ras,.fragmented,.fragments.received,.fragments.reassembled]' <<<"$output")" = "[$n,1,1,$n,1]" ]
	done
}

@test "RA-Guard evasion: Hop-by-Hop before the fragments, 200-octet Destination Options after them" {
	j=$(ra_json frag_hbh)
	[ "$(jq -c '[.extension_headers,.fragments,.violations]' <<<"$j")" = \
		'[["hop-by-hop","fragment"],2,["fragmented RA (RFC 6980)","extension headers before ICMPv6 (RFC 7113 evasion)"]]' ]
	# the ICMPv6 header is in the second fragment: only reassembly finds it
	j=$(ra_json frag_dst200)
	[ "$(jq -c '[.extension_headers,.fragments,.mtu,.router_lifetime]' <<<"$j")" = '[["fragment","destination"],2,1480,1800]' ]
}

@test "RA-Guard evasion: an RA behind Hop-by-Hop, Destination Options and Routing headers" {
	[ "$(ra_json chain | jq -c '[.mtu,.extension_headers,.fragmented,.violations]')" = \
		'[1500,["hop-by-hop","destination","routing"],false,["extension headers before ICMPv6 (RFC 7113 evasion)"]]' ]
}

@test "an atomic fragment (RFC 6946) carrying an RA is a fragmented RA" {
	[ "$(ra_json atomic | jq -c '[.extension_headers,.fragmented,.fragments,.violations]')" = \
		'[["fragment"],true,1,["fragmented RA (RFC 6980)"]]' ]
}

@test "overlapping fragments (RFC 5722) are discarded and counted; the plain RA after them is reported" {
	run "$V6KIT" ra-sniff -r "$FX/frag_overlap.pcap" --json
	[ "$status" -eq 0 ]
	[ "$(grep -c '"type":"ra"' <<<"$output")" -eq 1 ]
	[ "$(jq -c 'select(.type=="ra")|[.fragmented,.mtu,.valid]' <<<"$output")" = '[false,1400,true]' ]
	[ "$(jq -c 'select(.type=="summary")|[.ras,.fragmented,.fragments.received,.fragments.reassembled,.fragments.discarded]' <<<"$output")" = \
		'[1,0,3,0,{"overlap":3}]' ]
	run "$V6KIT" ra-sniff -r "$FX/frag_overlap.pcap"
	[[ $output == *"3 fragments, 0 datagrams rebuilt, discarded: overlap 3"* ]]
}

@test "fragmented non-RA traffic is not reassembled; an incomplete RA is counted at the end" {
	run "$V6KIT" ra-sniff -r "$FX/frag_incomplete.pcap" --json
	[ "$status" -eq 1 ]
	[ "$(jq -c 'select(.type=="summary")|[.packets,.ras,.fragments.received,.fragments.discarded]' <<<"$output")" = '[2,0,1,{"timeout":1}]' ]
}

@test "--gateway ignores a fragmented RA (RFC 6980): exit 1 with the reason, -v says so" {
	run --separate-stderr "$V6KIT" ra-sniff -r "$FX/frag2.pcap" --gateway
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == "v6kit ra-sniff: no default router: the only RAs in the capture were fragmented (1 ignored"*"RFC 6980)"* ]]
	run --separate-stderr "$V6KIT" ra-sniff -r "$FX/frag6_reverse.pcap" --gateway -v
	[ "$status" -eq 1 ]
	[[ $stderr == *"ignoring a fragmented RA from fe80::1 (6 fragments): hosts discard it (RFC 6980)"* ]]
	# behind a Hop-by-Hop header a host still takes it: a gateway
	run "$V6KIT" ra-sniff -r "$FX/hbh.pcap" --gateway
	[ "$status" -eq 0 ]
	[ "$output" = 02:00:00:00:00:01 ]
}

@test "non-RA packets are skipped and counted; summary line" {
	run "$V6KIT" ra-sniff -r "$FX/mixed.pcap" --json
	[ "$status" -eq 0 ]
	[ "$(grep -c '"type":"ra"' <<<"$output")" -eq 1 ]
	[ "$(jq -c 'select(.type=="summary")|[.packets,.ras,.invalid]' <<<"$output")" = '[3,1,0]' ]
}

@test "a capture without any RA exits 1" {
	/usr/bin/python3 - "$FX/mixed.pcap" "$BATS_TEST_TMPDIR/nora.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
out, off, n = [d[:24]], 24, 0
while off < len(d):
    cl = struct.unpack("<I", d[off + 8:off + 12])[0]
    if n != 1:
        out.append(d[off:off + 16 + cl])
    off += 16 + cl; n += 1
open(sys.argv[2], "wb").write(b"".join(out))
PY
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/nora.pcap"
	[ "$status" -eq 1 ]
	[[ $output == *"2 packets, 0 router advertisements"* ]]
}

@test "-r - reads stdin; -c and --once stop early" {
	run bash -c "cat '$FX/rich.pcap' | '$V6KIT' ra-sniff -r - --json"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.type=="ra")|.mtu' <<<"$output")" = 1480 ]
	/usr/bin/python3 - "$FX" "$BATS_TEST_TMPDIR/three.pcap" <<'PY'
import sys
fx, out = sys.argv[1], sys.argv[2]
parts = [open("%s/%s.pcap" % (fx, n), "rb").read() for n in ("rich", "minimal", "hop_limit_64")]
open(out, "wb").write(parts[0] + parts[1][24:] + parts[2][24:])
PY
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/three.pcap" --json
	[ "$(grep -c '"type":"ra"' <<<"$output")" -eq 3 ]
	[ "$(jq -c 'select(.type=="summary")|[.packets,.ras,.invalid]' <<<"$output")" = '[3,3,1]' ]
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/three.pcap" --json -c 2
	[ "$(grep -c '"type":"ra"' <<<"$output")" -eq 2 ]
	run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/three.pcap" --json --once
	[ "$(grep -c '"type":"ra"' <<<"$output")" -eq 1 ]
	[ "$(jq -r 'select(.type=="ra")|.mtu' <<<"$output")" = 1480 ]
}

@test "--gateway prints only the SLLA of the first valid RA with a router lifetime" {
	run "$V6KIT" ra-sniff -r "$FX/rich.pcap" --gateway
	[ "$status" -eq 0 ]
	[ "$output" = 02:00:00:00:00:aa ]
	# no SLLA option: the Ethernet source
	run "$V6KIT" ra-sniff -r "$FX/mixed.pcap" --gateway
	[ "$status" -eq 0 ]
	[ "$output" = 02:00:00:00:00:01 ]
	run "$V6KIT" ra-sniff -r "$FX/rich.pcap" --gateway --json
	[ "$(jq -c '[.type,.mac,.router]' <<<"$output")" = '["gateway","02:00:00:00:00:aa","fe80::1"]' ]
	# router lifetime 0 is not a default router; an invalid RA is discarded
	run --separate-stderr "$V6KIT" ra-sniff -r "$FX/minimal.pcap" --gateway
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# the failure is reported (SPEC §2: exit 1 = a failure the job reports)
	[[ $stderr == "v6kit ra-sniff: "*"no default router"* ]]
	run --separate-stderr "$V6KIT" ra-sniff -r "$FX/minimal.pcap" --gateway --json
	[ "$status" -eq 1 ]
	[ "$(jq -r 'select(.type == "error") | .applet' <<<"$output")" = ra-sniff ]
	run --separate-stderr "$V6KIT" ra-sniff -r "$FX/minimal.pcap" --gateway -q
	[ "$status" -eq 1 ]
	[ -z "$output" ] && [ -z "$stderr" ]
	run "$V6KIT" ra-sniff -r "$FX/hop_limit_64.pcap" --gateway
	[ "$status" -eq 1 ]
	# a raw-IP capture has no link-layer source and no SLLA here
	run "$V6KIT" ra-sniff -r "$FX/raw.pcap" --gateway
	[ "$status" -eq 1 ]
}

@test "a capture cut inside a record: RAs before it reported, then exit 1" {
	f=$BATS_TEST_TMPDIR/cut.pcap
	cat "$FX/rich.pcap" >"$f"
	tail -c +25 "$FX/minimal.pcap" | head -c 40 >>"$f"
	run "$V6KIT" ra-sniff -r "$f" --json
	[ "$status" -eq 1 ]
	[ "$(grep -c '"type":"ra"' <<<"$output")" -eq 1 ]
	grep -q '"type":"error"' <<<"$output"
}

@test "every golden RA cut at every capture length: truncation reported, never a crash" {
	for p in "$FX"/*.pcap; do
		n=$(basename "$p" .pcap)
		/usr/bin/python3 "$FX/snap.py" "$p" "$BATS_TEST_TMPDIR/$n.snap.pcap"
		run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/$n.snap.pcap" --json
		[ "$status" -le 1 ] || { echo "$n: exit $status"; return 1; }
		jq -e . >/dev/null <<<"$output" || { echo "$n: bad JSON"; return 1; }
		# every RA decoded from a cut frame says so
		bad=$(jq -c 'select(.type=="ra" and (.truncated|not))' <<<"$output")
		[ -z "$bad" ] || { echo "$n: cut frame not flagged: $bad"; return 1; }
		# a cut fragment cannot be reassembled: counted, never decoded
		if [[ $n == frag* ]]; then
			[ "$(jq 'select(.type=="summary")|.fragments.discarded.truncated' <<<"$output")" -ge 1 ] ||
				{ echo "$n: cut fragments not counted"; return 1; }
			continue
		fi
		# cuts that keep the ICMPv6 type are still decoded as RAs
		[[ $n == not_ra* ]] ||
			[ "$(jq 'select(.type=="summary")|.ras' <<<"$output")" -ge 1 ] || { echo "$n: no RA decoded"; return 1; }
		run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/$n.snap.pcap"
		[ "$status" -le 1 ] || { echo "$n text: exit $status"; return 1; }
	done
}

@test "the whole file cut at every 7th length never crashes" {
	p=$FX/rich.pcap
	size=$(stat -c %s "$p")
	for ((i = 0; i < size; i += 7)); do
		head -c "$i" "$p" >"$BATS_TEST_TMPDIR/c.pcap"
		run "$V6KIT" ra-sniff -r "$BATS_TEST_TMPDIR/c.pcap" --json
		[ "$status" -le 2 ] || { echo "cut at $i: exit $status"; return 1; }
	done
}

@test "-q quiets the human text only: with --json the summary line stays" {
	run --separate-stderr "$V6KIT" ra-sniff -q -r "$FX/rich.pcap"
	[ "$status" -eq 0 ]
	[[ $output != *"packets,"* ]]
	run --separate-stderr "$V6KIT" ra-sniff -q --json -r "$FX/rich.pcap"
	[ "$status" -eq 0 ]
	[ "$(jq -r .type <<<"$output" | tr '\n' ' ')" = "ra summary " ]
}
