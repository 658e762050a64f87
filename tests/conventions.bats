#!/usr/bin/env bats
# conventions.bats - SPEC §2 conventions checked on every applet in
# `v6kit --list` (so applets that land later are covered too), and the
# offline-input rules on the applets that read captures.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?}"
	FX=$BATS_TEST_DIRNAME/fixtures
	TMP=$(mktemp -d)
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
	DEST="--dest 2001:db8::1,192.0.2.1,02:00:00:00:00:01"
}

teardown() {
	rm -rf "$TMP"
}

load lib/known_gaps

applets() {
	"$V6KIT" --list | cut -f1
}

# Offline arguments each capture-reading applet needs besides -r.
offline_args() {
	case $1 in
	6in4-relay) echo "$DEST" ;;
	*) echo "" ;;
	esac
}

@test "unknown option: exit 2; every stderr line is 'v6kit APPLET: ' or the hint" {
	for a in $(applets); do
		run --separate-stderr "$V6KIT" "$a" --no-such-option
		[ "$status" -eq 2 ] || { echo "$a: exit $status"; return 1; }
		[ -z "$output" ]
		[[ $stderr == *"--no-such-option"* ]] || { echo "$a: option not named: $stderr"; return 1; }
		while IFS= read -r l; do
			[[ $l == "v6kit $a: "* || $l == "Try 'v6kit $a --help'." ]] || {
				echo "$a: unprefixed stderr line '$l'"
				return 1
			}
		done <<<"$stderr"
	done
}

@test "usage errors with --json: also an error line {type,applet,message} on stdout" {
	for a in $(applets); do
		for j in -j --json; do
			run --separate-stderr "$V6KIT" "$a" $j --no-such-option
			[ "$status" -eq 2 ] || { echo "$a $j: exit $status"; return 1; }
			jq -e --arg a "$a" -s 'length >= 1 and all(.type == "error" and .applet == $a and (.message | type) == "string")' <<<"$output" >/dev/null ||
				{ echo "$a $j: no JSON error line: '$output'"; return 1; }
		done
	done
}

@test "-h and --help: usage on stdout, nothing on stderr, exit 0" {
	for a in $(applets); do
		for h in -h --help; do
			run --separate-stderr "$V6KIT" "$a" $h
			[ "$status" -eq 0 ] && [ -n "$output" ] && [ -z "$stderr" ] || { echo "$a $h"; return 1; }
		done
	done
}

@test "offline: missing file exits 2, with a JSON error line under -j" {
	for a in checksum ra-sniff 6in4-relay; do
		run --separate-stderr "$V6KIT" "$a" -r "$TMP/none.pcap" $(offline_args $a)
		[ "$status" -eq 2 ] || { echo "$a: exit $status"; return 1; }
		[[ $stderr == "v6kit $a: "* ]]
		run --separate-stderr "$V6KIT" "$a" -j -r "$TMP/none.pcap" $(offline_args $a)
		[ "$status" -eq 2 ]
		jq -e --arg a "$a" 'select(.type == "error") | .applet == $a' <<<"$output" >/dev/null
		# Unreadable (a directory, or mode 000 read as nobody) is bad input too.
		run "$V6KIT" "$a" -r "$TMP" $(offline_args $a)
		[ "$status" -eq 2 ] || { echo "$a dir: exit $status"; return 1; }
		cp "$FX/ra/minimal.pcap" "$TMP/x.pcap" && chmod 000 "$TMP/x.pcap" && chmod 755 "$TMP"
		run $NOBODY "$V6KIT" "$a" -r "$TMP/x.pcap" $(offline_args $a)
		[ "$status" -eq 2 ] || { echo "$a unreadable: exit $status"; return 1; }
		rm -f "$TMP/x.pcap"
	done
}

@test "offline: a truncated capture is processed up to the cut, reported, exit 1, summary line" {
	for a in checksum ra-sniff 6in4-relay; do
		run --separate-stderr "$V6KIT" "$a" -j -r "$FX/checksum/truncated.pcap" $(offline_args $a)
		[ "$status" -eq 1 ] || { echo "$a: exit $status"; return 1; }
		[[ $stderr == *"v6kit $a: "*"truncated"* ]]
		# "file" and "packet" (the record that could not be read) apply here.
		jq -e -s --arg a "$a" 'any(.type == "error" and .applet == $a and (.file | endswith("truncated.pcap")) and .packet == 34)' <<<"$output" >/dev/null ||
			{ echo "$a: error line lacks file/packet: $output"; return 1; }
		jq -e -s '.[-1] | .type == "summary" and .packets == 33 and (.elapsed_s | type) == "number"' <<<"$output" >/dev/null ||
			{ echo "$a: $output"; return 1; }
	done
}

@test "offline: -r - reads stdin, as nobody with no capabilities and no -i" {
	for a in checksum ra-sniff 6in4-relay; do
		run --separate-stderr bash -c "$NOBODY '$V6KIT' $a -j -r - $(offline_args $a) < '$FX/ra/rich.pcap'"
		[ "$status" -eq 0 ] || { echo "$a: exit $status $stderr"; return 1; }
		jq -e -s '.[-1] | .type == "summary" and .packets == 1' <<<"$output" >/dev/null ||
			{ echo "$a: $output"; return 1; }
		jq -e -s 'all(has("type"))' <<<"$output" >/dev/null
	done
}

@test "getopt errors say what is wrong, once, on stderr and in the JSON error line" {
	for a in checksum ra-sniff 6in4-relay; do
		# unknown long option
		run --separate-stderr "$V6KIT" "$a" -j --no-such-option
		[ "$status" -eq 2 ]
		[ "$(jq -r .message <<<"$output")" = "unrecognized option '--no-such-option'" ] || { echo "$a: $output"; return 1; }
		[ "$(grep -c "^v6kit $a: " <<<"$stderr")" -eq 1 ] || { echo "$a: $stderr"; return 1; }
		# a value missing (long and short form)
		run --separate-stderr "$V6KIT" "$a" -j --read
		[ "$status" -eq 2 ]
		[ "$(jq -r .message <<<"$output")" = "option '--read' needs a value" ] || { echo "$a: $output"; return 1; }
		run --separate-stderr "$V6KIT" "$a" -j -r
		[ "$(jq -r .message <<<"$output")" = "option '-r' needs a value" ] || { echo "$a: $output"; return 1; }
		# a value given to a flag
		run --separate-stderr "$V6KIT" "$a" -j --json=yes
		[ "$status" -eq 2 ]
		[ "$(jq -r .message <<<"$output")" = "option '--json' takes no value" ] || { echo "$a: $output"; return 1; }
		# unknown short option, alone and inside a cluster
		run --separate-stderr "$V6KIT" "$a" -j -Z
		[ "$(jq -r .message <<<"$output")" = "unknown option '-Z'" ] || { echo "$a: $output"; return 1; }
		run --separate-stderr "$V6KIT" "$a" -jZq
		[ "$status" -eq 2 ]
		[[ $stderr == "v6kit $a: unknown option '-Z'"* ]] || { echo "$a: $stderr"; return 1; }
	done
}

@test "-q: no text summary; with --json the summary line is still written" {
	for a in checksum ra-sniff 6in4-relay; do
		run --separate-stderr "$V6KIT" "$a" -r "$FX/ra/rich.pcap" $(offline_args $a)
		[[ $output == *packets* ]] || { echo "$a: no text summary without -q: $output"; return 1; }
		run --separate-stderr "$V6KIT" "$a" -q -r "$FX/ra/rich.pcap" $(offline_args $a)
		[ "$status" -eq 0 ]
		[[ $output != *packets* ]] || { echo "$a -q: $output"; return 1; }
		run --separate-stderr "$V6KIT" "$a" -q -j -r "$FX/ra/rich.pcap" $(offline_args $a)
		jq -e -s '.[-1].type == "summary"' <<<"$output" >/dev/null || { echo "$a -q -j: $output"; return 1; }
	done
}

@test "SPEC §2 option table: every applet has -h -j -q -v; the others keep their letter where taken" {
	problems=
	for a in $(applets); do
		opts=$("$V6KIT" --options "$a")
		help=$("$V6KIT" "$a" --help)
		for pair in h:help j:json q:quiet v:verbose i:interface r:read w:write c:count; do
			l=${pair%%:*} name=${pair#*:}
			case $l in
			h | j | q | v) grep -qx -- "--$name" <<<"$opts" || problems+="$a: no --$name"$'\n' ;;
			*) grep -qx -- "--$name=" <<<"$opts" || continue ;;
			esac
			grep -Eq -- "-$l, --$name\b" <<<"$help" || problems+="$a: --help does not show '-$l, --$name'"$'\n'
		done
		# --timeout takes seconds (a value) wherever it exists
		if grep -q -- '^--timeout' <<<"$opts"; then
			grep -qx -- '--timeout=' <<<"$opts" || problems+="$a: --timeout takes no value"$'\n'
		fi
	done
	check_known_gaps letters "$problems"
}
