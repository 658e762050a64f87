#!/usr/bin/env bash
# demo.sh (make demo) - dnsfrag on embedded defaults in a two-namespace lab:
# `v6kit dnsfrag --builtin` in one namespace, a real `dig` in the other,
# the answer delivered as IPv6 fragments built by v6kit; prints dig's view,
# the JSON log, and every fragment as tshark (or tcpdump) saw it on the
# client's side.  Needs root; cleans up on any exit.
#   tests/demo.sh [SIZE]        (default 1500 octets of answer)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
V6KIT=${V6KIT:-$top/build/v6kit}
SIZE=${1:-1500}

say() { printf '\n== %s\n' "$*"; }

[ -x "$V6KIT" ] || { echo "v6kit demo: $V6KIT is not built; run 'make'" >&2; exit 1; }
"$V6KIT" --list | cut -f1 | grep -qx dnsfrag ||
	{ echo "v6kit demo: this v6kit has no dnsfrag applet" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "v6kit demo: network namespaces need root; try sudo" >&2; exit 3; }
for t in dig tcpdump; do
	command -v "$t" >/dev/null || { echo "v6kit demo: needs $t (run 'make deps')" >&2; exit 3; }
done

# lab.bash is written for bats; outside bats a "skip" ends the demo.
# shellcheck disable=SC2317 # called by lab.bash
skip() { echo "v6kit demo: cannot build the lab: $*" >&2; exit 3; }
# shellcheck source=/dev/null
. "$top/tests/lib/lab.bash"
trap lab_cleanup EXIT
trap 'exit 130' INT TERM
lab_require || { echo "v6kit demo: ${LAB_UNAVAILABLE:-no lab}" >&2; exit 3; }

say "lab: client 2001:db8:d::1 (c0) <--veth--> server 2001:db8:d::53 (s0)"
{ lab_ns client && lab_ns server && lab_link client c0 server s0 &&
  lab_addr client c0 2001:db8:d::1/64 && lab_addr server s0 2001:db8:d::53/64; } || exit 3
lab_capture client c0 "$LAB_DIR/client.pcap" ip6 and not icmp6 || exit 3

say "server: v6kit dnsfrag -i s0 -l 2001:db8:d::53 --builtin $SIZE --json"
lab_bg server "$V6KIT" dnsfrag -i s0 -l 2001:db8:d::53 --builtin "$SIZE" --json
pid=$LAB_BG_PID out=$LAB_BG_OUT err=$LAB_BG_ERR
if ! lab_wait 5 eval "lab_exec server ss -Hlun 'sport = :53' | grep -q ."; then
	echo "dnsfrag did not start:" >&2
	cat "$err" >&2
	exit 1
fi

say "client: dig +bufsize=4096 @2001:db8:d::53 demo.example TXT"
lab_exec client dig +time=3 +tries=1 +bufsize=4096 +ignore @2001:db8:d::53 demo.example TXT >"$LAB_DIR/dig"
rc=$?
sed -n '/->>HEADER<<-/p; /flags:/p; /MSG SIZE/p' "$LAB_DIR/dig" | sed 's/^/   /'
kill -INT "$pid"
lab_wait 5 eval "! kill -0 $pid"
lab_capture_stop "$LAB_DIR/client.pcap"

say "dnsfrag JSON log (a query line, then the summary)"
sed 's/^/   /' "$out"

say "on the client's wire: the server's IPv6 packets"
if command -v tshark >/dev/null; then
	printf '   %-6s %-8s %-10s %-6s %s\n' frame "octets" "frag id" "off/8" "more / reassembled"
	tshark -r "$LAB_DIR/client.pcap" -o udp.check_checksum:TRUE -Y "ipv6.src == 2001:db8:d::53" \
		-T fields -e frame.number -e ipv6.plen -e ipv6.fraghdr.ident -e ipv6.fraghdr.offset \
		-e ipv6.fraghdr.more -e udp.checksum.status -e dns.resp.len 2>/dev/null |
		awk -F'\t' '{ printf "   %-6s %-8d %-10s %-6s %s%s\n", $1, $2 + 40, $3, $4,
			($5 == "1" || $5 == "True") ? "more" : "last",
			$6 != "" ? "  -> reassembled, UDP checksum " ($6 == "1" ? "good" : "BAD") : "" }'
else
	tcpdump -n -v -r "$LAB_DIR/client.pcap" src 2001:db8:d::53 2>/dev/null | sed 's/^/   /'
fi

if [ "$rc" -eq 0 ] && grep -q 'status: NOERROR' "$LAB_DIR/dig"; then
	say "done: dig got its $SIZE-octet answer through fragments built by v6kit"
	exit 0
fi
say "dig failed (status $rc)"
exit 1
