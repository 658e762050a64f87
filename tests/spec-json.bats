#!/usr/bin/env bats
# spec-json.bats - every JSON field SPEC §2 ("JSON lines - the stable names")
# fixes for checksum, ra-sniff and 6in4-relay is present, with its JSON type,
# on real fixture output; every such name is documented in the man page;
# addresses are RFC 5952 text, MACs lower-case colon form, ts RFC 3339 UTC µs.

bats_require_minimum_version 1.5.0

setup_file() {
	: "${V6KIT:?V6KIT must point at the binary}"
	RFX=$(mktemp -d)
	export RFX
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/relay/gen.py" "$RFX" >/dev/null
}

teardown_file() {
	rm -rf "$RFX"
}

setup() {
	FX=$BATS_TEST_DIRNAME/fixtures
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TMP=$(mktemp -d)
}

teardown() {
	rm -rf "$TMP"
}

# check_lines TYPE 'jq boolean over one line' : every line of that type in
# $output satisfies it, and there is at least one.
check_lines() {
	local n
	n=$(jq -c --arg t "$1" 'select(.type == $t)' <<<"$output" | grep -c .) || true
	[ "$n" -ge 1 ] || { echo "no '$1' line"; return 1; }
	jq -e -s --arg t "$1" "map(select(.type == \$t)) | all($2)" <<<"$output" >/dev/null || {
		echo "a '$1' line fails: $2"
		jq -c --arg t "$1" "select(.type == \$t) | select(($2) | not)" <<<"$output" | head -3
		return 1
	}
}

TS='(.ts | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"))'
MAC='test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")'
# Canonical IPv6 text: no upper case, no leading zeros, no "0:0" runs left
# uncompressed, at most one "::".  (fmt_ip6 is unit-tested in full; this
# catches output that bypassed it.)
IP6='(type == "string" and test("^[0-9a-f:.]+$") and (test("(^|:)0[0-9a-f]") | not) and (test("(^|:)0:0(:|$)") | not) and ([scan("::")] | length <= 1))'
IP4='(type == "string" and test("^([0-9]{1,3}\\.){3}[0-9]{1,3}$"))'
EVERY_LINE_TYPED='all(has("type") and (.type | type) == "string")'

# documented APPLET NAME... : each name appears in bold in man/v6kit-APPLET.1.
documented() {
	local page=$TOP/man/v6kit-$1.1 f
	shift
	for f in "$@"; do
		sed 's/\\-/-/g' "$page" | grep -Eq "^\.(B|BR|RB|BI|IB) (.*[^a-z_])?$f([^a-z_]|\$)" ||
			{ echo "$page does not document '$f'"; return 1; }
	done
}

@test "checksum: checksum and summary lines carry every SPEC field with its type" {
	run --separate-stderr "$V6KIT" checksum -j -v -r "$FX/checksum/mixed.pcap"
	[ "$status" -eq 1 ]
	jq -e -s "$EVERY_LINE_TYPED" <<<"$output" >/dev/null
	check_lines checksum '(.packet | type == "number" and . >= 1)
		and (.layer | IN("ipv4", "tcp", "udp", "icmp", "icmpv6"))
		and (.stored | type == "string" and test("^0x[0-9a-f]{4}$"))
		and (.computed | type == "string" and test("^0x[0-9a-f]{4}$"))
		and (.status | IN("bad", "good", "none"))
		and (.reassembled | type == "boolean") and (.fixed | type == "boolean")'
	# -v shows good ones too; every status value the SPEC names occurs.
	jq -e -s '[.[] | select(.type == "checksum") | .status] | unique == ["bad", "good", "none"]' <<<"$output" >/dev/null
	check_lines summary '(.packets | type == "number") and (.elapsed_s | type == "number")
		and (.fixed | type == "number")
		and (.checked | type == "object" and (keys - ["ipv4", "tcp", "udp", "icmp", "icmpv6"] == []) and all(.[]; type == "number"))
		and (.bad | type == "object" and all(.[]; type == "number"))
		and (.skipped | type == "object" and all(.[]; type == "number"))'
	# reassembled is true on a reassembled datagram; fixed true under --fix.
	run --separate-stderr "$V6KIT" checksum -j -v -r "$FX/checksum/tunnelfrag.pcap"
	jq -e -s 'any(.type == "checksum" and .reassembled == true)' <<<"$output" >/dev/null
	run --separate-stderr "$V6KIT" checksum -j --fix -r "$FX/checksum/mixed.pcap" -w "$TMP/f.pcap"
	[ "$status" -eq 0 ]
	check_lines checksum '.fixed == true'
	check_lines summary '.fixed > 0'
	documented checksum type packet layer stored computed status reassembled fixed \
		packets checked bad skipped elapsed_s
}

@test "ra-sniff: ra lines carry every SPEC field with its type" {
	run --separate-stderr "$V6KIT" ra-sniff -j -r "$FX/ra/rich.pcap"
	[ "$status" -eq 0 ]
	jq -e -s "$EVERY_LINE_TYPED" <<<"$output" >/dev/null
	check_lines ra "$TS"' and (.router | '"$IP6"') and (.mac | '"$MAC"')
		and (.hop_limit | type == "number")
		and (.flags | type == "object" and (.managed, .other, .home_agent, .proxy | type == "boolean")
			and (.preference | IN("low", "medium", "high", "reserved")))
		and (.router_lifetime, .reachable_time, .retrans_timer | type == "number")
		and (.slla | '"$MAC"') and (.mtu | type == "number")
		and (.prefixes | type == "array" and length > 0 and all(
			(.prefix | '"$IP6"') and (.length | type == "number")
			and (.on_link, .autonomous, .router_address | type == "boolean")
			and (.valid_lifetime, .preferred_lifetime | type == "number")))
		and (.rdnss | type == "array" and length > 0 and all(
			(.servers | type == "array" and all(.[]; '"$IP6"')) and (.lifetime | type == "number")))
		and (.dnssl | type == "array" and length > 0 and all(
			(.domains | type == "array" and all(.[]; type == "string")) and (.lifetime | type == "number")))
		and (.routes | type == "array" and length > 0 and all(
			(.prefix | '"$IP6"') and (.length | type == "number")
			and (.preference | IN("low", "medium", "high", "reserved")) and (.lifetime | type == "number")))
		and (.pref64 | type == "object") and (.captive_portal | type == "string")
		and (.nonce | type == "string")
		and (.unknown_options | type == "array") and (.violations | type == "array" and all(.[]; type == "string"))'
	check_lines summary '(.packets | type == "number") and (.elapsed_s | type == "number")'
	# Absent options are still present (null or empty), so scripts need no has().
	run --separate-stderr "$V6KIT" ra-sniff -j -r "$FX/ra/minimal.pcap"
	check_lines ra 'has("slla") and has("mtu") and has("pref64") and has("captive_portal") and has("nonce")
		and (.prefixes, .rdnss, .dnssl, .routes, .unknown_options, .violations | type == "array")'
	# unknown options: type, length (numbers), hex (string); violations named.
	run --separate-stderr "$V6KIT" ra-sniff -j -r "$FX/ra/unknown_then_known.pcap"
	check_lines ra '.unknown_options | length > 0 and all((.type, .length | type == "number") and (.hex | type == "string" and test("^[0-9a-f]*$")))'
	run --separate-stderr "$V6KIT" ra-sniff -j -r "$FX/ra/hop_limit_64.pcap"
	check_lines ra '.violations | length > 0'
	documented ra-sniff ts router mac hop_limit flags managed other home_agent proxy preference \
		router_lifetime reachable_time retrans_timer slla mtu prefixes prefix length on_link \
		autonomous router_address valid_lifetime preferred_lifetime rdnss servers lifetime \
		dnssl domains routes pref64 captive_portal nonce unknown_options hex violations \
		packets elapsed_s
}

@test "6in4-relay: relay, drop and summary lines carry every SPEC field with its type" {
	run --separate-stderr "$V6KIT" 6in4-relay -r "$RFX/in.pcap" --table "$RFX/table" -l 192.0.2.2 \
		--tunnel-server 198.51.100.1 --outbound --log-packets -j -w "$TMP/o.pcap"
	[ "$status" -eq 0 ]
	jq -e -s "$EVERY_LINE_TYPED" <<<"$output" >/dev/null
	# Outbound relays too: outer_src is the outer IPv4 source (our -l address).
	check_lines relay "$TS"' and (.outer_src | '"$IP4"') and (.inner_src, .inner_dst | '"$IP6"')
		and (.mode | IN("6in4", "raw", "outbound"))'
	check_lines drop "$TS"' and (.outer_src | '"$IP4"' or . == null)
		and (.inner_src, .inner_dst | '"$IP6"' or . == null) and (.reason | type == "string")'
	jq -e -s 'any(.type == "relay" and .mode == "outbound" and .outer_src == "192.0.2.2")' <<<"$output" >/dev/null
	check_lines summary '(.packets | type == "number") and (.elapsed_s | type == "number")
		and (.relayed | type == "object" and all(.[]; type == "number") and (keys | all(.[]; '"$IP6"' or test("/"))))
		and (.outbound | type == "number")
		and (.dropped | type == "object" and all(.[]; type == "number")
			and (["not_proto41", "bad_outer_header", "bad_outer_checksum", "outer_fragment",
			      "tunnel_server_mismatch", "bad_inner_header", "bad_inner_source",
			      "no_destination", "not_allowed", "truncated"] - keys == []))'
	documented 6in4-relay ts outer_src inner_src inner_dst mode reason relayed outbound dropped \
		not_proto41 bad_outer_header bad_outer_checksum outer_fragment tunnel_server_mismatch \
		bad_inner_header bad_inner_source no_destination not_allowed truncated packets elapsed_s
}

# undocumented APPLET ARGS... : every field name the run emits (keys of every
# object, at any depth; relayed{} is keyed by table entries, not names) that
# neither man/v6kit-APPLET.1 nor v6kit.1 (the fields common to all) documents.
undocumented() {
	local a=$1 f
	shift
	"$V6KIT" "$@" 2>/dev/null | jq -r 'del(.relayed) | [.. | objects | keys[]] | .[]' | sort -u |
		while read -r f; do
			documented "$a" "$f" >/dev/null || documented_in "$TOP/man/v6kit.1" "$f" || echo "$a: $f"
		done
}

documented_in() {
	sed 's/\\-/-/g; s/\\(dq/"/g' "$1" | grep -Eq "^\.(B|BR|RB|BI|IB) (.*[^a-z_])?$2([^a-z_]|\$)"
}

@test "every field any of the three applets emits on the fixtures is documented" {
	local out=
	out+=$(undocumented checksum checksum -j -v -r "$FX/checksum/mixed.pcap")$'\n'
	out+=$(undocumented checksum checksum -j -v -r "$FX/checksum/tunnelfrag.pcap")$'\n'
	out+=$(undocumented checksum checksum -j -r "$FX/checksum/truncated.pcap")$'\n'
	out+=$(undocumented checksum checksum -j --hex 00)$'\n'
	for f in "$FX"/ra/*.pcap; do
		out+=$(undocumented ra-sniff ra-sniff -j -r "$f")$'\n'
		out+=$(undocumented ra-sniff ra-sniff -j --gateway -r "$f")$'\n'
	done
	out+=$(undocumented 6in4-relay 6in4-relay -r "$RFX/in.pcap" --table "$RFX/table" -l 192.0.2.2 \
		--tunnel-server 198.51.100.1 --outbound --log-packets -j)
	out+=$(undocumented 6in4-relay 6in4-relay -r "$FX/checksum/truncated.pcap" --table "$RFX/table" -j)$'\n'
	out=$(grep . <<<"$out" | sort -u) || true
	[ -z "$out" ] || { echo "undocumented fields:"; echo "$out"; return 1; }
}
