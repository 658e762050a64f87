#!/usr/bin/env bats
# nexthop-lab.bats - the event loops never wait for the neighbour table
# (core/nexthop): one on-link client whose neighbour entry never resolves
# sends 10 queries/s to dnsfrag while another runs dnsperf at half of
# dnsfrag's capacity, and the second client's p99 stays within 10% of the
# run without the first (the figures are printed); the same for an httpfrag
# download.  The run "without the first" is a control with the same load
# generator in a client y that does resolve: on two cores the generator's
# own CPU moves a sub-millisecond p99 by more than 10% (0.65 -> 0.97 ms in
# CI), so only the unresolvable next hop may differ between the runs.  httpfrag follows its back end's neighbour entry: a MAC change
# during a download (announced by the back end's unsolicited Neighbor
# Advertisement) and an entry that disappears from the table; the download
# stays byte-identical (sha256).
#
#   ns c  c0 2001:db8:1::2 ---+
#   ns x  x0 2001:db8:1::66 --+-- br0 (ns s) --- f0 2001:db8:1::1, ::80  ns f
#   ns y  y0 2001:db8:1::67 --+  (the control client: resolves)
#   ns b  b0 2001:db8:2::2 (nginx) ------------- f1 2001:db8:2::1        ns f
#
# x never answers Neighbor Solicitations (nftables drops them) and never
# sends one (a permanent entry for the front end): f's kernel cannot
# resolve it, exactly like a client that went away.

load ../lib/lab
load ../lib/nginx

ADDR=2001:db8:1::80
BACKEND=2001:db8:2::2
ROUNDS=${NEXTHOP_LAB_ROUNDS:-3}

setup_file() {
	command -v dnsperf >/dev/null || { export LAB_UNAVAILABLE="needs dnsperf"; return 0; }
	command -v nginx >/dev/null || { export LAB_UNAVAILABLE="needs nginx"; return 0; }
	command -v nft >/dev/null || { export LAB_UNAVAILABLE="needs nft"; return 0; }
	lab_require || return 0
	local d="$LAB_DIR/nginx" fmac
	mkdir -p "$d/www" "$d/tmp"
	nginx_conf "$d" "$BACKEND" >"$d/nginx.conf"
	head -c 60000000 /dev/urandom >"$d/www/big.bin"
	sha256sum <"$d/www/big.bin" | cut -d' ' -f1 >"$LAB_DIR/big.sha"
	{
		lab_ns s && lab_ns c && lab_ns x && lab_ns y && lab_ns f && lab_ns b &&
		lab_exec s ip link add br0 type bridge mcast_snooping 0 &&
		lab_exec s ip link set br0 up &&
		lab_link c c0 s sc0 && lab_link x x0 s sx0 && lab_link y y0 s sy0 && lab_link f f0 s sf0 &&
		lab_exec s ip link set sc0 master br0 && lab_exec s ip link set sx0 master br0 &&
		lab_exec s ip link set sy0 master br0 &&
		lab_exec s ip link set sf0 master br0 &&
		lab_link f f1 b b0 &&
		lab_addr c c0 2001:db8:1::2/64 && lab_addr x x0 2001:db8:1::66/64 &&
		lab_addr y y0 2001:db8:1::67/64 &&
		lab_addr f f0 2001:db8:1::1/64 && lab_addr f f0 "$ADDR/64" &&
		lab_addr f f1 2001:db8:2::1/64 && lab_addr b b0 "$BACKEND/64" &&
		fmac=$(lab_mac f f0) &&
		lab_exec x ip -6 neigh add 2001:db8:1::1 lladdr "$fmac" dev x0 nud permanent &&
		lab_exec x ip -6 neigh add "$ADDR" lladdr "$fmac" dev x0 nud permanent &&
		lab_exec x nft -f - <<-'EOF' &&
		table inet deaf {
			chain input {
				type filter hook input priority 0;
				icmpv6 type nd-neighbor-solicit drop
			}
		}
		EOF
		lab_bg b nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &&
		lab_wait 10 lab_exec f curl -g -s -f -o /dev/null "http://[$BACKEND]/big.bin"
	} || { cat "$d/error.log" >&2 2>/dev/null; lab_cleanup; return 1; }
	echo "nothing.lab A" >"$LAB_DIR/queries"
}

setup() {
	lab_check
}

teardown() {
	local p
	for p in ${STOP_PIDS:-}; do
		kill -INT "$p" 2>/dev/null
		lab_wait 10 eval "! kill -0 $p" || kill -9 "$p" 2>/dev/null
	done
	STOP_PIDS=
}

teardown_file() {
	lab_cleanup
}

json_last() {	# FILE TYPE PATH: a field of the last line of that type
	/usr/bin/python3 -c 'import json,sys
t=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t=[x for x in t if x["type"] == sys.argv[2]][-1]
v=t
for k in sys.argv[3].strip(".").split("."): v=v[k]
print(v)' "$@"
}

# perf NS ARGS...: dnsperf against dnsfrag from NS; "qps p99_ms".
perf() {
	local ns=$1 out="$LAB_DIR/perf.$1.out"; shift
	lab_exec "$ns" dnsperf -s 2001:db8:1::1 -p 53 -d "$LAB_DIR/queries" -t 2 "$@" >"$out" 2>&1 ||
		{ tail -5 "$out" >&2; return 1; }
	local qps n lost
	qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$out")
	lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$out")
	# answered: "> NOERROR nothing.lab A 0.000123"; a lost query counts
	# as the timeout (2 s), so a stalled front end cannot look fast
	{ awk '/^> [A-Z]+ .* [0-9.]+$/ && $2 != "T" { print $NF * 1000 }' "$out"
	  for _ in $(seq "${lost:-0}"); do echo 2000; done; } | sort -g >"$LAB_DIR/lat"
	n=$(wc -l <"$LAB_DIR/lat")
	if [ "$n" -gt 0 ]; then
		echo "$qps $(sed -n "$(( (n * 99 + 99) / 100 ))p" "$LAB_DIR/lat")"
	else
		echo "$qps -"
	fi
}

# one scheduler tick in ms (CONFIG_HZ; 4 ms when the config is not readable)
tick_ms() {
	local hz
	hz=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=\([0-9]*\)$/\1/p')
	awk -v hz="${hz:-250}" 'BEGIN { print 1000 / hz }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

@test "dnsfrag: a client that never resolves (10 q/s) leaves the other client's p99 at half load within 10% (or one tick)" {
	lab_bg f "$V6KIT" dnsfrag -i f0 -l 2001:db8:1::1 -p 53 --builtin 599 --json -q
	local pid=$LAB_BG_PID out=$LAB_BG_OUT half a b i
	STOP_PIDS=$pid
	lab_wait 5 eval "lab_exec f ss -Hlun 'sport = :53' | grep -q ."
	cap=$(perf c -q 100 -l 3 | cut -d' ' -f1)
	half=$(awk -v q="$cap" 'BEGIN { printf "%d", q / 2 }')
	: >"$LAB_DIR/p99.a"; : >"$LAB_DIR/p99.b"
	for i in $(seq "$ROUNDS"); do
		for side in y:a x:b; do
			# 10 q/s from y (control: resolves) or x (never resolves)
			lab_bg "${side%:*}" dnsperf -s 2001:db8:1::1 -p 53 -d "$LAB_DIR/queries" -Q 10 -l 6 -t 1
			local gpid=$LAB_BG_PID
			sleep 1
			perf c -q 100 -Q "$half" -l 4 -v | cut -d' ' -f2 >>"$LAB_DIR/p99.${side#*:}"
			wait "$gpid" || true
		done
	done
	a=$(median <"$LAB_DIR/p99.a")
	b=$(median <"$LAB_DIR/p99.b")
	echo "# capacity $cap q/s; at $half q/s p99 $a ms beside the resolving client, $b ms beside the unresolvable one (rounds: $(paste -sd' ' "$LAB_DIR/p99.a") / $(paste -sd' ' "$LAB_DIR/p99.b"))" >&3
	kill -INT "$pid"
	lab_wait 10 eval "! kill -0 $pid"
	STOP_PIDS=
	# the unresolvable client's answers were held, then dropped as unresolved
	[ "$(json_last "$out" summary nexthop_dropped.unresolved)" -gt 0 ]
	[ "$(json_last "$out" summary held)" -gt 0 ]
	# Within 10%, or within one scheduler tick (1000/HZ ms, 4 ms at HZ=250):
	# on 2 shared cores a sub-millisecond p99 moves by more than 10%
	# between identical rounds (CI: 0.34-1.60 ms for the control alone), and
	# no difference below a tick can be told from scheduling.  A blocked
	# event loop shows as lost queries, counted as 2000 ms each above.
	awk -v a="$a" -v b="$b" -v t="$(tick_ms)" 'BEGIN { exit !(b <= a * 1.10 || b <= a + t) }'
}

# download NS URL: curl's speed and the content's sha256 ("speed sha").
download() {
	local ns=$1 url=$2
	lab_exec "$ns" curl -g -s -f --max-time 120 -o "$LAB_DIR/dl.bin" -w '%{speed_download}\n' "$url" \
		>"$LAB_DIR/dl.speed" || return 1
	echo "$(cat "$LAB_DIR/dl.speed") $(sha256sum <"$LAB_DIR/dl.bin" | cut -d' ' -f1)"
}

start_httpfrag() {
	lab_bg f "$V6KIT" httpfrag -i f0 -l "$ADDR" --backend "$BACKEND" --manage-host --json -v "$@"
	HF_PID=$LAB_BG_PID HF_OUT=$LAB_BG_OUT HF_ERR=$LAB_BG_ERR
	STOP_PIDS=$HF_PID
	lab_wait 10 grep -q '"type":"ready"' "$HF_OUT" || { cat "$HF_ERR" >&2; return 1; }
}

stop_httpfrag() {
	kill -TERM "$HF_PID"
	lab_wait 10 eval "! kill -0 $HF_PID"
	STOP_PIDS=
	grep -q '"type":"summary"' "$HF_OUT"
}

# syn_flood NS: 10 connection attempts a second from NS to the front end,
# in the background (LAB_BG_PID).
syn_flood() {
	lab_bg "$1" /usr/bin/python3 -c '
import socket, sys, time
held = []
while True:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((sys.argv[1], 80))
    except BlockingIOError:
        pass
    held.append(s)
    if len(held) > 10:
        held.pop(0).close()
    time.sleep(0.1)' "$ADDR"
}

@test "httpfrag: a client that never resolves (10 SYN/s) leaves a download's rate within 10%" {
	local want a b r sa sb
	want=$(cat "$LAB_DIR/big.sha")
	start_httpfrag
	: >"$LAB_DIR/rate.a"; : >"$LAB_DIR/rate.b"
	for r in $(seq "$ROUNDS"); do
		# 10 connection attempts a second from y (control: resolves),
		# then from x, whose SYN-ACKs need a next hop that never resolves
		syn_flood y
		local ypid=$LAB_BG_PID
		sleep 1
		read -r sa a < <(download c "http://[$ADDR]/big.bin")
		kill "$ypid" 2>/dev/null
		[ "$a" = "$want" ]
		echo "$sa" >>"$LAB_DIR/rate.a"
		syn_flood x
		local xpid=$LAB_BG_PID
		sleep 1
		read -r sb b < <(download c "http://[$ADDR]/big.bin")
		kill "$xpid" 2>/dev/null
		[ "$b" = "$want" ]
		echo "$sb" >>"$LAB_DIR/rate.b"
	done
	stop_httpfrag
	a=$(median <"$LAB_DIR/rate.a")
	b=$(median <"$LAB_DIR/rate.b")
	echo "# download rate $a B/s beside the resolving client, $b B/s beside the unresolvable one (rounds: $(paste -sd' ' "$LAB_DIR/rate.a") / $(paste -sd' ' "$LAB_DIR/rate.b"))" >&3
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(b >= a * 0.90) }'
}

@test "httpfrag: the back end's MAC changes during a download: followed, content identical" {
	local want got new=02:00:5e:10:00:42
	want=$(cat "$LAB_DIR/big.sha")
	lab_exec b sysctl -qw net.ipv6.conf.b0.ndisc_notify=1
	start_httpfrag
	lab_exec c curl -g -s -f --max-time 120 --limit-rate 10M -o "$LAB_DIR/mac.bin" "http://[$ADDR]/big.bin" &
	local cpid=$!
	sleep 2
	lab_exec b ip link set b0 address "$new"
	wait "$cpid"
	got=$(sha256sum <"$LAB_DIR/mac.bin" | cut -d' ' -f1)
	stop_httpfrag
	[ "$got" = "$want" ]
	[ "$(json_last "$HF_OUT" summary backend_mac_changes)" -ge 1 ]
	grep -q "next hop now 02:00:5e:10:00:42" "$HF_ERR"
}

@test "httpfrag: the back end's neighbour entry disappears during a download: solicited again, content identical" {
	local want got
	want=$(cat "$LAB_DIR/big.sha")
	start_httpfrag
	lab_exec c curl -g -s -f --max-time 120 --limit-rate 10M -o "$LAB_DIR/del.bin" "http://[$ADDR]/big.bin" &
	local cpid=$!
	sleep 2
	lab_exec f ip -6 neigh del "$BACKEND" dev f1
	# httpfrag had the kernel resolve it again
	lab_wait 5 eval "lab_exec f ip -6 neigh show $BACKEND dev f1 | grep -q lladdr"
	wait "$cpid"
	got=$(sha256sum <"$LAB_DIR/del.bin" | cut -d' ' -f1)
	stop_httpfrag
	[ "$got" = "$want" ]
}
