#!/usr/bin/env bash
# httpfrag_bench.sh - download throughput through httpfrag against the direct
# path in the same lab and run: a 100 MB object from nginx, fetched by curl
# (HTTP) either through the front end's NAT (every segment re-sent as two
# fragments) or routed by the very same front-end namespace as a plain
# kernel router.  Prints both throughputs (median of RUNS each, interleaved)
# and the ratio (target: >= 50% of direct).  Also the cost of the measurement
# (SPEC §3 verdicts: ACK/SACK tracking per binding, ICMPv6 matching): the
# same build started with V6KIT_HTTPFRAG_TRACK=0 against it on, each run
# restarting the front end, the order alternating (target: >= 95%).
#
#   tests/bench/httpfrag_bench.sh [MB] [RUNS]     (default 100 MB, 3 runs)
#
# Needs root (network namespaces), nginx and curl.  Fails (exit 1) only on a
# wrong result: a download through httpfrag that is not byte-identical.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
: "${V6KIT:=$top/build/v6kit}"
mb=${1:-100}
runs=${2:-3}
for t in nginx curl ip ethtool nft; do
	command -v "$t" >/dev/null || { echo "httpfrag_bench: needs $t" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "httpfrag_bench: needs root (network namespaces)" >&2; exit 1; }
[ -x "$V6KIT" ] || { echo "httpfrag_bench: missing $V6KIT" >&2; exit 1; }

# shellcheck source=../lib/lab.bash
. "$top/tests/lib/lab.bash"
. "$top/tests/lib/nginx.bash"
trap lab_cleanup EXIT
lab_require || { echo "httpfrag_bench: $LAB_UNAVAILABLE" >&2; exit 1; }

ADDR=2001:db8:1::80 BACKEND=2001:db8:2::2
D=$LAB_DIR/srv
mkdir -p "$D/www" "$D/tmp"
head -c "${mb}M" /dev/urandom >"$D/www/big.bin"
head -c 1024 /dev/urandom >"$D/www/1k.bin"
want=$(sha256sum <"$D/www/big.bin")
nginx_conf "$D" "$BACKEND" >"$D/nginx.conf"

# Front end doubles as the router of the direct path: client -> f -> back end.
nginx_lab3 "$D" "$ADDR" "$BACKEND" 1k.bin routed || { echo "httpfrag_bench: lab or nginx did not start" >&2; exit 1; }

# start_hf TRACK: the front end with verdict tracking on (1) or off (0).
start_hf() {
	lab_bg f env V6KIT_HTTPFRAG_TRACK="$1" "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" \
		--manage-host --json -q ${HTTPFRAG_BENCH_ARGS:-}
	hf_pid=$LAB_BG_PID hf_out=$LAB_BG_OUT
	lab_wait 10 grep -q '"type":"ready"' "$hf_out" || { echo "httpfrag did not start" >&2; cat "$LAB_BG_ERR" >&2; exit 1; }
}
stop_hf() {
	kill -TERM "$hf_pid"
	lab_wait 10 eval "! kill -0 $hf_pid" || true
}

# speed URL OUT: octets per second of one download (curl's own figure)
speed() {
	lab_exec c curl -g -s -S -f -m 300 -o "$2" -w '%{speed_download}\n' "$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hf_pid/stat"; }
user_ticks() { awk '{ print $14 }' "/proc/$hf_pid/stat"; }

# Busy and all ticks of the whole machine (every CPU; /proc/stat's first line):
# what one download costs in CPU time, whoever spends it (curl, nginx, the
# front end, softirq work run in any of them).
sys_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8; print b, b + $5 + $6 + $9 }' /proc/stat; }
# speed_cpu URL OUT VAR: download; VAR gets "speed busy_ticks all_ticks".
speed_cpu() {
	local s0 s1 v
	s0=$(sys_ticks)
	v=$(speed "$1" "$2")
	s1=$(sys_ticks)
	printf -v "$3" '%s %s' "$v" "$(awk -v a="$s0" -v b="$s1" 'BEGIN {
		split(a, x, " "); split(b, y, " "); print y[1] - x[1], y[2] - x[2] }')"
}

# untracked: one download through a front end with tracking off
untracked_run() {
	start_hf 0
	untracked+=("$(speed "http://[$ADDR]/big.bin" /dev/null)")
	stop_hf
}

direct=() front=() untracked=() cpu=() ucpu=() dbusy=() fbusy=()
for i in $(seq 1 "$runs"); do
	speed_cpu "http://[$BACKEND]/big.bin" /dev/null r
	read -r v b a <<<"$r"
	direct+=("$v") dbusy+=("$b $a")
	[ $((i % 2)) -eq 0 ] && untracked_run
	start_hf 1
	out=/dev/null
	[ "$i" -eq 1 ] && out=$D/got.bin
	c0=$(cpu_ticks) u0=$(user_ticks)
	speed_cpu "http://[$ADDR]/big.bin" "$out" r
	read -r v b a <<<"$r"
	front+=("$v") fbusy+=("$b $a")
	cpu+=($(( $(cpu_ticks) - c0 )))
	ucpu+=($(( $(user_ticks) - u0 )))
	stop_hf
	summary=$(grep '"type":"summary"' "$hf_out" | tail -1)
	if [ "$i" -eq 1 ] && [ "$(sha256sum <"$D/got.bin")" != "$want" ]; then
		echo "httpfrag_bench: download through httpfrag differs from the object" >&2
		exit 1
	fi
	rm -f "$D/got.bin"
	[ $((i % 2)) -eq 1 ] && untracked_run
done

d=$(printf '%s\n' "${direct[@]}" | median)
f=$(printf '%s\n' "${front[@]}" | median)
u=$(printf '%s\n' "${untracked[@]}" | median)
awk -v d="$d" -v f="$f" -v mb="$mb" -v runs="$runs" 'BEGIN {
	printf "object: %d MB over HTTP, median of %d runs each\n", mb, runs
	printf "direct (kernel routing through the front-end namespace): %8.1f MB/s\n", d / 1e6
	printf "through httpfrag (two fragments per segment):             %8.1f MB/s\n", f / 1e6
	printf "ratio httpfrag/direct: %.2f (target >= 0.50)\n", f / d
}'
printf 'all runs, direct:   %s\n' "$(printf '%.1f ' $(printf '%s\n' "${direct[@]}" | awk '{ print $1 / 1e6 }'))"
printf 'all runs, httpfrag: %s\n' "$(printf '%.1f ' $(printf '%s\n' "${front[@]}" | awk '{ print $1 / 1e6 }'))"
tick=$(getconf CLK_TCK)
printf 'httpfrag process CPU per download: %s s, of which user %s s (system time includes the\n' \
	"$(printf '%s\n' "${cpu[@]}" | median | awk -v t="$tick" '{ printf "%.2f", $1 / t }')" \
	"$(printf '%s\n' "${ucpu[@]}" | median | awk -v t="$tick" '{ printf "%.2f", $1 / t }')"
echo '  client kernel receiving and reassembling every fragment: veth runs it inside our send calls)'
printf 'all runs, httpfrag with V6KIT_HTTPFRAG_TRACK=0: %s\n' "$(printf '%.1f ' $(printf '%s\n' "${untracked[@]}" | awk '{ print $1 / 1e6 }'))"
awk -v f="$f" -v u="$u" 'BEGIN {
	printf "verdict tracking: on %.1f MB/s, off %.1f MB/s, ratio on/off %.3f (target >= 0.95)\n", f / 1e6, u / 1e6, f / u
}'
echo "httpfrag summary (tracking on, last run): $summary"
# The ceiling on this machine: at best a front end keeps every CPU busy, so
# its throughput is at most ncpu x (octets per busy CPU-second it needs).
# If even that is under half the direct rate, no scheduling of the same
# per-segment work can meet the target.
cpus=$(nproc)
eff() {	# "busy all" pairs -> MB per busy CPU-second (median), busy share (median)
	printf '%s\n' "$@" | awk -v mb="$mb" -v t="$tick" '{ print mb * 1.048576 / ($1 / t), $1 / $2 }' |
		sort -n | awk '{ e[NR] = $1; u[NR] = $2 } END { m = int((NR + 1) / 2); print e[m], u[m] }'
}
read -r de du <<<"$(eff "${dbusy[@]}")"
read -r fe fu <<<"$(eff "${fbusy[@]}")"
awk -v d="$d" -v de="$de" -v du="$du" -v fe="$fe" -v fu="$fu" -v n="$cpus" 'BEGIN {
	printf "machine CPU per download (%d CPUs): direct %.0f%% busy, %.1f MB per busy CPU-second;\n", n, du * 100, de
	printf "  httpfrag %.0f%% busy, %.1f MB per busy CPU-second\n", fu * 100, fe
	printf "ceiling with every CPU busy: httpfrag <= %.1f MB/s = %.2f of direct (target 0.50)\n", n * fe, n * fe * 1e6 / d
}'
