/* relay.c - the 6in4 relay agent: table, per-packet checks, rewrites and
 * counters.  RFC 4213 (6in4: §3.5 encapsulation, §3.6 decapsulation and
 * source checks), RFC 791 (TTL), RFC 1624 (incremental checksum update),
 * RFC 4291 §2.5.2-2.7 (unspecified, loopback, multicast sources), RFC 8200. */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include "build.h"
#include "csum.h"
#include "cursor.h"
#include "emit.h"
#include "names.h"
#include "pkt.h"
#include "reasm.h"
#include "util.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define OUTBOUND_TTL	64

static const char *const reason_names[RR_COUNT] = {
	[RR_NOT_PROTO41] = "not_proto41",
	[RR_BAD_OUTER_HEADER] = "bad_outer_header",
	[RR_BAD_OUTER_CHECKSUM] = "bad_outer_checksum",
	[RR_OUTER_FRAGMENT] = "outer_fragment",
	[RR_TUNNEL_SERVER_MISMATCH] = "tunnel_server_mismatch",
	[RR_BAD_INNER_HEADER] = "bad_inner_header",
	[RR_BAD_INNER_SOURCE] = "bad_inner_source",
	[RR_NO_DESTINATION] = "no_destination",
	[RR_NOT_ALLOWED] = "not_allowed",
	[RR_TRUNCATED] = "truncated",
	[RR_TTL_EXCEEDED] = "ttl_exceeded",
	[RR_TOO_BIG] = "too_big",
};

static const char *const icmp_names[RELAY_ICMP_COUNT] = {
	[RELAY_ICMP_NONE] = "none",
	[RELAY_ICMP_TOO_BIG] = "packet_too_big",
	[RELAY_ICMP_TIME_EXCEEDED] = "time_exceeded",
};

const char *relay_icmp_name(enum relay_icmp i)
{
	return (unsigned)i < RELAY_ICMP_COUNT ? icmp_names[i] : "?";
}

const char *relay_reason_name(enum relay_reason r)
{
	return (unsigned)r < RR_COUNT ? reason_names[r] : "?";
}

const char *relay_mode_name(enum relay_mode m)
{
	return m == RELAY_MODE_RAW ? "raw" : "6in4";
}

/* ---- table ---- */

void relay_table_init(struct relay_table *t)
{
	memset(t, 0, sizeof(*t));
}

void relay_table_free(struct relay_table *t)
{
	free(t->d);
	free(t->hash);
	free(t->pfx);
	free(t->keys);
	relay_table_init(t);
}

static size_t addr_hash(const uint8_t a[16], size_t size)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 32) & (size_t)(size - 1);
}

static void hash_insert(struct relay_table *t, size_t i)
{
	size_t h = addr_hash(t->d[i].v6.addr.a, t->hash_size);

	while (t->hash[h] >= 0)
		h = (h + 1) & (t->hash_size - 1);
	t->hash[h] = (int32_t)i;
}

/* Index the new last entry: its own slot in the hash or the prefix list. */
static void index_entry(struct relay_table *t)
{
	size_t i = t->n - 1;

	if (t->d[i].v6.len < 128) {
		if (t->n_pfx == t->cap_pfx) {	/* geometric: one realloc per entry was quadratic */
			t->cap_pfx = t->cap_pfx ? t->cap_pfx * 2 : 16;
			t->pfx = xrealloc(t->pfx, t->cap_pfx * sizeof(*t->pfx));
		}
		t->pfx[t->n_pfx++] = (uint32_t)i;
		return;
	}
	if (t->hash_size <= 2 * t->n) {
		free(t->hash);
		t->hash_size = t->hash_size ? t->hash_size * 4 : 64;
		t->hash = xmalloc(t->hash_size * sizeof(*t->hash));
		memset(t->hash, 0xff, t->hash_size * sizeof(*t->hash));
		for (size_t j = 0; j < t->n; j++)
			if (t->d[j].v6.len == 128)
				hash_insert(t, j);
		return;
	}
	hash_insert(t, i);
}

/* Every entry, /128 or prefix, by (address, length): the duplicate check
 * of a line is one probe, so loading N lines is linear (it used to compare
 * each line with every earlier one: 65,536 lines took 6 s). */
static size_t key_slot(const struct relay_table *t, const struct v6_prefix *p, bool *found)
{
	uint64_t x = 1469598103934665603ull;	/* FNV-1a, then a full avalanche (fmix64):
						 * table addresses differ in their last octets */
	size_t h;

	for (int i = 0; i < 16; i++)
		x = (x ^ p->addr.a[i]) * 1099511628211ull;
	x ^= p->len;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	h = (size_t)x & (t->keys_size - 1);

	*found = false;
	while (t->keys[h] >= 0) {
		const struct relay_dest *d = &t->d[t->keys[h]];

		if (d->v6.len == p->len && !memcmp(d->v6.addr.a, p->addr.a, 16)) {
			*found = true;
			break;
		}
		h = (h + 1) & (t->keys_size - 1);
	}
	return h;
}

static void keys_add(struct relay_table *t, size_t i)
{
	bool found;

	if (t->keys_size <= 2 * (i + 1)) {
		free(t->keys);
		t->keys_size = t->keys_size ? t->keys_size * 4 : 64;
		t->keys = xmalloc(t->keys_size * sizeof(*t->keys));
		memset(t->keys, 0xff, t->keys_size * sizeof(*t->keys));
		for (size_t j = 0; j < i; j++)
			t->keys[key_slot(t, &t->d[j].v6, &found)] = (int32_t)j;
	}
	t->keys[key_slot(t, &t->d[i].v6, &found)] = (int32_t)i;
}

static bool errf(char *err, size_t errlen, const char *fmt, ...) V6_PRINTF(3, 4);
static bool errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

static void dest_key(const struct v6_prefix *p, char key[52])
{
	char a[46];

	fmt_ip6(p->addr.a, a);
	if (p->len == 128)
		snprintf(key, 52, "%s", a);
	else
		snprintf(key, 52, "%s/%u", a, p->len);
}

bool relay_table_add_line(struct relay_table *t, const char *line, unsigned lineno,
			  char *err, size_t errlen)
{
	char buf[512], *field[5], *s, *save = NULL;
	char perr[ARG_ERRLEN];
	struct relay_dest d;
	size_t n = 0;

	if (strlen(line) >= sizeof(buf))
		return errf(err, errlen, "line longer than %zu characters", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", line);
	if ((s = strchr(buf, '#')))
		*s = '\0';
	for (s = strtok_r(buf, " \t\r\n,", &save); s; s = strtok_r(NULL, " \t\r\n,", &save)) {
		if (n == 4)
			return errf(err, errlen, "unexpected '%s' after the mode (fields: IPV6-ADDR IPV4-ADDR MAC [6in4|raw])", s);
		field[n++] = s;
	}
	if (n == 0)
		return true;
	if (n < 3)
		return errf(err, errlen, "expected IPV6-ADDR IPV4-ADDR MAC [6in4|raw], got %zu field%s",
			    n, n == 1 ? "" : "s");

	memset(&d, 0, sizeof(d));
	d.line = lineno;
	if (!parse_prefix(field[0], &d.v6, perr))
		return errf(err, errlen, "invalid IPv6 address '%s': %s", field[0], perr);
	if (d.v6.addr.family != 6)
		return errf(err, errlen, "invalid IPv6 address '%s': not IPv6", field[0]);
	if (d.v6.addr.a[0] == 0xff)
		return errf(err, errlen, "invalid IPv6 address '%s': multicast", field[0]);
	if (!parse_ip4(field[1], d.v4, perr))
		return errf(err, errlen, "invalid IPv4 address '%s': %s", field[1], perr);
	if (!parse_mac(field[2], d.mac, perr))
		return errf(err, errlen, "invalid MAC '%s': %s", field[2], perr);
	if (d.mac[0] & 1)
		return errf(err, errlen, "invalid MAC '%s': multicast/broadcast", field[2]);
	if (n < 4 || !strcmp(field[3], "6in4"))
		d.mode = RELAY_MODE_6IN4;
	else if (!strcmp(field[3], "raw"))
		d.mode = RELAY_MODE_RAW;
	else
		return errf(err, errlen, "invalid mode '%s': expected 6in4 or raw", field[3]);
	dest_key(&d.v6, d.key);

	if (t->keys_size) {
		bool found;
		size_t h = key_slot(t, &d.v6, &found);

		if (found) {
			const struct relay_dest *first = &t->d[t->keys[h]];

			if (first->line)
				return errf(err, errlen, "duplicate destination %s (first on line %u)",
					    d.key, first->line);
			return errf(err, errlen, "duplicate destination %s", d.key);
		}
	}
	if (t->max && t->n >= t->max)
		return errf(err, errlen, "more than %zu destinations (--max-destinations)", t->max);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->d = xrealloc(t->d, t->cap * sizeof(*t->d));
	}
	t->d[t->n++] = d;
	index_entry(t);
	keys_add(t, t->n - 1);
	return true;
}

bool relay_table_load_at(struct relay_table *t, const char *path, unsigned *err_line,
			 char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	bool ok = true;
	FILE *f = fopen(path, "r");

	*err_line = 0;
	if (!f)
		return errf(err, errlen, "%s", strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		/* A last line without its newline is a table caught while being
		 * written (a MAC cut in half, the mode missing would still
		 * parse): refuse it rather than relay to the wrong host. */
		if (len == 0 || line[len - 1] != '\n') {
			ok = errf(err, errlen, "the last line has no newline: the table is incomplete "
				  "(being written?); replace it with write-then-rename");
			*err_line = lineno;
			break;
		}
		if (!relay_table_add_line(t, line, lineno, err, errlen)) {
			*err_line = lineno;
			ok = false;
			break;
		}
	}
	if (ok && ferror(f))
		ok = errf(err, errlen, "%s", strerror(errno));
	free(line);
	fclose(f);
	return ok;
}

bool relay_table_load(struct relay_table *t, const char *path, char *err, size_t errlen)
{
	char msg[256];
	unsigned line;

	if (relay_table_load_at(t, path, &line, msg, sizeof(msg)))
		return true;
	if (line)
		errf(err, errlen, "%s:%u: %s", path, line, msg);
	else
		errf(err, errlen, "%s: %s", path, msg);
	return false;
}

static bool prefix6_has(const struct v6_prefix *p, const uint8_t a[16])
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr.a, a, full))
		return false;
	return !rest || !((p->addr.a[full] ^ a[full]) & (uint8_t)(0xff00 >> rest));
}

int relay_table_lookup(const struct relay_table *t, const uint8_t dst[16])
{
	int best = -1;

	if (t->hash_size) {
		for (size_t h = addr_hash(dst, t->hash_size); t->hash[h] >= 0; h = (h + 1) & (t->hash_size - 1))
			if (!memcmp(t->d[t->hash[h]].v6.addr.a, dst, 16))
				return t->hash[h];
	}
	for (size_t k = 0; k < t->n_pfx; k++) {
		size_t i = t->pfx[k];
		if (prefix6_has(&t->d[i].v6, dst) && (best < 0 || t->d[i].v6.len > t->d[best].v6.len))
			best = (int)i;
	}
	return best;
}

/* ---- --allow ---- */

bool relay_allow_parse(const char *s, struct relay_allow *a, char *err, size_t errlen)
{
	char proto[32], perr[ARG_ERRLEN];
	const char *slash = strchr(s, '/');
	size_t plen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t num;
	int v;

	memset(a, 0, sizeof(*a));
	if (plen == 0 || plen >= sizeof(proto))
		return errf(err, errlen, "expected PROTO[/PORTS], e.g. tcp/80");
	memcpy(proto, s, plen);
	proto[plen] = '\0';
	if (!strcmp(proto, "ipv6-icmp") || !strcmp(proto, "icmp6"))
		v = 58;
	else
		v = tok_value(tok_ipproto, proto);
	if (v < 0) {
		if (!parse_uint(proto, 0, 255, &num, perr))
			return errf(err, errlen, "unknown protocol '%s'", proto);
		v = (int)num;
	}
	if (pkt_is_ext6((uint8_t)v) || v == 59)
		return errf(err, errlen, "'%s' is an extension header, not a transport protocol", proto);
	a->proto = (uint8_t)v;
	if (!slash) {
		a->any = true;
		return true;
	}
	if (v != 6 && v != 17 && v != 58 && v != 1 && v != 132 && v != 136)
		return errf(err, errlen, "protocol '%s' has no ports", proto);
	if (!parse_ports(slash + 1, a->ports, perr))
		return errf(err, errlen, "%s", perr);
	if ((v == 58 || v == 1)) {
		for (unsigned i = 256; i < 65536; i++)
			if (port_set_has(a->ports, (uint16_t)i))
				return errf(err, errlen, "ICMP types are 0-255");
	}
	return true;
}

/* Does the inner packet pass the --allow list?  Ports of TCP/UDP/SCTP/
 * UDP-Lite are read at the upper-layer header the parser found behind the
 * extension chain; a non-first fragment only passes a port-less entry. */
static bool allowed(const struct relay_cfg *cfg, const struct pkt *p, const struct pkt_ip *in,
		    const struct cur *frame)
{
	bool first = !(in->frag && in->frag_off);

	for (size_t i = 0; i < cfg->n_allow; i++) {
		const struct relay_allow *a = &cfg->allow[i];
		uint16_t key;

		if (a->proto != in->proto)
			continue;
		if (a->any)
			return true;
		if (!first)
			continue;
		if (p->l4 == in->proto && (in->proto == 58 || in->proto == 1)) {
			key = p->icmp_type;
		} else if (p->l4 == in->proto) {
			key = p->dport;
		} else if (in->proto == 132 || in->proto == 136) {
			struct cur c;
			cur_window(frame, in->ul_off + 2, 2, &c);
			if (!cur_be16(&c, &key))
				continue;
		} else {
			continue;
		}
		if (port_set_has(a->ports, key))
			return true;
	}
	return false;
}

/* ---- per packet ---- */

static void drop(struct relay_out *r, enum relay_reason why, const char *detail)
{
	r->action = RELAY_DROP;
	r->reason = why;
	r->why = detail;
}

static bool bad_source6(const uint8_t a[16])
{
	static const uint8_t zero[16], loop[16] = { [15] = 1 };

	return a[0] == 0xff || !memcmp(a, zero, 16) || !memcmp(a, loop, 16);
}

/* The link a frame arrived on: who sent it, to whom, with which 802.1Q tag. */
struct link_in {
	bool eth;
	uint8_t src[6], dst[6];
	int vlan;		/* VID of the outermost tag, -1 untagged */
};

static const uint8_t *our_mac(const struct relay_cfg *cfg, const struct link_in *li)
{
	static const uint8_t none[6];

	if (cfg->has_mac)
		return cfg->mac;
	return li->eth ? li->dst : none;
}

static struct relay_seen *seen_slot(struct relay_state *st, const uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return &st->seen[h % (sizeof(st->seen) / sizeof(st->seen[0]))];
}

/* Remember the tag a LAN host's frame carried. */
static void vlan_learn(struct relay_state *st, const struct link_in *li)
{
	struct relay_seen *s;

	if (!st || !li->eth)
		return;
	s = seen_slot(st, li->src);
	memcpy(s->mac, li->src, 6);
	s->used = true;
	s->vlan = li->vlan;
}

/* The tag of a frame to LAN host `mac`: --lan-vlan, else the tag the host
 * was last seen with, else the tag of the frame being relayed. */
static int lan_vlan(const struct relay_cfg *cfg, struct relay_state *st, const uint8_t mac[6],
		    const struct link_in *li)
{
	if (cfg->lan_vlan)
		return (int)cfg->lan_vlan;
	if (st) {
		const struct relay_seen *s = seen_slot(st, mac);
		if (s->used && !memcmp(s->mac, mac, 6))
			return s->vlan;
	}
	return li->vlan;
}

/* Outer IPv4 IDs come from the kernel's random source, drawn in batches
 * (RFC 6864 §4.1, RFC 7739: not a counter an observer can predict). */
static uint16_t next_ip_id(struct relay_state *st)
{
	uint16_t id;

	if (!st) {
		v6_random(&id, sizeof(id));
		return id;
	}
	if (!st->n_ids) {
		v6_random(st->ids, sizeof(st->ids));
		st->n_ids = sizeof(st->ids) / sizeof(st->ids[0]);
	}
	return st->ids[--st->n_ids];
}

/* RFC 4443 §2.4(f): a token bucket of cfg->icmp_rate errors per second. */
static bool icmp_token(const struct relay_cfg *cfg, struct relay_state *st, uint64_t now_us)
{
	double burst = cfg->icmp_rate < RELAY_ICMP_BURST ? cfg->icmp_rate : RELAY_ICMP_BURST;

	if (cfg->icmp_rate <= 0)
		return false;
	if (!st)
		return true;
	if (burst < 1)
		burst = 1;
	if (!st->icmp_started) {
		st->icmp_started = true;
		st->icmp_tokens = burst;
		st->icmp_last_us = now_us;
	} else if (now_us > st->icmp_last_us) {
		st->icmp_tokens += (double)(now_us - st->icmp_last_us) / 1e6 * cfg->icmp_rate;
		if (st->icmp_tokens > burst)
			st->icmp_tokens = burst;
		st->icmp_last_us = now_us;
	}
	if (st->icmp_tokens < 1)
		return false;
	st->icmp_tokens -= 1;
	return true;
}

/* RFC 4443 §2.4(e): no error about an error, nor about a packet whose
 * source does not name one node. */
static bool error_allowed(const struct pkt *p, const struct pkt_ip *in)
{
	if (bad_source6(in->src))
		return false;
	if (in->proto == 58 && !(in->frag && in->frag_off)) {
		uint8_t type = 0;
		struct cur all, c;

		cur_init(&all, p->data, p->caplen);
		cur_window(&all, in->ul_off, in->ul_len, &c);
		/* unreadable type: treat as an error, stay silent */
		if (!cur_peek_u8(&c, 0, &type) || type < 128)
			return false;
	}
	return true;
}

/* An ICMPv6 error from src about the IPv6 packet `in` of `pkt`, quoting as
 * much of it as keeps the error within RELAY_ICMP_MAX (RFC 4443 §2.4(c)). */
static bool build_icmp6_error(struct wcur *w, const uint8_t src[16], const struct pkt_ip *in,
			      const struct cur *pkt, uint8_t type, uint32_t param)
{
	size_t ip = wcur_off(w), quote = in->avail;
	struct cur q;

	if (quote > RELAY_ICMP_MAX - 48)
		quote = RELAY_ICMP_MAX - 48;
	build_ip6(w, src, in->src, 58, OUTBOUND_TTL, 0, 0, 0);
	wcur_u8(w, type);
	wcur_u8(w, 0);		/* code 0: hop limit exceeded in transit / (PTB has no code) */
	wcur_be16(w, 0);
	wcur_be32(w, param);
	cur_window(pkt, in->off, quote, &q);
	wcur_from(w, &q, quote);
	return !w->overflow && build_ip_finish(w, ip) && build_l4_checksum(w, ip);
}

static uint8_t icmp_type_of(enum relay_icmp kind)
{
	return kind == RELAY_ICMP_TOO_BIG ? 2 : 3;
}

/* The relay, as a LAN host's router, answers it with an ICMPv6 error about
 * its packet `in` (the frame's own IPv6 packet). */
static void error_to_lan(const struct relay_cfg *cfg, struct relay_state *st, const struct pkt *p,
			 const struct link_in *li, const struct pkt_ip *in, const struct cur *frame,
			 enum relay_icmp kind, uint32_t param, uint64_t now_us, uint8_t *out,
			 struct relay_out *r)
{
	struct wcur w;

	if (!cfg->has_icmp_src || !error_allowed(p, in))
		return;
	if (!icmp_token(cfg, st, now_us)) {
		r->icmp_limited = cfg->icmp_rate > 0;
		return;
	}
	wcur_init(&w, out, RELAY_OUT_MAX);
	build_eth(&w, li->src, our_mac(cfg, li), lan_vlan(cfg, st, li->src, li), ETH_P_IPV6);
	r->l2_len = wcur_off(&w);
	if (!build_icmp6_error(&w, cfg->icmp_src6, in, frame, icmp_type_of(kind), param))
		return;
	r->len = wcur_off(&w);
	r->tx = RELAY_TX_LINK;
	r->icmp = kind;
}

/* An ICMPv6 error about the tunnelled packet `in`, sent back through the
 * tunnel to the outer source `o` came from. */
static void error_to_tunnel(const struct relay_cfg *cfg, struct relay_state *st, const struct pkt *p,
			    const struct link_in *li, const struct pkt_ip *o, const struct pkt_ip *in,
			    const struct cur *frame, enum relay_icmp kind, uint64_t now_us,
			    uint8_t *out, struct relay_out *r)
{
	struct wcur w;
	size_t ip;

	if (!cfg->has_icmp_src || !cfg->has_local || !error_allowed(p, in))
		return;
	if (!icmp_token(cfg, st, now_us)) {
		r->icmp_limited = cfg->icmp_rate > 0;
		return;
	}
	wcur_init(&w, out, RELAY_OUT_MAX);
	build_eth(&w, li->eth ? li->src : cfg->gw_mac, our_mac(cfg, li), li->vlan, ETH_P_IPV4);
	ip = r->l2_len = wcur_off(&w);
	build_ip4(&w, cfg->local4, o->src, 41, OUTBOUND_TTL, 0, next_ip_id(st), false);
	if (!build_icmp6_error(&w, cfg->icmp_src6_tunnel, in, frame, icmp_type_of(kind), 0) ||
	    !build_ip_finish(&w, ip))
		return;
	r->len = wcur_off(&w);
	r->tx = RELAY_TX_TUNNEL;
	r->icmp = kind;
	memcpy(r->next_hop4, o->src, 4);
}

/* Copy an IP packet from the capture into the writer, returning its offset. */
static size_t copy_packet(struct wcur *w, const struct cur *frame, size_t off, size_t len)
{
	struct cur c;
	size_t at = wcur_off(w);

	cur_window(frame, off, len, &c);
	wcur_from(w, &c, len);
	return at;
}

/* Mode 6in4: the whole IPv4 packet, destination rewritten, TTL decremented,
 * header checksum updated incrementally (RFC 1624 eqn. 3) and verified. */
static void send_6in4(const struct relay_dest *d, const struct pkt_ip *o, const struct cur *frame,
		      const uint8_t *src_mac, int vlan, uint8_t *out, struct relay_out *r)
{
	struct wcur w;
	size_t ip;
	uint16_t hc;
	struct cur c;
	const uint8_t *h;

	wcur_init(&w, out, RELAY_OUT_MAX);
	build_eth(&w, d->mac, src_mac, vlan, ETH_P_IPV4);
	ip = copy_packet(&w, frame, o->off, o->tot_len);
	hc = csum_update16(o->v4_csum, (uint16_t)(o->ttl << 8 | o->proto),
			   (uint16_t)((o->ttl - 1) << 8 | o->proto));
	hc = csum_update_bytes(hc, o->dst, d->v4, 4);
	wcur_set_u8(&w, ip + 8, (uint8_t)(o->ttl - 1));
	wcur_set_be32(&w, ip + 16, (uint32_t)d->v4[0] << 24 | (uint32_t)d->v4[1] << 16 |
				   (uint32_t)d->v4[2] << 8 | d->v4[3]);
	wcur_set_be16(&w, ip + 10, hc);
	r->len = wcur_off(&w);
	if (w.overflow)
		return drop(r, RR_BAD_OUTER_HEADER, "packet does not fit the output buffer");
	cur_init(&c, out, r->len);
	cur_skip(&c, ip);
	h = cur_take(&c, o->hlen);
	if (!h || csum_buf(h, o->hlen) != 0) {
		/* Cannot happen with a valid input checksum; never send a bad one. */
		wcur_set_be16(&w, ip + 10, 0);
		wcur_set_be16(&w, ip + 10, h ? csum_buf(h, o->hlen) : 0);
		r->why = "IPv4 checksum recomputed in full";
	}
	r->action = RELAY_SEND;
	r->kind = RELAY_KIND_6IN4;
	r->tx = RELAY_TX_LINK;
	r->l2_len = ip;
}

/* Mode raw: the bare inner IPv6 packet, hop limit decremented (the relay is
 * the raw host's router). */
static void send_raw(const struct relay_dest *d, const struct pkt_ip *in, const struct cur *frame,
		     const uint8_t *src_mac, int vlan, uint8_t *out, struct relay_out *r)
{
	struct wcur w;
	size_t ip;

	wcur_init(&w, out, RELAY_OUT_MAX);
	build_eth(&w, d->mac, src_mac, vlan, ETH_P_IPV6);
	ip = copy_packet(&w, frame, in->off, in->tot_len);
	wcur_set_u8(&w, ip + 7, (uint8_t)(in->ttl - 1));
	r->len = wcur_off(&w);
	if (w.overflow)
		return drop(r, RR_BAD_INNER_HEADER, "packet does not fit the output buffer");
	r->action = RELAY_SEND;
	r->kind = RELAY_KIND_RAW;
	r->tx = RELAY_TX_LINK;
	r->l2_len = ip;
}

/* The raw-mode table entry (longest prefix) whose host sent this packet, -1 none. */
static int raw_host_of(const struct relay_table *t, const struct pkt_ip *in, const struct link_in *li)
{
	int host = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct relay_dest *d = &t->d[i];
		if (d->mode != RELAY_MODE_RAW || !prefix6_has(&d->v6, in->src))
			continue;
		if (li->eth && memcmp(d->mac, li->src, 6))
			continue;
		if (host < 0 || d->v6.len > t->d[host].v6.len)
			host = (int)i;
	}
	return host;
}

/* IPv6 from a raw-mode host: encapsulated toward the first tunnel server,
 * or answered with Time Exceeded / Packet Too Big. */
static void outbound(const struct relay_cfg *cfg, struct relay_state *st, const struct relay_table *t,
		     const struct pkt *p, const struct link_in *li, const struct cur *frame,
		     uint64_t now_us, uint8_t *out, struct relay_out *r)
{
	const struct pkt_ip *in = &p->ip[0];
	unsigned mtu = cfg->tunnel_mtu ? cfg->tunnel_mtu : RELAY_TUNNEL_MTU;
	struct wcur w;
	size_t ip, inner;
	int host;

	if (!cfg->outbound || !p->n_ip || in->version != 6 || !cfg->n_servers) {
		r->action = RELAY_IGNORE;
		return;
	}
	if (li->eth && cfg->has_mac && memcmp(li->dst, cfg->mac, 6)) {
		r->action = RELAY_IGNORE;	/* not routed through us */
		return;
	}
	host = raw_host_of(t, in, li);
	/* Link-scoped and multicast traffic (ND, MLD) stays on the link. */
	if (host < 0 || in->dst[0] == 0xff || pkt_ip6_is_link_local(in->dst)) {
		r->action = RELAY_IGNORE;
		return;
	}
	vlan_learn(st, li);
	r->dest = host;
	r->has_inner = true;
	memcpy(r->inner_src, in->src, 16);
	memcpy(r->inner_dst, in->dst, 16);
	if (in->verdict == PKT_UNSUPPORTED)
		return drop(r, RR_BAD_INNER_HEADER, in->why);
	if (in->hlen != 40 || in->avail < in->tot_len) {
		if (p->caplen < p->wirelen)
			return drop(r, RR_TRUNCATED, "capture shorter than the IPv6 packet");
		return drop(r, RR_TRUNCATED, "frame shorter than the IPv6 payload length");
	}
	/* RFC 8200 §3 / RFC 4443 §3.3 first, then the link MTU (§3.2). */
	if (in->ttl <= 1) {
		drop(r, RR_TTL_EXCEEDED, "hop limit exhausted");
		return error_to_lan(cfg, st, p, li, in, frame, RELAY_ICMP_TIME_EXCEEDED, 0, now_us, out, r);
	}
	if (in->tot_len > mtu) {
		drop(r, RR_TOO_BIG, "larger than the tunnel MTU");
		return error_to_lan(cfg, st, p, li, in, frame, RELAY_ICMP_TOO_BIG, mtu, now_us, out, r);
	}

	wcur_init(&w, out, RELAY_OUT_MAX);
	build_eth(&w, cfg->gw_mac, our_mac(cfg, li), li->vlan, ETH_P_IPV4);
	ip = wcur_off(&w);
	/* RFC 4213 §3.2.1: DF clear, the IPv4 network fragments if it must. */
	build_ip4(&w, cfg->local4, cfg->servers[0], 41, OUTBOUND_TTL, 0, next_ip_id(st), false);
	inner = copy_packet(&w, frame, in->off, in->tot_len);
	wcur_set_u8(&w, inner + 7, (uint8_t)(in->ttl - 1));
	if (w.overflow || !build_ip_finish(&w, ip))
		return drop(r, RR_BAD_INNER_HEADER, "packet too large to encapsulate");
	r->len = wcur_off(&w);
	r->l2_len = ip;
	r->action = RELAY_SEND;
	r->kind = RELAY_KIND_OUTBOUND;
	r->tx = RELAY_TX_TUNNEL;
	memcpy(r->next_hop4, cfg->servers[0], 4);
	/* SPEC §2: every relay line has outer_src; here it is the header we built. */
	r->has_outer = true;
	memcpy(r->outer_src, cfg->local4, 4);
}

/* The outer IPv4 header as the one parser judged it, its protocol and
 * checksum, and the tunnel server.  False when the frame was dealt with. */
static bool outer_ok(const struct relay_cfg *cfg, const struct pkt *p, const struct cur *fc,
		     bool snap_cut, struct relay_out *r)
{
	const struct pkt_ip *o = &p->ip[0];
	struct cur h;
	const uint8_t *hb;

	if (!o->hlen) {		/* not even the fixed header */
		drop(r, snap_cut ? RR_TRUNCATED : RR_BAD_OUTER_HEADER, "IPv4 header truncated");
		return false;
	}
	if (cfg->has_local && memcmp(o->dst, cfg->local4, 4)) {
		r->action = RELAY_IGNORE;
		return false;
	}
	r->has_outer = true;
	memcpy(r->outer_src, o->src, 4);
	if (o->verdict == PKT_INVALID) {
		drop(r, RR_BAD_OUTER_HEADER, o->why);
		return false;
	}
	if (o->verdict == PKT_TRUNCATED) {
		drop(r, snap_cut ? RR_TRUNCATED : RR_BAD_OUTER_HEADER,
		     snap_cut ? "capture shorter than the IPv4 packet" : "frame shorter than the IPv4 total length");
		return false;
	}
	if (o->proto != 41) {
		drop(r, RR_NOT_PROTO41, "IPv4 protocol is not 41");
		return false;
	}
	cur_window(fc, o->off, o->hlen, &h);
	hb = cur_take(&h, o->hlen);
	if (!hb || csum_buf(hb, o->hlen) != 0) {
		drop(r, RR_BAD_OUTER_CHECKSUM, "IPv4 header checksum");
		return false;
	}
	if (cfg->n_servers) {
		size_t i;
		for (i = 0; i < cfg->n_servers; i++)
			if (!memcmp(cfg->servers[i], o->src, 4))
				break;
		if (i == cfg->n_servers) {
			drop(r, RR_TUNNEL_SERVER_MISMATCH, "outer source is not a tunnel server");
			return false;
		}
	}
	return true;
}

/* A whole (or reassembled) protocol-41 datagram: the inner IPv6 header
 * within the outer payload (RFC 4213 §3.6), the table, --allow, then relay. */
static void inbound(const struct relay_cfg *cfg, struct relay_state *st, const struct relay_table *t,
		    const struct pkt *p, const struct link_in *li, const struct cur *fc,
		    uint64_t now_us, uint8_t *out, struct relay_out *r)
{
	const struct pkt_ip *o = &p->ip[0], *in;
	const struct relay_dest *d;
	struct cur ic;
	uint8_t b0 = 0;
	int di;

	cur_window(fc, o->ul_off, o->ul_len, &ic);
	if (!cur_peek_u8(&ic, 0, &b0))
		return drop(r, RR_TRUNCATED, "no inner packet");
	if (b0 >> 4 != 6)
		return drop(r, RR_BAD_INNER_HEADER, "inner IP version is not 6");
	if (o->ul_len < 40 || p->n_ip < 2)
		return drop(r, RR_TRUNCATED, "outer payload shorter than an IPv6 header");
	in = &p->ip[1];
	r->has_inner = true;
	memcpy(r->inner_src, in->src, 16);
	memcpy(r->inner_dst, in->dst, 16);
	if (in->verdict == PKT_UNSUPPORTED)
		return drop(r, RR_BAD_INNER_HEADER, in->why);
	if (in->tot_len > o->ul_len)
		return drop(r, RR_TRUNCATED, "inner payload length beyond the outer packet");
	if (in->tot_len < o->ul_len)
		return drop(r, RR_BAD_INNER_HEADER, "outer packet longer than the inner IPv6 packet");
	if (bad_source6(in->src))
		return drop(r, RR_BAD_INNER_SOURCE, "inner source multicast, loopback or unspecified");
	di = relay_table_lookup(t, in->dst);
	if (di < 0)
		return drop(r, RR_NO_DESTINATION, "inner destination not in the table");
	r->dest = di;
	d = &t->d[di];
	if (cfg->n_allow && !allowed(cfg, p, in, fc))
		return drop(r, RR_NOT_ALLOWED, "transport not in --allow");
	if (d->mode == RELAY_MODE_6IN4) {
		if (o->ttl <= 1)
			return drop(r, RR_TTL_EXCEEDED, "outer TTL exhausted");
		return send_6in4(d, o, fc, our_mac(cfg, li), lan_vlan(cfg, st, d->mac, li), out, r);
	}
	if (in->ttl <= 1) {
		drop(r, RR_TTL_EXCEEDED, "inner hop limit exhausted");
		return error_to_tunnel(cfg, st, p, li, o, in, fc, RELAY_ICMP_TIME_EXCEEDED, now_us, out, r);
	}
	send_raw(d, in, fc, our_mac(cfg, li), lan_vlan(cfg, st, d->mac, li), out, r);
}

static void count_expired(void *ctx, const struct reasm_result *res)
{
	*(unsigned *)ctx += (unsigned)res->n_tags;
}

/* An outer IPv4 fragment: held until its datagram is whole (RFC 4213 §3.6),
 * then the datagram goes through the same checks as any other. */
static void reassemble(const struct relay_cfg *cfg, struct relay_state *st, const struct relay_table *t,
		       const struct pkt *p, const struct link_in *li, uint64_t now_us,
		       uint8_t *out, struct relay_out *r)
{
	struct reasm_result res;
	struct pkt q;
	struct cur qc;

	if (!st || !st->reasm)
		return drop(r, RR_OUTER_FRAGMENT, "IPv4 fragment (not reassembled)");
	switch (reasm_add(st->reasm, p, 0, now_us, 0, &res)) {
	case REASM_HELD:
		r->action = RELAY_IGNORE;
		r->held = true;
		return;
	case REASM_DONE:
		break;
	case REASM_DISCARD:
		r->frags_given_up += res.n_tags > 1 ? (unsigned)res.n_tags - 1 : 0;
		return drop(r, RR_OUTER_FRAGMENT, reasm_reason_name(res.reason));
	default:
		return drop(r, RR_OUTER_FRAGMENT, "IPv4 fragment not accepted by the reassembler");
	}
	r->reassembled = true;
	pkt_parse(&q, V6_DLT_IPV4, res.data, (uint32_t)res.len, (uint32_t)res.len);
	cur_init(&qc, res.data, res.len);
	if (!q.n_ip || q.ip[0].verdict != PKT_OK)
		return drop(r, RR_BAD_OUTER_HEADER, "reassembled datagram invalid");
	inbound(cfg, st, t, &q, li, &qc, now_us, out, r);
}

void relay_process(const struct relay_cfg *cfg, struct relay_state *st, const struct relay_table *t,
		   int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen, uint64_t now_us,
		   uint8_t *out, struct relay_out *r)
{
	struct pkt p;
	struct cur fc;
	struct link_in li;
	bool snap_cut;

	memset(r, 0, sizeof(*r));
	r->dest = -1;
	if (!wirelen)
		wirelen = caplen;
	snap_cut = caplen < wirelen;
	pkt_parse(&p, dlt, frame, caplen, wirelen);
	cur_init(&fc, frame, caplen);
	li.eth = p.has_eth;
	memcpy(li.src, p.eth_src, 6);
	memcpy(li.dst, p.eth_dst, 6);
	li.vlan = p.n_vlan ? (p.vlan[0] & 0x0fff) : -1;
	if (st && st->reasm && now_us >= st->next_expire_us) {
		unsigned n = 0;

		reasm_expire(st->reasm, now_us, false, count_expired, &n);
		r->frags_given_up += n;
		st->next_expire_us = now_us + 1000000;
	}

	if (((p.has_eth || p.has_sll) && p.ethertype == ETH_P_IPV6) ||
	    (p.n_ip && p.ip[0].version == 6))
		return outbound(cfg, st, t, &p, &li, &fc, now_us, out, r);
	if ((p.has_eth || p.has_sll) && p.ethertype != ETH_P_IPV4) {
		r->action = RELAY_IGNORE;
		return;
	}
	if (!p.n_ip) {
		if (p.verdict == PKT_UNSUPPORTED) {
			r->action = RELAY_IGNORE;
			return;
		}
		if (p.verdict == PKT_TRUNCATED)
			return drop(r, snap_cut ? RR_TRUNCATED : RR_BAD_OUTER_HEADER, p.why);
		return drop(r, RR_BAD_OUTER_HEADER, p.why ? p.why : "not an IPv4 header");
	}
	if (!outer_ok(cfg, &p, &fc, snap_cut, r))
		return;
	if (p.ip[0].frag)
		return reassemble(cfg, st, t, &p, &li, now_us, out, r);
	inbound(cfg, st, t, &p, &li, &fc, now_us, out, r);
}

/* ---- state ---- */

void relay_state_init(struct relay_state *st)
{
	struct reasm_limits lim = {
		.max_datagrams = RELAY_REASM_DATAGRAMS,
		.max_bytes = RELAY_REASM_BYTES,
		.max_per_source = RELAY_REASM_PER_SOURCE,
		.timeout_us = RELAY_REASM_TIMEOUT_US,
	};

	memset(st, 0, sizeof(*st));
	st->reasm = reasm_new(&lim);
}

void relay_state_free(struct relay_state *st)
{
	if (st->reasm)
		reasm_free(st->reasm);
	memset(st, 0, sizeof(*st));
}

/* ---- counters and records ---- */

void relay_stats_init(struct relay_stats *s)
{
	memset(s, 0, sizeof(*s));
}

void relay_stats_free(struct relay_stats *s)
{
	free(s->dest);
	relay_stats_init(s);
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;

	while (*k)
		h = (h ^ (uint8_t)*k++) * 16777619u;
	return h;
}

/* Counters are kept per destination key across reloads (so they only grow);
 * a temporary hash of the keys keeps a reload of a large table linear. */
void relay_stats_bind(struct relay_stats *s, struct relay_table *t)
{
	size_t size = 64, cap = s->n_dest, mask;
	int32_t *idx;

	while (size < 2 * (s->n_dest + t->n))
		size *= 2;
	mask = size - 1;
	idx = xmalloc(size * sizeof(*idx));
	memset(idx, 0xff, size * sizeof(*idx));
	for (size_t j = 0; j < s->n_dest; j++) {
		size_t h = key_hash(s->dest[j].key) & mask;

		while (idx[h] >= 0)
			h = (h + 1) & mask;
		idx[h] = (int32_t)j;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t h = key_hash(t->d[i].key) & mask;

		while (idx[h] >= 0 && strcmp(s->dest[idx[h]].key, t->d[i].key))
			h = (h + 1) & mask;
		if (idx[h] < 0) {
			if (s->n_dest == cap) {
				cap = cap ? cap * 2 : 16;
				s->dest = xrealloc(s->dest, cap * sizeof(*s->dest));
			}
			memset(&s->dest[s->n_dest], 0, sizeof(s->dest[s->n_dest]));
			memcpy(s->dest[s->n_dest].key, t->d[i].key, sizeof(s->dest[s->n_dest].key));
			idx[h] = (int32_t)s->n_dest++;
		}
		t->d[i].stat = (size_t)idx[h];
	}
	free(idx);
}

void relay_stats_count(struct relay_stats *s, const struct relay_table *t, const struct relay_out *r)
{
	s->packets++;
	s->dropped[RR_OUTER_FRAGMENT] += r->frags_given_up;
	if (r->icmp != RELAY_ICMP_NONE)
		s->icmp_sent[r->icmp]++;
	s->icmp_rate_limited += r->icmp_limited;
	s->reassembled += r->reassembled;
	switch (r->action) {
	case RELAY_IGNORE:
		if (r->held)
			s->fragments_held++;
		else
			s->ignored++;
		break;
	case RELAY_DROP:
		s->dropped[r->reason]++;
		break;
	case RELAY_SEND:
		if (r->kind == RELAY_KIND_OUTBOUND)
			s->outbound++;
		else if (r->dest >= 0 && (size_t)r->dest < t->n && t->d[r->dest].stat < s->n_dest)
			s->dest[t->d[r->dest].stat].n++;
		break;
	}
}

void relay_emit_stats(const struct relay_stats *s, const char *type, double elapsed_s)
{
	uint64_t relayed = 0, dropped = 0;

	for (size_t i = 0; i < s->n_dest; i++)
		relayed += s->dest[i].n;
	for (int i = 0; i < RR_COUNT; i++)
		dropped += s->dropped[i];
	em_begin(type);
	em_text("%s: ", type);
	em_u64(EM_ANY, "packets", "%llu packets", s->packets);
	em_u64(EM_TEXT, NULL, ", %llu relayed", relayed);
	em_obj_begin(EM_JSON, "relayed", NULL);
	for (size_t i = 0; i < s->n_dest; i++)
		em_u64(EM_JSON, s->dest[i].key, NULL, s->dest[i].n);
	em_obj_end(EM_JSON, NULL);
	em_u64(EM_ANY, "outbound", ", %llu outbound", s->outbound);
	em_u64(EM_TEXT, NULL, ", %llu dropped", dropped);
	em_obj_begin(EM_JSON, "dropped", NULL);
	for (int i = 0; i < RR_COUNT; i++)
		em_u64(EM_JSON, reason_names[i], NULL, s->dropped[i]);
	em_obj_end(EM_JSON, NULL);
	em_u64(EM_ANY, "ignored", ", %llu ignored", s->ignored);
	em_obj_begin(EM_JSON, "icmp_sent", NULL);
	for (int i = RELAY_ICMP_NONE + 1; i < RELAY_ICMP_COUNT; i++)
		em_u64(EM_JSON, icmp_names[i], NULL, s->icmp_sent[i]);
	em_obj_end(EM_JSON, NULL);
	em_u64(EM_TEXT, NULL, ", %llu ICMPv6 errors sent", s->icmp_sent[RELAY_ICMP_TOO_BIG] +
	       s->icmp_sent[RELAY_ICMP_TIME_EXCEEDED]);
	em_u64(EM_ANY, "icmp_rate_limited", " (%llu rate limited)", s->icmp_rate_limited);
	em_u64(EM_ANY, "fragments_held", ", %llu fragments held", s->fragments_held);
	em_u64(EM_ANY, "reassembled", ", %llu reassembled", s->reassembled);
	em_u64(EM_ANY, "send_errors", ", %llu send errors", s->send_errors);
	em_u64(EM_ANY, "sent", ", %llu frames sent", s->sent);
	em_u64(EM_ANY, "failed", ", %llu failed", s->send_errors);
	em_u64(EM_ANY, "capture_dropped", ", %llu not captured", s->capture_dropped);
	em_dbl(EM_ANY, "elapsed_s", ", %.3f s", elapsed_s);
	if (!em_is_json()) {
		for (size_t i = 0; i < s->n_dest; i++)
			if (s->dest[i].n)
				em_text("\n  relayed %-40s %llu", s->dest[i].key,
					(unsigned long long)s->dest[i].n);
		for (int i = 0; i < RR_COUNT; i++)
			if (s->dropped[i])
				em_text("\n  dropped %-40s %llu", reason_names[i],
					(unsigned long long)s->dropped[i]);
		for (int i = RELAY_ICMP_NONE + 1; i < RELAY_ICMP_COUNT; i++)
			if (s->icmp_sent[i])
				em_text("\n  icmp    %-40s %llu", icmp_names[i],
					(unsigned long long)s->icmp_sent[i]);
	}
	em_end();
}

void relay_emit_packet(const struct relay_out *r, const struct relay_table *t, uint64_t wall_us)
{
	char a[46];

	if (r->action == RELAY_IGNORE)
		return;
	em_begin(r->action == RELAY_SEND ? "relay" : "drop");
	em_ts(EM_ANY, "%s ", wall_us);
	em_text("%s ", r->action == RELAY_SEND ? "relay" : "drop");
	if (r->has_outer)
		em_str(EM_ANY, "outer_src", "%s ", fmt_ip4(r->outer_src, a));
	else
		em_null(EM_JSON, "outer_src", NULL);
	if (r->action == RELAY_SEND && r->kind == RELAY_KIND_OUTBOUND)
		em_str(EM_ANY, "outer_dst", "to %s ", fmt_ip4(r->next_hop4, a));
	if (r->has_inner) {
		em_str(EM_ANY, "inner_src", "%s ", fmt_ip6(r->inner_src, a));
		em_str(EM_ANY, "inner_dst", "> %s ", fmt_ip6(r->inner_dst, a));
	} else {
		em_null(EM_JSON, "inner_src", NULL);
		em_null(EM_JSON, "inner_dst", NULL);
	}
	if (r->action == RELAY_SEND) {
		em_str(EM_ANY, "mode", "%s", r->kind == RELAY_KIND_OUTBOUND ? "outbound" :
			r->kind == RELAY_KIND_RAW ? "raw" : "6in4");
	} else {
		em_str(EM_ANY, "reason", "%s", reason_names[r->reason]);
		if (r->why)
			em_str(EM_ANY, "detail", " (%s)", r->why);
		if (r->icmp != RELAY_ICMP_NONE)
			em_str(EM_ANY, "icmp", ", answered with %s", icmp_names[r->icmp]);
	}
	if (r->dest >= 0 && (size_t)r->dest < t->n)
		em_str(EM_ANY, "destination", " [%s]", t->d[r->dest].key);
	em_end();
}

/* ---- kernel glue ---- */

int relay_sock41_open(void)
{
	/* BPF "ret #0": accept nothing; the socket only sends. */
	struct sock_filter none[] = { { 0x06, 0, 0, 0 } };
	struct sock_fprog prog = { .len = 1, .filter = none };
	int one = 1;
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 41);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int relay_sock41_send(int fd, const uint8_t *pkt, size_t len, const uint8_t dst4[4])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	memcpy(&sin.sin_addr, dst4, 4);
	if (sendto(fd, pkt, len, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return 0;
}
