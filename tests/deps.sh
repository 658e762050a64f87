#!/usr/bin/env bash
# Install the Debian packages v6kit needs to build and test (apt-get, as root);
# print the command instead when not root.  Quiet when everything is present.
set -eu
BUILD_PKGS="gcc make pkg-config libpcap-dev libjansson-dev libreadline-dev"
TEST_PKGS="bats python3 python3-scapy tshark tcpdump tcpreplay iproute2 ethtool nftables
 valgrind radvd ndisc6 dnsutils dnsmasq dnsperf procps util-linux clang libclang-rt-14-dev
 zsh man-db groff-base iputils-ping jq curl libcap2-bin nginx openssl
 unbound knot-resolver ipv6toolkit thc-ipv6 lintian debhelper dpkg-dev systemd logrotate"
missing=()
for p in $BUILD_PKGS $TEST_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "v6kit deps: missing packages; run as root:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
echo "v6kit deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
