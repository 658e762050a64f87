#!/usr/bin/env bats
# httpfrag.bats - the httpfrag applet's command line: help, usage errors
# (exit 2) for impossible --mss/--tail and missing operands, missing
# resources (exit 3), JSON error lines.  The data path is in
# tests/lab/httpfrag-lab.bats.

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
}

ok_args=(-i lo -l 2001:db8::80 --backend 2001:db8::2)

@test "--help prints the usage on stdout and exits 0" {
	run "$V6KIT" httpfrag --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: v6kit httpfrag -i IFACE -l ADDR --backend ADDR"* ]]
	[[ $output == *"--mss N"* && $output == *"--tail N"* && $output == *"--manage-host"* ]]
	run "$V6KIT" help httpfrag
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: v6kit httpfrag"* ]]
}

@test "listed as an applet, with its long options for completion" {
	run "$V6KIT" --list
	[[ $output == *"httpfrag"$'\t'"IPv6 NAT front end"* ]]
	run "$V6KIT" --options httpfrag
	[ "$status" -eq 0 ]
	for o in --mss= --tail= --backend= --ports= --manage-host --no-host-check --user= --json; do
		grep -qx -- "$o" <<<"$output" || { echo "missing $o"; return 1; }
	done
}

@test "missing -i, -l or --backend is a usage error (exit 2)" {
	run "$V6KIT" httpfrag
	[ "$status" -eq 2 ]
	[[ $output == *"v6kit httpfrag: missing -i IFACE"* ]]
	run "$V6KIT" httpfrag -i lo --backend 2001:db8::2
	[ "$status" -eq 2 ]
	[[ $output == *"missing -l ADDR"* ]]
	run "$V6KIT" httpfrag -i lo -l 2001:db8::80
	[ "$status" -eq 2 ]
	[[ $output == *"missing --backend ADDR"* ]]
	[[ $output == *"Try 'v6kit httpfrag --help'."* ]]
}

@test "--mss outside 64-65000 is refused (exit 2)" {
	for m in 0 63 65001 1e3 -5 abc ""; do
		run "$V6KIT" httpfrag "${ok_args[@]}" --mss "$m"
		[ "$status" -eq 2 ] || { echo "--mss '$m' gave $status"; return 1; }
		[[ $output == *"invalid --mss value"* ]]
	done
}

@test "--tail outside 8 to --mss - 8 is refused (exit 2)" {
	run "$V6KIT" httpfrag "${ok_args[@]}" --tail 7
	[ "$status" -eq 2 ]
	[[ $output == *"invalid --tail value '7'"* ]]
	run "$V6KIT" httpfrag "${ok_args[@]}" --mss 64 --tail 57
	[ "$status" -eq 2 ]
	[[ $output == *"must be 8 to --mss - 8 (56)"* ]]
	run "$V6KIT" httpfrag "${ok_args[@]}" --tail 1193
	[ "$status" -eq 2 ]
	[[ $output == *"(1192)"* ]]
	# the order of the options does not matter
	run "$V6KIT" httpfrag "${ok_args[@]}" --tail 600 --mss 600
	[ "$status" -eq 2 ]
}

@test "bad addresses, ports, pools and modes are usage errors (exit 2)" {
	run "$V6KIT" httpfrag -i lo -l 192.0.2.1 --backend 2001:db8::2
	[ "$status" -eq 2 ]
	[[ $output == *"invalid --listen value '192.0.2.1'"* ]]
	run "$V6KIT" httpfrag -i lo -l 2001:db8::80 --backend not-an-address
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --ports 80,70000
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --nat-ports 30000-20000
	[ "$status" -eq 2 ]
	[[ $output == *"LO above HI"* ]]
	run "$V6KIT" httpfrag "${ok_args[@]}" --nat-ports 80-90
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --tx bogus
	[ "$status" -eq 2 ]
	[[ $output == *"invalid --tx value 'bogus': expected link or raw"* ]]
	run "$V6KIT" httpfrag "${ok_args[@]}" --frag-id bogus
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --manage-host --no-host-check
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --binding-timeout 0
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --max-bindings 0
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" extra
	[ "$status" -eq 2 ]
	run "$V6KIT" httpfrag "${ok_args[@]}" --no-such-option
	[ "$status" -eq 2 ]
}

@test "an absent interface is a missing resource (exit 3)" {
	run "$V6KIT" httpfrag -i v6knosuch0 -l 2001:db8::80 --backend 2001:db8::2
	[ "$status" -eq 3 ]
	[[ $output == *"v6kit httpfrag: "*"v6knosuch0"* ]]
}

@test "--tx link and --tx raw are both accepted (the next error is the absent interface)" {
	for m in link raw; do
		run "$V6KIT" httpfrag -i v6knosuch0 -l 2001:db8::80 --backend 2001:db8::2 --tx "$m"
		[ "$status" -eq 3 ]
		[[ $output == *"v6knosuch0"* ]]
	done
	run "$V6KIT" httpfrag --help
	[[ $output == *"--tx MODE"*"link: Ethernet frames"*"raw: whole packets to an IPPROTO_RAW socket"* ]]
}

@test "a back end without a route is a missing resource (exit 3)" {
	[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null || skip "needs root and unshare"
	run unshare -n sh -c 'ip link set lo up; exec "$0" httpfrag -i lo -l ::1 --backend 2001:db8::2' "$V6KIT"
	[ "$status" -eq 3 ]
	[[ $output == *"back end 2001:db8::2"* ]]
}

@test "--json: usage errors also come as an error object on stdout" {
	run --separate-stderr "$V6KIT" httpfrag --json -i lo -l 2001:db8::80 --mss 10 --backend 2001:db8::2
	[ "$status" -eq 2 ]
	[[ $output == *'"type":"error"'* && $output == *'"applet":"httpfrag"'* ]]
}
