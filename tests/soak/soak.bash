# soak.bash - helpers for the soak suites: resource figures of a running
# daemon (RSS, open descriptors) and the flatness check between them.
#
# A daemon is "flat" when, between a sample taken after warm-up and one
# taken at the end of the load, its resident set grew by at most
# SOAK_RSS_KB kB and it holds at most SOAK_FDS more descriptors (default 0:
# every socket opened per query or connection must have been closed).
# SOAK_RSS_KB defaults to 1024 (allocator noise); an ASan build also keeps
# freed memory in its quarantine until that is full, so its size
# (quarantine_size_mb in ASAN_OPTIONS, which `make soak` sets) is added.
# A leak of even one small block per packet, query or connection would be
# several times that over a soak.

load ../lib/lab

soak_rss_default() {
	local q=0
	if ldd "$V6KIT" 2>/dev/null | grep -q libasan; then
		q=$(sed -n 's/.*quarantine_size_mb=\([0-9]*\).*/\1/p' <<<"${ASAN_OPTIONS:-}")
		q=${q:-256}
	fi
	echo $((1024 + q * 1024))
}
: "${SOAK_RSS_KB:=$(soak_rss_default)}" "${SOAK_FDS:=0}"

proc_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
proc_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# soak_sample PID NAME: record "RSS FDS" under NAME in $LAB_DIR/sample.NAME.
soak_sample() {
	kill -0 "$1" || { echo "process $1 is gone" >&2; return 1; }
	echo "$(proc_rss "$1") $(proc_fds "$1")" >"$LAB_DIR/sample.$2"
}

# soak_flat LABEL: compare the "start" and "end" samples, print the figures
# (to the TAP stream as a comment and to $LAB_DIR/figures), fail if not flat.
soak_flat() {
	local r0 f0 r1 f1 line
	read -r r0 f0 <"$LAB_DIR/sample.start"
	read -r r1 f1 <"$LAB_DIR/sample.end"
	line="$1: RSS ${r0} kB -> ${r1} kB (tolerance $SOAK_RSS_KB), fds ${f0} -> ${f1} (tolerance $SOAK_FDS)"
	echo "# $line" >&3
	echo "$line" >>"$LAB_DIR/figures"
	[ "$((r1 - r0))" -le "$SOAK_RSS_KB" ] || { echo "RSS grew by $((r1 - r0)) kB > $SOAK_RSS_KB" >&2; return 1; }
	[ "$((f1 - f0))" -le "$SOAK_FDS" ] || { echo "fds grew by $((f1 - f0)) > $SOAK_FDS" >&2; return 1; }
}

# soak_note TEXT: a figure for the report (TAP comment).
soak_note() {
	echo "# $*" >&3
}

json_field() {	# FILE TYPE PATH: PATH (a.b) in the last line of type TYPE
	/usr/bin/python3 -c 'import json,sys
t=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t=[x for x in t if x.get("type")==sys.argv[2]][-1]
v=t
for k in sys.argv[3].split("."): v=v[k]
print(v)' "$@"
}
