/* ackcheck.c - core/acktrack over a capture of one real TCP connection, for
 * the ACK-tracking core lab (tests/lab/acktrack-core-lab.bats): every data
 * segment the server sent counts as "sent in fragments" (httpfrag's case,
 * where nearly all are), the client's ACKs and SACK blocks come from its own
 * kernel.  Prints one JSON line: the binding-line counters and the verdict.
 *
 *   ackcheck PCAP SERVER-ADDR SERVER-PORT
 *
 * The first connection to SERVER-ADDR:SERVER-PORT in the capture is the one
 * tracked.  Exit 2 usage or unreadable capture.  Not part of v6kit.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acktrack.h"
#include "build.h"
#include "emit.h"
#include "pkt.h"

int main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	uint8_t srv[16];
	uint16_t port, cport = 0;
	struct acktrack a;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int dlt;
	uint64_t data_segments = 0;

	if (argc != 4 || inet_pton(AF_INET6, argv[2], srv) != 1) {
		fprintf(stderr, "usage: ackcheck PCAP SERVER-ADDR SERVER-PORT\n");
		return 2;
	}
	port = (uint16_t)atoi(argv[3]);
	pc = pcap_open_offline(argv[1], ebuf);
	if (!pc) {
		fprintf(stderr, "ackcheck: %s\n", ebuf);
		return 2;
	}
	dlt = pcap_datalink(pc);
	ackt_init(&a);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct pkt p;
		const struct pkt_ip *ip;

		pkt_parse(&p, dlt, data, h->caplen, h->len);
		ip = pkt_inner(&p);
		if (!ip || p.l4 != 6)
			continue;
		if (!memcmp(ip->src, srv, 16) && p.sport == port) {
			uint32_t hdr = p.l4_off - ip->off + p.l4_hlen;
			uint32_t len = ip->tot_len > hdr ? ip->tot_len - hdr : 0;

			if (!cport && (p.tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
				cport = p.dport;
			if (p.dport != cport)
				continue;
			ackt_backend_pkt(&a, &p);
			if (len) {
				ackt_frag(&a, p.tcp_seq, len);
				data_segments++;
			}
		} else if (!memcmp(ip->dst, srv, 16) && p.dport == port && cport && p.sport == cport) {
			ackt_client_pkt(&a, &p);
		}
	}
	em_init(true, stdout);
	em_begin("binding");
	em_u64(EM_ANY, "data_segments", NULL, data_segments);
	em_u64(EM_ANY, "frag_segments", NULL, a.frag_segments);
	em_u64(EM_ANY, "frag_bytes", NULL, a.frag_bytes);
	em_u64(EM_ANY, "frag_bytes_acked", NULL, a.frag_bytes_acked);
	em_u64(EM_ANY, "retransmitted", NULL, a.retransmitted);
	em_u64(EM_ANY, "acks", NULL, a.acks);
	em_u64(EM_ANY, "acks_stale", NULL, a.acks_stale);
	em_u64(EM_ANY, "acks_out_of_window", NULL, a.acks_out_of_window);
	em_u64(EM_ANY, "sack_blocks", NULL, a.sack_blocks);
	em_u64(EM_ANY, "sack_invalid", NULL, a.sack_invalid);
	em_u64(EM_ANY, "ranges", NULL, a.n);
	em_u64(EM_ANY, "merges", NULL, a.merges);
	em_str(EM_ANY, "verdict", NULL, ackt_verdict_name(ackt_verdict(&a)));
	em_end();
	pcap_close(pc);
	return 0;
}
