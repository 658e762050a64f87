#!/usr/bin/env bats
# completions.bats - completions/v6kit.bash (called the way bash calls it)
# and completions/_v6kit (a real zsh with compinit on a pseudo-terminal).

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TMP=$(mktemp -d)
	# The completions find "v6kit" on PATH, as after make install.
	mkdir "$TMP/bin"
	ln -s "$V6KIT" "$TMP/bin/v6kit"
	export PATH="$TMP/bin:$PATH"
}

teardown() {
	rm -rf "$TMP"
}

applets() {
	"$V6KIT" --list | cut -f1
}

# Complete words "$@" (the last one is being completed) with the bash file;
# prints COMPREPLY one a line.
bash_complete() {
	bash -c 'source "$1/completions/v6kit.bash"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_v6kit && printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP" "$@"
}

@test "bash: file parses and passes shellcheck when available" {
	bash -n "$TOP/completions/v6kit.bash"
	if command -v shellcheck >/dev/null; then
		shellcheck -s bash "$TOP/completions/v6kit.bash"
	fi
}

@test "bash: registers _v6kit for v6kit and every applet" {
	run bash -c 'source "$1/completions/v6kit.bash"; complete -p' _ "$TOP"
	[ "$status" -eq 0 ]
	[[ $output == *"complete -F _v6kit v6kit"* ]]
	for a in $(applets); do
		grep -q -- "-F _v6kit $a\$" <<<"$output" || { echo "no completion for $a"; return 1; }
	done
}

@test "bash: registers the name it is loaded under (per-applet symlink)" {
	ln -s "$TOP/completions/v6kit.bash" "$TMP/some-applet"
	run bash -c 'source "$1"; complete -p some-applet' _ "$TMP/some-applet"
	[ "$status" -eq 0 ]
	[[ $output == *"-F _v6kit some-applet"* ]]
}

@test "bash: first word: applet names and the frame's own words" {
	run bash_complete v6kit ''
	[ "$status" -eq 0 ]
	for w in help shell --list --version --help $(applets); do
		grep -qx -- "$w" <<<"$output" || { echo "missing $w"; return 1; }
	done
	run bash_complete v6kit he
	[ "$output" = help ]
	run bash_complete v6kit --ver
	[ "$output" = --version ]
}

@test "bash: each applet name completes from a prefix; help APPLET too" {
	[ -n "$(applets)" ] || skip "no applet built yet"
	for a in $(applets); do
		run bash_complete v6kit "${a%?}"
		grep -qx -- "$a" <<<"$output" || { echo "v6kit ${a%?}: $output"; return 1; }
		run bash_complete v6kit help "${a%?}"
		grep -qx -- "$a" <<<"$output" || { echo "v6kit help ${a%?}: $output"; return 1; }
	done
}

@test "bash: long options of each applet, via v6kit and via its link" {
	[ -n "$(applets)" ] || skip "no applet built yet"
	for a in $(applets); do
		expected=$("$V6KIT" --options "$a" | sort)
		run bash_complete v6kit "$a" --
		[ "$(sort <<<"$output")" = "$expected" ] || { echo "$a: $output"; return 1; }
		ln -s "$V6KIT" "$TMP/bin/$a"
		run bash_complete "$a" --
		[ "$(sort <<<"$output")" = "$expected" ] || { echo "link $a: $output"; return 1; }
	done
}

@test "bash: interface names after -i, --interface and --interface=" {
	first=$(ls /sys/class/net | head -n1)
	run bash_complete v6kit some-applet -i "${first%?}"
	grep -qx -- "$first" <<<"$output"
	run bash_complete v6kit some-applet --interface ''
	[ "$(sort <<<"$output")" = "$(ls /sys/class/net | sort)" ]
	run bash_complete v6kit some-applet --interface = "${first%?}"
	grep -qx -- "$first" <<<"$output"
}

@test "bash: file names after -r/-w and for plain arguments" {
	mkdir "$TMP/d" && touch "$TMP/d/capture-one.pcap" "$TMP/d/capture-two.pcap"
	cd "$TMP/d"
	run bash_complete v6kit some-applet -r cap
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "capture-one.pcap capture-two.pcap " ]
	run bash_complete v6kit some-applet --write = capture-o
	[ "$output" = capture-one.pcap ]
	run bash_complete v6kit some-applet capture-t
	[ "$output" = capture-two.pcap ]
}

@test "zsh: file parses" {
	command -v zsh >/dev/null || skip "zsh not installed (tests/deps.sh installs it)"
	zsh -n "$TOP/completions/_v6kit"
	head -n1 "$TOP/completions/_v6kit" | grep -q '^#compdef v6kit'
}

@test "zsh: #compdef names every applet" {
	command -v zsh >/dev/null || skip "zsh not installed"
	for a in $(applets); do
		head -n1 "$TOP/completions/_v6kit" | grep -qw -- "$a" || { echo "$a missing from #compdef"; return 1; }
	done
}

@test "zsh: completes the first word (help, shell, applets) in a real zsh" {
	command -v zsh >/dev/null || skip "zsh not installed"
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit '
	echo "$output"
	[ "$status" -eq 0 ]
	for w in help shell --list --version $(applets); do
		grep -qx -- "$w" <<<"$output" || { echo "missing $w"; return 1; }
	done
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit she'
	[ "$status" -eq 0 ]
	[ "$output" = shell ]
}

@test "zsh: interface names after -i" {
	command -v zsh >/dev/null || skip "zsh not installed"
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit some-applet -i '
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(ls /sys/class/net | sort)" ]
}

@test "zsh: long options of an applet" {
	command -v zsh >/dev/null || skip "zsh not installed"
	[ -n "$(applets)" ] || skip "no applet built yet"
	a=$(applets | head -n1)
	run "$TOP/tests/lib/zsh_complete.sh" "v6kit $a --"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$("$V6KIT" --options "$a" | sort)" ]
}
