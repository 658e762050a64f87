#!/usr/bin/env bash
# demo.sh - `make demo`: the main job on embedded defaults.  A two-namespace
# lab (client, server), `v6kit dnsfrag --builtin` in the server namespace, a
# real dig query from the client answered through IPv6 fragments, then the
# JSON log and the fragment sizes seen on the wire.  Needs root.
# It never pretends: without the applets or the lab helpers it says what is
# missing and exits 0.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
V6KIT=${V6KIT:-$top/build/v6kit}

say() { printf '\n== %s\n' "$*"; }

if [ ! -x "$V6KIT" ]; then
	echo "demo: $V6KIT is not built; run 'make' first" >&2
	exit 1
fi
applets=$("$V6KIT" --list | cut -f1)
say "v6kit $("$V6KIT" --version | cut -d' ' -f2): applets built"
if [ -n "$applets" ]; then "$V6KIT" --list | sed 's/^/   /'; else echo "   (none yet)"; fi

lab_missing() {
	echo "What the demo shows once every piece is built: a two-namespace lab,"
	echo "'v6kit dnsfrag --builtin' answering a real 'dig' query with IPv6 fragments,"
	echo "its JSON log and the fragment sizes on the wire."
	echo "Meanwhile: 'make check' runs every test; 'v6kit' starts the shell."
}

if [ ! -f "$top/tests/lib/lab.bash" ]; then
	say "the demo cannot run yet: tests/lib/lab.bash (the network-namespace lab) is not built"
	grep -qx dnsfrag <<<"$applets" || echo "The dnsfrag applet is not built yet either."
	lab_missing
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: network namespaces need root; try: sudo make demo" >&2
	exit 3
fi

# lab.bash is written for bats; outside bats a "skip" ends the demo.
# shellcheck disable=SC2317 # called by lab.bash
skip() { echo "demo: cannot build the lab: $*" >&2; exit 3; }
# shellcheck source=/dev/null
. "$top/tests/lib/lab.bash"
trap lab_cleanup EXIT
trap 'exit 130' INT TERM
lab_require || exit 3

say "lab: namespaces client and server, one veth link"
lab_ns client && lab_ns server && lab_link client c0 server s0 || exit 3
lab_addr client c0 2001:db8:d::1/64 && lab_addr server s0 2001:db8:d::53/64 || exit 3
echo "   client 2001:db8:d::1 (c0)  <-->  server 2001:db8:d::53 (s0)"
if command -v ping >/dev/null; then
	lab_exec client ping -6 -c 1 -W 2 2001:db8:d::53 | sed -n 's/^/   /; /bytes from/p'
fi

if ! grep -qx dnsfrag <<<"$applets" || ! command -v dig >/dev/null; then
	say "the demo stops here: it needs the dnsfrag applet and dig, and"
	grep -qx dnsfrag <<<"$applets" || echo "   the dnsfrag applet is not built yet."
	command -v dig >/dev/null || echo "   dig is missing (dnsutils; run 'make deps')."
	lab_missing
	exit 0
fi
lab_capture client c0 "$LAB_DIR/wire.pcap" ip6 || exit 3

say "server: v6kit dnsfrag -i s0 -l 2001:db8:d::53 --builtin 1500 --frag-size 512 --json"
lab_bg server "$V6KIT" dnsfrag -i s0 -l 2001:db8:d::53 --builtin 1500 --frag-size 512 --json
dnsfrag_pid=$LAB_BG_PID dnsfrag_out=$LAB_BG_OUT dnsfrag_err=$LAB_BG_ERR
sleep 1
if ! kill -0 "$dnsfrag_pid" 2>/dev/null; then
	echo "dnsfrag did not start:" >&2
	cat "$dnsfrag_err" >&2
	exit 1
fi

say "client: dig @2001:db8:d::53 demo.example TXT"
lab_exec client dig +time=3 +tries=1 +bufsize=4096 +ignore @2001:db8:d::53 demo.example TXT |
	sed -n '/->>HEADER<<-/p; /MSG SIZE/p' | sed 's/^/   /'
rc=${PIPESTATUS[0]}
kill -INT "$dnsfrag_pid" 2>/dev/null
lab_wait 5 eval "! kill -0 $dnsfrag_pid"
lab_capture_stop "$LAB_DIR/wire.pcap"

say "dnsfrag JSON log"
sed 's/^/   /' "$dnsfrag_out"
say "IPv6 packets from the server on the wire (sizes; fragments marked)"
tcpdump -n -v -r "$LAB_DIR/wire.pcap" src 2001:db8:d::53 2>/dev/null |
	grep -o 'length [0-9]*.*\(frag ([0-9|]*)\)\{0,1\}' | head -n 20 | sed 's/^/   /'
if [ "$rc" -eq 0 ]; then
	say "done: the answer came back in fragments built by v6kit"
else
	say "dig failed (status $rc)"
fi
exit "$rc"
