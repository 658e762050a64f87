#!/usr/bin/env bats
# packaging.bats - the Debian package, the systemd units and the release
# tarball (issue 18), and the quiet build (issue 17).
#
# setup_file builds the .deb once from a clean `git clone` of this tree's HEAD
# (committed work only) with dpkg-buildpackage, and unpacks it (dpkg -x) into
# a temporary root.  The unit labs then start each unit's ExecStart= exactly
# as systemd would: the unit file's command line with %i and the variables of
# the example configuration (EnvironmentFile=) and $LOGS_DIRECTORY expanded,
# as a fresh uid from DynamicUser='s range with only the unit's ambient and
# bounding capabilities, no new privileges and the unit's umask (setpriv),
# inside a namespace lab whose interfaces and addresses are the examples'.
# Two things differ from an installed system, and only in paths: the binary
# is the unpacked one, and /etc/v6kit and /var/log/v6kit are temporary
# directories.  systemd is not PID 1 here: the units are checked offline
# (systemd-analyze verify on the unit file, security --offline=true).

load lib/lab

UNIT_UID=61900	# in DynamicUser='s range (61184-65519), in no passwd file

setup_file() {
	: "${V6KIT_TOP:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
	export V6KIT_TOP
	# Walkable by the units' uid (bats' own temporary directory is not).
	PKG=$(mktemp -d "${TMPDIR:-/tmp}/v6kit-pkg.XXXXXX")
	chmod 0755 "$PKG"
	export PKG ROOT=$PKG/root
	if [ "${V6KIT_SANITIZE:-0}" = 1 ]; then
		# The package and the tarball are built from HEAD, not from the
		# binary under test: the ASan pass (make sanitize) would build the
		# same thing again.  make check builds and tests them.
		echo "the package is built from HEAD, not from the ASan binary: built and tested once, by make check" >"$PKG/build.skip"
	elif ! git -C "$V6KIT_TOP" rev-parse --git-dir >/dev/null 2>&1; then
		echo "not a git work tree (a release tarball?): no clean clone to build" >"$PKG/build.skip"
	elif ! command -v dpkg-buildpackage >/dev/null; then
		echo "dpkg-buildpackage missing (make deps installs dpkg-dev, debhelper)" >"$PKG/build.skip"
	else
		git clone -q "$V6KIT_TOP" "$PKG/src/v6kit" &&
			(cd "$PKG/src/v6kit" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS=parallel=2 \
				dpkg-buildpackage -us -uc -b) >"$PKG/build.log" 2>&1
		echo $? >"$PKG/build.rc"
		DEB=$(ls "$PKG"/src/v6kit_*.deb 2>/dev/null | head -n1)
		if [ -n "$DEB" ]; then
			dpkg -x "$DEB" "$ROOT"
			chmod 0755 "$ROOT"
		fi
	fi
	lab_require || true
}

teardown_file() {
	lab_cleanup
	[ -n "${PKG:-}" ] && rm -rf "$PKG"
}

teardown() {
	# Peers of a failed lab test must not outlive it.
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null || true; done <"$LAB_DIR/pids"
		rm -f "$LAB_DIR/pids"
	fi
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case "$ns" in "$LAB_ID"-*) lab_ns_kill "$ns"; ip netns del "$ns" 2>/dev/null || true ;; esac
	done
	return 0
}

need_deb() {
	[ ! -f "$PKG/build.skip" ] || skip "$(cat "$PKG/build.skip")"
	[ "$(cat "$PKG/build.rc")" = 0 ] || { tail -n 40 "$PKG/build.log"; return 1; }
	DEB=$(ls "$PKG"/src/v6kit_*.deb | grep -v dbgsym | head -n1)
	[ -f "$DEB" ] && [ -x "$ROOT/usr/bin/v6kit" ]
}

mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "$@"
}

# ---- the package --------------------------------------------------------

@test "deb: dpkg-buildpackage -us -uc -b builds from a clean clone" {
	need_deb
	version=$(mk -C "$V6KIT_TOP" -s version)
	[[ $DEB == */v6kit_${version}_*.deb ]]
	dpkg-deb -f "$DEB" Version | grep -qx "$version"
	# Depends from ${shlibs:Depends}: the libraries the binary links.
	deps=$(dpkg-deb -f "$DEB" Depends)
	for lib in libc6 libpcap libjansson libreadline; do
		[[ $deps == *"$lib"* ]] || { echo "Depends lacks $lib: $deps"; return 1; }
	done
	# The hardening flags of dpkg-buildflags reached the compiler.
	grep -q -- '-D_FORTIFY_SOURCE=2' "$PKG/build.log"
	grep -q -- '-Wl,-z,relro' "$PKG/build.log"
}

@test "deb: lintian reports no error and no warning" {
	need_deb
	command -v lintian >/dev/null || skip "no lintian"
	run lintian --fail-on error,warning "$DEB"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '^[EW]: ' <<<"$output"
}

@test "deb: dpkg-deb -c lists the binary, applet links, man pages, completions, units, docs" {
	need_deb
	list=$(dpkg-deb -c "$DEB" | awk '{ sub(/^\.\//, "/", $6); print $6 ($7 ? " " $7 " " $8 : "") }')
	want=(/usr/bin/v6kit /usr/share/man/man1/v6kit.1.gz
		/usr/share/bash-completion/completions/v6kit /usr/share/zsh/site-functions/_v6kit
		/usr/share/doc/v6kit/copyright /usr/share/doc/v6kit/README.md.gz
		/usr/share/doc/v6kit/changelog.gz /etc/logrotate.d/v6kit /etc/v6kit/
		/usr/share/doc/v6kit/examples/6in4-relay.table)
	for a in $("$ROOT/usr/bin/v6kit" --list | cut -f1); do
		want+=("/usr/bin/$a -> v6kit" "/usr/share/man/man1/v6kit-$a.1.gz"
			"/usr/share/man/man1/$a.1.gz -> v6kit-$a.1.gz"
			"/usr/share/bash-completion/completions/$a -> v6kit")
	done
	for a in dnsfrag httpfrag 6in4-relay ra-sniff; do
		want+=("/lib/systemd/system/v6kit-$a@.service" "/usr/share/doc/v6kit/examples/$a.conf")
	done
	for w in "${want[@]}"; do
		grep -qxF -- "$w" <<<"$list" || { echo "missing: $w"; echo "$list"; return 1; }
	done
	# Every man page of the tree is in the package.
	for page in "$V6KIT_TOP"/man/*.1; do
		grep -qxF "/usr/share/man/man1/${page##*/}.gz" <<<"$list" || { echo "missing ${page##*/}"; return 1; }
	done
	# And nothing else: each entry is wanted or a directory.
	while IFS= read -r l; do
		[[ $l == */ ]] && continue
		printf '%s\n' "${want[@]}" | grep -qxF -- "$l" && continue
		[[ $l == /usr/share/man/man1/v6kit*.1.gz ]] && continue
		echo "unexpected: $l"; return 1
	done <<<"$list"
}

@test "deb: the unpacked v6kit runs --version, --list and an offline checksum -r" {
	need_deb
	version=$(mk -C "$V6KIT_TOP" -s version)
	run "$ROOT/usr/bin/v6kit" --version
	[ "$status" -eq 0 ] && [ "$output" = "v6kit $version" ]
	run "$ROOT/usr/bin/v6kit" --list
	[ "$status" -eq 0 ]
	for a in checksum ra-sniff dnsfrag httpfrag pcap-replay 6in4-relay; do
		grep -q "^$a" <<<"$output" || { echo "no $a in --list"; return 1; }
	done
	run "$ROOT/usr/bin/checksum" -r "$V6KIT_TOP/tests/fixtures/checksum/mixed.pcap" --json
	[ "$status" -le 1 ]
	grep -q '"type":"summary"' <<<"$output"
	# The man pages carry the same version and the changelog's date.
	date=$(mk -C "$V6KIT_TOP" -s version >/dev/null; sed -n '/^ -- /{s/^ -- .*>  //p;q}' "$V6KIT_TOP/debian/changelog")
	date=$(date -u -d "$date" +%Y-%m-%d)
	for page in "$ROOT"/usr/share/man/man1/v6kit*.1.gz; do
		th=$(zcat "$page" | grep -m1 '^\.TH ')
		[[ $th == *"\"$date\" \"v6kit $version\""* ]] || { echo "${page##*/}: $th"; return 1; }
	done
}

@test "deb: postinst sets the file capabilities, or says plainly what to do" {
	need_deb
	command -v setcap >/dev/null && command -v getcap >/dev/null || skip "no setcap/getcap (libcap2-bin)"
	d=$(mktemp -d)
	chmod 0755 "$d"
	cp "$ROOT/usr/bin/v6kit" "$d/v6kit"
	# The script with its one path pointed at a copy of the binary.
	sed "s|^BIN=.*|BIN=$d/v6kit|" "$V6KIT_TOP/debian/postinst" | sed '/#DEBHELPER#/d' >"$d/postinst"
	run sh "$d/postinst" configure
	[ "$status" -eq 0 ] && [ -z "$output" ]
	getcap "$d/v6kit" | grep -q 'cap_net_bind_service,cap_net_admin,cap_net_raw=p'
	# v6kit makes them effective itself: a plain user runs a live applet.
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- \
		"$d/v6kit" ra-sniff -i lo --timeout 0.2 --json
	[ "$status" -eq 1 ] || { echo "ra-sniff as nobody with +p: $status: $output"; return 1; }
	setcap -r "$d/v6kit"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- \
		"$d/v6kit" ra-sniff -i lo --timeout 0.2 --json
	[ "$status" -eq 3 ]
	# A file system that cannot hold them: installation still succeeds.
	mkdir "$d/bin"
	printf '#!/bin/sh\necho "Failed to set capabilities: Operation not supported" >&2\nexit 1\n' >"$d/bin/setcap"
	chmod +x "$d/bin/setcap"
	run env PATH="$d/bin:$PATH" sh "$d/postinst" configure
	[ "$status" -eq 0 ]
	[[ $output == *"could not set file capabilities"* ]] && [[ $output == *"setcap cap_net_raw,cap_net_admin,cap_net_bind_service+p"* ]]
	# No setcap at all.
	run env PATH=/usr/bin/nonexistent:/bin/nosuch /bin/sh "$d/postinst" configure
	[ "$status" -eq 0 ]
	[[ $output == *"setcap not found"* ]]
	rm -rf "$d"
}

# ---- the units ----------------------------------------------------------

UNITS=(dnsfrag httpfrag 6in4-relay ra-sniff)

# A copy of each unpacked unit whose ExecStart= names the unpacked binary.
units_here() {
	mkdir -p "$PKG/units"
	for a in "${UNITS[@]}"; do
		sed "s|/usr/bin/v6kit|$ROOT/usr/bin/v6kit|" "$ROOT/lib/systemd/system/v6kit-$a@.service" \
			>"$PKG/units/v6kit-$a@.service"
	done
}

@test "units: every unit passes systemd-analyze verify" {
	need_deb
	units_here
	for a in "${UNITS[@]}"; do
		u=$PKG/units/v6kit-$a@.service
		# Documentation= (man:) is checked against the package's pages.
		run env MANPATH="$ROOT/usr/share/man" systemd-analyze verify "$u" "${u%.service}example.service"
		echo "# verify v6kit-$a@.service: status $status${output:+: $output}" >&3
		[ "$status" -eq 0 ] && [ -z "$output" ]
	done
}

@test "units: systemd-analyze security rates each at 3.5 or lower" {
	need_deb
	for a in "${UNITS[@]}"; do
		u=$ROOT/lib/systemd/system/v6kit-$a@.service
		run systemd-analyze security --offline=true --no-pager "$u"
		[ "$status" -eq 0 ] || { echo "$output"; return 1; }
		level=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$output")
		echo "# systemd-analyze security v6kit-$a@.service: $level" >&3
		[ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 3.5) }'
	done
}

@test "units: each runs unprivileged with only its capabilities, and the settings the issue asks for" {
	need_deb
	for a in "${UNITS[@]}"; do
		u=$ROOT/lib/systemd/system/v6kit-$a@.service
		for kv in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
			PrivateTmp=yes LogsDirectory=v6kit Restart=on-failure \
			'ExecReload=/bin/kill -HUP $MAINPID' "EnvironmentFile=/etc/v6kit/$a-%i.conf"; do
			grep -qxF -- "$kv" "$u" || { echo "$a: no $kv"; return 1; }
		done
		grep -q '^RestrictAddressFamilies=AF_' "$u"
		amb=$(sed -n 's/^AmbientCapabilities=//p' "$u")
		bnd=$(sed -n 's/^CapabilityBoundingSet=//p' "$u")
		[ -n "$amb" ] && [ "$amb" = "$bnd" ]
		case $a in
		dnsfrag) [ "$amb" = "CAP_NET_RAW CAP_NET_BIND_SERVICE" ] ;;
		httpfrag) [ "$amb" = "CAP_NET_RAW CAP_NET_ADMIN" ] ;;
		*) [ "$amb" = CAP_NET_RAW ] ;;
		esac
	done
}

# unit_value UNIT KEY: the value of KEY= in the unit file (last one).
unit_value() { sed -n "s/^$2=//p" "$1" | tail -n1; }

# setpriv's form of a unit's capability list: "CAP_NET_RAW CAP_X" -> "+net_raw,+x".
caps_setpriv() {
	local c out=""
	for c in $1; do
		c=${c#CAP_}
		out+=${out:+,}+${c,,}
	done
	printf '%s\n' "$out"
}

# unit_argv UNIT INSTANCE ENVFILE LOGDIR: the unit's ExecStart= command line
# as systemd builds it (systemd.service(5) "Command lines"): %i replaced;
# "$VAR" alone is the variable's value split at white space; "${VAR}" is
# replaced inside its word.  The variables are those of EnvironmentFile= and
# LOGS_DIRECTORY (LogsDirectory=).  One argument per line.
unit_argv() {
	local unit=$1 inst=$2 envfile=$3 logdir=$4 line w name val
	line=$(unit_value "$unit" ExecStart)
	line=${line//%i/$inst}
	(
		set -a
		# shellcheck disable=SC1090
		. "$envfile"
		LOGS_DIRECTORY=$logdir
		set +a -f
		for w in $line; do
			if [[ $w =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
				for val in ${!BASH_REMATCH[1]}; do printf '%s\n' "$val"; done
			else
				while [[ $w =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
					name=${BASH_REMATCH[1]}
					w=${w//\$\{$name\}/${!name}}
				done
				printf '%s\n' "$w"
			fi
		done
	)
}

# unit_start NS APPLET INSTANCE: run v6kit-APPLET@INSTANCE's ExecStart= in
# namespace NS as systemd would, with the example configuration (its
# /etc/v6kit paths moved to $ETC).  Sets UPID, ULOG (the --log file), UOUT.
unit_start() {
	local ns=$1 a=$2 inst=$3 unit amb bnd um
	unit=$ROOT/lib/systemd/system/v6kit-$a@.service
	ETC=$PKG/etc-$a LOGS=$PKG/log-$a
	mkdir -p "$ETC" "$LOGS"
	for f in "$ROOT"/usr/share/doc/v6kit/examples/"$a".*; do
		sed "s|/etc/v6kit/|$ETC/|g" "$f" >"$ETC/$a-$inst.${f##*.}"
	done
	chmod 0755 "$ETC"
	chmod 0644 "$ETC"/*
	# LogsDirectory=v6kit, LogsDirectoryMode=0750, owned by the unit's user.
	chown "$UNIT_UID:$UNIT_UID" "$LOGS"
	chmod "$(unit_value "$unit" LogsDirectoryMode)" "$LOGS"
	mapfile -t argv < <(unit_argv "$unit" "$inst" "$ETC/$a-$inst.conf" "$LOGS")
	[ "${argv[0]}" = /usr/bin/v6kit ] || { echo "ExecStart= runs ${argv[0]}"; return 1; }
	argv[0]=$ROOT/usr/bin/v6kit
	echo "# $a: ${argv[*]}" >&3
	ULOG=$LOGS/$a-$inst.json
	amb=$(caps_setpriv "$(unit_value "$unit" AmbientCapabilities)")
	bnd=$(caps_setpriv "$(unit_value "$unit" CapabilityBoundingSet)")
	um=$(umask)
	umask "$(unit_value "$unit" UMask)"
	lab_bg "$ns" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LOGS_DIRECTORY="$LOGS" \
		setpriv --reuid="$UNIT_UID" --regid="$UNIT_UID" --clear-groups \
		--inh-caps=-all,"$amb" --ambient-caps=-all,"$amb" --bounding-set=-all,"$bnd" \
		--no-new-privs -- "${argv[@]}"
	umask "$um"
	UPID=$LAB_BG_PID UOUT=$LAB_BG_OUT UERR=$LAB_BG_ERR
}

# caps_mask "CAP_A CAP_B": the capability bit mask.
caps_mask() {
	local c m=0
	for c in $1; do
		m=$(( m | 1 << $(capsh --explain="${c,,}" 2>/dev/null | sed -n 's/^[a-z_]* (\([0-9]*\)).*/\1/p;q') ))
	done
	echo "$m"
}

# The running daemon is what the unit promises: our uid, no new privileges,
# no effective capability beyond AmbientCapabilities=, the unit's bounding set.
unit_check_creds() {
	local st u amb bnd eff cbnd
	u=$ROOT/lib/systemd/system/v6kit-$1@.service
	st=$(cat "/proc/$UPID/status")
	grep -q "^Uid:[[:space:]]*$UNIT_UID[[:space:]]" <<<"$st" || { echo "$st"; return 1; }
	grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$st"
	amb=$(caps_mask "$(unit_value "$u" AmbientCapabilities)")
	bnd=$(caps_mask "$(unit_value "$u" CapabilityBoundingSet)")
	eff=$((16#$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$st")))
	cbnd=$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' <<<"$st")))
	echo "# $1: CapEff $(printf %x $eff), unit ambient $(printf %x $amb)" >&3
	[ $(( eff & ~amb )) -eq 0 ] || { echo "CapEff $eff beyond $amb"; return 1; }
	[ "$cbnd" -eq "$bnd" ] || { echo "CapBnd $cbnd, unit $bnd"; return 1; }
}

# unit_rotate: what /etc/logrotate.d/v6kit does, on our log directory, with
# its postrotate (systemctl reload = ExecReload= = SIGHUP) sent to our daemon.
unit_rotate() {
	sed -e "s|/var/log/v6kit/|$LOGS/|" \
		-e "s|systemctl reload .*|kill -HUP $UPID|" "$ROOT/etc/logrotate.d/v6kit" >"$PKG/logrotate.conf"
	logrotate -f -s "$PKG/logrotate.state" "$PKG/logrotate.conf"
	[ -f "$ULOG.1" ] || { ls -l "$LOGS"; return 1; }
}

# unit_stop: SIGTERM; the daemon exits 0 within 10 s with a summary line.
unit_stop() {
	kill -TERM "$UPID"
	lab_wait 10 eval "! kill -0 $UPID" || { echo "still running after SIGTERM"; return 1; }
	wait "$UPID"
	local rc=$?
	[ "$rc" -eq 0 ] || { echo "exit $rc"; cat "$UERR"; return 1; }
	tail -n1 "$ULOG" | grep -q '"type":"summary"'
}

lab_here() {
	lab_check
	need_deb
	command -v setpriv >/dev/null && command -v capsh >/dev/null || skip "no setpriv/capsh"
}

@test "lab: v6kit-dnsfrag@ serves dig in fragments as the unit's user, reopens its log on SIGHUP, stops on SIGTERM" {
	lab_here
	lab_ns s && lab_ns c && lab_link s eth0 c c0
	lab_addr s eth0 2001:db8:53::53/64 && lab_addr c c0 2001:db8:53::2/64
	unit_start s dnsfrag example
	q() { lab_exec c dig @2001:db8:53::53 +notcp +bufsize=4096 +tries=1 +time=1 "$1" TXT; }
	lab_capture c c0 "$PKG/dns.pcap" ip6
	lab_wait 10 q ready.example.com >/dev/null || { cat "$UERR"; return 1; }
	run q one.example.com
	[[ $output == *"status: NOERROR"* ]] && [[ $output =~ MSG\ SIZE\ +rcvd:\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -gt 1500 ]
	lab_capture_stop "$PKG/dns.pcap"
	# The client's kernel saw fragments, none over --frag-size 512.
	frags=$(tcpdump -nr "$PKG/dns.pcap" 'ip6 and ip6[6] = 44' 2>/dev/null | wc -l)
	big=$(tcpdump -nr "$PKG/dns.pcap" 'ip6 and ip6[6] = 44 and ip6[4:2] > 472' 2>/dev/null | wc -l)
	echo "# dnsfrag: $frags fragments on the wire" >&3
	[ "$frags" -ge 8 ] && [ "$big" -eq 0 ]
	grep '"qname":"one.example.com."' "$ULOG" | grep -q '"fragments":[4-9]'
	unit_check_creds dnsfrag
	# Rotation: the next query lands in a new file.
	unit_rotate
	lab_wait 5 q two.example.com >/dev/null
	lab_wait 5 grep -q two.example.com "$ULOG"
	! grep -q two.example.com "$ULOG.1"
	kill -0 "$UPID"
	unit_stop
}

@test "lab: v6kit-6in4-relay@ relays protocol 41 as the unit's user, reloads (table, log) on SIGHUP, stops on SIGTERM" {
	lab_here
	lab_ns r && lab_ns l && lab_link r eth0 l l0
	lab_exec l ip link set l0 address 02:00:00:00:41:10
	lab_addr r eth0 192.0.2.1/24 && lab_addr l l0 192.0.2.10/24 && lab_addr l l0 198.51.100.1/32
	unit_start r 6in4-relay example
	rmac=$(lab_mac r eth0)
	send() {	# one 6in4 packet from the tunnel server to inner $1
		lab_exec l /usr/bin/python3 -c '
import sys
from scapy.all import Ether, IP, IPv6, ICMPv6EchoRequest, sendp
sendp(Ether(dst=sys.argv[1]) / IP(src="198.51.100.1", dst="192.0.2.1", proto=41) /
      IPv6(src="2001:db8:ffff::1", dst=sys.argv[2]) / ICMPv6EchoRequest(), iface="l0", verbose=0)' "$rmac" "$1"
	}
	lab_capture l l0 "$PKG/relay.pcap" ip proto 41 and dst host 192.0.2.10
	relayed() { [ "$(tcpdump -nr "$PKG/relay.pcap" 2>/dev/null | grep -c "> $1")" -ge 1 ]; }
	# Sent until the relay is up; the relayed copy arrives at the host.
	lab_wait 10 eval "send 2001:db8:41::10; sleep 0.2; relayed 2001:db8:41::10" || { cat "$UERR"; return 1; }
	unit_check_creds 6in4-relay
	# SIGHUP re-reads the table (a second host) and reopens the log.
	echo "2001:db8:41::11 192.0.2.10 02:00:00:00:41:10 6in4" >>"$ETC/6in4-relay-example.table"
	# (logrotate leaves an empty log alone: a stats line first.)
	kill -USR1 "$UPID"
	lab_wait 5 grep -q '"type":"stats"' "$ULOG"
	unit_rotate
	lab_wait 5 grep -q '"type":"reload".*"destinations":2' "$ULOG" || { cat "$ULOG"* "$UERR"; return 1; }
	lab_wait 10 eval "send 2001:db8:41::11; sleep 0.2; relayed 2001:db8:41::11"
	lab_capture_stop "$PKG/relay.pcap"
	unit_stop
	grep '"type":"summary"' "$ULOG" | grep -q '"relayed":{[^}]*"2001:db8:41::11":[1-9]'
}

@test "lab: v6kit-httpfrag@ serves curl through fragments as the unit's user, reopens its log on SIGHUP, stops on SIGTERM" {
	lab_here
	command -v curl >/dev/null && command -v nft >/dev/null || skip "no curl/nft"
	lab_ns c && lab_ns f && lab_ns b && lab_link c c0 f eth0 && lab_link f f1 b b0
	lab_addr c c0 2001:db8:80::2/64 && lab_addr f eth0 2001:db8:80::80/64
	lab_addr f f1 2001:db8:8080::1/64 && lab_addr b b0 2001:db8:8080::80/64
	mkdir -p "$PKG/www"
	head -c 300000 /dev/urandom >"$PKG/www/blob"
	lab_bg b /usr/bin/python3 -m http.server --bind 2001:db8:8080::80 --directory "$PKG/www" 80
	lab_wait 10 lab_exec f curl -gsf -o /dev/null "http://[2001:db8:8080::80]/blob"
	unit_start f httpfrag example
	lab_wait 15 grep -q '"type":"ready"' "$ULOG" || { cat "$UOUT" "$UERR"; return 1; }
	unit_check_creds httpfrag
	lab_capture c c0 "$PKG/http.pcap" ip6
	run lab_exec c curl -gsf --max-time 20 -o "$PKG/got" "http://[2001:db8:80::80]/blob"
	[ "$status" -eq 0 ] || { cat "$UERR"; return 1; }
	lab_capture_stop "$PKG/http.pcap"
	cmp "$PKG/www/blob" "$PKG/got"
	frags=$(tcpdump -nr "$PKG/http.pcap" 'ip6 and ip6[6] = 44' 2>/dev/null | wc -l)
	echo "# httpfrag: $frags fragments on the wire" >&3
	[ "$frags" -ge 100 ]
	# --manage-host worked as the unit's user: its table exists.
	lab_exec f nft list tables | grep -q v6kit
	unit_rotate
	kill -USR1 "$UPID"
	lab_wait 5 grep -q '"type":"stats"' "$ULOG" || { cat "$UERR"; return 1; }
	unit_stop
	# ... and is gone again.
	! lab_exec f nft list tables | grep -q v6kit
}

@test "lab: v6kit-ra-sniff@ logs RAs as the unit's user, reopens its log on SIGHUP, stops on SIGTERM" {
	lab_here
	lab_ns m && lab_ns p && lab_link m eth0 p p0
	# With the file capabilities postinst sets ("+p"): the file's caps
	# cancel the ambient ones, the bounding set caps them, v6kit makes
	# them effective.  ("+ep" would make execve fail here.)
	setcap cap_net_raw,cap_net_admin,cap_net_bind_service+p "$ROOT/usr/bin/v6kit"
	unit_start m ra-sniff example
	ra() {
		lab_exec p /usr/bin/python3 -c '
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptPrefixInfo, sendp, get_if_hwaddr
mac = get_if_hwaddr("p0")
sendp(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255) /
      ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=mac) /
      ICMPv6NDOptPrefixInfo(prefix="2001:db8:ad::", prefixlen=64), iface="p0", verbose=0)'
	}
	lab_wait 10 eval 'ra; sleep 0.2; grep -q "\"type\":\"ra\"" "$ULOG"' || { cat "$UOUT" "$UERR"; return 1; }
	grep -q '2001:db8:ad::' "$ULOG"
	unit_check_creds ra-sniff
	unit_rotate
	lab_wait 10 eval 'ra; sleep 0.2; grep -q "\"type\":\"ra\"" "$ULOG"'
	unit_stop
	setcap -r "$ROOT/usr/bin/v6kit"
}

# unit_syscalls UNIT: the system calls the unit's SystemCallFilter= lines
# allow (the first line an allow list, "~" lines deny lists), expanded by
# systemd-analyze syscall-filter, one per line.
unit_syscalls() {
	systemd-analyze syscall-filter --no-pager 2>/dev/null | /usr/bin/python3 -c '
import sys
groups, cur = {}, None
for l in sys.stdin:
    if l.startswith("@"):		# a group; its members are indented
        cur = l.split()[0]; groups[cur] = []
    elif l.strip() and not l.strip().startswith("#") and cur:
        groups[cur].append(l.strip())
def expand(names):
    out = set()
    for n in names:
        out |= expand(groups.get(n, [])) if n.startswith("@") else {n}
    return out
allow, deny = None, set()
for line in open(sys.argv[1]):
    if not line.startswith("SystemCallFilter="):
        continue
    v = line.split("=", 1)[1].split()
    if v and v[0].startswith("~"):
        deny |= expand([v[0][1:]] + v[1:])
    else:
        allow = expand(v) if allow is None else allow | expand(v)
print("\n".join(sorted((allow or set()) - deny)))' "$1"
}

@test "lab: every system call the daemons make (example configuration, strace) is within their SystemCallFilter=" {
	lab_here
	command -v strace >/dev/null || skip "no strace"
	lab_ns a && lab_ns b && lab_link a eth0 b p0 && lab_link a f1 b b0
	lab_addr a eth0 2001:db8:53::53/64 && lab_addr a eth0 2001:db8:80::80/64
	lab_addr a eth0 192.0.2.1/24 && lab_addr a f1 2001:db8:8080::1/64 && lab_addr b b0 2001:db8:8080::80/64
	for a in "${UNITS[@]}"; do
		unit=$ROOT/lib/systemd/system/v6kit-$a@.service
		ETC=$PKG/sc-etc-$a LOGS=$PKG/sc-log-$a
		mkdir -p "$ETC" "$LOGS"
		for f in "$ROOT"/usr/share/doc/v6kit/examples/"$a".*; do
			sed "s|/etc/v6kit/|$ETC/|g" "$f" >"$ETC/$a-example.${f##*.}"
		done
		mapfile -t argv < <(unit_argv "$unit" example "$ETC/$a-example.conf" "$LOGS")
		argv[0]=$ROOT/usr/bin/v6kit
		# Set-up, a second of running, the summary: as root, for strace.
		# (ra-sniff exits 1: no RA came.)
		lab_exec a strace -f -qq -o "$PKG/$a.strace" "${argv[@]}" --timeout 1 >/dev/null 2>"$PKG/$a.err" ||
			[ $? -eq 1 ] ||
			{ cat "$PKG/$a.err"; return 1; }
		# v6kit's own calls: not those of programs it runs (httpfrag: nft).
		used=$(awk '$2 ~ /^execve\(/ { if (index($0, "/nft")) skip[$1] = 1 } !skip[$1]' "$PKG/$a.strace" |
			sed -n 's/^[0-9]*  *\([a-z0-9_]*\)(.*/\1/p; s/^[0-9]*  *<\.\.\. \([a-z0-9_]*\) resumed>.*/\1/p' | sort -u)
		bad=$(comm -23 <(printf '%s\n' "$used") <(unit_syscalls "$unit" | sort -u))
		echo "# $a: $(wc -l <<<"$used") system calls, outside the filter: ${bad:-none}" >&3
		[ "$(wc -l <<<"$used")" -gt 20 ] && [ -z "$bad" ]
	done
}

@test "--log (the units' log file) in httpfrag, 6in4-relay, ra-sniff: JSON only, opened at start, exit 2 or 3 otherwise" {
	: "${V6KIT:=$V6KIT_TOP/build/v6kit}"
	d=$(mktemp -d)
	for a in "httpfrag -i lo -l ::1 --backend ::1" "6in4-relay -r x.pcap --dest 2001:db8::1,192.0.2.2,02:00:00:00:00:01" \
		"ra-sniff -r x.pcap"; do
		# shellcheck disable=SC2086
		run "$V6KIT" $a --log "$d/x.json"
		[ "$status" -eq 2 ] && [[ $output == *"--log writes JSON lines: it needs --json"* ]] || { echo "$a: $output"; return 1; }
	done
	# Offline runs write the same lines to stdout and the file.
	run "$V6KIT" ra-sniff -r "$V6KIT_TOP/tests/fixtures/ra/hbh.pcap" --json --log "$d/ra.json"
	[ "$status" -le 1 ]
	[ "$output" = "$(cat "$d/ra.json")" ] && grep -q '"type":"summary"' "$d/ra.json"
	run "$V6KIT" ra-sniff -r "$V6KIT_TOP/tests/fixtures/ra/hbh.pcap" --json --log "$d/no/such/dir.json"
	[ "$status" -eq 3 ] && [[ $output == *"cannot open --log file"* ]]
	rm -rf "$d"
}

# ---- the release tarball and the build ----------------------------------

@test "make dist: the tarball builds quietly and passes make test elsewhere" {
	[ ! -f "$PKG/build.skip" ] || skip "$(cat "$PKG/build.skip")"
	version=$(mk -C "$V6KIT_TOP" -s version)
	# From the clean clone: the tarball is of HEAD.
	run mk -C "$PKG/src/v6kit" dist
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	tarball=$PKG/src/v6kit/v6kit-$version.tar.gz
	d=$PKG/dist
	mkdir -p "$d"
	tar -C "$d" -xzf "$tarball"
	top=$d/v6kit-$version
	[ -f "$top/Makefile" ] && [ -f "$top/debian/changelog" ] && [ ! -e "$top/.git" ]
	run mk -C "$top" -j2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# Quiet: one short line per step, no compiler command lines.
	grep -qx '  CC      core/pkt.o' <<<"$output"
	grep -qx '  AR      libv6core.a' <<<"$output"
	grep -qx '  LD      v6kit' <<<"$output"
	! grep -Eq '^(cc|gcc) ' <<<"$output"
	[ "$("$top/build/v6kit" --version)" = "v6kit $version" ]
	# The unit tests and the offline suites (the labs need minutes and run in
	# `make check` from the work tree; packaging.bats would build all this again).
	# A clean environment: nothing of this bats run leaks into that one.
	run env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 make --no-print-directory -C "$top" test \
		V6KIT_SUITES="tests/checksum.bats tests/v6kit.bats tests/man.bats tests/conventions.bats tests/completions.bats tests/install.bats"
	echo "${output: -2000}"
	[ "$status" -eq 0 ]
	[[ $output =~ ([0-9]+)\ passed,\ 0\ failed ]] && [ "${BASH_REMATCH[1]}" -gt 50 ]
}

@test "make: V=1 shows the commands; warnings and errors still show in full" {
	[ ! -f "$PKG/build.skip" ] || skip "$(cat "$PKG/build.skip")"
	src=$PKG/src/v6kit
	run mk -C "$src" -B V=1 BUILD=build-v build-v/core/csum.o
	[ "$status" -eq 0 ]
	grep -Eq '^(cc|gcc) .*-c -o build-v/core/csum.o core/csum.c' <<<"$output"
	! grep -q '^  CC ' <<<"$output"
	# A warning (an error under -Werror) shows with file, line and text.
	printf 'int f(void);\nint f(void) { int unused; return 0; }\n' >"$src/core/zz_warn.c"
	run mk -C "$src" BUILD=build-v build-v/core/zz_warn.o
	rm -f "$src/core/zz_warn.c"
	[ "$status" -ne 0 ]
	grep -qx '  CC      core/zz_warn.o' <<<"$output"
	grep -q "core/zz_warn.c:2:.*unused variable .unused." <<<"$output"
	grep -q 'int unused' <<<"$output"
}
