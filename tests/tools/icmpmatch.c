/* icmpmatch.c - core/icmperr over a capture, for the ICMPv6 core lab
 * (tests/lab/icmperr-core-lab.bats): the fragmented datagrams named on the
 * command line count as sent; every ICMPv6 error in the capture is matched
 * against them.  Writes one JSON `icmp` line per matched error (core/emit)
 * and a last {"type":"summary","results":{...},"icmp_errors":{...}} line.
 *
 *   icmpmatch PCAP SRC DST PROTO SPORT DPORT FRAG-ID...
 *
 * Exit 2 usage or unreadable capture.  Not part of v6kit.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "icmperr.h"
#include "pkt.h"

int main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct icmperr_send s = { 0 };
	struct icmperr *t;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int dlt;

	if (argc < 8 || inet_pton(AF_INET6, argv[2], s.src) != 1 ||
	    inet_pton(AF_INET6, argv[3], s.client) != 1) {
		fprintf(stderr, "usage: icmpmatch PCAP SRC DST PROTO SPORT DPORT FRAG-ID...\n");
		return 2;
	}
	s.proto = (uint8_t)atoi(argv[4]);
	s.sport = (uint16_t)atoi(argv[5]);
	s.dport = (uint16_t)atoi(argv[6]);
	pc = pcap_open_offline(argv[1], ebuf);
	if (!pc) {
		fprintf(stderr, "icmpmatch: %s\n", ebuf);
		return 2;
	}
	dlt = pcap_datalink(pc);
	t = icmperr_new(0, 0);
	for (int i = 7; i < argc; i++) {
		s.frag_id = (uint32_t)strtoul(argv[i], NULL, 0);
		s.tag = (uint64_t)i;
		icmperr_note_send(t, &s, 0);
	}
	em_init(true, stdout);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct pkt p;
		struct icmperr_report r;

		pkt_parse(&p, dlt, data, h->caplen, h->len);
		if (p.l4 != 58)
			continue;
		if (icmperr_input_pkt(t, &p, 1, &r) == ICMPERR_MATCHED)
			icmperr_put(&r, (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec);
	}
	{
		const struct icmperr_counters *c = icmperr_counters(t);

		em_begin("summary");
		em_obj_begin(EM_ANY, "results", NULL);
		for (int i = 0; i < ICMPERR_R_N; i++)
			em_u64(EM_ANY, icmperr_result_name(i), NULL, c->results[i]);
		em_obj_end(EM_ANY, NULL);
		em_obj_begin(EM_ANY, "icmp_errors", NULL);
		for (int i = 0; i < ICMPERR_T_N; i++)
			em_u64(EM_ANY, icmperr_type_name((uint8_t)(i + 1)), NULL, c->errors[i]);
		em_obj_end(EM_ANY, NULL);
		em_end();
	}
	icmperr_free(t);
	pcap_close(pc);
	return 0;
}
