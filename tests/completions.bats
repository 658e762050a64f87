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
	run bash_complete v6kit ra-sniff -i "${first%?}"
	grep -qx -- "$first" <<<"$output"
	run bash_complete v6kit ra-sniff --interface ''
	[ "$(sort <<<"$output")" = "$(ls /sys/class/net | sort)" ]
	run bash_complete v6kit ra-sniff --interface = "${first%?}"
	grep -qx -- "$first" <<<"$output"
	ln -s "$V6KIT" "$TMP/bin/ra-sniff"
	run bash_complete ra-sniff -i ''
	[ "$(sort <<<"$output")" = "$(ls /sys/class/net | sort)" ]
}

@test "bash: interface names after pcap-replay --intf1 and httpfrag --backend-interface" {
	all=$(ls /sys/class/net | sort)
	run bash_complete v6kit pcap-replay --intf1 ''
	[ "$(sort <<<"$output")" = "$all" ] || { echo "--intf1: $output"; return 1; }
	run bash_complete v6kit pcap-replay --intf1 = ''
	[ "$(sort <<<"$output")" = "$all" ]
	run bash_complete v6kit httpfrag --backend-interface ''
	[ "$(sort <<<"$output")" = "$all" ] || { echo "--backend-interface: $output"; return 1; }
	run bash_complete v6kit httpfrag -i lo --backend-interface = ''
	[ "$(sort <<<"$output")" = "$all" ]
}

@test "bash: closed value sets: --tx, --order, --frag-id, --tx-method, --link" {
	run bash_complete v6kit dnsfrag --tx ''
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "link raw " ]
	run bash_complete v6kit httpfrag --tx = r
	[ "$output" = raw ]
	run bash_complete v6kit dnsfrag --order ''
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "in random reverse " ]
	run bash_complete v6kit dnsfrag --order r
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "random reverse " ]
	run bash_complete v6kit dnsfrag --frag-id ''
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "random sequential " ]
	run bash_complete v6kit dnsfrag --gateway-mac ''
	[ "$output" = auto ]
	run bash_complete v6kit pcap-replay --tx-method ''
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "auto mmsg packet pcap ring xdp " ]
	run bash_complete v6kit checksum --link ''
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "ether raw " ]
	ln -s "$V6KIT" "$TMP/bin/dnsfrag"
	run bash_complete dnsfrag -i lo --tx l
	[ "$output" = link ]
}

@test "bash: every value set of every applet, as the binary lists it" {
	for a in $(applets); do
		while IFS=$'\t' read -r opt vals; do
			case $vals in :*) continue ;; esac
			run bash_complete v6kit "$a" "$opt" ''
			[ "$(sort <<<"$output")" = "$(tr ' ' '\n' <<<"$vals" | sort)" ] ||
				{ echo "$a $opt: got '$output', want '$vals'"; return 1; }
		done < <("$V6KIT" --values "$a")
	done
}

@test "bash: an option whose value has no list offers nothing; --user offers users" {
	mkdir "$TMP/d" && touch "$TMP/d/some-file"
	cd "$TMP/d"
	run bash_complete v6kit dnsfrag --count ''
	[ -z "$output" ]
	run bash_complete v6kit httpfrag --mss = ''
	[ -z "$output" ]
	run bash_complete v6kit dnsfrag --user roo
	grep -qx root <<<"$output"
	# an option with no value: the next word is a plain argument (files)
	run bash_complete v6kit pcap-replay --topspeed some
	[ "$output" = some-file ]
}

@test "--values: the table names only options its applets have; its words are what they accept" {
	# The raw table: APPLET<TAB>--OPTION<TAB>VALUES ("*" = every applet with it).
	run "$V6KIT" --values
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	while IFS=$'\t' read -r a opt vals; do
		[ -n "$vals" ] || { echo "$a $opt: no values"; return 1; }
		if [ "$a" = '*' ]; then
			found=0
			for b in $(applets); do "$V6KIT" --options "$b" | grep -qx -- "$opt=" && found=1; done
			[ "$found" = 1 ] || { echo "no applet has $opt"; return 1; }
		else
			"$V6KIT" --options "$a" | grep -qx -- "$opt=" || { echo "$a has no option $opt (taking a value)"; return 1; }
		fi
	done <<<"$output"
	# Each closed word passes the applet's parser (no "invalid --OPT value";
	# the run then stops at the missing interface or goes on); a made-up
	# word is refused by it with exit 2.
	pcap=$TOP/tests/fixtures/checksum/mixed.pcap
	for a in $(applets); do
		case $a in
		checksum) base=(--hex 00) ;;
		dnsfrag) base=(-i nosuch0 --builtin 600) ;;
		httpfrag) base=(-i nosuch0 -l 2001:db8::1 --backend 2001:db8::2) ;;
		pcap-replay) base=(-i nosuch0 "$pcap") ;;
		ra-sniff) base=(-i nosuch0) ;;
		6in4-relay) base=(-i nosuch0 --dest 2001:db8::1,192.0.2.1,02:00:00:00:00:01) ;;
		*) base=() ;;
		esac
		while IFS=$'\t' read -r opt vals; do
			case $vals in :*) continue ;; esac
			[ ${#base[@]} -gt 0 ] || { echo "no minimal arguments for $a in this test"; return 1; }
			for v in $vals; do
				run "$V6KIT" "$a" "${base[@]}" "$opt" "$v"
				[[ $output != *"invalid $opt value"* ]] || { echo "$a $opt $v refused: $output"; return 1; }
			done
			run "$V6KIT" "$a" "${base[@]}" "$opt" no-such-word
			[ "$status" -eq 2 ] || { echo "$a $opt no-such-word: status $status"; return 1; }
			[[ $output == *"invalid $opt value 'no-such-word'"* ]] || { echo "$a $opt no-such-word: $output"; return 1; }
		done < <("$V6KIT" --values "$a")
	done
}

@test "--values: short forms; unknown applet is a usage error" {
	run "$V6KIT" --values ra-sniff
	[ "$status" -eq 0 ]
	grep -qx -- $'-i\t:interface' <<<"$output"
	grep -qx -- $'--interface\t:interface' <<<"$output"
	run "$V6KIT" --values pcap-replay
	[ "$(grep -c -- $'^-i\t' <<<"$output")" -eq 1 ]	# --interface and its alias --intf1: one -i
	grep -qx -- $'--intf1\t:interface' <<<"$output"
	run "$V6KIT" --values no-such-applet
	[ "$status" -eq 2 ]
	[[ $output == *"--values needs an applet name"* ]]
	run bash_complete v6kit --val
	[ "$output" = --values ]
	run bash_complete v6kit --values dns
	[ "$output" = dnsfrag ]
}

@test "bash: file names after -r/-w and for plain arguments" {
	mkdir "$TMP/d" && touch "$TMP/d/capture-one.pcap" "$TMP/d/capture-two.pcap"
	cd "$TMP/d"
	run bash_complete v6kit checksum -r cap
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "capture-one.pcap capture-two.pcap " ]
	run bash_complete v6kit checksum --write = capture-o
	[ "$output" = capture-one.pcap ]
	run bash_complete v6kit checksum capture-t
	[ "$output" = capture-two.pcap ]
	run bash_complete v6kit 6in4-relay --table capture-t
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
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit ra-sniff -i '
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(ls /sys/class/net | sort)" ]
}

@test "zsh: interface names after pcap-replay --intf1 and httpfrag --backend-interface(=)" {
	command -v zsh >/dev/null || skip "zsh not installed"
	for line in 'v6kit pcap-replay --intf1 ' 'v6kit httpfrag --backend-interface ' \
		'v6kit httpfrag -i lo --backend-interface='; do
		run "$TOP/tests/lib/zsh_complete.sh" "$line"
		echo "$line: $output"
		[ "$status" -eq 0 ]
		[ "$(sort <<<"$output")" = "$(ls /sys/class/net | sort)" ]
	done
}

@test "zsh: closed value sets (--tx, --order=, --tx-method, --link); nothing after --count" {
	command -v zsh >/dev/null || skip "zsh not installed"
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit dnsfrag --tx '
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "link raw " ]
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit dnsfrag --order='
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "in random reverse " ]
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit pcap-replay --tx-method '
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "auto mmsg packet pcap ring xdp " ]
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit checksum --link '
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "ether raw " ]
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit httpfrag --frag-id '
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "random sequential " ]
	run "$TOP/tests/lib/zsh_complete.sh" 'v6kit dnsfrag --count '
	echo "--count: $output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
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

@test "shell TAB: option values from the same table (--tx, --intf1, --frag-id=)" {
	command -v unshare >/dev/null && unshare -n true 2>/dev/null || skip "cannot create a network namespace"
	# A fresh namespace holds only 'lo'.  Each completed line runs (and
	# fails on the missing arguments), which shows it whole.
	run unshare -n /usr/bin/python3 "$TOP/tests/lib/pty_drive.py" 'expect=v6kit> ' \
		'send=dnsfrag --tx l\t\r' 'expect=v6kit> ' 'send=pcap-replay --intf1 l\t\r' 'expect=v6kit> ' \
		'send=httpfrag --frag-id=s\t\r' 'expect=v6kit> ' 'send=exit\r' -- "$V6KIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"dnsfrag --tx link "* ]]
	[[ $output == *"pcap-replay --intf1 lo "* ]]
	[[ $output == *"httpfrag --frag-id=sequential "* ]]
}
