#!/usr/bin/env bash
# reasm_bench.sh - IPv6 reassembly throughput: core/reasm (via the v6frag
# test tool: pcap read + parse + reassembly) against tshark's IPv6
# reassembly of the same capture (fragments of 200 datagrams interleaved,
# each in random order), in the same run.  Prints both rates in
# fragments per second and the ratio (target: >= 20x tshark).
#
#   tests/bench/reasm_bench.sh [DATAGRAMS]     (default 25000 -> 100000 fragments)
#
# Fails (exit 1) only when a result is wrong: a reassembler that does not
# rebuild every datagram, or tshark with reassembly not actually on.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
tools="${V6KIT_TOOLS:-$top/build/tools}"
v6frag="$tools/v6frag"
n=${1:-25000}
per=4	# --max 512, 1408 fragmentable octets: 464+464+464+16

[ -x "$v6frag" ] || { echo "reasm_bench: missing $v6frag (run make)" >&2; exit 1; }
command -v tshark >/dev/null || { echo "reasm_bench: tshark not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cap=$tmp/frags.pcap

ns() { date +%s%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

t0=$(ns)
"$v6frag" --src 2001:db8::1 --dst 2001:db8::2 --proto udp --payload-len 1400 --max 512 \
	--order random --id sequential --interleave 200 --count "$n" -w "$cap" >/dev/null
t1=$(ns)
frags=$((n * per))
printf 'capture: %d datagrams, %d fragments, %d octets, generated in %.2f s\n' \
	"$n" "$frags" "$(stat -c %s "$cap")" "$(calc "($t1 - $t0) / 1e9")"
# warm the page cache for both readers alike
cat "$cap" >/dev/null

# ours is short and the machine is shared: the median of three runs
runs=()
for _ in 1 2 3; do
	t0=$(ns)
	out=$("$v6frag" --reassemble "$cap")
	t1=$(ns)
	case $out in
	*"fragments $frags datagrams $n discarded 0"*) ;;
	*) echo "v6kit:  $out"; echo "reasm_bench: core/reasm did not rebuild all $n datagrams" >&2; exit 1 ;;
	esac
	runs+=($((t1 - t0)))
done
echo "v6kit:  $out"
ours_ns=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)

t0=$(ns)
done_ts=$(tshark -r "$cap" -o ipv6.defragment:TRUE -T fields -e ipv6.reassembled.length 2>/dev/null |
	grep -c '[0-9]' || true)
t1=$(ns)
ts_ns=$((t1 - t0))
echo "tshark: $done_ts datagrams reassembled"
[ "$done_ts" -eq "$n" ] || { echo "reasm_bench: tshark reassembled $done_ts of $n (reassembly off?)" >&2; exit 1; }

ours=$(calc "$frags / ($ours_ns / 1e9)")
theirs=$(calc "$frags / ($ts_ns / 1e9)")
printf 'v6kit reassembly:  %12.0f fragments/s  (%.3f s median of 3, whole process: pcap read + parse + reassembly)\n' "$ours" "$(calc "$ours_ns / 1e9")"
printf 'tshark reassembly: %12.0f fragments/s  (%.3f s)\n' "$theirs" "$(calc "$ts_ns / 1e9")"
printf 'ratio: %.1fx (target >= 20x)\n' "$(calc "$ours / $theirs")"
