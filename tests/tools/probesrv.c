/* probesrv.c - core/probe behind a plain kernel UDP socket, for the probe
 * core's lab (tests/lab/probe-core-lab.bats): a real recursive resolver
 * (unbound) resolves probe names against it, so the answers, the NONCE
 * round trip and the verdicts are proven against an independent peer before
 * dnsfrag carries them.  The kernel fragments the probe answers itself here
 * (that is dnsfrag's job); this tool is about the DNS side.
 *
 *   probesrv LISTEN-ADDR PORT ZONE SIZE TIMEOUT-MS SECONDS
 *
 * Writes one JSON `verdict` line per probe name (core/emit), then a last line
 * {"type":"summary",...} with the table's counters, after SECONDS (every
 * probe still open then ends `unknown`).  Exit 2 usage, 3 sockets.  Not part
 * of v6kit.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "emit.h"
#include "probe.h"
#include "util.h"

static void on_verdict(void *ctx, const struct probe_verdict *v)
{
	(void)ctx;
	probe_put_verdict(v, now_wall_us());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static uint8_t in[DNS_MSG_MAX], out[DNS_MSG_MAX];
	struct probe_cfg cfg = { .on_verdict = on_verdict };
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct probe_table *t;
	const char *why;
	char err[128];
	uint64_t stop;
	int fd;

	if (argc != 7 || inet_pton(AF_INET6, argv[1], &sa.sin6_addr) != 1 ||
	    !probe_zone_parse(argv[3], &cfg.zone, &why)) {
		fprintf(stderr, "usage: probesrv LISTEN-ADDR PORT ZONE SIZE TIMEOUT-MS SECONDS\n");
		return 2;
	}
	sa.sin6_port = htons((uint16_t)atoi(argv[2]));
	memcpy(cfg.addr, &sa.sin6_addr, 16);
	cfg.size = (uint32_t)atoi(argv[4]);
	cfg.timeout_us = (uint64_t)atoll(argv[5]) * 1000;
	stop = now_mono_us() + (uint64_t)atoll(argv[6]) * 1000000;
	em_init(true, stdout);
	t = probe_new(&cfg, err);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (!t || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("probesrv");
		return 3;
	}
	for (;;) {
		uint64_t now = now_mono_us(), wake = probe_next_deadline(t);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		struct dns_msg q;
		struct probe_answer a;
		ssize_t n;

		if (now >= stop)
			break;
		if (wake > stop)
			wake = stop;
		if (poll(&pfd, 1, wake <= now ? 0 : (int)((wake - now + 999) / 1000)) > 0) {
			n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
			if (n > 0 && dns_parse(in, (size_t)n, &q) == DNS_OK && !(q.flags & DNS_F_QR)) {
				enum probe_kind k = probe_query(t, &q, from.sin6_addr.s6_addr, now_mono_us(),
								out, sizeof(out), &a);

				if (k == PROBE_K_OUTSIDE)
					a.len = dns_build_error(&q, DNS_REFUSED, out, sizeof(out));
				if (a.len && sendto(fd, out, a.len, 0, (struct sockaddr *)&from, fl) > 0)
					probe_sent(t, &a, a.fragment ? 2 : 1);
			}
		}
		probe_expire(t, now_mono_us());
	}
	probe_flush(t);
	{
		const struct probe_counters *c = probe_counters(t);

		em_begin("summary");
		em_u64(EM_ANY, "queries", NULL, c->queries);
		em_u64(EM_ANY, "probes", NULL, c->probes);
		em_u64(EM_ANY, "attempts", NULL, c->attempts);
		em_u64(EM_ANY, "followups", NULL, c->kinds[PROBE_K_FOLLOWUP]);
		em_u64(EM_ANY, "ok_queries", NULL, c->kinds[PROBE_K_OK]);
		em_u64(EM_ANY, "no_edns", NULL, c->no_edns);
		em_obj_begin(EM_ANY, "verdicts", NULL);
		for (int i = 0; i < PROBE_V_N; i++)
			em_u64(EM_ANY, probe_result_name(i), NULL, c->verdicts[i]);
		em_obj_end(EM_ANY, NULL);
		em_end();
	}
	probe_free(t);
	close(fd);
	return 0;
}
