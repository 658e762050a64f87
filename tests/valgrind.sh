#!/usr/bin/env bash
# tests/valgrind.sh - memcheck over the C unit tests, the fuzz-corpus replays
# and the applets on their golden captures: any error or definite leak fails.
# Usage: tests/valgrind.sh [BUILD_DIR]   (default build/)
set -u
cd "$(dirname "$0")/.."
b=${1:-build}
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --suppressions=/dev/null)
pass=0 fail=0
run() {	# name, command...
	local name=$1; shift
	if "${vg[@]}" "$@" >/tmp/v6kit-vg.$$ 2>&1; then
		pass=$((pass + 1)); echo "ok $((pass + fail)) - valgrind $name"
	else
		local rc=$?
		if [ $rc -eq 99 ]; then
			fail=$((fail + 1)); echo "not ok $((pass + fail)) - valgrind $name"; grep -m20 '==' /tmp/v6kit-vg.$$ | sed 's/^/# /'
		else	# the program's own status (e.g. exit 1 on bad checksums) is not a memcheck error
			pass=$((pass + 1)); echo "ok $((pass + fail)) - valgrind $name (exit $rc)"
		fi
	fi
}
for t in "$b"/tests/test_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done
for h in "$b"/fuzz/fuzz_*; do
	[ -x "$h" ] || continue
	n=$(basename "$h"); n=${n#fuzz_}
	dirs=(tests/fuzz/corpus/"$n"); [ -d tests/fuzz/regress/"$n" ] && dirs+=(tests/fuzz/regress/"$n")
	run "fuzz_$n replay" "$h" "${dirs[@]}"
done
for f in tests/fixtures/ra/*.pcap; do
	run "ra-sniff -r $(basename "$f") -j" "$b/v6kit" ra-sniff -r "$f" -j
done
for f in tests/fixtures/checksum/*.pcap tests/fixtures/checksum/*.pcapng; do
	run "checksum -r $(basename "$f") -j" "$b/v6kit" checksum -r "$f" -j
	run "checksum -r $(basename "$f") --fix" "$b/v6kit" checksum -q -r "$f" --fix -w /dev/null
done
rm -f /tmp/v6kit-vg.$$
echo "1..$((pass + fail))"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
