#!/usr/bin/env bash
# dnsfrag_bench.sh - dnsfrag's cost, measured with a real load generator
# (dnsperf) in one run: the same dnsmasq answered directly and through
# dnsfrag, on the same link.
#
#   ns c: dnsperf, c0 2001:db8:b::2  <-- veth -->  ns f: f0 2001:db8:b::1
#         dnsmasq [2001:db8:b::1]:5353 (a 600-octet TXT answer)
#         dnsfrag [2001:db8:b::1]:53 -> [2001:db8:b::1]:5353, answers as 3 fragments
#         dnsfrag [2001:db8:b::1]:54 --builtin 599 (the fragment path without a back end)
#
# 1. capacity: dnsperf unthrottled (100 outstanding) against each: queries/s;
# 2. half load: dnsperf -Q at half the direct capacity, and at half of
#    dnsfrag's, against each: p50/p99 from dnsperf -v's per-query latencies.
# 3. the ceiling on this machine, without dnsfrag: a bare batched UDP relay
#    (tests/tools/udprelay: no parsing, no fragmentation) between dnsperf
#    and dnsmasq, and dnsmasq's own answers of 2687 octets fragmented into 3
#    by the kernel (f0 MTU 1280) against the same answers in one frame (MTU
#    9000): what relaying alone and fragmenting alone cost.
# Targets (reported, not enforced): through >= 80% of direct queries/s;
# added p99 <= 1 ms at half load.  Exit 0 unless a run fails outright.
#   BENCH_SECONDS=N (default 5) per run, BENCH_ROUNDS=N (default 3) runs of each.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
V6KIT=${V6KIT:-$top/build/v6kit}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}

command -v dnsperf >/dev/null || { echo "# dnsfrag_bench: dnsperf missing (tests/deps.sh installs it)"; exit 1; }
command -v dnsmasq >/dev/null || { echo "# dnsfrag_bench: dnsmasq missing"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "# dnsfrag_bench: needs root for the namespace lab; skipped"; exit 0; }

# shellcheck disable=SC2317 # called by lab.bash
skip() { echo "# dnsfrag_bench: no lab: $*"; exit 0; }
# shellcheck source=/dev/null
. "$top/tests/lib/lab.bash"
trap lab_cleanup EXIT
trap 'exit 130' INT TERM
lab_require || { echo "# dnsfrag_bench: no lab: ${LAB_UNAVAILABLE:-}"; exit 0; }

{ lab_ns c && lab_ns f && lab_link c c0 f f0 &&
  lab_addr c c0 2001:db8:b::2/64 && lab_addr f f0 2001:db8:b::1/64; } || exit 1

# Jumbo MTU, so that a 2687-octet answer can go in one frame (the ceiling runs).
lab_exec c ip link set c0 mtu 9000 && lab_exec f ip link set f0 mtu 9000 || exit 1
txt=$(printf '"%s",' "$(printf '%0200d' 0)" "$(printf '%0200d' 1)" "$(printf '%0140d' 2)")
big=""
for i in $(seq 0 12); do big="$big\"$(printf '%0200d' "$i")\","; done
lab_bg f dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts -p 5353 \
	--listen-address=2001:db8:b::1 --bind-interfaces --edns-packet-max=4096 --user=root \
	--pid-file="$LAB_DIR/dnsmasq.pid" --txt-record="bench.lab,${txt%,}" --txt-record="big.lab,${big%,}"
lab_wait 10 eval "lab_exec c dig +short +time=1 +tries=1 -p 5353 @2001:db8:b::1 bench.lab TXT >/dev/null" ||
	{ echo "# dnsfrag_bench: dnsmasq did not start"; cat "$LAB_BG_ERR"; exit 1; }
lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:b::1 -p 53 --backend '[2001:db8:b::1]:5353' -q
df_pid=$LAB_BG_PID df_out=$LAB_BG_OUT
lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :53' | grep -q ." ||
	{ echo "# dnsfrag_bench: dnsfrag did not start"; cat "$LAB_BG_ERR"; exit 1; }
# the same answer size built in, no back end: what the fragment path alone costs
lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:b::1 -p 54 --builtin 599 -q
bi_pid=$LAB_BG_PID
lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :54' | grep -q ." ||
	{ echo "# dnsfrag_bench: dnsfrag --builtin did not start"; cat "$LAB_BG_ERR"; exit 1; }
# the bare relay: the cheapest front end there can be
lab_bg f "$top/build/tools/udprelay" 2001:db8:b::1 55 2001:db8:b::1 5353
rl_pid=$LAB_BG_PID
lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :55' | grep -q ." ||
	{ echo "# dnsfrag_bench: udprelay did not start (make tools)"; cat "$LAB_BG_ERR"; exit 1; }
size=$(lab_exec c dig +time=1 +tries=1 +bufsize=4096 @2001:db8:b::1 bench.lab TXT | sed -n 's/.*MSG SIZE  rcvd: //p')
bigsize=$(lab_exec c dig +time=1 +tries=1 +bufsize=4096 -p 5353 @2001:db8:b::1 big.lab TXT | sed -n 's/.*MSG SIZE  rcvd: //p')
echo "bench.lab TXT" >"$LAB_DIR/queries"
echo "big.lab TXT" >"$LAB_DIR/queries.big"

# run PORT [dnsperf args...]: prints "qps lost p50_ms p99_ms" (percentiles with -v)
run() {
	local port=$1 out="$LAB_DIR/dnsperf.out"; shift
	# straight into a file: -v writes a line per query, which a pipe into
	# the shell would turn into CPU load competing with what is measured
	lab_exec c dnsperf -s 2001:db8:b::1 -p "$port" -d "${QUERIES:-$LAB_DIR/queries}" -e -l "$SECS" \
		-t 2 -b 4096 "$@" >"$out" 2>&1 || { echo "dnsperf failed: $(tail -5 "$out")" >&2; return 1; }
	local qps lost
	qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$out")
	lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$out")
	# -v lines: "> NOERROR bench.lab TXT 0.000123" (latency in seconds, last field)
	awk '/^> / { print $NF * 1000 }' "$out" | sort -g >"$LAB_DIR/lat"
	local n p50=- p99=-
	n=$(wc -l <"$LAB_DIR/lat")
	if [ "$n" -gt 0 ]; then
		p50=$(sed -n "$(( (n * 50 + 99) / 100 ))p" "$LAB_DIR/lat")
		p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$LAB_DIR/lat")
	fi
	echo "${qps:-0} ${lost:-?} $p50 $p99"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The machine is shared: direct and through runs alternate, ROUNDS of each,
# and the median of each column is reported.
echo "# dnsfrag_bench: ${size:-?}-octet answer (dnsmasq), ${ROUNDS} rounds of ${SECS} s, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
: >"$LAB_DIR/cap.d"; : >"$LAB_DIR/cap.f"; : >"$LAB_DIR/cap.b"
for _ in $(seq "$ROUNDS"); do
	run 5353 -q 100 >>"$LAB_DIR/cap.d" || exit 1
	run 53 -q 100 >>"$LAB_DIR/cap.f" || exit 1
	run 54 -q 100 >>"$LAB_DIR/cap.b" || exit 1
done
d_qps=$(cut -d' ' -f1 "$LAB_DIR/cap.d" | median); d_lost=$(cut -d' ' -f2 "$LAB_DIR/cap.d" | median)
f_qps=$(cut -d' ' -f1 "$LAB_DIR/cap.f" | median); f_lost=$(cut -d' ' -f2 "$LAB_DIR/cap.f" | median)
# "Half load": half the direct capacity (the target's definition), and
# half of dnsfrag's own capacity (where a front end would be run).
half=$(awk -v q="$d_qps" 'BEGIN { printf "%d", q / 2 }')
fhalf=$(awk -v q="$f_qps" 'BEGIN { printf "%d", q / 2 }')
: >"$LAB_DIR/half.d"; : >"$LAB_DIR/half.f"; : >"$LAB_DIR/fhalf.d"; : >"$LAB_DIR/fhalf.f"
for _ in $(seq "$ROUNDS"); do
	run 5353 -q 100 -Q "$half" -v >>"$LAB_DIR/half.d" || exit 1
	run 53 -q 100 -Q "$half" -v >>"$LAB_DIR/half.f" || exit 1
	run 5353 -q 100 -Q "$fhalf" -v >>"$LAB_DIR/fhalf.d" || exit 1
	run 53 -q 100 -Q "$fhalf" -v >>"$LAB_DIR/fhalf.f" || exit 1
done
# The ceiling: relaying alone, fragmenting alone (no dnsfrag involved).
: >"$LAB_DIR/cap.r"; : >"$LAB_DIR/big.d"; : >"$LAB_DIR/big.k"
for _ in $(seq "$ROUNDS"); do
	run 55 -q 100 >>"$LAB_DIR/cap.r" || exit 1
	QUERIES=$LAB_DIR/queries.big run 5353 -q 100 >>"$LAB_DIR/big.d" || exit 1
	lab_exec f ip link set f0 mtu 1280
	QUERIES=$LAB_DIR/queries.big run 5353 -q 100 >>"$LAB_DIR/big.k" || exit 1
	lab_exec f ip link set f0 mtu 9000
done
col() { cut -d' ' -f"$2" "$LAB_DIR/$1" | median; }
kill -INT "$df_pid" "$bi_pid"
kill "$rl_pid" 2>/dev/null
lab_wait 5 eval "! kill -0 $df_pid"

row() {	# LABEL FILE: the medians of one set of runs
	printf '%-28s %12.0f %8s %10.3f %10.3f\n' "$1" "$(col "$2" 1)" "$(col "$2" 2)" "$(col "$2" 3)" "$(col "$2" 4)"
}
printf '%-28s %12s %8s %10s %10s\n' "" "queries/s" "lost" "p50 ms" "p99 ms"
printf '%-28s %12.0f %8s %10s %10s\n' "direct, unthrottled" "$d_qps" "$d_lost" - -
printf '%-28s %12.0f %8s %10s %10s\n' "dnsfrag, unthrottled" "$f_qps" "$f_lost" - -
printf '%-28s %12.0f %8s %10s %10s\n' "dnsfrag --builtin, unthr." "$(col cap.b 1)" "$(col cap.b 2)" - -
row "direct, -Q $half" half.d
row "dnsfrag, -Q $half" half.f
row "direct, -Q $fhalf" fhalf.d
row "dnsfrag, -Q $fhalf" fhalf.f
printf '%-28s %12.0f %8s %10s %10s\n' "bare UDP relay, unthrottled" "$(col cap.r 1)" "$(col cap.r 2)" - -
printf '%-28s %12.0f %8s %10s %10s\n' "big answer, direct, 1 frame" "$(col big.d 1)" "$(col big.d 2)" - -
printf '%-28s %12.0f %8s %10s %10s\n' "big answer, kernel 3 frags" "$(col big.k 1)" "$(col big.k 2)" - -
awk -v d="$d_qps" -v r="$(col cap.r 1)" -v b1="$(col big.d 1)" -v b3="$(col big.k 1)" -v bs="${bigsize:-?}" 'BEGIN {
	printf "ceiling without dnsfrag: a bare relay does %.1f%% of direct; the kernel fragmenting\n", d ? 100 * r / d : 0
	printf "  dnsmasq'"'"'s own %s-octet answers into 3 (no front end at all) does %.1f%% of the same in 1 frame\n", bs, b1 ? 100 * b3 / b1 : 0
}'
awk -v d="$d_qps" -v f="$f_qps" -v d99="$(col half.d 4)" -v f99="$(col half.f 4)" \
    -v e99="$(col fhalf.d 4)" -v g99="$(col fhalf.f 4)" 'BEGIN {
	r = d > 0 ? 100 * f / d : 0
	printf "capacity through dnsfrag: %.1f%% of direct (target >= 80%%: %s)\n", r, (r >= 80) ? "met" : "NOT met"
	printf "added p99 at half the direct capacity: %.3f ms (target <= 1 ms: %s)\n", f99 - d99, (f99 - d99 <= 1) ? "met" : "NOT met"
	printf "added p99 at half the dnsfrag capacity: %.3f ms\n", g99 - e99
}'
grep '"type":"summary"\|^summary' "$df_out" | sed 's/^/# dnsfrag /'
# ---- extension headers (issue 15): --eh dst:8 against none, the same
# --builtin answer, interleaved in the same run (target >= 90%) ----
eh_section() {
	local plain eh
	lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:b::1 -p 56 --builtin 599 -q
	plain=$LAB_BG_PID
	lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:b::1 -p 57 --builtin 599 --eh dst:8 -q
	eh=$LAB_BG_PID
	if ! lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :56' | grep -q ." ||
	   ! lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :57' | grep -q ."; then
		echo "# dnsfrag_bench: dnsfrag --eh did not start"
		return 1
	fi
	: >"$LAB_DIR/eh.n"; : >"$LAB_DIR/eh.e"
	for _ in $(seq "$ROUNDS"); do
		run 56 -q 100 >>"$LAB_DIR/eh.n" || return 1
		run 57 -q 100 >>"$LAB_DIR/eh.e" || return 1
	done
	kill -INT "$plain" "$eh"
	printf '%-28s %12.0f %8s %10s %10s\n' "--builtin, no --eh" "$(col eh.n 1)" "$(col eh.n 2)" - -
	printf '%-28s %12.0f %8s %10s %10s\n' "--builtin, --eh dst:8" "$(col eh.e 1)" "$(col eh.e 2)" - -
	awk -v n="$(col eh.n 1)" -v e="$(col eh.e 1)" 'BEGIN {
		r = n > 0 ? 100 * e / n : 0
		printf "--eh dst:8: %.1f%% of the queries/s without it (target >= 90%%: %s)\n", r, (r >= 90) ? "met" : "NOT met"
	}'
}
eh_section || exit 1
# A benchmark fails only when nothing came back.
awk -v a="$f_qps" -v b="$d_qps" 'BEGIN { exit !(a > 0 && b > 0) }'
