/* fuzz_eh.c - libFuzzer harness for the --eh SPEC parser and the extension
 * header chain inserter (core/eh).  First octet: bit 7 set = the rest is SPEC
 * text for eh_parse/eh_finish; otherwise bits 0-5 pick headers from a fixed
 * set, bit 6 the given order, the next octet a link type, the rest a frame.
 * Checks the promises: an inserted frame grows by exactly the chain's length,
 * parses again with the chain's headers where they belong, and keeps the
 * upper layer's bytes; for a bare IPv6 packet, eh_unfrag_len() names a
 * header boundary the fragmenter accepts as frag_plan.unfrag_min. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eh.h"
#include "frag.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const specs[] = {
	"hbh:8", "dstu:16,opt=0x9e", "dst:8", "dst:256,opt=0", "hbh:2048,opt=0x3e", "dstu:8",
};
static const int dlts[] = { V6_DLT_EN10MB, V6_DLT_RAW, V6_DLT_IPV6, V6_DLT_LINUX_SLL, V6_DLT_NULL };

static void fuzz_spec(const uint8_t *data, size_t size)
{
	char text[300], err[EH_ERRLEN];
	struct eh_chain ch;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	char *s, *save = NULL;

	memcpy(text, data, n);
	text[n] = 0;
	eh_chain_init(&ch);
	for (s = strtok_r(text, " ", &save); s; s = strtok_r(NULL, " ", &save))
		if (!eh_parse(&ch, s, err) && err[0] != '\'')
			abort();	/* a refusal always says why */
	if (eh_finish(&ch, data[0] & 1, err)) {
		uint32_t t = 0;

		for (unsigned i = 0; i < ch.n; i++) {
			if (ch.h[i].len < EH_MIN_LEN || ch.h[i].len > EH_MAX_LEN || ch.h[i].len % 8)
				abort();
			t += ch.h[i].len;
		}
		if (t != ch.total || ch.n_unfrag > ch.n)
			abort();
	}
}

static void check_unfrag(const struct eh_chain *ch, const uint8_t *pk, size_t n, uint32_t ul_off)
{
	static struct frag_out fo;
	static uint8_t buf[2 * (70000 + 6 * EH_MAX_LEN) + 1024 * 64];
	struct frag_plan pl;
	uint32_t u = eh_unfrag_len(ch, pk, n);
	bool dstu = false;

	for (unsigned i = 0; i < ch->n_unfrag; i++)
		dstu |= ch->h[i].kind == EH_DSTU;
	if (!u)
		return;
	if (!dstu || u < 48 || u > ul_off)
		abort();
	frag_plan_init(&pl);
	pl.unfrag_min = u;
	pl.min_frags = 2;
	pl.rfc7112 = true;
	fo.buf = buf;
	fo.cap = frag_out_need(pk, n);
	if (fo.cap > sizeof(buf))
		return;
	if (frag_split(pk, n, &pl, &fo) == 0) {
		if (fo.unfrag_len < u)
			abort();
	} else if (strstr(fo.err, "internal") || strstr(fo.err, "boundary")) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[70000 + 6 * EH_MAX_LEN];
	struct eh_chain ch;
	char err[EH_ERRLEN];
	uint8_t *in;
	size_t len, n = 0;
	int dlt;
	struct pkt p;

	if (size < 2)
		return 0;
	if (data[0] & 0x80) {
		fuzz_spec(data + 1, size - 1);
		return 0;
	}
	eh_chain_init(&ch);
	for (unsigned i = 0; i < 6; i++)
		if (data[0] >> i & 1)
			eh_parse(&ch, specs[i], err);
	if (!eh_finish(&ch, data[0] >> 6 & 1, err))
		return 0;
	dlt = dlts[data[1] % (sizeof(dlts) / sizeof(dlts[0]))];
	len = size - 2;
	if (len > 70000)
		return 0;
	in = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
	memcpy(in, data + 2, len);
	if (eh_insert(&ch, dlt, in, len, out, sizeof(out), &n) == EH_INSERTED) {
		if (n != len + ch.total)
			abort();
		unsigned k = 0;
		size_t tail;

		/* Everything from the input's upper layer on is the output's tail. */
		pkt_parse(&p, dlt, in, (uint32_t)len, (uint32_t)len);
		while (k < p.n_ip && p.ip[k].version != 6)
			k++;
		if (k == p.n_ip || p.ip[k].ul_off > len)
			abort();
		tail = len - p.ip[k].ul_off;
		if (memcmp(out + n - tail, in + len - tail, tail))
			abort();
		/* ... and the output parses as far as the input did. */
		pkt_parse(&p, dlt, out, (uint32_t)n, (uint32_t)n);
		if (k >= p.n_ip || p.ip[k].version != 6 || p.ip[k].ul_off != n - tail)
			abort();
		if (k == 0 && p.ip[0].off == 0 && p.ip[0].tot_len == n && p.ip[0].verdict == PKT_OK)
			check_unfrag(&ch, out, n, p.ip[0].ul_off);
	}
	free(in);
	return 0;
}
