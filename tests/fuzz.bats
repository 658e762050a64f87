#!/usr/bin/env bats
# Every fuzz harness replays its seed corpus and every past finding
# (tests/fuzz/regress/NAME/) under the build being tested (GCC, and ASan+UBSan
# in `make sanitize`).  `make fuzz` does the coverage-guided fuzzing.

setup() {
	FUZZBIN=$(dirname "$V6KIT_TESTBIN")/fuzz
	TOP=$V6KIT_TOP/tests/fuzz
}

@test "every fuzz harness has a seed corpus and a built replay binary" {
	local n=0
	for src in "$TOP"/fuzz_*.c; do
		name=$(basename "$src" .c)
		[ -x "$FUZZBIN/$name" ] || { echo "missing $FUZZBIN/$name"; return 1; }
		[ -n "$(ls -A "$TOP/corpus/${name#fuzz_}" 2>/dev/null)" ] || { echo "no corpus for $name"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

@test "fuzz harnesses replay their corpora and regressions cleanly" {
	for src in "$TOP"/fuzz_*.c; do
		name=$(basename "$src" .c); short=${name#fuzz_}
		dirs=("$TOP/corpus/$short")
		[ -d "$TOP/regress/$short" ] && dirs+=("$TOP/regress/$short")
		run "$FUZZBIN/$name" "${dirs[@]}"
		[ "$status" -eq 0 ] || { echo "$name: $output"; return 1; }
		[[ "$output" =~ ^[1-9][0-9]*\ inputs\ run ]] || { echo "$name ran nothing: $output"; return 1; }
	done
}
