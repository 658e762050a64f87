#!/usr/bin/env bats
# acktrack-core-lab.bats - the ACK/SACK tracker (core/acktrack) against a
# real TCP client: the kernel of ns a downloads a file with curl from a
# Python HTTP server in ns b; the server-side capture is read by
# tests/tools/ackcheck, which counts every data segment as sent in
# fragments and follows the client kernel's ACKs and SACK blocks.
#   clean link            -> delivered, every octet acknowledged
#   5% loss (nftables numgen at the client) -> retransmissions and SACK blocks, delivered
#   client drops data after 200 kB (nftables quota) -> partial
#   client drops all data -> lost, retransmitted > 0
#
#   ns a: a0 2001:db8:7::1  <-- veth -->  ns b: b0 2001:db8:7::2, HTTP on port 8080

load ../lib/lab

TOOLS="${V6KIT_TOOLS:-$(dirname "${V6KIT_TESTBIN:-$PWD/build/tests}")/tools}"
ACKCHECK="$TOOLS/ackcheck"

setup_file() {
	[ -x "$ACKCHECK" ] || { echo "missing $ACKCHECK (make tools)" >&2; return 1; }
	lab_require || return 0
	command -v curl >/dev/null && command -v nft >/dev/null && command -v jq >/dev/null ||
		{ export LAB_UNAVAILABLE="needs curl, nft and jq"; return 0; }
	{
		lab_ns a && lab_ns b && lab_link a a0 b b0 &&
		lab_addr a a0 2001:db8:7::1/64 && lab_addr b b0 2001:db8:7::2/64 &&
		mkdir -p "$LAB_DIR/www" && head -c 1000000 /dev/urandom >"$LAB_DIR/www/1m"
	} || { lab_cleanup; return 1; }
	lab_bg b /usr/bin/python3 -m http.server -b 2001:db8:7::2 -d "$LAB_DIR/www" 8080
	lab_wait 5 lab_exec a curl -gsf -o /dev/null "http://[2001:db8:7::2]:8080/1m" ||
		{ lab_cleanup; return 1; }
}

setup() {
	lab_check
}

teardown_file() {
	lab_cleanup
}

# fetch NAME [curl options]: capture on b0 around one download; $RESULT is ackcheck's line.
fetch() {
	local name=$1; shift
	lab_capture b b0 "$LAB_DIR/$name.pcap" tcp port 8080
	lab_exec a curl -gs -o /dev/null --max-time 4 "$@" "http://[2001:db8:7::2]:8080/1m" || true
	sleep 0.3
	lab_capture_stop "$LAB_DIR/$name.pcap"
	RESULT=$("$ACKCHECK" "$LAB_DIR/$name.pcap" 2001:db8:7::2 8080)
	echo "$name: $RESULT"
}

field() { echo "$RESULT" | jq -r ".$1"; }

@test "acktrack-core: a clean download is delivered, every octet acknowledged" {
	fetch clean
	[ "$(field verdict)" = delivered ]
	[ "$(field frag_bytes)" -gt 1000000 ]
	[ "$(field frag_bytes_acked)" -eq "$(field frag_bytes)" ]
	[ "$(field acks_out_of_window)" -eq 0 ]
}

@test "acktrack-core: with 5% loss the tracker sees retransmissions and SACK blocks, and delivery" {
	lab_exec a nft -f - <<-'NFT'
	table ip6 v6kack {
		chain input {
			type filter hook input priority 0;
			tcp sport 8080 meta length > 100 numgen random mod 20 == 0 drop
		}
	}
	NFT
	fetch lossy --max-time 20
	lab_exec a nft delete table ip6 v6kack
	[ "$(field verdict)" = delivered ]
	[ "$(field retransmitted)" -gt 0 ]
	[ "$(field sack_blocks)" -gt 0 ]
	[ "$(field acks_out_of_window)" -eq 0 ]
	[ "$(field sack_invalid)" -eq 0 ]
}

@test "acktrack-core: a client that stops receiving after 200 kB gives partial; one that receives nothing, lost" {
	lab_exec a nft -f - <<-'NFT'
	table ip6 v6kack {
		chain input {
			type filter hook input priority 0;
			tcp sport 8080 quota over 200 kbytes drop
		}
	}
	NFT
	fetch quota
	lab_exec a nft delete table ip6 v6kack
	[ "$(field verdict)" = partial ]
	[ "$(field frag_bytes_acked)" -gt 100000 ]
	[ "$(field frag_bytes_acked)" -lt "$(field frag_bytes)" ]

	lab_exec a nft -f - <<-'NFT'
	table ip6 v6kack {
		chain input {
			type filter hook input priority 0;
			tcp sport 8080 meta length > 100 drop
		}
	}
	NFT
	fetch nothing
	lab_exec a nft delete table ip6 v6kack
	[ "$(field verdict)" = lost ]
	[ "$(field frag_bytes_acked)" -eq 0 ]
	[ "$(field retransmitted)" -gt 0 ]
}
