#!/usr/bin/env bats
# probe-core-lab.bats - the probe zone core (core/probe) against a real
# recursive resolver: unbound (Debian's, iterator only, qname minimisation
# on) with a stub zone pointing at tests/tools/probesrv, which serves
# core/probe behind a kernel UDP socket.  dig asks unbound for probe names:
# unbound follows the CNAME to LABEL-NONCE.ok.ZONE, so every probe comes out
# `delivered`, with the follow-up from the resolver's address; answers of
# 1500 octets reach unbound although it advertises 1232 (the kernel
# fragments them on the 1280-MTU link and reassembles them); with incoming
# fragments dropped in the resolver's namespace (nftables) the same probes
# come out `lost` with attempts > 1 (unbound's retries).
# (dnsfrag itself - its own fragments, --tx link/raw - is the next step.)
#
#   ns auth: a0 2001:db8:53::53/64, MTU 1280  <-- veth -->  ns res: r0 2001:db8:53::1/64
#   unbound listens on ::1 in ns res; dig runs there too.

load ../lib/lab
load ../lib/unbound

TOOLS="${V6KIT_TOOLS:-$(dirname "${V6KIT_TESTBIN:-$PWD/build/tests}")/tools}"
PROBESRV="$TOOLS/probesrv"

setup_file() {
	[ -x "$PROBESRV" ] || { echo "missing $PROBESRV (make tools)" >&2; return 1; }
	lab_require || return 0
	command -v unbound >/dev/null && command -v dig >/dev/null && command -v nft >/dev/null ||
		{ export LAB_UNAVAILABLE="needs unbound, dig and nft"; return 0; }
	{
		lab_ns auth && lab_ns res && lab_link auth a0 res r0 &&
		lab_exec auth ip link set a0 mtu 1280 && lab_exec res ip link set r0 mtu 1280 &&
		lab_addr auth a0 2001:db8:53::53/64 && lab_addr res r0 2001:db8:53::1/64
	} || { lab_cleanup; return 1; }
	unbound_conf probe.example 2001:db8:53::53
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

# Start probesrv (timeout $1 ms, $2 s of life) and unbound.
start_pair() {
	lab_bg auth "$PROBESRV" 2001:db8:53::53 53 probe.example 1500 "$1" "$2"
	SRV_PID=$LAB_BG_PID SRV_OUT=$LAB_BG_OUT
	lab_bg res unbound -d -c "$LAB_DIR/unbound.conf"
	UB_PID=$LAB_BG_PID
	lab_wait 5 lab_exec res dig +time=1 +tries=1 +short @::1 -p 53 ns.probe.example AAAA >/dev/null
}

stop_pair() {
	kill "$UB_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null || true
	kill "$SRV_PID" 2>/dev/null || true
}

@test "probe-core: unbound resolves probes through the CNAME; each probe name gets one 'delivered' verdict" {
	start_pair 3000 8
	for i in 1 2 3 4 5; do
		run lab_exec res dig +time=3 +tries=1 +short @::1 "p$i.Probe.Example" AAAA
		echo "p$i: $output"
		[ "$status" -eq 0 ]
		# the CNAME target's zone is a pointer into the question: the asker's case
		echo "$output" | grep -qi "^p$i-[0-9a-f]\{16\}\.ok\.probe\.example\.$"
		echo "$output" | grep -qx '2001:db8:53::53'
	done
	stop_pair
	cat "$SRV_OUT"
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$SRV_OUT")" -eq 5 ]
	for i in 1 2 3 4 5; do
		[ "$(jq -r "select(.qname == \"p$i.probe.example.\") | .verdict + \" \" + .followup_client" \
			"$SRV_OUT")" = "delivered 2001:db8:53::1" ]
	done
	[ "$(jq -r 'select(.type == "summary") | .verdicts.delivered' "$SRV_OUT")" -eq 5 ]
}

@test "probe-core: incoming fragments dropped at the resolver: 'lost', attempts > 1, smaller answers still served" {
	lab_exec res nft -f - <<-'NFT'
	table ip6 v6kprobe {
		chain input {
			type filter hook prerouting priority -500;
			exthdr frag exists drop
		}
	}
	NFT
	# unbound retries a name for several seconds: the verdict (5 s) and its
	# tombstone (5 s more) outlast that, so one verdict per name
	start_pair 5000 14
	run lab_exec res dig +time=2 +tries=1 @::1 "lost1.probe.example" A
	run lab_exec res dig +time=2 +tries=1 @::1 "lost2.probe.example" A
	# the zone's small answers still arrive whole
	run lab_exec res dig +time=2 +tries=1 +short @::1 ns.probe.example AAAA
	echo "ns: $output"
	[ "$output" = "2001:db8:53::53" ]
	stop_pair
	lab_exec res nft delete table ip6 v6kprobe
	cat "$SRV_OUT"
	for n in lost1 lost2; do
		[ "$(jq -r "select(.qname == \"$n.probe.example.\") | .verdict" "$SRV_OUT")" = lost ]
		[ "$(jq -r "select(.qname == \"$n.probe.example.\") | .attempts" "$SRV_OUT")" -gt 1 ]
	done
	# unbound went on retrying after the verdict: repeats, not second verdicts
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$SRV_OUT")" -eq 2 ]
}

@test "probe-core: 1,000 distinct probes from a load client (dnsperf): every one gets exactly one verdict line" {
	command -v dnsperf >/dev/null || skip "no dnsperf"
	for i in $(seq 1 1000); do echo "load$i.probe.example AAAA"; done >"$LAB_DIR/load.txt"
	start_pair 5000 10
	run lab_exec res dnsperf -s ::1 -d "$LAB_DIR/load.txt" -n 1 -c 8 -Q 400 -t 5
	echo "$output" | grep -E 'Queries (sent|completed|lost)'
	stop_pair
	[ "$(jq -s '[.[] | select(.type == "verdict")] | length' "$SRV_OUT")" -eq 1000 ]
	[ "$(jq -r 'select(.type == "verdict") | .qname' "$SRV_OUT" | sort -u | wc -l)" -eq 1000 ]
	delivered=$(jq -r 'select(.type == "summary") | .verdicts.delivered' "$SRV_OUT")
	echo "delivered: $delivered of 1000"
	[ "$delivered" -ge 990 ]
}
