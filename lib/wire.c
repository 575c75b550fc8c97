/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* wire.c - tagged-field frames between ingest and its workers. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "wire.h"
#include "blob.h"
#include "bounds.h"
#include "trawl.h"
#include "banned.h"

uint32_t wire_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t wire_get_u64(const uint8_t *p)
{
	return (uint64_t)wire_get_u32(p) | (uint64_t)wire_get_u32(p + 4) << 32;
}

void wire_set_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void wire_set_u64(uint8_t *p, uint64_t v)
{
	wire_set_u32(p, (uint32_t)v);
	wire_set_u32(p + 4, (uint32_t)(v >> 32));
}

void wire_put(struct buf *b, int tag, const void *data, size_t len)
{
	uint8_t h[5];

	if (len > UINT32_MAX) {
		b->err = TRAWL_ERR_TOO_LARGE;
		return;
	}
	h[0] = (uint8_t)tag;
	wire_set_u32(h + 1, (uint32_t)len);
	buf_append(b, h, sizeof(h));
	buf_append(b, data, len);
}

void wire_put_str(struct buf *b, int tag, const char *s)
{
	if (s)
		wire_put(b, tag, s, strlen(s));
}

void wire_put_u64(struct buf *b, int tag, uint64_t v)
{
	uint8_t x[8];

	wire_set_u64(x, v);
	wire_put(b, tag, x, 8);
}

void wire_put_i64(struct buf *b, int tag, int64_t v)
{
	wire_put_u64(b, tag, (uint64_t)v);
}

void wire_frame_begin(struct buf *b, uint32_t type, uint64_t seq)
{
	uint8_t h[WIRE_HEADER_SIZE] = { 0 };

	wire_set_u32(h + 4, type);
	wire_set_u64(h + 8, seq);
	buf_reset(b);
	buf_append(b, h, sizeof(h));
}

void wire_frame_end(struct buf *b)
{
	if (!b->err)
		wire_set_u32((uint8_t *)b->data,
			     (uint32_t)(b->len - WIRE_HEADER_SIZE));
}

void wire_cursor_init(struct wire_cursor *c, const void *data, size_t len)
{
	c->p = data;
	c->end = c->p + len;
	c->err = 0;
}

int wire_next(struct wire_cursor *c, int *tag, const uint8_t **data,
	      size_t *len)
{
	uint32_t n;

	if (c->err)
		return -1;
	if (c->p == c->end)
		return 0;
	if (c->end - c->p < 5)
		goto bad;
	n = wire_get_u32(c->p + 1);
	if ((size_t)(c->end - c->p - 5) < n)
		goto bad;
	*tag = c->p[0];
	*data = c->p + 5;
	*len = n;
	c->p += 5 + (size_t)n;
	return 1;
bad:
	c->err = 1;
	return -1;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static struct span span_of(const uint8_t *d, size_t n)
{
	struct span s = { (const char *)d, n };

	return s;
}

/* Sub-fields: u32 length, first, rest. */
static int split2(const uint8_t *d, size_t n, struct span *a, struct span *b)
{
	uint32_t la;

	if (n < 4)
		return -1;
	la = wire_get_u32(d);
	if (la > n - 4)
		return -1;
	*a = span_of(d + 4, la);
	*b = span_of(d + 4 + la, n - 4 - la);
	return 0;
}

static int decode_field(struct rec_item *it, int tag, const uint8_t *d,
			size_t n)
{
	switch (tag) {
	case W_SHA256:
		if (n != 32)
			return -1;
		it->sha256 = d;
		return 0;
	case W_MD5:
		if (n != 16)
			return -1;
		it->md5 = d;
		return 0;
	case W_CHASH:
		if (n != 32)
			return -1;
		it->chash = d;
		return 0;
	case W_SIZE:
		if (n != 8)
			return -1;
		it->size = wire_get_u64(d);
		return 0;
	case W_FLAGS:
		if (n != 4)
			return -1;
		it->flags = wire_get_u32(d);
		return 0;
	case W_DATE:
		if (n != 13)
			return -1;
		it->has_date = 1;
		it->date = (int64_t)wire_get_u64(d);
		it->tz = (int32_t)wire_get_u32(d + 8);
		it->date_source = d[12];
		return it->date_source > TRAWL_DATE_NONE ? -1 : 0;
	case W_BLOBZ: it->blobz = span_of(d, n); return 0;
	case W_MSGID: it->message_id = span_of(d, n); return 0;
	case W_SUBJECT: it->subject = span_of(d, n); return 0;
	case W_BASESUBJ: it->base_subject = span_of(d, n); return 0;
	case W_IRT: it->in_reply_to = span_of(d, n); return 0;
	case W_REFS: it->refs = span_of(d, n); return 0;
	case W_NAME: it->name = span_of(d, n); return 0;
	case W_MIME: it->mime_type = span_of(d, n); return 0;
	case W_SNIFF: it->sniffed_type = span_of(d, n); return 0;
	case W_BODYZ:
		if (n < 8)
			return -1;
		it->body_len = wire_get_u64(d);
		it->bodyz = span_of(d + 8, n - 8);
		return 0;
	case W_ADDR: {
		struct rec_addr *a;

		if (n < 1 || grow((void **)&it->addrs, &it->caddrs, it->naddrs,
				  sizeof(*a), 6 * TRAWL_MAX_ADDRS_PER_FIELD))
			return -1;
		a = &it->addrs[it->naddrs];
		a->role = d[0];
		if (a->role > TRAWL_ROLE_BCC ||
		    split2(d + 1, n - 1, &a->name, &a->addr))
			return -1;
		it->naddrs++;
		return 0;
	}
	case W_WARN: {
		struct rec_warn *w;

		if (grow((void **)&it->warns, &it->cwarns, it->nwarns,
			 sizeof(*w), TRAWL_MAX_WARNINGS + 1))
			return -1;
		w = &it->warns[it->nwarns];
		if (split2(d, n, &w->code, &w->detail))
			return -1;
		it->nwarns++;
		return 0;
	}
	default:
		return 0; /* unknown fields are skipped */
	}
}

/* Starts item slot it afresh, keeping the arrays of a slot used before. */
static void item_reset(struct rec_unit *u, struct rec_item *it)
{
	struct rec_addr *addrs = NULL;
	struct rec_warn *warns = NULL;
	size_t caddrs = 0, cwarns = 0;

	if ((size_t)(it - u->items) < u->hw) {
		addrs = it->addrs;
		caddrs = it->caddrs;
		warns = it->warns;
		cwarns = it->cwarns;
	} else {
		u->hw = (size_t)(it - u->items) + 1;
	}
	memset(it, 0, sizeof(*it));
	it->addrs = addrs;
	it->caddrs = caddrs;
	it->warns = warns;
	it->cwarns = cwarns;
}

static int decode_into(struct rec_unit *u, const void *payload, size_t len)
{
	struct wire_cursor c;
	struct rec_item *it = NULL;
	const uint8_t *d;
	size_t n;
	int tag, r;

	u->nitems = 0;
	wire_cursor_init(&c, payload, len);
	while ((r = wire_next(&c, &tag, &d, &n)) == 1) {
		if (tag == W_ITEM) {
			int32_t parent;

			if (n != 5 || grow((void **)&u->items, &u->citems,
					   u->nitems, sizeof(*it),
					   TRAWL_MAX_MIME_PARTS + 2))
				return -1;
			parent = (int32_t)wire_get_u32(d + 1);
			if (parent < -1 || parent >= (int32_t)u->nitems ||
			    (parent == -1) != (u->nitems == 0) ||
			    d[0] < TRAWL_KIND_EMAIL || d[0] > TRAWL_KIND_DOCUMENT)
				return -1;
			it = &u->items[u->nitems++];
			item_reset(u, it);
			it->kind = d[0];
			it->parent = parent;
		} else if (tag == W_TERMS) {
			uint32_t idx;

			if (n < 4 || (idx = wire_get_u32(d)) >= u->nitems ||
			    u->items[idx].terms.p)
				return -1;
			u->items[idx].terms = span_of(d + 4, n - 4);
		} else if (!it || decode_field(it, tag, d, n)) {
			return -1;
		}
	}
	if (r < 0 || u->nitems == 0)
		return -1;
	for (size_t i = 0; i < u->nitems; i++) {
		const struct rec_item *x = &u->items[i];

		if (!x->sha256 || !x->blobz.p)
			return -1;
	}
	return 0;
}

int rec_unit_decode(struct rec_unit *u, const void *payload, size_t len)
{
	memset(u, 0, sizeof(*u));
	return decode_into(u, payload, len);
}

int rec_unit_redecode(struct rec_unit *u, const void *payload, size_t len)
{
	return decode_into(u, payload, len);
}

int rec_unit_check_frames(const struct rec_unit *u)
{
	for (size_t i = 0; i < u->nitems; i++) {
		const struct rec_item *x = &u->items[i];

		/* an original may be several frames (blob_compress_split):
		 * their sizes, from their headers, add up to its size */
		if (blob_frames_size(x->blobz.p, x->blobz.n) != x->size)
			return -1;
		/* a body stored as the original's tail: its length alone */
		if (x->bodyz.p && !x->bodyz.n &&
		    (!x->body_len || x->body_len >= x->size ||
		     x->kind != TRAWL_KIND_EMAIL))
			return -1;
		if (x->bodyz.p && x->bodyz.n &&
		    blob_frames_check(x->bodyz.p, x->bodyz.n, x->body_len))
			return -1;
	}
	return 0;
}

void rec_unit_release(struct rec_unit *u)
{
	for (size_t i = 0; i < u->hw; i++) {
		free(u->items[i].addrs);
		free(u->items[i].warns);
	}
	free(u->items);
	memset(u, 0, sizeof(*u));
}
