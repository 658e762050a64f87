/* tcpopt.c - TCP option walker and SACK reader (RFC 9293 §3.2, RFC 2018). */
#include "tcpopt.h"

#include <string.h>

enum tcpopt_step tcpopt_next(struct cur *c, struct tcpopt *o)
{
	uint8_t kind, len;

	for (;;) {
		if (cur_left(c) == 0 || c->trunc)
			return TCPOPT_END;
		cur_u8(c, &kind);
		if (kind == TCPOPT_EOL)
			return TCPOPT_END;
		if (kind != TCPOPT_NOP)
			break;
	}
	if (!cur_u8(c, &len) || len < 2)
		return TCPOPT_BAD;
	o->kind = kind;
	o->len = len;
	if (!cur_sub(c, len - 2u, &o->val))
		return TCPOPT_BAD;
	return TCPOPT_MORE;
}

bool tcpopt_window(const struct pkt *p, struct cur *opts)
{
	struct cur frame;

	if (p->l4 != 6 || p->l4_hlen < 20)
		return false;
	cur_init(&frame, p->data, p->caplen);
	return cur_window(&frame, (size_t)p->l4_off + 20, p->l4_hlen - 20u, opts);
}

void tcpopt_sack(const struct cur *opts, struct tcp_sack *s)
{
	struct cur c = *opts;
	struct tcpopt o;
	enum tcpopt_step st;

	memset(s, 0, sizeof(*s));
	while ((st = tcpopt_next(&c, &o)) == TCPOPT_MORE) {
		size_t n;

		if (o.kind != TCPOPT_SACK)
			continue;
		n = cur_left(&o.val);
		if (n == 0 || n % 8) {
			s->malformed = true;
			return;
		}
		for (n /= 8; n > 0 && s->n < TCPOPT_SACK_MAX; n--) {
			cur_be32(&o.val, &s->left[s->n]);
			cur_be32(&o.val, &s->right[s->n]);
			s->n++;
		}
		return;
	}
	if (st == TCPOPT_BAD)
		s->malformed = true;
}
