/* cursor.h - the only way v6kit touches packet bytes: bounds-checked read and
 * write cursors with a sticky truncation flag and narrowing sub-cursors.
 *
 * Modelled on tcpdump's GET_BE_U_2 discipline: header fields are read one at
 * a time through getters that check the window, never by casting packet
 * bytes to a struct.  A read past the window returns false, yields zero, and
 * sets `trunc`, which stays set: a parser can do several reads and test once.
 */
#ifndef V6_CURSOR_H
#define V6_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *base;	/* start of the whole buffer (offsets are from here) */
	const uint8_t *p;	/* next byte to read */
	const uint8_t *end;	/* one past the last byte of this window */
	bool trunc;		/* sticky: some read went past `end` */
};

static inline void cur_init(struct cur *c, const void *buf, size_t len)
{
	c->base = buf;
	c->p = buf;
	c->end = c->p + len;
	c->trunc = false;
}

static inline size_t cur_left(const struct cur *c) { return (size_t)(c->end - c->p); }
static inline size_t cur_off(const struct cur *c) { return (size_t)(c->p - c->base); }
static inline size_t cur_end_off(const struct cur *c) { return (size_t)(c->end - c->base); }
static inline bool cur_has(const struct cur *c, size_t n) { return !c->trunc && cur_left(c) >= n; }

static inline bool cur_fail(struct cur *c)
{
	c->trunc = true;
	return false;
}

static inline bool cur_u8(struct cur *c, uint8_t *v)
{
	if (!cur_has(c, 1)) {
		*v = 0;
		return cur_fail(c);
	}
	*v = *c->p++;
	return true;
}

static inline bool cur_be16(struct cur *c, uint16_t *v)
{
	if (!cur_has(c, 2)) {
		*v = 0;
		return cur_fail(c);
	}
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return true;
}

static inline bool cur_be32(struct cur *c, uint32_t *v)
{
	if (!cur_has(c, 4)) {
		*v = 0;
		return cur_fail(c);
	}
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return true;
}

static inline bool cur_le16(struct cur *c, uint16_t *v)
{
	if (!cur_has(c, 2)) {
		*v = 0;
		return cur_fail(c);
	}
	*v = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return true;
}

/* Copy n bytes out (dst zero-filled on truncation). */
static inline bool cur_copy(struct cur *c, void *dst, size_t n)
{
	if (!cur_has(c, n)) {
		memset(dst, 0, n);
		return cur_fail(c);
	}
	memcpy(dst, c->p, n);
	c->p += n;
	return true;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
	if (!cur_has(c, n)) {
		c->p = c->end;
		return cur_fail(c);
	}
	c->p += n;
	return true;
}

/* Borrow a pointer to the next n bytes (e.g. to checksum them) and advance;
 * NULL on truncation.  The pointer is valid for exactly n bytes. */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
	const uint8_t *q = c->p;

	if (!cur_has(c, n)) {
		c->p = c->end;
		cur_fail(c);
		return NULL;
	}
	c->p += n;
	return q;
}

/* Peek at an offset from the current position without moving or marking. */
static inline bool cur_peek_u8(const struct cur *c, size_t off, uint8_t *v)
{
	if (c->trunc || cur_left(c) < off + 1) {
		*v = 0;
		return false;
	}
	*v = c->p[off];
	return true;
}

static inline bool cur_peek_be16(const struct cur *c, size_t off, uint16_t *v)
{
	if (c->trunc || cur_left(c) < off + 2) {
		*v = 0;
		return false;
	}
	*v = (uint16_t)(c->p[off] << 8 | c->p[off + 1]);
	return true;
}

static inline bool cur_peek_be32(const struct cur *c, size_t off, uint32_t *v)
{
	if (c->trunc || cur_left(c) < off + 4) {
		*v = 0;
		return false;
	}
	*v = (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
	     (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
	return true;
}

/* Narrow: `sub` covers the next n bytes (or as many as exist) and the parent
 * advances past them.  Returns false, and marks the parent truncated, when
 * fewer than n bytes exist; the sub-cursor then covers what is there and
 * will itself report truncation when read past its real end. */
static inline bool cur_sub(struct cur *c, size_t n, struct cur *sub)
{
	size_t have = c->trunc ? 0 : cur_left(c);

	sub->base = c->base;
	sub->p = c->p;
	sub->trunc = false;
	if (have < n) {
		sub->end = c->p + have;
		c->p = c->end;
		return cur_fail(c);
	}
	sub->end = c->p + n;
	c->p += n;
	return true;
}

/* A new cursor over [off, off+n) of the same base buffer, clipped to the
 * parent's window end; returns false if clipping happened. */
static inline bool cur_window(const struct cur *c, size_t off, size_t n, struct cur *w)
{
	size_t lim = cur_end_off(c);

	w->base = c->base;
	w->trunc = false;
	if (off > lim)
		off = lim;
	w->p = c->base + off;
	if (n > lim - off) {
		w->end = c->base + lim;
		return false;
	}
	w->end = w->p + n;
	return true;
}

/* ---- write cursor: builds or patches packets with the same discipline ---- */

struct wcur {
	uint8_t *base;
	uint8_t *p;
	uint8_t *end;
	bool overflow;		/* sticky: a write did not fit */
};

static inline void wcur_init(struct wcur *w, void *buf, size_t cap)
{
	w->base = buf;
	w->p = buf;
	w->end = w->p + cap;
	w->overflow = false;
}

static inline size_t wcur_off(const struct wcur *w) { return (size_t)(w->p - w->base); }
static inline size_t wcur_left(const struct wcur *w) { return (size_t)(w->end - w->p); }

static inline bool wcur_room(struct wcur *w, size_t n)
{
	if (w->overflow || wcur_left(w) < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

static inline bool wcur_u8(struct wcur *w, uint8_t v)
{
	if (!wcur_room(w, 1))
		return false;
	*w->p++ = v;
	return true;
}

static inline bool wcur_be16(struct wcur *w, uint16_t v)
{
	if (!wcur_room(w, 2))
		return false;
	w->p[0] = (uint8_t)(v >> 8);
	w->p[1] = (uint8_t)v;
	w->p += 2;
	return true;
}

static inline bool wcur_be32(struct wcur *w, uint32_t v)
{
	if (!wcur_room(w, 4))
		return false;
	w->p[0] = (uint8_t)(v >> 24);
	w->p[1] = (uint8_t)(v >> 16);
	w->p[2] = (uint8_t)(v >> 8);
	w->p[3] = (uint8_t)v;
	w->p += 4;
	return true;
}

static inline bool wcur_bytes(struct wcur *w, const void *src, size_t n)
{
	if (!wcur_room(w, n))
		return false;
	if (n)
		memcpy(w->p, src, n);
	w->p += n;
	return true;
}

static inline bool wcur_zero(struct wcur *w, size_t n)
{
	if (!wcur_room(w, n))
		return false;
	memset(w->p, 0, n);
	w->p += n;
	return true;
}

/* Copy whatever a read cursor has left (advancing it). */
static inline bool wcur_from(struct wcur *w, struct cur *c, size_t n)
{
	const uint8_t *src = cur_take(c, n);

	if (!src)
		return false;
	return wcur_bytes(w, src, n);
}

/* Random-access patches inside what has been written or reserved so far. */
static inline bool wcur_set_u8(struct wcur *w, size_t off, uint8_t v)
{
	if (w->overflow || off + 1 > (size_t)(w->end - w->base)) {
		w->overflow = true;
		return false;
	}
	w->base[off] = v;
	return true;
}

static inline bool wcur_set_be16(struct wcur *w, size_t off, uint16_t v)
{
	if (w->overflow || off + 2 > (size_t)(w->end - w->base)) {
		w->overflow = true;
		return false;
	}
	w->base[off] = (uint8_t)(v >> 8);
	w->base[off + 1] = (uint8_t)v;
	return true;
}

static inline bool wcur_set_be32(struct wcur *w, size_t off, uint32_t v)
{
	if (w->overflow || off + 4 > (size_t)(w->end - w->base)) {
		w->overflow = true;
		return false;
	}
	w->base[off] = (uint8_t)(v >> 24);
	w->base[off + 1] = (uint8_t)(v >> 16);
	w->base[off + 2] = (uint8_t)(v >> 8);
	w->base[off + 3] = (uint8_t)v;
	return true;
}

#endif
