# known_gaps.bash - shared by tests/man.bats and tests/conventions.bats.

# check_known_gaps TAG PROBLEMS: fail on any problem not listed as "TAG: problem"
# in tests/known-gaps.txt, and on any listed one that no longer occurs (stale);
# the listed ones that do occur are printed as TAP notes, so they stay visible
# until the applet's owner fixes them.
check_known_gaps() {
	local tag=$1 problems known p rc=0
	problems=$(grep . <<<"$2" | sort -u) || true
	known=$(sed -n "s/^$tag: //p" "$BATS_TEST_DIRNAME/known-gaps.txt" | sort -u)
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		if grep -qxF -- "$p" <<<"$known"; then
			echo "# known gap: $p" >&3
		else
			echo "$p"
			rc=1
		fi
	done <<<"$problems"
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		grep -qxF -- "$p" <<<"$problems" || { echo "stale entry in tests/known-gaps.txt: '$tag: $p'"; rc=1; }
	done <<<"$known"
	return $rc
}

