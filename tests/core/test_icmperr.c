/* test_icmperr.c - ICMPv6 errors matched to the fragments we sent
 * (core/icmperr): scapy-built errors (golden), errors quoting fragments cut
 * by core/frag, forged, stale, mismatched, unfragmented and truncated quotes;
 * quotes of whole sends and of the reassembled datagram. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "emit.h"
#include "frag.h"
#include "icmperr.h"
#include "pkt.h"
#include "t.h"

/* Built by scapy 2.5 (/usr/bin/python3, once): a 1008-octet UDP datagram
 * 2001:db8::53 port 53 -> 2001:db8:1::7 port 40001, frag ID 0x12345678, cut
 * by fragment6() at 600; e1 = Destination Unreachable code 1 from
 * 2001:db8:ff::1 quoting 96 octets of the first fragment; e2 = Time Exceeded
 * code 1 (reassembly) from the client quoting 64 octets of the second; e3 =
 * Packet Too Big (MTU 1280) quoting 80 octets of the first. */
static const char e1_hex[] =
	"6000000000683a4020010db800ff0000000000000000000120010db800000000000000000000005301017f5c00000000"
	"6000000002302c4020010db800000000000000000000005320010db80001000000000000000000071100000112345678"
	"00359c4103f0b47f78787878787878787878787878787878787878787878787878787878787878787878787878787878";
static const char e2_hex[] =
	"6000000000483a4020010db800010000000000000000000720010db80000000000000000000000530301773900000000"
	"6000000001d02c4020010db800000000000000000000005320010db80001000000000000000000071100022812345678"
	"78787878787878787878787878787878";
static const char e3_hex[] =
	"6000000000583a4020010db800ff0000000000000000000120010db800000000000000000000005302003d3100000500"
	"6000000002302c4020010db800000000000000000000005320010db80001000000000000000000071100000112345678"
	"00359c4103f0b47f787878787878787878787878787878787878787878787878";

static const uint8_t SRV[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0, [15] = 0x53 };
static const uint8_t CLI[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 };
static const uint8_t RTR[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 };

static struct icmperr_send scapy_send(void)
{
	struct icmperr_send s = { .frag_id = 0x12345678, .proto = 17, .sport = 53, .dport = 40001,
				  .tag = 77 };

	memcpy(s.src, SRV, 16);
	memcpy(s.client, CLI, 16);
	return s;
}

static enum icmperr_result feed_hex(struct icmperr *t, const char *hex, uint64_t now,
				    struct icmperr_report *r)
{
	uint8_t b[2048];
	size_t n = t_unhex(hex, b, sizeof(b));
	struct pkt p;

	pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0);
	return icmperr_input_pkt(t, &p, now, r);
}

static void test_golden_scapy(void)
{
	struct icmperr *t = icmperr_new(16, 0);
	struct icmperr_send s = scapy_send();
	struct icmperr_report r;

	/* Before the send is known: unknown. */
	CHECK_EQ(feed_hex(t, e1_hex, 10, &r), ICMPERR_UNKNOWN);
	CHECK(!memcmp(r.client, CLI, 16));
	CHECK_EQ(r.frag_id, 0x12345678u);
	icmperr_note_send(t, &s, 100);
	CHECK_EQ(feed_hex(t, e1_hex, 200, &r), ICMPERR_MATCHED);
	CHECK(!memcmp(r.from, RTR, 16));
	CHECK_EQ(r.type, 1);
	CHECK_EQ(r.code, 1);
	CHECK(!r.has_mtu && !r.has_pointer);
	CHECK(!memcmp(r.client, CLI, 16));
	CHECK_EQ(r.frag_id, 0x12345678u);
	CHECK_EQ(r.frag_off, 0);
	CHECK(r.ports_seen);
	CHECK_EQ(r.tag, 77);
	CHECK_EQ(r.sent_us, 100);
	CHECK(!strcmp(icmperr_code_name(r.type, r.code), "admin_prohibited"));
	/* The second fragment: no ports, matched on addresses and ID. */
	CHECK_EQ(feed_hex(t, e2_hex, 300, &r), ICMPERR_MATCHED);
	CHECK(!memcmp(r.from, CLI, 16));
	CHECK_EQ(r.type, 3);
	CHECK_EQ(r.frag_off, 552);
	CHECK(!r.ports_seen);
	CHECK(!strcmp(icmperr_code_name(3, 1), "reassembly_time_exceeded"));
	CHECK_EQ(feed_hex(t, e3_hex, 400, &r), ICMPERR_MATCHED);
	CHECK(r.has_mtu);
	CHECK_EQ(r.mtu, 1280);
	{
		const struct icmperr_counters *c = icmperr_counters(t);

		CHECK_EQ(c->errors[ICMPERR_T_UNREACH], 1);
		CHECK_EQ(c->errors[ICMPERR_T_TIME], 1);
		CHECK_EQ(c->errors[ICMPERR_T_TOO_BIG], 1);
		CHECK_EQ(c->results[ICMPERR_MATCHED], 3);
		CHECK_EQ(c->results[ICMPERR_UNKNOWN], 1);
		CHECK_EQ(c->messages, 4);
	}
	/* Too old: unknown. */
	CHECK_EQ(feed_hex(t, e1_hex, 100 + ICMPERR_AGE_DEFAULT_US + 1, &r), ICMPERR_UNKNOWN);
	/* A flipped bit in the captured message: bad checksum, nothing read. */
	{
		char bad[sizeof(e1_hex)];

		memcpy(bad, e1_hex, sizeof(bad));
		bad[sizeof(e1_hex) - 2] = bad[sizeof(e1_hex) - 2] == '8' ? '9' : '8';
		CHECK_EQ(feed_hex(t, bad, 500, &r), ICMPERR_BAD_CHECKSUM);
	}
	icmperr_free(t);
}

static void test_mismatch_forged(void)
{
	struct icmperr *t = icmperr_new(16, 0);
	struct icmperr_send s = scapy_send();
	struct icmperr_report r;

	s.dport = 40002;	/* we sent to another port: the quote disagrees */
	icmperr_note_send(t, &s, 0);
	CHECK_EQ(feed_hex(t, e1_hex, 1, &r), ICMPERR_MISMATCH);
	/* ... the second fragment has no ports: addresses + ID still match. */
	CHECK_EQ(feed_hex(t, e2_hex, 1, &r), ICMPERR_MATCHED);
	s = scapy_send();
	s.src[15] = 0x54;	/* another source */
	icmperr_note_send(t, &s, 0);
	CHECK_EQ(feed_hex(t, e2_hex, 1, &r), ICMPERR_MISMATCH);
	s = scapy_send();
	s.proto = 6;
	icmperr_note_send(t, &s, 0);
	CHECK_EQ(feed_hex(t, e2_hex, 1, &r), ICMPERR_MISMATCH);
	/* Another frag ID: unknown (a forged error quoting what we never sent). */
	s = scapy_send();
	s.frag_id = 0x12345679;
	icmperr_note_send(t, &s, 0);
	CHECK_EQ(icmperr_counters(t)->results[ICMPERR_MISMATCH], 3);
	icmperr_free(t);
	t = icmperr_new(16, 0);
	icmperr_note_send(t, &s, 0);
	CHECK_EQ(feed_hex(t, e1_hex, 1, &r), ICMPERR_UNKNOWN);
	icmperr_free(t);
}

/* An error quoting `quote` built as an IPv6 packet; returns its length. */
static size_t mk_error(uint8_t *out, size_t cap, uint8_t type, uint8_t code, uint32_t word,
		       const uint8_t *quote, size_t qlen)
{
	struct wcur w;

	wcur_init(&w, out, cap);
	build_ip6(&w, RTR, SRV, 58, 64, 0, 0, 0);
	wcur_u8(&w, type);
	wcur_u8(&w, code);
	wcur_be16(&w, 0);
	wcur_be32(&w, word);
	wcur_bytes(&w, quote, qlen);
	build_ip_finish(&w, 0);
	build_l4_checksum(&w, 0);
	return w.overflow ? 0 : wcur_off(&w);
}

static void test_core_fragments(void)
{
	static uint8_t dgram[1600], fbuf[8192], err[2000];
	struct icmperr *t = icmperr_new(64, 0);
	struct frag_plan plan;
	struct frag_out fo = { .buf = fbuf, .cap = sizeof(fbuf) };
	struct icmperr_send s = { .proto = 17, .sport = 53, .dport = 5353, .tag = 9 };
	struct icmperr_report r;
	struct pkt p;
	struct wcur w;
	size_t n, dl;

	/* A UDP datagram of 1200 octets cut into fragments of at most 512. */
	wcur_init(&w, dgram, sizeof(dgram));
	build_ip6(&w, SRV, CLI, 17, 64, 0, 0, 0);
	build_udp(&w, 53, 5353, fbuf, 1200);
	build_ip_finish(&w, 0);
	build_l4_checksum(&w, 0);
	dl = wcur_off(&w);
	frag_plan_init(&plan);
	plan.max_size = 512;
	CHECK_EQ(frag_split(dgram, dl, &plan, &fo), 0);
	CHECK(fo.n >= 3);
	memcpy(s.src, SRV, 16);
	memcpy(s.client, CLI, 16);
	s.frag_id = fo.id;
	icmperr_note_send(t, &s, 0);

	/* Parameter Problem quoting each fragment whole: all match. */
	for (unsigned i = 0; i < fo.n; i++) {
		n = mk_error(err, sizeof(err), 4, 0, 42, fbuf + fo.piece[i].off, fo.piece[i].len);
		CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0), PKT_OK);
		CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_MATCHED);
		CHECK(r.has_pointer);
		CHECK_EQ(r.pointer, 42);
		CHECK_EQ(r.frag_off, fo.piece[i].frag_off);
		CHECK_EQ(r.ports_seen, fo.piece[i].frag_off == 0);
		CHECK_EQ(r.tag, 9);
	}
	/* The first fragment quoted at every length: a clear result, never a crash;
	 * matched from IPv6 + Fragment header on, ports from 56 octets on. */
	for (size_t q = 0; q <= fo.piece[0].len; q++) {
		n = mk_error(err, sizeof(err), 1, 4, 0, fbuf + fo.piece[0].off, q);
		pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
		if (q < 48)
			CHECKF(icmperr_input_pkt(t, &p, 5, &r) == ICMPERR_TRUNCATED, "q=%zu", q);
		else
			CHECKF(icmperr_input_pkt(t, &p, 5, &r) == ICMPERR_MATCHED, "q=%zu", q);
		if (q >= 48)
			CHECK_EQ(r.ports_seen, q >= 56);
	}
	/* The raw-socket entry with every cut of a whole message, and of the
	 * captured frame: never read outside. */
	n = mk_error(err, sizeof(err), 3, 1, 0, fbuf + fo.piece[1].off, 100);
	for (size_t cut = 0; cut <= n; cut++) {
		enum icmperr_result res = icmperr_input(t, RTR, err + 40, cut > 40 ? cut - 40 : 0, 5, &r);

		CHECK(res == (cut >= 40 + 8 + 48 ? ICMPERR_MATCHED : ICMPERR_TRUNCATED));
		pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)cut, (uint32_t)n);
		res = icmperr_input_pkt(t, &p, 5, &r);
		CHECK(res != ICMPERR_BAD_CHECKSUM);
	}
	/* An error quoting the reassembled datagram (no Fragment header), as
	 * Linux sends for a Destination Options option: matched by addresses
	 * and ports, the send's frag ID reported, no offset. */
	n = mk_error(err, sizeof(err), 4, 2, 42, dgram, 100);
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_MATCHED);
	CHECK(r.has_frag && r.quote_whole && r.ports_seen && r.has_pointer);
	CHECK_EQ(r.frag_id, fo.id);
	CHECK_EQ(r.pointer, 42);
	CHECK_EQ(r.tag, 9);
	/* ... the same quote cut inside the UDP header: unattributable. */
	n = mk_error(err, sizeof(err), 4, 2, 42, dgram, 44);
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_UNFRAGMENTED);
	/* An unfragmented packet to other ports; informational ICMPv6; not ICMPv6. */
	dgram[40] ^= 1;	/* UDP source port 53 -> 52: never sent */
	n = mk_error(err, sizeof(err), 1, 4, 0, dgram, 100);
	dgram[40] ^= 1;
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_UNFRAGMENTED);
	n = mk_error(err, sizeof(err), 128, 0, 0, dgram, 10);
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_NOT_ERROR);
	pkt_parse(&p, V6_DLT_RAW, dgram, (uint32_t)dl, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_NOT_ERROR);
	/* A quote that is not IPv6 at all. */
	{
		uint8_t junk[60];

		memset(junk, 0x45, sizeof(junk));
		n = mk_error(err, sizeof(err), 1, 0, 0, junk, sizeof(junk));
		pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
		CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_TRUNCATED);
	}
	/* A quote whose Hop-by-Hop header is cut before the Fragment header. */
	{
		uint8_t q[60];

		memcpy(q, fbuf + fo.piece[0].off, 40);
		q[6] = 0;	/* next header: Hop-by-Hop */
		memset(q + 40, 0, 20);
		q[40] = 44;
		q[41] = 3;	/* 32 octets: longer than the quote */
		n = mk_error(err, sizeof(err), 4, 1, 40, q, sizeof(q));
		pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
		CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_TRUNCATED);
	}
	icmperr_free(t);
}

/* A packet sent whole (--no-fragment) with a Destination Options header
 * holding an option of action 10 (type 0x9e): the Parameter Problem quoting
 * it matches; forged quotes (another client port, another source, never
 * sent, stale) do not. */
static void test_whole_sends(void)
{
	static uint8_t pk[200], err[400];
	struct icmperr *t = icmperr_new(8, 1000);
	struct icmperr_send s = { .proto = 17, .sport = 53, .dport = 40001, .tag = 5, .whole = true,
				  .frag_id = 999 /* unused when whole */ };
	struct icmperr_report r;
	struct pkt p;
	struct wcur w;
	size_t n, pl;
	uint8_t *q;

	wcur_init(&w, pk, sizeof(pk));
	build_ip6(&w, SRV, CLI, 60, 64, 0, 0, 0);
	/* dst:8 with option 0x9e, 4 octets of data */
	{
		static const uint8_t dst[8] = { 17, 0, 0x9e, 4, 0, 0, 0, 0 };

		wcur_bytes(&w, dst, sizeof(dst));
	}
	build_udp(&w, 53, 40001, (const uint8_t *)"answer-bytes", 12);
	build_ip_finish(&w, 0);
	CHECK(!w.overflow);
	pl = wcur_off(&w);
	memcpy(s.src, SRV, 16);
	memcpy(s.client, CLI, 16);

	n = mk_error(err, sizeof(err), 4, 2, 42, pk, pl);
	CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0), PKT_OK);
	CHECK_EQ(icmperr_input_pkt(t, &p, 5, &r), ICMPERR_UNFRAGMENTED);	/* not sent yet */
	icmperr_note_send(t, &s, 10);
	CHECK_EQ(icmperr_input_pkt(t, &p, 20, &r), ICMPERR_MATCHED);
	CHECK_EQ(r.type, 4);
	CHECK_EQ(r.code, 2);
	CHECK(r.has_pointer);
	CHECK_EQ(r.pointer, 42);
	CHECK(!r.has_frag && r.quote_whole && r.ports_seen);
	CHECK(!memcmp(r.client, CLI, 16));
	CHECK_EQ(r.tag, 5);
	CHECK_EQ(r.sent_us, 10);
	CHECK(!strcmp(icmperr_code_name(4, 2), "unrecognized_option"));
	CHECK_EQ(icmperr_input_pkt(t, &p, 10 + 1001, &r), ICMPERR_UNFRAGMENTED);	/* stale */
	/* Forged: another client port (never sent). */
	q = pk + 48 + 2;	/* UDP destination port */
	q[1] ^= 1;
	n = mk_error(err, sizeof(err), 4, 2, 42, pk, pl);
	q[1] ^= 1;
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 20, &r), ICMPERR_UNFRAGMENTED);
	/* Forged: our ports and client, another source: mismatch. */
	pk[8 + 15] ^= 1;
	n = mk_error(err, sizeof(err), 4, 2, 42, pk, pl);
	pk[8 + 15] ^= 1;
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 20, &r), ICMPERR_MISMATCH);
	/* A whole send's unused frag_id does not make fragment quotes match. */
	CHECK_EQ(feed_hex(t, e2_hex, 20, &r), ICMPERR_UNKNOWN);
	/* The ring turns over: many sends on one key stay one entry, and 8
	 * other keys push it out. */
	for (unsigned i = 0; i < 20; i++)
		icmperr_note_send(t, &s, 30);
	n = mk_error(err, sizeof(err), 4, 2, 42, pk, pl);
	pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
	CHECK_EQ(icmperr_input_pkt(t, &p, 40, &r), ICMPERR_MATCHED);
	for (unsigned i = 0; i < 8; i++) {
		struct icmperr_send o = s;

		o.dport = (uint16_t)(1000 + i);
		icmperr_note_send(t, &o, 50);
	}
	CHECK_EQ(icmperr_input_pkt(t, &p, 60, &r), ICMPERR_UNFRAGMENTED);
	{
		const struct icmperr_counters *c = icmperr_counters(t);

		CHECK_EQ(c->results[ICMPERR_MATCHED], 2);
		CHECK_EQ(c->results[ICMPERR_MISMATCH], 1);
		CHECK_EQ(c->errors[ICMPERR_T_PARAM], 2);
	}
	icmperr_free(t);
}

/* TCP: a quote of the reassembled datagram matches the segment with its
 * sequence number (several per connection); another segment of the
 * connection (sent whole, not noted) matches nothing. */
static void test_tcp_seq(void)
{
	static uint8_t pk[200], err[400];
	struct icmperr *t = icmperr_new(8, 0);
	struct icmperr_send s = { .proto = 6, .sport = 80, .dport = 41000, .tag = 3, .frag_id = 77,
				  .has_seq = true, .seq = 1000 };
	struct icmperr_report r;
	struct pkt p;
	struct wcur w;
	size_t n, pl;

	memcpy(s.src, SRV, 16);
	memcpy(s.client, CLI, 16);
	icmperr_note_send(t, &s, 0);
	s.seq = 3000;	/* a later segment, another fragmented datagram */
	s.frag_id = 78;
	s.tag = 4;
	icmperr_note_send(t, &s, 0);
	for (int k = 0; k < 2; k++) {
		struct build_tcp bt = { .sport = 80, .dport = 41000, .seq = k ? 5000 : 1000, .ack = 1,
					.flags = 0x18, .win = 1000 };

		wcur_init(&w, pk, sizeof(pk));
		build_ip6(&w, SRV, CLI, 6, 64, 0, 0, 0);
		build_tcp(&w, &bt, "data", 4);
		build_ip_finish(&w, 0);
		CHECK(!w.overflow);
		pl = wcur_off(&w);
		n = mk_error(err, sizeof(err), 4, 2, 42, pk, pl);
		pkt_parse(&p, V6_DLT_RAW, err, (uint32_t)n, 0);
		if (k == 0) {
			CHECK_EQ(icmperr_input_pkt(t, &p, 1, &r), ICMPERR_MATCHED);
			CHECK_EQ(r.tag, 3);
			CHECK(r.has_frag && r.quote_whole);
			CHECK_EQ(r.frag_id, 77);
		} else {
			CHECK_EQ(icmperr_input_pkt(t, &p, 1, &r), ICMPERR_UNFRAGMENTED);
		}
	}
	icmperr_free(t);
}

static void test_table(void)
{
	struct icmperr *t = icmperr_new(8, 1000);
	struct icmperr_send s = scapy_send();
	struct icmperr_report r;

	/* The ring keeps the last 8 sends. */
	for (uint32_t i = 0; i < 20; i++) {
		s.frag_id = 0x12345678 + i - 12;
		s.tag = i;
		icmperr_note_send(t, &s, 0);
	}
	/* 0x12345678 was send 12: still there (sends 12..19 are). */
	CHECK_EQ(feed_hex(t, e2_hex, 10, &r), ICMPERR_MATCHED);
	CHECK_EQ(r.tag, 12);
	s.frag_id = 0x12345678;
	for (uint32_t i = 0; i < 8; i++) {	/* the same key re-sent: the newest wins, O(1) */
		s.tag = 100 + i;
		icmperr_note_send(t, &s, 20);
	}
	CHECK_EQ(feed_hex(t, e2_hex, 30, &r), ICMPERR_MATCHED);
	CHECK_EQ(r.tag, 107);
	CHECK_EQ(feed_hex(t, e2_hex, 1021, &r), ICMPERR_UNKNOWN);	/* max_age 1000 us */
	CHECK_EQ(icmperr_counters(t)->sends, 28);
	icmperr_free(t);
	/* Names. */
	CHECK(!strcmp(icmperr_type_name(2), "packet_too_big"));
	CHECK(icmperr_type_name(0) == NULL && icmperr_type_name(128) == NULL);
	CHECK(icmperr_code_name(1, 200) == NULL);
	CHECK(!strcmp(icmperr_code_name(4, 3), "incomplete_header_chain"));
	CHECK(!strcmp(icmperr_result_name(ICMPERR_MISMATCH), "mismatch"));
	CHECK(!strcmp(icmperr_result_name(ICMPERR_R_N), "?"));
}

static void test_put(void)
{
	struct icmperr_report r = { .type = 2, .code = 0, .has_mtu = true, .mtu = 1280, .has_frag = true,
				    .frag_id = 7 };
	char buf[1024];
	FILE *f = tmpfile();
	size_t n;

	memcpy(r.from, RTR, 16);
	memcpy(r.client, CLI, 16);
	em_init(true, f);
	icmperr_put(&r, 1700000000000000ull);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	{
		static const char *const keys[] = { "\"type\"", "\"icmp\"", "\"ts\"", "\"from\"",
						    "\"icmp_type\"", "\"icmp_code\"", "\"mtu\"",
						    "\"client\"", "\"frag_id\"", "2001:db8:1::7",
						    "2001:db8:ff::1", "packet_too_big" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			CHECKF(strstr(buf, keys[i]) != NULL, "%s missing in %s", keys[i], buf);
	}
	CHECK(strstr(buf, "\"pointer\"") == NULL);
	CHECK(strstr(buf, "\"frag_id\":7") != NULL);
	/* A packet sent whole: frag_id and frag_off null, pointer present. */
	r = (struct icmperr_report){ .type = 4, .code = 2, .has_pointer = true, .pointer = 42,
				     .quote_whole = true };
	f = tmpfile();
	em_init(true, f);
	icmperr_put(&r, 1700000000000000ull);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	CHECKF(strstr(buf, "\"pointer\":42") && strstr(buf, "\"frag_id\":null") &&
	       strstr(buf, "\"frag_off\":null") && strstr(buf, "\"client\""), "%s", buf);
}

int main(void)
{
	RUN(test_golden_scapy);
	RUN(test_mismatch_forged);
	RUN(test_core_fragments);
	RUN(test_whole_sends);
	RUN(test_tcp_seq);
	RUN(test_table);
	RUN(test_put);
	return t_done();
}
