#!/usr/bin/env bats
# man.bats - every man/*.1 renders without a groff warning; v6kit.1 agrees
# with the binary.

load lib/known_gaps

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
}

@test "every man/*.1 renders with no groff or man warning" {
	command -v groff >/dev/null || skip "groff not installed (tests/deps.sh installs it)"
	n=0
	for page in "$TOP"/man/*.1; do
		warn=$(groff -man -ww -t -z "$page" 2>&1)
		[ -z "$warn" ] || { echo "$page: $warn"; return 1; }
		if command -v man >/dev/null; then
			for width in 70 80 120; do
				warn=$(LC_ALL=C.UTF-8 MANWIDTH=$width man --warnings -l "$page" 2>&1 >/dev/null)
				[ -z "$warn" ] || { echo "$page (width $width): $warn"; return 1; }
			done
		fi
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}

@test "every man page has NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, SEE ALSO" {
	for page in "$TOP"/man/*.1; do
		for s in NAME SYNOPSIS DESCRIPTION '"?EXIT STATUS"?' '"?SEE ALSO"?'; do
			grep -Eq "^\.SH $s\$" "$page" || { echo "$page: no section $s"; return 1; }
		done
	done
}

@test "v6kit.1 names every built applet and its page; each built applet has a page" {
	: "${V6KIT:?}"
	for a in $("$V6KIT" --list | cut -f1); do
		esc=${a//-/\\\\-}
		grep -q "^\.B $esc\$" "$TOP/man/v6kit.1" || { echo "v6kit.1 does not describe $a"; return 1; }
		grep -q "BR v6kit\\\\-$esc (1)" "$TOP/man/v6kit.1" || { echo "v6kit.1 lacks v6kit-$a(1)"; return 1; }
		[ -f "$TOP/man/v6kit-$a.1" ] || { echo "no man/v6kit-$a.1"; return 1; }
	done
	# The SPEC applets are all there, built or not.
	for a in checksum ra-sniff dnsfrag httpfrag pcap-replay 6in4-relay; do
		grep -q "^\.B ${a//-/\\\\-}\$" "$TOP/man/v6kit.1"
	done
}

@test "v6kit.1 documents the common options, exit codes, history file" {
	page=$TOP/man/v6kit.1
	for o in help json quiet verbose interface read write count timeout; do
		grep -q "\\\\-\\\\-$o" "$page" || { echo "no --$o"; return 1; }
	done
	grep -q 'XDG_STATE_HOME/v6kit/history' "$page"
	grep -q '\.v6kit_history' "$page"
	for c in 0 1 2 3; do grep -q "^\.B $c\$" "$page"; done
}

# Long options a text names: "--name" words (man pages escape '-' as '\-').
long_opts_in() {
	sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1" | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

@test "every applet: --options, --help and its man page name the same long options" {
	: "${V6KIT:?}"
	n=0 problems=
	for a in $("$V6KIT" --list | cut -f1); do
		page=$TOP/man/v6kit-$a.1
		[ -f "$page" ] || { echo "no $page"; return 1; }
		opts=$("$V6KIT" --options "$a" | sed 's/=$//' | sort -u)
		help=$("$V6KIT" "$a" --help >"$BATS_TMPDIR/h.$$"; long_opts_in "$BATS_TMPDIR/h.$$")
		man=$(long_opts_in "$page")
		rm -f "$BATS_TMPDIR/h.$$"
		for o in $opts; do
			grep -qx -- "$o" <<<"$help" || problems+="$a: $o missing from --help"$'\n'
			grep -qx -- "$o" <<<"$man" || problems+="$a: $o missing from its man page"$'\n'
		done
		for o in $help; do
			grep -qx -- "$o" <<<"$opts" || problems+="$a: --help names $o, which is no option"$'\n'
		done
		# Every --word of the page is an option of the applet, or a deliberate
		# cross-reference listed as "APPLET --option" in tests/man-foreign.txt.
		for o in $man; do
			grep -qx -- "$o" <<<"$opts" || grep -qxF -- "$a $o" "$BATS_TEST_DIRNAME/man-foreign.txt" ||
				problems+="$a: its man page names $o, which is no option (a cross-reference? list '$a $o' in tests/man-foreign.txt)"$'\n'
		done
		n=$((n + 1))
	done
	[ "$n" -eq "$("$V6KIT" --list | grep -c .)" ]
	check_known_gaps options "$problems"
}

@test "every applet's man page has EXIT STATUS and EXAMPLES" {
	: "${V6KIT:?}"
	for a in $("$V6KIT" --list | cut -f1); do
		page=$TOP/man/v6kit-$a.1
		grep -Eq '^\.SH "?EXIT STATUS"?$' "$page" || { echo "$page: no EXIT STATUS"; return 1; }
		grep -Eq '^\.SH "?EXAMPLES?"?$' "$page" || { echo "$page: no EXAMPLES"; return 1; }
	done
}

@test "the frame's own options (--list, --version, --help, --options) are in v6kit --help and v6kit.1" {
	: "${V6KIT:?}"
	help=$("$V6KIT" --help)
	for o in --list --version --help --options; do
		grep -q -- "$o" <<<"$help" || { echo "v6kit --help lacks $o"; return 1; }
		grep -q -- "${o//-/\\\\-}" "$TOP/man/v6kit.1" || { echo "v6kit.1 lacks $o"; return 1; }
	done
}
