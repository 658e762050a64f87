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

# Each getopt error: exit 2, one "v6kit APPLET: MSG" line on stderr (plus at
# most the --help hint) and, with -j, one JSON error line whose message is MSG
# (EXPECTED-MESSAGE may end in a * glob).
getopt_error() {	# APPLET EXPECTED-MESSAGE ARGS...
	local a=$1 want=$2 line
	shift 2
	run --separate-stderr "$V6KIT" "$a" "$@"
	[ "$status" -eq 2 ] || { echo "$a $*: exit $status"; return 1; }
	[ "$(grep -c "^v6kit $a: " <<<"$stderr")" -eq 1 ] || { echo "$a $*: $stderr"; return 1; }
	line=$(grep "^v6kit $a: " <<<"$stderr")
	# shellcheck disable=SC2053 # want may end in a * glob
	[[ ${line#"v6kit $a: "} == $want ]] || { echo "$a $*: stderr '$line', want '$want'"; return 1; }
	[ "$(grep -vc "^v6kit $a: \|^Try 'v6kit $a --help'.\$" <<<"$stderr")" -eq 0 ] || { echo "$a $*: $stderr"; return 1; }
	if [[ " $* " == *" -j "* || " $* " == *" --json "* || " $* " == *" -j"[a-zA-Z]* ]]; then
		[ "$(jq -s 'length' <<<"$output")" -eq 1 ] || { echo "$a $*: $output"; return 1; }
		[[ $(jq -r 'select(.type == "error" and .applet == "'"$a"'") | .message' <<<"$output") == $want ]] ||
			{ echo "$a $*: JSON '$output', want '$want'"; return 1; }
	fi
}

@test "getopt errors say what is wrong, once, on stderr and in the JSON error line (every applet)" {
	for a in $(applets); do
		getopt_error "$a" "unrecognized option '--no-such-option'" -j --no-such-option
		getopt_error "$a" "unrecognized option '--no-such-option'" --no-such-option
		# a value missing (long and short form)
		getopt_error "$a" "option '--count' needs a value" -j --count
		getopt_error "$a" "option '-c' needs a value" -j -c
		# a value given to a flag
		getopt_error "$a" "option '--json' takes no value" -j --json=yes
		# unknown short option, alone and inside a cluster
		getopt_error "$a" "unknown option '-Z'" -j -Z
		getopt_error "$a" "unknown option '-Z'" -jZq
		# a bad value: the one parser's message form
		getopt_error "$a" "invalid --count value 'abc': not a decimal integer" -j --count abc
		getopt_error "$a" "invalid --count value '0': out of range (1..*)" -j --count 0
	done
}

@test "--frag-id and --tx: one parser, one message, wherever they exist" {
	for a in $(applets); do
		opts=$("$V6KIT" --options "$a")
		if grep -qx -- '--frag-id=' <<<"$opts"; then
			getopt_error "$a" "invalid --frag-id value 'often': expected random, sequential or a number 0..4294967295" -j --frag-id often
			getopt_error "$a" "invalid --frag-id value '4294967296': expected random, sequential or a number 0..4294967295" --frag-id 4294967296
		fi
		if grep -qx -- '--tx=' <<<"$opts"; then
			getopt_error "$a" "invalid --tx value 'pigeon': expected link or raw" -j --tx pigeon
		fi
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
