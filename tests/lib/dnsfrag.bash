# dnsfrag.bash - start and stop dnsfrag in a lab namespace, read its summary
# (shared by the dnsfrag and nothing-lost labs).

# start_dnsfrag NS PORT ARGS...: dnsfrag in namespace NS on UDP PORT; sets
# DF_PID, DF_OUT, DF_ERR; returns once it listens.
start_dnsfrag() {
	local ns=$1 port=$2; shift 2
	lab_bg "$ns" "$V6KIT" dnsfrag -p "$port" --json "$@"
	DF_PID=$LAB_BG_PID DF_OUT=$LAB_BG_OUT DF_ERR=$LAB_BG_ERR
	lab_wait 5 eval "lab_exec $ns ss -Hlun 'sport = :$port' | grep -q ." ||
		{ cat "$DF_ERR" >&2; return 1; }
}

# Stop it with SIGINT: the summary line is written, the exit status is 0.
stop_dnsfrag() {
	[ -n "${DF_PID:-}" ] || return 0
	kill -INT "$DF_PID" 2>/dev/null
	wait "$DF_PID"
	local rc=$?
	DF_PID=
	return $rc
}

summary_field() {	# $1 = a top-level counter of the summary line
	jq -r "select(.type == \"summary\") | .\"$1\"" "$DF_OUT"
}
