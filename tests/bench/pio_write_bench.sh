#!/usr/bin/env bash
# pio_write_bench.sh - the pcap writer of core/pio.c (issue 20: records
# written by v6kit itself, so a write error counts the frames really in the
# file) against the peers that copy a capture: tcpdump -r IN -w OUT and
# editcap IN OUT, the same file in the same run, the tools alternating so
# machine load hits all alike.  Prints the median time of each and the ratio
# (peer / v6kit: above 1 means v6kit is faster).  Never fails on speed.
#
# Usage: tests/bench/pio_write_bench.sh   (env ROUNDS, FRAMES)
set -u
cd "$(dirname "$0")/../.."
: "${V6KIT:=$PWD/build/v6kit}"
: "${ROUNDS:=5}" "${FRAMES:=300000}"
W=$(mktemp -d "${TMPDIR:-/tmp}/v6k-piow.XXXXXX")
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 - "$W/in.pcap" "$FRAMES" <<'PY'
import struct, sys
out, n = sys.argv[1], int(sys.argv[2])
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for i in range(n):
        d = bytes(6) + bytes(6) + b"\x86\xdd" + bytes((i + j) & 0xff for j in range(60 + i % 1400))
        f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(d), len(d)) + d)
PY
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
v=() td=() ed=()
for _ in $(seq "$ROUNDS"); do
	v+=("$(ms "$V6KIT" pcap-replay -t -q -w "$W/v.pcap" "$W/in.pcap")")
	td+=("$(ms tcpdump -r "$W/in.pcap" -w "$W/t.pcap")")
	command -v editcap >/dev/null && ed+=("$(ms editcap -F pcap "$W/in.pcap" "$W/e.pcap")")
done
cmp -s "$W/v.pcap" "$W/t.pcap" || echo "# note: v6kit's copy differs from tcpdump's (precision or header)"
mv_=$(printf '%s\n' "${v[@]}" | median) mt=$(printf '%s\n' "${td[@]}" | median)
echo "# $FRAMES frames, $(stat -c %s "$W/in.pcap") octets, median of $ROUNDS (2 cores shared with other jobs: figures are noisy)"
printf 'pio write: v6kit pcap-replay -t -w %s ms, tcpdump -r -w %s ms, ratio tcpdump/v6kit %s\n' \
	"$mv_" "$mt" "$(awk -v a="$mv_" -v b="$mt" 'BEGIN { printf "%.2f", a ? b / a : 0 }')"
if [ ${#ed[@]} -gt 0 ]; then
	me=$(printf '%s\n' "${ed[@]}" | median)
	printf 'pio write: editcap %s ms, ratio editcap/v6kit %s\n' "$me" \
		"$(awk -v a="$mv_" -v b="$me" 'BEGIN { printf "%.2f", a ? b / a : 0 }')"
fi
