#!/usr/bin/env bats
# priv-lab.bats - least privilege without --user (issue 19 item 5): every
# live applet started as root drops, once set up, to the capabilities its
# man page lists under PRIVILEGES ("Capabilities kept after set-up:"), with
# NoNewPrivs 1 and the bounding and ambient sets cleared -- as the kernel
# reports them in /proc/PID/status -- and still does its job afterwards.
# Also: started unprivileged with ambient capabilities (systemd
# AmbientCapabilities=), dnsfrag works and ends up holding nothing.
#
#   a   a0 2001:db8::1/64 192.0.2.1/24 ---- b0 2001:db8::2/64 192.0.2.2/24   b

bats_require_minimum_version 1.5.0
load ../lib/lab

FX=$BATS_TEST_DIRNAME/../fixtures

setup_file() {
	command -v dig >/dev/null || { export LAB_UNAVAILABLE="needs dig"; return 0; }
	lab_require || return 0
	{
		lab_ns a && lab_ns b && lab_link a a0 b b0 &&
		lab_addr a a0 2001:db8::1/64 && lab_addr b b0 2001:db8::2/64 &&
		lab_addr a a0 192.0.2.1/24 && lab_addr b b0 192.0.2.2/24
	} || { lab_cleanup; return 1; }
}

setup() {
	lab_check
}

stop() {	# [SIGNAL]
	[ -z "${PID:-}" ] || { kill "-${1:-TERM}" "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	PID=
}

teardown() {
	stop
}

teardown_file() {
	lab_cleanup
}

# The capability names a man page keeps after set-up, for one case: the
# "Capabilities kept after set-up:" paragraph of its PRIVILEGES section
# lists "none" or NAMES, each optionally followed by "(with OPTION)".
man_keeps() {	# APPLET [CONDITION-OPTION]
	local para
	para=$(sed -n '/^\.SH PRIVILEGES/,/^\.SH /p' "$BATS_TEST_DIRNAME/../../man/v6kit-$1.1" |
		sed -n '/Capabilities kept after set-up:/,/^\.\(PP\|SH\)/p' | tr '\n' ' ')
	[ -n "$para" ] || { echo "man/v6kit-$1.1: no 'Capabilities kept after set-up:' in PRIVILEGES" >&2; return 1; }
	# "CAP_X (with --opt)" counts only when the case uses --opt; a bare CAP_X always.
	grep -oE 'CAP_[A-Z_]+( \\?\(with [^)]*\))?' <<<"$para" | while read -r cap cond; do
		if [ -z "$cond" ] || { cond=${cond//\\/}; [[ -n ${2:-} && $cond == *"$2"* ]]; }; then echo "$cap"; fi
	done
}

cap_mask() {	# CAP_NAMES... -> hex mask as in /proc/PID/status
	local m=0 c n
	for c in "$@"; do
		case $c in
		CAP_DAC_READ_SEARCH) n=2 ;;
		CAP_NET_BIND_SERVICE) n=10 ;;
		CAP_NET_ADMIN) n=12 ;;
		CAP_NET_RAW) n=13 ;;
		*) echo "unknown capability $c" >&2; return 1 ;;
		esac
		m=$((m | 1 << n))
	done
	printf '%016x\n' "$m"
}

field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$PID/status"; }

# start NS CMD...: CMD in the background as PID; waits for the drop.
start() {
	local ns=$1; shift
	lab_bg "$ns" "$@"
	PID=$LAB_BG_PID OUT=$LAB_BG_OUT ERR=$LAB_BG_ERR
	lab_wait 15 grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$PID/status" ||
		{ echo "no drop: $(cat "$ERR")"; return 1; }
	[ "$(cat "/proc/$PID/comm")" = v6kit ]
}

# check_drop APPLET [CONDITION-OPTION]: CapEff/CapPrm what the man page
# lists, nothing inheritable, ambient or in the bounding set, NoNewPrivs 1,
# one thread at the drop (threads started later inherit the same).
check_drop() {
	local want
	want=$(cap_mask $(man_keeps "$@")) || return 1
	echo "$1: CapEff $(field CapEff) CapPrm $(field CapPrm) CapBnd $(field CapBnd) want $want"
	[ "$(field CapEff)" = "$want" ]
	[ "$(field CapPrm)" = "$want" ]
	[ "$(field CapInh)" = 0000000000000000 ]
	[ "$(field CapAmb)" = 0000000000000000 ]
	[ "$(field CapBnd)" = 0000000000000000 ]
	[ "$(field NoNewPrivs)" = 1 ]
	for t in /proc/$PID/task/*; do
		[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "$t/status")" = "$want" ] || { echo "thread $t keeps more"; return 1; }
	done
}

@test "dnsfrag as root without --user: man page's capabilities only, still answers, reopens --log on SIGHUP" {
	start a "$V6KIT" dnsfrag -i a0 -l 2001:db8::1 --builtin 600 --log "$LAB_DIR/df.log"
	check_drop dnsfrag
	[ "$(field Uid | cut -f1)" = 0 ]
	run lab_exec b dig +time=3 +tries=2 @2001:db8::1 x.lab TXT
	[[ $output == *"status: NOERROR"* ]] || { echo "$output"; return 1; }
	mv "$LAB_DIR/df.log" "$LAB_DIR/df.log.1"
	kill -HUP "$PID"
	sleep 0.5
	run lab_exec b dig +time=3 +tries=2 @2001:db8::1 y.lab TXT
	[[ $output == *"status: NOERROR"* ]]
	lab_wait 5 grep -q '"qname":"y.lab' "$LAB_DIR/df.log"
	grep -q '"qname":"x.lab' "$LAB_DIR/df.log.1"
}

@test "dnsfrag unprivileged with ambient capabilities (systemd style): works, then holds nothing" {
	chmod 755 "$LAB_DIR"
	start a setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+net_raw,+net_bind_service --ambient-caps=+net_raw,+net_bind_service \
		"$V6KIT" dnsfrag -i a0 -l 2001:db8::1 --builtin 600
	[ "$(field Uid | cut -f1)" = 65534 ]
	[ "$(field CapEff)" = 0000000000000000 ]
	[ "$(field CapAmb)" = 0000000000000000 ]
	[ "$(field CapInh)" = 0000000000000000 ]
	[ "$(field NoNewPrivs)" = 1 ]
	run lab_exec b dig +time=3 +tries=2 @2001:db8::1 x.lab TXT
	[[ $output == *"status: NOERROR"* ]] || { echo "$output"; cat "$ERR"; return 1; }
}

@test "httpfrag as root without --user (send threads too), with and without --manage-host" {
	start a "$V6KIT" httpfrag -i a0 -l 2001:db8::1 --backend 2001:db8::2 --no-host-check --json
	lab_wait 10 grep -q ready "$OUT" || { cat "$ERR"; return 1; }
	check_drop httpfrag
	stop
	start a "$V6KIT" httpfrag -i a0 -l 2001:db8::1 --backend 2001:db8::2 --manage-host --json
	lab_wait 10 grep -q ready "$OUT" || { cat "$ERR"; return 1; }
	check_drop httpfrag --manage-host
}

@test "6in4-relay as root without --user: man page's capabilities only" {
	start a "$V6KIT" 6in4-relay -i a0 -l 192.0.2.1 --dest 2001:db8:99::1,192.0.2.2,02:00:00:00:00:02
	check_drop 6in4-relay
}

@test "ra-sniff -i --solicit and --gateway as root: drop after opening their sockets, still solicit" {
	start a "$V6KIT" ra-sniff -i a0 --solicit --timeout 20 --json
	check_drop ra-sniff
	sleep 4.5	# the second solicitation goes out after the drop
	stop INT
	jq -e -s '.[-1] | .type == "summary" and .solicitations >= 2' "$OUT" || { cat "$OUT" "$ERR"; return 1; }
	! grep -q 'sending the router solicitation' "$ERR"
	start a "$V6KIT" ra-sniff -i a0 --gateway --timeout 20
	check_drop ra-sniff
}

@test "pcap-replay -i as root: CAP_NET_RAW kept, a file only root could read still replays; --loop keeps CAP_DAC_READ_SEARCH" {
	local f="$LAB_DIR/private.pcap"
	cp "$FX/checksum/mixed.pcap" "$f" && chown 65534:65534 "$f" && chmod 600 "$f"
	start a "$V6KIT" pcap-replay -i a0 --pps 5 "$f"
	check_drop pcap-replay
	stop
	run -0 lab_exec a "$V6KIT" pcap-replay -i a0 --topspeed --json "$f"
	jq -e -s '.[-1].packets == 50' <<<"$output"
	run -0 lab_exec a "$V6KIT" pcap-replay -i a0 --topspeed --loop 3 --json "$f"
	jq -e -s '.[-1].packets == 150' <<<"$output"
	start a "$V6KIT" pcap-replay -i a0 --pps 5 --loop 0 "$f"
	check_drop pcap-replay --loop
}

# The daemons' exit rule (v6kit(1) EXIT STATUS): 0 once stopped when every
# frame went out, 1 (with a message giving the count) when any could not be
# sent.  A netfilter drop in the output hook makes the raw socket's send fail
# (EPERM), as a real send error would.
@test "daemon exit rule: dnsfrag exits 0 after clean sends, 1 after a send error, counted in send_errors" {
	lab_bg a "$V6KIT" dnsfrag --tx raw -l 2001:db8::1 --builtin 600 --json
	PID=$LAB_BG_PID OUT=$LAB_BG_OUT ERR=$LAB_BG_ERR
	lab_wait 10 lab_exec b dig +time=1 +tries=1 @2001:db8::1 ok.lab TXT >/dev/null
	kill -TERM "$PID"
	st=0
	wait "$PID" || st=$?
	PID=
	[ "$st" -eq 0 ] || { cat "$ERR"; return 1; }
	jq -e -s 'map(select(.type == "summary")) | .[-1] | .send_errors == 0 and .answered >= 1' "$OUT"
	! grep -q "failed" "$ERR"

	lab_exec a nft -f - <<'NFT'
table inet v6kitlab {
	chain out {
		type filter hook output priority 0;
		exthdr frag exists drop
	}
}
NFT
	lab_bg a "$V6KIT" dnsfrag --tx raw -l 2001:db8::1 --builtin 600 --json
	PID=$LAB_BG_PID OUT=$LAB_BG_OUT ERR=$LAB_BG_ERR
	sleep 1
	run lab_exec b dig +time=1 +tries=2 @2001:db8::1 lost.lab TXT
	kill -TERM "$PID"
	st=0
	wait "$PID" || st=$?
	PID=
	lab_exec a nft delete table inet v6kitlab
	[ "$st" -eq 1 ] || { echo "exit $st"; cat "$ERR"; return 1; }
	jq -e -s 'map(select(.type == "summary")) | .[-1].send_errors >= 1' "$OUT"
	jq -e -s 'any(.type == "error" and (.message | test("^[0-9]+ sends? failed")))' "$OUT"
	grep -q "^v6kit dnsfrag: [0-9]* sends\? failed" "$ERR"
}
