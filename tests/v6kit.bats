#!/usr/bin/env bats
# v6kit.bats - the multi-call frame: dispatch, --list/--version/--help/help,
# --options, errors, and the shell (pseudo-terminal and script modes).

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
	TMP=$(mktemp -d)
	export XDG_STATE_HOME=$TMP/state
	PTY="python3 $BATS_TEST_DIRNAME/lib/pty_drive.py"
}

teardown() {
	rm -rf "$TMP"
}

applets() {
	"$V6KIT" --list | cut -f1
}

@test "--list: one 'name<TAB>summary' line per applet, sorted, unique" {
	run "$V6KIT" --list
	[ "$status" -eq 0 ]
	[ -z "$(printf '%s' "$output" | tr -d '\n')" ] && skip "no applet built yet (list is empty)"
	while IFS= read -r line; do
		[[ $line =~ ^[a-z0-9][a-z0-9-]*$'\t'[^$'\t']+$ ]] || {
			echo "bad --list line: '$line'"
			return 1
		}
	done <<<"$output"
	[ "$(applets)" = "$(applets | LC_ALL=C sort -u)" ]
}

@test "--list output is parseable even when empty, and matches --help's applet section" {
	run "$V6KIT" --list
	[ "$status" -eq 0 ]
	run "$V6KIT" --help
	[ "$status" -eq 0 ]
	[[ $output == *"Applets:"* ]]
	# Every listed applet appears in --help, and --help lists no other.
	helped=$(printf '%s\n' "$output" | sed -n '/^Applets:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
	[ "$helped" = "$(applets)" ]
}

@test "--version prints 'v6kit X.Y.Z'" {
	run "$V6KIT" --version
	[ "$status" -eq 0 ]
	[[ $output =~ ^v6kit\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$V6KIT" -V
	[ "$status" -eq 0 ]
	[[ $output =~ ^v6kit\ [0-9] ]]
}

@test "--help and help: usage on stdout, exit 0" {
	run --separate-stderr "$V6KIT" --help
	[ "$status" -eq 0 ]
	[[ $output == "Usage: v6kit APPLET"* ]]
	[ -z "$stderr" ]
	run "$V6KIT" -h
	[ "$status" -eq 0 ]
	[[ $output == "Usage: v6kit APPLET"* ]]
	run "$V6KIT" help
	[ "$status" -eq 0 ]
	[[ $output == "Usage: v6kit APPLET"* ]]
}

@test "unknown applet: exit 2, message on stderr starting 'v6kit: '" {
	run --separate-stderr "$V6KIT" no-such-applet
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == "v6kit: "*"no-such-applet"* ]]
	run --separate-stderr "$V6KIT" help no-such-applet
	[ "$status" -eq 2 ]
	[[ $stderr == "v6kit: "*"no-such-applet"* ]]
}

@test "unknown option: exit 2, message and hint on stderr" {
	run --separate-stderr "$V6KIT" --no-such-option
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == "v6kit: "*"--no-such-option"* ]]
	[[ $stderr == *"--help"* ]]
}

@test "--options: needs a known applet" {
	run --separate-stderr "$V6KIT" --options
	[ "$status" -eq 2 ]
	[[ $stderr == "v6kit: "* ]]
	run --separate-stderr "$V6KIT" --options no-such-applet
	[ "$status" -eq 2 ]
	[[ $stderr == "v6kit: "* ]]
}

@test "--options APPLET: '--name' or '--name=' lines, --help among them" {
	[ -n "$(applets)" ] || skip "no applet built yet"
	for a in $(applets); do
		run "$V6KIT" --options "$a"
		[ "$status" -eq 0 ]
		while IFS= read -r o; do
			[[ $o =~ ^--[a-z0-9][a-z0-9-]*=?$ ]] || {
				echo "$a: bad option line '$o'"
				return 1
			}
		done <<<"$output"
		grep -qx -- --help <<<"$output" || {
			echo "$a: no --help in --options"
			return 1
		}
	done
}

@test "dispatch by first argument: v6kit APPLET --help == help APPLET" {
	[ -n "$(applets)" ] || skip "no applet built yet"
	for a in $(applets); do
		run --separate-stderr "$V6KIT" "$a" --help
		[ "$status" -eq 0 ] || { echo "$a --help: exit $status"; return 1; }
		[ -n "$output" ]
		first=$output
		run --separate-stderr "$V6KIT" help "$a"
		[ "$status" -eq 0 ]
		[ "$output" = "$first" ]
	done
}

@test "dispatch by argv[0]: a link named v6kit is the multi-call binary" {
	ln -s "$V6KIT" "$TMP/v6kit"
	run "$TMP/v6kit" --version
	[ "$status" -eq 0 ]
	[ "$output" = "$("$V6KIT" --version)" ]
	run "$TMP/v6kit" --list
	[ "$status" -eq 0 ]
	[ "$output" = "$("$V6KIT" --list)" ]
}

@test "dispatch by argv[0]: a link named after each applet runs that applet" {
	n=0
	for a in $(applets); do
		ln -s "$V6KIT" "$TMP/$a"
		run "$TMP/$a" --help
		[ "$status" -eq 0 ] || { echo "link $a --help: exit $status"; return 1; }
		[ "$output" = "$("$V6KIT" "$a" --help)" ]
		n=$((n + 1))
	done
	# Whatever the number of applets, every one was exercised.
	[ "$n" -eq "$("$V6KIT" --list | grep -c .)" ]
	# A link with a name that is no applet falls back to the multi-call frame.
	ln -s "$V6KIT" "$TMP/not-an-applet"
	run "$TMP/not-an-applet" --version
	[ "$status" -eq 0 ]
	[[ $output == "v6kit "* ]]
}

# ---- the shell, script mode --------------------------------------------

@test "script mode: 'help' from a pipe, no prompt" {
	run bash -c "printf 'help\n' | '$V6KIT'"
	[ "$status" -eq 0 ]
	[[ $output == *"Builtins:"* ]]
	[[ $output == *"exit"* ]]
	[[ $output != *"v6kit> "* ]]
	for a in $(applets); do
		[[ $output == *"$a"* ]]
	done
}

@test "script mode: blank lines and # comments are skipped; v6kit shell works too" {
	run bash -c "printf '\n# a comment\n   \nhelp # trailing comment\n' | '$V6KIT' shell"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'Builtins:' <<<"$output")" -eq 1 ]
	[[ $output != *"unknown"* ]]
}

@test "script mode: status is that of the last failing command" {
	run bash -c "printf 'help\nno-such-applet\nhelp\n' | '$V6KIT'"
	[ "$status" -eq 2 ]
	[[ $output == *"v6kit: unknown applet 'no-such-applet'"* ]]
	run bash -c "printf 'help\nhelp\n' | '$V6KIT'"
	[ "$status" -eq 0 ]
	run bash -c "printf 'exit 7\nno-such-applet\n' | '$V6KIT'"
	[ "$status" -eq 7 ]
	[[ $output != *"no-such-applet"* ]]
	run bash -c "printf 'no-such-applet\nexit\n' | '$V6KIT'"
	[ "$status" -eq 0 ]
}

@test "script mode: quoting errors are reported, the script goes on" {
	run bash -c "printf \"help 'unterminated\nhelp\n\" | '$V6KIT'"
	[ "$status" -eq 2 ]
	[[ $output == *"unterminated single quote"* ]]
	[[ $output == *"Builtins:"* ]]
}

@test "script mode: a script file given to v6kit shell" {
	printf 'help\nexit 4\n' >"$TMP/script"
	run "$V6KIT" shell "$TMP/script"
	[ "$status" -eq 4 ]
	[[ $output == *"Builtins:"* ]]
	run --separate-stderr "$V6KIT" shell "$TMP/no-such-script"
	[ "$status" -eq 2 ]
	[[ $stderr == "v6kit: "* ]]
}

@test "v6kit shell --help; bad shell arguments are usage errors" {
	run --separate-stderr "$V6KIT" shell --help
	[ "$status" -eq 0 ]
	[[ $output == *"v6kit shell [SCRIPT]"* ]]
	run --separate-stderr "$V6KIT" shell --bogus
	[ "$status" -eq 2 ]
	[[ $stderr == "v6kit: shell: unknown option '--bogus'"* ]]
	run --separate-stderr "$V6KIT" shell a b
	[ "$status" -eq 2 ]
	[[ $stderr == "v6kit: "* ]]
}

@test "script mode: each applet runs in a child and gets its arguments" {
	[ -n "$(applets)" ] || skip "no applet built yet"
	a=$(applets | head -n1)
	run bash -c "printf '%s --help\n' '$a' | '$V6KIT'"
	[ "$status" -eq 0 ]
	[ "$output" = "$("$V6KIT" "$a" --help)" ]
	run bash -c "printf 'help %s\n' '$a' | '$V6KIT'"
	[ "$status" -eq 0 ]
	[ "$output" = "$("$V6KIT" "$a" --help)" ]
	# A usage error in the child is reported with its status.
	run bash -c "printf '%s --no-such-option-xyz\n' '$a' | '$V6KIT'"
	[ "$status" -eq 2 ]
	[[ $output == *"v6kit: $a exited with status 2"* ]]
}

# ---- the shell on a terminal ------------------------------------------------

@test "pty: prompt, help, unknown command, Ctrl-D exits 0" {
	run $PTY 'expect=v6kit> ' 'send=help\r' 'expect=Builtins:' 'expect=v6kit> ' \
		'send=no-such-applet x\r' "expect=v6kit: unknown applet 'no-such-applet'" \
		'expect=v6kit> ' 'send=\x04' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "pty: 'v6kit shell' is the same shell; exit N sets the status" {
	run $PTY 'expect=v6kit> ' 'send=exit 5\r' -- "$V6KIT" shell
	echo "$output"
	[ "$status" -eq 5 ]
	run $PTY 'expect=v6kit> ' 'send=quit\r' -- "$V6KIT" shell
	[ "$status" -eq 0 ]
}

@test "pty: TAB completes builtins (hel -> help, ex -> exit)" {
	run $PTY 'expect=v6kit> ' 'send=hel\t\r' 'expect=Builtins:' 'expect=v6kit> ' \
		'send=ex\t\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"v6kit> help"* ]]
}

@test "pty: TAB completes file names for plain arguments" {
	mkdir "$TMP/cwd" && touch "$TMP/cwd/zzv6kit-unique-file"
	cd "$TMP/cwd"
	run $PTY 'expect=v6kit> ' 'send=no-such-applet zzv6\t\r' 'expect=unknown applet' \
		'expect=v6kit> ' 'send=exit\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"zzv6kit-unique-file"* ]]
}

@test "pty: TAB completes interface names after -i and --interface=" {
	command -v unshare >/dev/null && unshare -n true 2>/dev/null || skip "cannot create a network namespace"
	# A fresh namespace holds only 'lo'.
	run unshare -n $PTY 'expect=v6kit> ' 'send=no-such-applet -i l\t\r' 'expect=unknown applet' \
		'expect=v6kit> ' 'send=no-such-applet --interface=l\t\r' 'expect=unknown applet' \
		'expect=v6kit> ' 'send=exit\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"-i lo "* ]]
	[[ $output == *"--interface=lo "* ]]
}

@test "pty: TAB completes applet names and each applet's long options" {
	[ -n "$(applets)" ] || skip "no applet built yet"
	a=$(applets | head -n1)
	# An option whose name minus its last letter is no other option's prefix.
	opts=$("$V6KIT" --options "$a" | sed 's/=$//')
	opt=''
	for o in $opts; do
		p=${o%?}
		[ "$(grep -c -- "^$p" <<<"$opts")" -eq 1 ] && { opt=$o; break; }
	done
	[ -n "$opt" ]
	# Applet name: the name minus its last letter, when unambiguous.
	ap=${a%?}
	if [ "$( (applets; printf 'help\nexit\nquit\n') | grep -c -- "^$ap")" -ne 1 ]; then ap=$a; fi
	run $PTY 'expect=v6kit> ' "send=$ap\t${opt%?}\t\x15" 'sleep=0.3' 'send=exit\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"$a $opt"* ]]
}

@test "pty: history is written to \$XDG_STATE_HOME/v6kit/history" {
	run $PTY 'expect=v6kit> ' 'send=help\r' 'expect=v6kit> ' 'send=no-such-applet 42\r' \
		'expect=v6kit> ' 'send=\x04' -- "$V6KIT"
	[ "$status" -eq 0 ]
	[ -f "$XDG_STATE_HOME/v6kit/history" ]
	grep -qx 'help' "$XDG_STATE_HOME/v6kit/history"
	grep -qx 'no-such-applet 42' "$XDG_STATE_HOME/v6kit/history"
	# ...and read back: Up arrow (Ctrl-P) recalls the last line.
	run $PTY 'expect=v6kit> ' 'send=\x10\r' 'expect=unknown applet .no-such-applet' \
		'expect=v6kit> ' 'send=\x04' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "pty: history falls back to ~/.v6kit_history without XDG_STATE_HOME" {
	mkdir "$TMP/home"
	run env -u XDG_STATE_HOME HOME="$TMP/home" $PTY 'expect=v6kit> ' 'send=help\r' \
		'expect=v6kit> ' 'send=\x04' -- "$V6KIT"
	[ "$status" -eq 0 ]
	grep -qx 'help' "$TMP/home/.v6kit_history"
}

@test "pty: Ctrl-C at the prompt discards the line and keeps the shell" {
	run $PTY 'expect=v6kit> ' 'send=no-such-applet' 'sleep=0.2' 'send=\x03' 'expect=v6kit> ' \
		'send=exit 3\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output != *"unknown applet"* ]]
}

@test "pty: Ctrl-C of a running applet returns to the prompt" {
	"$V6KIT" --list | grep -q '^checksum' || skip "needs the checksum applet (reads stdin with --sum)"
	run $PTY 'expect=v6kit> ' 'send=checksum --sum\r' 'sleep=0.5' 'send=\x03' 'expect=v6kit> ' \
		'send=exit\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
}
