# lab.bash - network-namespace labs for bats suites: namespaces, veth links,
# addresses, background peers, packet captures, and cleanup that always runs.
#
# Usage in a .bats file:
#   load ../lib/lab
#   setup_file()    { lab_require || return 0
#                     { lab_ns a && lab_ns b && lab_link a a0 b b0; } || { lab_cleanup; return 1; }; }
#   setup()         { lab_check; }
#   teardown_file() { lab_cleanup; }
#   @test "..."     { lab_exec a ping -6 -c1 2001:db8::2; }
#
# (bats 1.8 cannot skip from setup_file: lab_require records why the lab is
# unavailable, and lab_check skips - or fails - each test.)
#
# Cleanup: bats owns the EXIT trap, so suites call lab_cleanup from
# teardown_file (and from setup_file when building the lab fails); plain
# scripts use `trap lab_cleanup EXIT`.  A run killed outright leaves its
# namespaces behind; the next lab_require deletes those whose owning process
# (the pid in LAB_ID) is gone.
#
# Peers: lab_bg NS CMD... runs CMD in the background with stdout/stderr in
# $LAB_BG_OUT/$LAB_BG_ERR; its pid ($LAB_BG_PID) is killed by lab_cleanup.
#
# Names: every namespace is "$LAB_ID-NAME" where LAB_ID = v6k<pid>x<random>,
# so concurrent runs never collide.  Veth pairs are created directly inside
# their namespaces, so interface names (a0, b0...) never touch the host's
# namespace and need no prefix.  Tests use the short names: lab_exec a CMD.
#
# V6KIT_REQUIRE_LAB=1 turns "cannot run a lab here" from a skip into a failure.

: "${LAB_ID:=v6k$$x$(printf '%04x' $((RANDOM)))}"
export LAB_ID
LAB_DIR="${LAB_DIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/lab-$LAB_ID}"
export LAB_DIR
mkdir -p "$LAB_DIR"
declare -gA LAB_CAPS 2>/dev/null || true

lab_nsname() { printf '%s-%s\n' "$LAB_ID" "$1"; }

# Skip (or fail with V6KIT_REQUIRE_LAB=1) the current test with a reason.
lab_skip() {
	if [ "${V6KIT_REQUIRE_LAB:-0}" = 1 ]; then
		echo "lab required but unavailable: $*" >&2
		return 1
	fi
	skip "$*"
}

# Can this machine run a lab?  Root, `ip netns`, veth, ethtool, tcpdump.
# In setup_file: returns 1 and exports LAB_UNAVAILABLE=reason (for
# lab_check); inside a test: skips it (or fails it, V6KIT_REQUIRE_LAB=1).
lab_require() {
	local probe="$LAB_ID-probe" why="" t
	if [ "$(id -u)" -ne 0 ]; then
		why="lab needs root"
	else
		for t in ip ethtool tcpdump; do
			command -v "$t" >/dev/null || { why="lab needs $t"; break; }
		done
	fi
	if [ -z "$why" ]; then
		if ! ip netns add "$probe" 2>/dev/null; then
			why="cannot create network namespaces"
		else
			ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null || why="no veth support"
			ip netns del "$probe"
		fi
	fi
	if [ -n "$why" ]; then
		export LAB_UNAVAILABLE="$why"
		[ -n "${BATS_TEST_NAME:-}" ] && lab_skip "$why"
		return 1
	fi
	unset LAB_UNAVAILABLE
	lab_reap_stale
}

# In setup(): skip (or fail) the test when setup_file found no lab.
lab_check() {
	[ -z "${LAB_UNAVAILABLE:-}" ] || lab_skip "$LAB_UNAVAILABLE"
}

# Delete namespaces left by lab runs whose process is gone (killed runs).
lab_reap_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^v6k([0-9]+)x[0-9a-f]{4}- ]] || continue
		pid=${BASH_REMATCH[1]}
		kill -0 "$pid" 2>/dev/null && continue
		lab_ns_kill "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# lab_ns NAME [forward]: new namespace, lo up, no RA processing, no DAD
# (addresses usable at once); "forward" enables IPv6 and IPv4 forwarding.
lab_ns() {
	local ns; ns=$(lab_nsname "$1")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	if [ "${2:-}" = forward ]; then
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 \
			net.ipv4.ip_forward=1 >/dev/null
	fi
}

# lab_link NS1 IF1 NS2 IF2: veth pair between two namespaces, both ends up,
# checksum offload and segmentation offloads off so what a capture shows is
# what was on the wire.
lab_link() {
	local n1 n2; n1=$(lab_nsname "$1"); n2=$(lab_nsname "$3")
	ip -n "$n1" link add "$2" type veth peer name "$4" netns "$n2" || return 1
	lab_offloads_off "$1" "$2"
	lab_offloads_off "$3" "$4"
	ip -n "$n1" link set "$2" up
	ip -n "$n2" link set "$4" up
}

lab_offloads_off() {
	local ns; ns=$(lab_nsname "$1")
	ip netns exec "$ns" ethtool -K "$2" tx off rx off gro off gso off tso off >/dev/null 2>&1 ||
		ip netns exec "$ns" ethtool -K "$2" tx off gro off >/dev/null
}

# lab_addr NS IF ADDR/LEN: IPv6 (nodad) or IPv4 address.
lab_addr() {
	local ns; ns=$(lab_nsname "$1")
	case "$3" in
	*:*) ip -n "$ns" -6 addr add "$3" dev "$2" nodad ;;
	*) ip -n "$ns" addr add "$3" dev "$2" ;;
	esac
}

# lab_exec NS CMD...: run a command inside a namespace.
lab_exec() {
	local ns; ns=$(lab_nsname "$1"); shift
	ip netns exec "$ns" "$@"
}

# lab_mac NS IF: the interface's MAC address.
lab_mac() {
	lab_exec "$1" cat "/sys/class/net/$2/address"
}

# lab_bg NS CMD...: start a background peer inside a namespace.  Sets
# LAB_BG_PID, LAB_BG_OUT and LAB_BG_ERR (its stdout/stderr files).
lab_bg() {
	local ns n; ns=$(lab_nsname "$1"); shift
	n=$(( $( { wc -l <"$LAB_DIR/pids"; } 2>/dev/null || echo 0) + 1 ))
	LAB_BG_OUT="$LAB_DIR/bg$n.out"
	LAB_BG_ERR="$LAB_DIR/bg$n.err"
	# fd 3 closed: bats waits for it to close before finishing a test.
	ip netns exec "$ns" "$@" >"$LAB_BG_OUT" 2>"$LAB_BG_ERR" 3>&- &
	LAB_BG_PID=$!
	echo "$LAB_BG_PID" >>"$LAB_DIR/pids"
}

# lab_wait SECONDS CMD...: retry CMD every 50 ms until it succeeds (whole seconds).
lab_wait() {
	local deadline=$(( $(date +%s%N) + ${1%.*} * 1000000000 )); shift
	until "$@" 2>/dev/null; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# lab_capture NS IF FILE [FILTER...]: tcpdump into FILE; returns once it is
# listening.  lab_capture_stop FILE ends it and fails on kernel drops.
lab_capture() {
	local ns; ns=$(lab_nsname "$1")
	local ifc=$2 file=$3; shift 3
	ip netns exec "$ns" tcpdump -Z root -i "$ifc" -n -U --immediate-mode -B 32768 \
		-s 0 -w "$file" "$@" >/dev/null 2>"$file.log" 3>&- &
	LAB_CAPS[$file]=$!
	echo "$!" >>"$LAB_DIR/pids"
	if ! lab_wait 5 grep -q "listening on" "$file.log"; then
		echo "tcpdump on $1/$ifc did not start:" >&2
		cat "$file.log" >&2
		return 1
	fi
}

lab_capture_stop() {
	local file=$1 pid=${LAB_CAPS[$1]:-} dropped
	[ -n "$pid" ] || { echo "no capture running into $file" >&2; return 1; }
	# tcpdump may still be working through its buffer (-B): SIGINT ends
	# pcap_loop at once, and what it had not read yet is lost without being
	# counted as dropped.  So wait until the file (written per packet, -U)
	# has stopped growing for 0.3 s, at most 5 s.
	local size=-1 now stable=0 i
	for i in $(seq 50); do
		now=$(stat -c %s "$file" 2>/dev/null || echo 0)
		if [ "$now" = "$size" ]; then
			stable=$((stable + 1))
			[ "$stable" -ge 3 ] && break
		else
			stable=0 size=$now
		fi
		sleep 0.1
	done
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || lab_wait 5 eval "! kill -0 $pid"
	unset "LAB_CAPS[$file]"
	dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$file.log")
	if [ -n "$dropped" ] && [ "$dropped" -ne 0 ]; then
		echo "capture $file: $dropped packets dropped by kernel" >&2
		return 1
	fi
}

# Kill every process still running inside namespace $1 (full name): all of
# them are ours, the namespace is.
lab_ns_kill() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	sleep 0.1
	pids=$(ip netns pids "$1" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
	return 0
}

# Stop peers and captures, delete every namespace of this lab.  Safe to call
# more than once and from teardown, teardown_file or an EXIT trap.
# Best effort: every step may find its target already gone, and callers
# running under `set -e` must not have their exit status changed by it.
lab_cleanup() {
	local pid ns
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$LAB_DIR/pids"
		rm -f "$LAB_DIR/pids"
	fi
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case "$ns" in
		"$LAB_ID"-*) lab_ns_kill "$ns"; ip netns del "$ns" 2>/dev/null || true ;;
		esac
	done
	[ "${LAB_DIR##*/}" != "lab-$LAB_ID" ] || rm -rf "$LAB_DIR"
	return 0
}
