#!/usr/bin/env bats
# httpfrag-eh.bats - httpfrag --eh, --eh-order, --allow-split-chain and
# --no-fragment without a lab: usage errors with their reasons (the one
# parser in core/args), before any interface is looked at.  The kernel as
# the receiver: tests/lab/eh-front-lab.bats (also the RFC 7112 refusal,
# which needs the client link's MTU).

bats_require_minimum_version 1.5.0

setup() {
	: "${V6KIT:?V6KIT must point at the binary}"
}

usage_error() {	# args...: exit 2 and a "v6kit httpfrag:" message
	run -2 "$V6KIT" httpfrag "$@"
	[[ ${lines[0]} == "v6kit httpfrag: "* ]]
}

@test "--eh: bad SPECs are usage errors with the reason" {
	usage_error --eh hbh:7
	[[ $output == *"'hbh:7'"* ]]
	usage_error --eh dst:4096
	[[ $output == *"'dst:4096'"*"2048"* ]]
	usage_error --eh dst:8,opt=300
	[[ $output == *"option type"*"255"* ]]
	usage_error --eh hbh:8 --eh hbh:16
	[[ $output == *"two hbh headers"*"RFC 8200"* ]]
	usage_error --eh dst:8 --eh dst:16 -i lo -l ::1 --backend ::1
	[[ $output == *"two dst headers"* ]]
	usage_error --eh-order sideways
	[[ $output == *"rfc"*"given"* ]]
}

@test "--help names the extension-header options" {
	run -0 "$V6KIT" httpfrag --help
	for o in --eh --eh-order --allow-split-chain --no-fragment; do
		[[ $output == *"$o "* ]] || { echo "usage lacks $o"; return 1; }
	done
}
