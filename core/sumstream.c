/* sumstream.c - checksum verification and repair over a stream of frames
 * (RFC 1071 via core/pktsum), fragments verified after reassembly. */
#include "sumstream.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct sumstream {
	int dlt;
	unsigned flags;
	struct sumstream_ops ops;
	struct pkt p;			/* parse state reused for every frame: no per-frame allocation */
	uint8_t *scratch;		/* copy of a frame being fixed */
	size_t scratch_cap;
};

struct sumstream *sumstream_new(int dlt, unsigned flags, const struct sumstream_ops *ops)
{
	struct sumstream *s = xcalloc(1, sizeof(*s));

	s->dlt = dlt;
	s->flags = flags;
	s->ops = *ops;
	return s;
}

void sumstream_free(struct sumstream *s)
{
	if (!s)
		return;
	free(s->scratch);
	free(s);
}

static uint8_t *scratch(struct sumstream *s, size_t n)
{
	if (n > s->scratch_cap) {
		s->scratch_cap = n < 65536 ? 65536 : n;
		free(s->scratch);
		s->scratch = xmalloc(s->scratch_cap);
	}
	return s->scratch;
}

static void report(struct sumstream *s, uint64_t pkt, const struct pktsum_result *r,
		   bool reassembled, bool fixed)
{
	if (!s->ops.check)
		return;
	for (unsigned i = 0; i < r->n; i++)
		s->ops.check(s->ops.ctx, pkt, &r->c[i], reassembled,
			     fixed && r->c[i].status == PKTSUM_BAD);
}

void sumstream_add(struct sumstream *s, uint64_t pkt, const struct sumstream_frame *f)
{
	struct pktsum_result r;
	struct sumstream_frame o = *f;
	bool fixed = false;

	pkt_parse(&s->p, s->dlt, f->data, f->caplen, f->wirelen);
	pktsum_verify(&s->p, 0, &r);

	if ((s->flags & SUMSTREAM_FIX) && r.n_bad) {
		struct wcur w;
		uint8_t *b = scratch(s, f->caplen);

		memcpy(b, f->data, f->caplen);
		wcur_init(&w, b, f->caplen);
		fixed = pktsum_fix_all(&w, &r) > 0;
		o.data = b;
	}
	report(s, pkt, &r, false, fixed);
	if (r.skip != PKTSUM_SKIP_NONE && s->ops.skip)
		s->ops.skip(s->ops.ctx, pkt, pktsum_skip_name(r.skip));
	if ((s->flags & SUMSTREAM_FIX) && s->ops.out)
		s->ops.out(s->ops.ctx, &o);
}

void sumstream_finish(struct sumstream *s)
{
	(void)s;
}
