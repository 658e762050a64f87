/* v6send.c - test tool: build one UDP/IPv6 datagram (RFC 8200, RFC 768) in an
 * Ethernet frame with core/build and send it with core/pio (AF_PACKET or
 * pcap_inject); the next-hop MAC comes from --dst-mac or core/netlink.
 *
 *   v6send -i IF --dst ADDR --dport N [--src ADDR] [--sport N]
 *          [--payload TEXT] [--dst-mac MAC] [--tx packet|pcap] [--count N]
 *          [--vlan TCI] [--timeout MS] [-w FILE]
 *   v6send --resolve ADDR [-i IF] [--timeout MS]   # prints: IF NEXTHOP MAC
 *
 * Exit 0 sent/resolved, 1 send or resolution failed, 2 usage, 3 resource.
 * Not part of v6kit: labs use it to prove the packet core end to end.
 */
#include "args.h"
#include "build.h"
#include "netlink.h"
#include "pio.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: v6send -i IF --dst ADDR --dport N [--src ADDR] [--sport N] [--payload TEXT]\n"
		"              [--dst-mac MAC] [--tx packet|pcap] [--count N] [--vlan TCI]\n"
		"              [--timeout MS] [-w FILE]\n"
		"       v6send --resolve ADDR [-i IF] [--timeout MS]\n");
	exit(code);
}

/* Source address: the first global (else link-local) IPv6 address of the
 * interface that is not tentative. */
static void pick_src(int ifindex, const char *ifname, uint8_t src[16])
{
	struct nl_addr a[32];
	int n = nl_addrs(ifindex, 6, a, 32), best = -1;

	if (n < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	for (int i = 0; i < n && i < 32; i++) {
		if (a[i].flags & 0x40)	/* IFA_F_TENTATIVE */
			continue;
		if (a[i].scope == 0) {
			best = i;
			break;
		}
		if (best < 0 && a[i].scope == 253)
			best = i;
	}
	if (best < 0)
		die(EXIT_RESOURCE, "%s has no usable IPv6 address; give --src", ifname);
	memcpy(src, a[best].addr, 16);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, 0, 'i' }, { "dst", required_argument, 0, 'd' },
		{ "src", required_argument, 0, 's' }, { "sport", required_argument, 0, 'S' },
		{ "dport", required_argument, 0, 'D' }, { "payload", required_argument, 0, 'p' },
		{ "dst-mac", required_argument, 0, 'm' }, { "tx", required_argument, 0, 't' },
		{ "count", required_argument, 0, 'c' }, { "vlan", required_argument, 0, 'V' },
		{ "timeout", required_argument, 0, 'T' }, { "resolve", required_argument, 0, 'R' },
		{ "write", required_argument, 0, 'w' }, { "help", no_argument, 0, 'h' },
		{ 0 }
	};
	const char *ifname = NULL, *payload = "v6send", *wfile = NULL;
	uint8_t dst[16], src[16], nh[16], dmac[6], smac[6], frame[2048];
	bool have_dst = false, have_src = false, have_dmac = false, resolve = false, have_dport = false;
	uint64_t sport = 40000, dport = 0, count = 1, timeout = 2000;
	long vlan = BUILD_NO_VLAN;
	enum pio_tx_kind kind = PIO_TX_PACKET;
	char text[46], mtext[18];
	int ifindex = 0, c, rc;
	struct wcur w;
	size_t ip_off;

	v6_applet = "v6send";
	while ((c = getopt_long(argc, argv, "i:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'd': arg_ip6("dst", optarg, dst); have_dst = true; break;
		case 'R': arg_ip6("resolve", optarg, dst); have_dst = resolve = true; break;
		case 's': arg_ip6("src", optarg, src); have_src = true; break;
		case 'S': sport = arg_uint("sport", optarg, 0, 65535); break;
		case 'D': dport = arg_uint("dport", optarg, 0, 65535); have_dport = true; break;
		case 'p': payload = optarg; break;
		case 'm': arg_mac("dst-mac", optarg, dmac); have_dmac = true; break;
		case 'c': count = arg_uint("count", optarg, 0, 1000000); break;
		case 'V': vlan = (long)arg_uint("vlan", optarg, 0, 0xffff); break;
		case 'T': timeout = arg_uint("timeout", optarg, 0, 600000); break;
		case 'w': wfile = optarg; break;
		case 't':
			if (!strcmp(optarg, "packet"))
				kind = PIO_TX_PACKET;
			else if (!strcmp(optarg, "pcap"))
				kind = PIO_TX_PCAP;
			else
				die_usage("invalid --tx value '%s': packet or pcap", optarg);
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || !have_dst || (!resolve && (!ifname || !have_dport)))
		usage(2);
	if (ifname && (ifindex = nl_ifindex(ifname)) < 0)
		die(EXIT_RESOURCE, "%s", nl_error());

	if (resolve || !have_dmac) {
		rc = nl_nexthop6(dst, &ifindex, nh, dmac, (unsigned)timeout);
		if (rc < 0) {
			warnmsg("%s", nl_error());
			return rc == -ENETUNREACH || rc == -EHOSTUNREACH ? EXIT_FAIL : EXIT_RESOURCE;
		}
		if (resolve) {
			struct nl_link l;

			if (nl_link_get(NULL, ifindex, &l) < 0)
				die(EXIT_RESOURCE, "%s", nl_error());
			printf("%s %s %s\n", l.name, fmt_ip6(nh, text), fmt_mac(dmac, mtext));
			return EXIT_OK;
		}
	}
	if (nl_ifmac(ifindex, smac) < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	if (!have_src)
		pick_src(ifindex, ifname, src);

	wcur_init(&w, frame, sizeof(frame));
	build_eth(&w, dmac, smac, (int)vlan, 0x86dd);
	ip_off = wcur_off(&w);
	build_ip6(&w, src, dst, 17, 64, 0, 0, 0);
	build_udp(&w, (uint16_t)sport, (uint16_t)dport, payload, strlen(payload));
	if (!build_ip_finish(&w, ip_off) || !build_l4_checksum(&w, ip_off))
		die_usage("payload too large for one frame");

	if (wfile) {
		struct pio_dump *d = pio_dump_open(wfile, 1, 0, 0);
		struct pio_frame f = { frame, (uint32_t)wcur_off(&w), (uint32_t)wcur_off(&w), 0, 0 };
		uint64_t us = now_wall_us();

		f.ts_sec = (int64_t)(us / 1000000);
		f.ts_nsec = (uint32_t)(us % 1000000) * 1000;
		pio_dump_write(d, &f);
		if (pio_dump_close(d) < 0)
			die(EXIT_FAIL, "%s: %s", wfile, "write failed");
	}

	struct pio_tx *tx = pio_tx_open(ifname ? ifname : "", kind);
	uint64_t sent, bytes, failed;
	int last = 0;

	for (uint64_t i = 0; i < count; i++) {
		rc = pio_tx_send(tx, frame, wcur_off(&w));
		if (rc < 0)
			last = rc;
	}
	pio_tx_counters(tx, &sent, &bytes, &failed);
	pio_tx_close(tx);
	if (failed) {
		warnmsg("%llu of %llu sends failed: %s", (unsigned long long)failed,
			(unsigned long long)count, strerror(-last));
		return EXIT_FAIL;
	}
	printf("sent %llu frame(s) of %zu octets via %s\n", (unsigned long long)sent, wcur_off(&w),
	       kind == PIO_TX_PACKET ? "packet" : "pcap");
	return EXIT_OK;
}
