#!/usr/bin/env bats
# ci.bats - .ci/run's bookkeeping, with make and apt-get replaced by stubs
# that print canned tallies (the real runs are what .ci/run is for).

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	STUB=$(mktemp -d)
	cat >"$STUB/apt-get" <<'S'
#!/bin/sh
exit 0
S
	# make TARGET: prints $STUB/TARGET.out and exits with $STUB/TARGET.rc.
	cat >"$STUB/make" <<'S'
#!/bin/sh
d=$(dirname "$0")
echo "$*" >>"$d/make.calls"
[ -f "$d/$1.out" ] && cat "$d/$1.out"
exit "$(cat "$d/$1.rc" 2>/dev/null || echo 0)"
S
	chmod +x "$STUB/apt-get" "$STUB/make"
	# soak, valgrind and fuzz steps: green and empty unless a test says otherwise
	printf '0 passed, 0 failed, 0 skipped\n' >"$STUB/soak.out"
	printf '0 passed, 0 failed, 0 skipped\n' >"$STUB/torture.out"
	printf '0 passed, 0 failed\n' >"$STUB/valgrind.out"
	: >"$STUB/fuzz.out"
}

teardown() {
	rm -rf "$STUB"
}

ci() {
	run env PATH="$STUB:$PATH" TMPDIR="$STUB" "$TOP/.ci/run"
}

@test ".ci/run sums both tallies and succeeds when nothing failed" {
	printf 'ok 1 a\n12 passed, 0 failed, 3 skipped\n' >"$STUB/check.out"
	printf '10 passed, 0 failed, 5 skipped\n' >"$STUB/sanitize.out"
	ci
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "22 passed, 0 failed" ]
}

@test ".ci/run: failures of either run are summed and fail the job" {
	printf '12 passed, 2 failed, 0 skipped\n' >"$STUB/check.out"; echo 1 >"$STUB/check.rc"
	printf '9 passed, 1 failed, 0 skipped\n' >"$STUB/sanitize.out"; echo 1 >"$STUB/sanitize.rc"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "21 passed, 3 failed" ]
}

@test ".ci/run: a run without its tally line counts as a failure" {
	printf '12 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf 'cc: error: something broke\n' >"$STUB/sanitize.out"; echo 2 >"$STUB/sanitize.rc"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "12 passed, 1 failed" ]
}

@test ".ci/run: a run that fails after an all-green tally counts as a failure" {
	printf '12 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"; echo 2 >"$STUB/check.rc"
	printf '3 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "15 passed, 1 failed" ]
}

@test ".ci/run: the last tally of a run is the one that counts" {
	printf '1 passed, 9 failed, 0 skipped\n5 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf '5 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	ci
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "10 passed, 0 failed" ]
}

@test ".ci/run: valgrind and fuzz results are part of the tally" {
	printf '12 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf '10 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	printf 'ok 1 - valgrind x\n4 passed, 1 failed\n' >"$STUB/valgrind.out"; echo 1 >"$STUB/valgrind.rc"
	printf 'ok   pkt: 10 executions\nFAIL nd: finding (exit 77)\n' >"$STUB/fuzz.out"; echo 1 >"$STUB/fuzz.rc"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "27 passed, 2 failed" ]
}

@test ".ci/run: a valgrind run without its tally, or a fuzz run failing silently, counts as a failure" {
	printf '12 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf '10 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	: >"$STUB/valgrind.out"; echo 2 >"$STUB/valgrind.rc"
	printf 'ok   pkt: 10 executions\n' >"$STUB/fuzz.out"; echo 2 >"$STUB/fuzz.rc"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "23 passed, 2 failed" ]
}

@test ".ci/run: the soak run (once, against the ASan build) is part of the tally" {
	printf '12 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf '10 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	printf 'ok 1 dnsfrag soak\n2 passed, 1 failed, 0 skipped\n' >"$STUB/soak.out"; echo 1 >"$STUB/soak.rc"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "24 passed, 1 failed" ]
	[ "$(grep -c '^soak' "$STUB/make.calls")" -eq 1 ]
	grep -qx 'soak SOAK_V6KIT=build-san/v6kit' "$STUB/make.calls"
	# after make sanitize, which builds build-san/v6kit
	[ "$(grep -n '^sanitize' "$STUB/make.calls" | cut -d: -f1)" -lt "$(grep -n '^soak' "$STUB/make.calls" | cut -d: -f1)" ]
}

@test ".ci/run: a soak run without its tally counts as a failure" {
	printf '12 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf '10 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	printf 'make soak: no build-san/v6kit\n' >"$STUB/soak.out"; echo 2 >"$STUB/soak.rc"
	ci
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "22 passed, 1 failed" ]
}

@test ".ci/run: the torture campaign runs bounded against the ASan build, its tally counted" {
	printf 'check\n7 passed, 0 failed, 0 skipped\n' >"$STUB/check.out"
	printf '7 passed, 0 failed, 0 skipped\n' >"$STUB/sanitize.out"
	printf 'not ok 3 - pcap-replay\n5 passed, 1 failed, 0 skipped\n' >"$STUB/torture.out"
	echo 1 >"$STUB/torture.rc"
	ci
	echo "$output"
	[ "$status" -ne 0 ]
	[[ ${lines[-1]} == "19 passed, 1 failed" ]]
	grep -q '^torture TORTURE_V6KIT=build-san/v6kit TORTURE_SECONDS=75$' "$STUB/make.calls"
}
