#!/usr/bin/env bash
# dnsfrag_probe_bench.sh - what the probe zone costs: dnsfrag answering with
# --probe-zone (a 1500-octet padded CNAME answer per distinct probe name, a
# table entry and a `verdict` line per name, the ICMPv6 error matcher fed per
# answer) against dnsfrag --builtin 1500 (the same answer size, the same
# fragments, no table), in the same run, from the same load generator
# (dnsperf), on the same link.
#
#   ns c: dnsperf, c0 2001:db8:b::2  <-- veth -->  ns f: f0 2001:db8:b::1
#         dnsfrag [2001:db8:b::1]:54 --builtin 1500
#         dnsfrag [2001:db8:b::1]:56 --builtin 512 --probe-zone probe.lab --probe-size 1500
#
# Each run queries distinct names (pN.probe.lab), so every query opens a
# probe; dnsperf never asks the follow-up, so probes end `lost` after
# --probe-timeout (2 s): the table holds ~2 s of probes, each written as a
# verdict line -- the steady state of a campaign under load.
# Target (reported, not enforced): probe-zone queries/s >= 90% of --builtin.
#   BENCH_SECONDS=N (default 5) per run, BENCH_ROUNDS=N (default 3) runs of each.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
V6KIT=${V6KIT:-$top/build/v6kit}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}

command -v dnsperf >/dev/null || { echo "# dnsfrag_probe_bench: dnsperf missing (tests/deps.sh installs it)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "# dnsfrag_probe_bench: needs root for the namespace lab; skipped"; exit 0; }

# shellcheck disable=SC2317 # called by lab.bash
skip() { echo "# dnsfrag_probe_bench: no lab: $*"; exit 0; }
# shellcheck source=/dev/null
. "$top/tests/lib/lab.bash"
trap lab_cleanup EXIT
trap 'exit 130' INT TERM
lab_require || { echo "# dnsfrag_probe_bench: no lab: ${LAB_UNAVAILABLE:-}"; exit 0; }

{ lab_ns c && lab_ns f && lab_link c c0 f f0 &&
  lab_addr c c0 2001:db8:b::2/64 && lab_addr f f0 2001:db8:b::1/64; } || exit 1

lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:b::1 -p 54 --builtin 1500 -q
bi_pid=$LAB_BG_PID bi_out=$LAB_BG_OUT
lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:b::1 -p 56 --builtin 512 --json -q \
	--probe-zone probe.lab --probe-size 1500 --probe-timeout 2 --max-probes 1048576
pz_pid=$LAB_BG_PID pz_out=$LAB_BG_OUT
for p in 54 56; do
	lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :$p' | grep -q ." ||
		{ echo "# dnsfrag_probe_bench: dnsfrag on port $p did not start"; cat "$LAB_DIR"/bg*.err; exit 1; }
done
bsize=$(lab_exec c dig +time=1 +tries=1 +bufsize=4096 -p 54 @2001:db8:b::1 x.other.lab TXT | sed -n 's/.*MSG SIZE  rcvd: //p')
psize=$(lab_exec c dig +time=2 +tries=2 +bufsize=4096 -p 56 @2001:db8:b::1 x.probe.lab AAAA | sed -n 's/.*MSG SIZE  rcvd: //p')

# run PORT ROUND: distinct names for every round; prints queries/s and lost
run() {
	local port=$1 r=$2 out="$LAB_DIR/dnsperf.out" zone=other.lab
	[ "$port" = 56 ] && zone=probe.lab
	awk -v r="$r" -v z="$zone" 'BEGIN { for (i = 0; i < 400000; i++) printf "r%dp%d.%s AAAA\n", r, i, z }' \
		>"$LAB_DIR/q"
	lab_exec c dnsperf -s 2001:db8:b::1 -p "$port" -d "$LAB_DIR/q" -e -l "$SECS" -t 2 -b 4096 -q 100 \
		>"$out" 2>&1 || { echo "dnsperf failed: $(tail -5 "$out")" >&2; return 1; }
	echo "$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$out") $(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$out")"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# dnsfrag_probe_bench: ${bsize:-?}-octet --builtin answers vs ${psize:-?}-octet probe answers," \
	"${ROUNDS} rounds of ${SECS} s, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
: >"$LAB_DIR/b"; : >"$LAB_DIR/p"
for i in $(seq "$ROUNDS"); do
	run 54 "$i" >>"$LAB_DIR/b" || exit 1
	run 56 "$i" >>"$LAB_DIR/p" || exit 1
done
sleep 2.5	# the last probes reach their timeout
kill -INT "$bi_pid" "$pz_pid"
lab_wait 5 eval "! kill -0 $pz_pid"
b=$(cut -d' ' -f1 "$LAB_DIR/b" | median) p=$(cut -d' ' -f1 "$LAB_DIR/p" | median)
printf '%-34s %12s %8s\n' "" "queries/s" "lost"
printf '%-34s %12.0f %8s\n' "dnsfrag --builtin 1500" "$b" "$(cut -d' ' -f2 "$LAB_DIR/b" | median)"
printf '%-34s %12.0f %8s\n' "dnsfrag --probe-zone (1500)" "$p" "$(cut -d' ' -f2 "$LAB_DIR/p" | median)"
awk -v b="$b" -v p="$p" 'BEGIN {
	r = b > 0 ? 100 * p / b : 0
	printf "probe zone: %.1f%% of --builtin queries/s (target >= 90%%: %s)\n", r, (r >= 90) ? "met" : "NOT met"
}'
v=$(grep -c '"type":"verdict"' "$pz_out")
echo "# verdict lines: $v; probe dnsfrag summary:"
grep '"type":"summary"' "$pz_out" | jq -c '{queries, answered, verdicts, probes: {opened: .probes.opened, evicted: .probes.evicted}, send_errors}' | sed 's/^/#   /'
grep '^summary' "$bi_out" | sed 's/^/# builtin /' | cut -c1-200
awk -v a="$b" -v c="$p" 'BEGIN { exit !(a > 0 && c > 0) }'
