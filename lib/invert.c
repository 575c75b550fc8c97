/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * invert.c - the in-memory inverter and the segment writer.
 *
 * Documents arrive in item ID order as doc terms records (index.h).  Each
 * distinct key gets a term with two byte streams in a slice pool, as
 * Lucene's indexing chain keeps them: its docs (varint doc delta, varint
 * freq) and its positions (the record's position varints, copied as they
 * are).  A flush sorts the keys and writes the segment files in the
 * layout described at the top of segment.c.
 *
 * The slice pool: 64 KiB pages; a stream is a chain of slices of growing
 * size, each ending in the 4-byte address of the next one.  Addresses are
 * u32: page << 16 | offset, which caps the pool (and so the flush budget)
 * below 4 GiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "codec.h"
#include "io.h"
#include "segment.h"
#include "wire.h"
#include "banned.h"

#define PAGE_BITS 16
#define PAGE_SIZE ((uint32_t)1 << PAGE_BITS)
#define MAX_PAGES 60000u

static const uint32_t slice_size[] = { 16, 32, 64, 128, 256, 512, 1024,
				       2048, 4096 };
#define NLEVELS (sizeof(slice_size) / sizeof(slice_size[0]))

struct stream {
	uint32_t head, cur, end; /* end: where the next-address field is */
	uint32_t len;            /* bytes written */
	uint8_t level;
};

struct iterm {
	uint32_t koff;   /* key in keys */
	uint32_t hash;
	uint16_t klen;
	uint32_t df, last_doc, max_tf;
	uint8_t min_norm;
	struct stream docs, pos;
};

struct inverter {
	uint8_t **pages;
	uint32_t npages, page_used;
	struct iterm *t;
	size_t nt, ct;
	uint32_t *slot;
	size_t nslot;
	struct buf keys;
	/* doc values */
	uint64_t *item, *size;
	int64_t *date;
	uint32_t *from;
	uint8_t *kind, *flags, *norm[FLD_NTEXT];
	uint64_t sum_len[FLD_NTEXT];
	uint32_t ndocs, cdocs;
	struct docterm *dt;     /* the record being added, validated */
	size_t ndt, cdt;
};

/* ------------------------------------------------------------------ */
/* slice pool */

static uint8_t *at(const struct inverter *iv, uint32_t addr)
{
	return iv->pages[addr >> PAGE_BITS] + (addr & (PAGE_SIZE - 1));
}

/* A new slice of n bytes; returns its address, or UINT32_MAX. */
static uint32_t slice_alloc(struct inverter *iv, uint32_t n)
{
	if (!iv->npages || iv->page_used + n > PAGE_SIZE) {
		uint8_t **p;

		if (iv->npages >= MAX_PAGES)
			return UINT32_MAX;
		p = realloc(iv->pages, (iv->npages + 1) * sizeof(*p));
		if (!p)
			return UINT32_MAX;
		iv->pages = p;
		if (!(p[iv->npages] = malloc(PAGE_SIZE)))
			return UINT32_MAX;
		iv->npages++;
		iv->page_used = 0;
	}
	iv->page_used += n;
	return ((iv->npages - 1) << PAGE_BITS) | (iv->page_used - n);
}

static int stream_write(struct inverter *iv, struct stream *s,
			const uint8_t *d, size_t n)
{
	/* the common case: a few bytes that fit the current slice */
	if (s->len && n <= s->end - s->cur && n <= 16) {
		uint8_t *p = at(iv, s->cur);

		for (size_t i = 0; i < n; i++)
			p[i] = d[i];
		s->cur += (uint32_t)n;
		s->len += (uint32_t)n;
		return 0;
	}
	while (n) {
		size_t room;

		if (!s->len && !s->head && !s->end) {
			uint32_t a = slice_alloc(iv, slice_size[0]);

			if (a == UINT32_MAX)
				return -1;
			s->head = s->cur = a;
			s->end = a + slice_size[0] - 4;
		}
		if (s->cur == s->end) {
			uint8_t lv = s->level + 1 < NLEVELS ? s->level + 1
							     : s->level;
			uint32_t a = slice_alloc(iv, slice_size[lv]);

			if (a == UINT32_MAX)
				return -1;
			wire_set_u32(at(iv, s->end), a);
			s->level = lv;
			s->cur = a;
			s->end = a + slice_size[lv] - 4;
		}
		room = s->end - s->cur;
		if (room > n)
			room = n;
		memcpy(at(iv, s->cur), d, room);
		s->cur += (uint32_t)room;
		s->len += (uint32_t)room;
		d += room;
		n -= room;
	}
	return 0;
}

/* Reads a whole stream into out. */
static void stream_read(const struct inverter *iv, const struct stream *s,
			uint8_t *out)
{
	uint32_t a = s->head, left = s->len;
	uint8_t lv = 0;

	while (left) {
		uint32_t n = slice_size[lv] - 4;

		if (n > left)
			n = left;
		memcpy(out, at(iv, a), n);
		out += n;
		left -= n;
		if (left) {
			a = wire_get_u32(at(iv, a + slice_size[lv] - 4));
			if (lv + 1 < NLEVELS)
				lv++;
		}
	}
}

/* ------------------------------------------------------------------ */
/* terms */

static int rehash(struct inverter *iv, size_t nslot)
{
	uint32_t *s = calloc(nslot, sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < iv->nt; i++) {
		size_t j = iv->t[i].hash & (nslot - 1);

		while (s[j])
			j = (j + 1) & (nslot - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(iv->slot);
	iv->slot = s;
	iv->nslot = nslot;
	return 0;
}

static struct iterm *term_get(struct inverter *iv, const uint8_t *k,
			      size_t klen)
{
	uint32_t h = key_hash(k, klen);
	size_t j;

	if ((iv->nt + 1) * 2 > iv->nslot &&
	    rehash(iv, iv->nslot ? iv->nslot * 2 : 65536))
		return NULL;
	for (j = h & (iv->nslot - 1); iv->slot[j];
	     j = (j + 1) & (iv->nslot - 1)) {
		struct iterm *t = &iv->t[iv->slot[j] - 1];

		if (t->hash == h && t->klen == klen &&
		    !memcmp(iv->keys.data + t->koff, k, klen))
			return t;
	}
	if (iv->nt == iv->ct) {
		size_t n = iv->ct ? iv->ct * 2 : 65536;
		struct iterm *p = realloc(iv->t, n * sizeof(*p));

		if (!p)
			return NULL;
		iv->t = p;
		iv->ct = n;
	}
	iv->t[iv->nt] = (struct iterm){ .koff = (uint32_t)iv->keys.len,
					.hash = h, .klen = (uint16_t)klen,
					.min_norm = 255 };
	if (buf_append(&iv->keys, k, klen))
		return NULL;
	iv->slot[j] = (uint32_t)iv->nt + 1;
	return &iv->t[iv->nt++];
}

/* ------------------------------------------------------------------ */
/* documents */

static int grow_docs(struct inverter *iv)
{
	uint32_t n = iv->cdocs ? iv->cdocs * 2 : 4096;

#define GROW(a)                                                        \
	do {                                                           \
		void *p_ = realloc((a), (size_t)n * sizeof(*(a)));     \
		if (!p_)                                               \
			return -1;                                     \
		(a) = p_;                                              \
	} while (0)
	GROW(iv->item);
	GROW(iv->size);
	GROW(iv->date);
	GROW(iv->from);
	GROW(iv->kind);
	GROW(iv->flags);
	for (int f = 0; f < FLD_NTEXT; f++)
		GROW(iv->norm[f]);
#undef GROW
	iv->cdocs = n;
	return 0;
}

/* Validates a record whole, keeping its terms in iv->dt: nothing is
 * added unless every term is sound. */
static int validate(struct inverter *iv, const void *terms, size_t len,
		    uint32_t lens[FLD_NTEXT])
{
	struct docterms_cursor c;
	int r;

	iv->ndt = 0;
	if (docterms_open(&c, terms, len, lens))
		return -1;
	for (;;) {
		if (iv->ndt == iv->cdt) {
			size_t n = iv->cdt ? iv->cdt * 2 : 1024;
			struct docterm *p = realloc(iv->dt, n * sizeof(*p));

			if (!p)
				return -2;
			iv->dt = p;
			iv->cdt = n;
		}
		if ((r = docterms_next(&c, &iv->dt[iv->ndt])) != 1)
			return r;
		iv->ndt++;
	}
}

static int add_term(struct inverter *iv, uint32_t doc, const uint8_t *norms,
		    const struct docterm *dt)
{
	struct iterm *t = term_get(iv, dt->key, dt->klen);
	uint8_t v[20];
	size_t n;
	int f = dt->key[0];

	if (!t)
		return -1;
	if (t->df && t->last_doc == doc)
		return 0; /* a repeated key: the validator allows it; skip */
	n = varint_put(v, t->df ? doc - t->last_doc - 1 : doc);
	if (field_has_freq(f))
		n += varint_put(v + n, dt->freq);
	if (stream_write(iv, &t->docs, v, n))
		return -1;
	if (dt->pos && stream_write(iv, &t->pos, dt->pos, dt->pos_len))
		return -1;
	t->df++;
	t->last_doc = doc;
	if (dt->freq > t->max_tf)
		t->max_tf = dt->freq;
	if (field_has_freq(f) && norms[f % FLD_NTEXT] < t->min_norm)
		t->min_norm = norms[f % FLD_NTEXT];
	return 0;
}

trawl_status inverter_add(struct inverter *iv, const struct doc_meta *m,
			  const void *terms, size_t len)
{
	uint32_t lens[FLD_NTEXT] = { 0 };
	uint8_t norms[FLD_NTEXT];
	uint32_t doc = iv->ndocs;
	int bad = terms ? validate(iv, terms, len, lens) : -1;

	if (bad == -2)
		return TRAWL_ERR_NOMEM;
	if (doc == UINT32_MAX - 1)
		return TRAWL_ERR_TOO_LARGE;
	if (doc == iv->cdocs && grow_docs(iv))
		return TRAWL_ERR_NOMEM;
	iv->item[doc] = m->item;
	iv->date[doc] = m->date;
	iv->size[doc] = m->size;
	iv->from[doc] = m->from_addr;
	iv->kind[doc] = m->kind;
	iv->flags[doc] = m->flags;
	if (bad)
		memset(lens, 0, sizeof(lens));
	for (int f = 0; f < FLD_NTEXT; f++) {
		norms[f] = norm_encode(lens[f]);
		iv->norm[f][doc] = norms[f];
		iv->sum_len[f] += lens[f];
	}
	iv->ndocs++;
	if (bad)
		return TRAWL_ERR_CORRUPT;
	for (size_t i = 0; i < iv->ndt; i++)
		if (add_term(iv, doc, norms, &iv->dt[i]))
			return TRAWL_ERR_NOMEM;
	return TRAWL_OK;
}

uint32_t inverter_docs(const struct inverter *iv)
{
	return iv->ndocs;
}

size_t inverter_bytes(const struct inverter *iv)
{
	return (size_t)iv->npages * PAGE_SIZE + iv->ct * sizeof(struct iterm) +
	       iv->nslot * 4 + iv->keys.cap +
	       (size_t)iv->cdocs * (8 * 3 + 4 + 2 + FLD_NTEXT);
}

struct inverter *inverter_new(void)
{
	struct inverter *iv = calloc(1, sizeof(*iv));

	if (iv)
		buf_init(&iv->keys, (size_t)1 << 31);
	return iv;
}

static void inverter_reset(struct inverter *iv)
{
	for (uint32_t i = 0; i < iv->npages; i++)
		free(iv->pages[i]);
	free(iv->pages);
	iv->pages = NULL;
	iv->npages = iv->page_used = 0;
	iv->nt = 0;
	if (iv->nslot)
		memset(iv->slot, 0, iv->nslot * sizeof(*iv->slot));
	buf_reset(&iv->keys);
	iv->ndocs = 0;
	memset(iv->sum_len, 0, sizeof(iv->sum_len));
}

void inverter_free(struct inverter *iv)
{
	if (!iv)
		return;
	inverter_reset(iv);
	free(iv->t);
	free(iv->slot);
	free(iv->dt);
	buf_release(&iv->keys);
	free(iv->item);
	free(iv->size);
	free(iv->date);
	free(iv->from);
	free(iv->kind);
	free(iv->flags);
	for (int f = 0; f < FLD_NTEXT; f++)
		free(iv->norm[f]);
	free(iv);
}

/* ------------------------------------------------------------------ */
/* flush */

static int cmp_term(const void *a, const void *b, void *ctx)
{
	const struct inverter *sort_iv = ctx;
	const struct iterm *x = &sort_iv->t[*(const uint32_t *)a];
	const struct iterm *y = &sort_iv->t[*(const uint32_t *)b];
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(sort_iv->keys.data + x->koff,
		       sort_iv->keys.data + y->koff, n);

	return c ? c : (int)x->klen - (int)y->klen;
}

struct flush {
	struct inverter *iv;
	uint32_t *docs, *tfs;    /* one term's list */
	size_t cdocs;
	uint8_t *raw;            /* one term's stream */
	size_t craw;
};

static int need(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Decodes a term's doc stream into f->docs / f->tfs, and reads its
 * positions stream into f->raw. */
static int load_list(struct flush *f, const struct iterm *t)
{
	const uint8_t *p, *end;
	size_t cd = f->cdocs;
	uint32_t prev = 0;
	size_t rawn = t->docs.len > t->pos.len ? t->docs.len : t->pos.len;

	if (need((void **)&f->raw, &f->craw, rawn + 1, 1) ||
	    need((void **)&f->docs, &cd, t->df, 4))
		return -1;
	cd = f->cdocs;
	if (need((void **)&f->tfs, &cd, t->df, 4))
		return -1;
	f->cdocs = cd;
	stream_read(f->iv, &t->docs, f->raw);
	p = f->raw;
	end = p + t->docs.len;
	for (uint32_t i = 0; i < t->df; i++) {
		uint32_t d, tf = 1;

		if (varint_get32(&p, end, &d) ||
		    (field_has_freq(f->iv->keys.data[t->koff]) &&
		     varint_get32(&p, end, &tf)))
			return -1;
		f->docs[i] = i ? prev + d + 1 : d;
		f->tfs[i] = tf;
		prev = f->docs[i];
	}
	stream_read(f->iv, &t->pos, f->raw);
	return 0;
}

trawl_status inverter_flush(struct inverter *iv, int dirfd, uint64_t id,
			    struct seg_info *info, char *err, size_t errlen)
{
	struct flush f = { .iv = iv };
	struct seg_docs sd = {
		.ndocs = iv->ndocs, .item = iv->item, .size = iv->size,
		.date = iv->date, .from = iv->from, .kind = iv->kind,
		.flags = iv->flags,
	};
	struct seg_writer *w = NULL;
	uint32_t *order = NULL;
	trawl_status st;

	for (int i = 0; i < FLD_NTEXT; i++) {
		sd.norm[i] = iv->norm[i];
		sd.sum_len[i] = iv->sum_len[i];
	}
	order = malloc((iv->nt + 1) * sizeof(*order));
	if (!order) {
		snprintf(err, errlen, "out of memory");
		return TRAWL_ERR_NOMEM;
	}
	for (size_t i = 0; i < iv->nt; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, iv->nt, sizeof(*order), cmp_term, iv);
	st = seg_writer_open(&w, dirfd, id, &sd, err, errlen);
	for (size_t i = 0; i < iv->nt && !st; i++) {
		const struct iterm *t = &iv->t[order[i]];
		const uint8_t *key = (const uint8_t *)iv->keys.data + t->koff;

		if (load_list(&f, t)) {
			snprintf(err, errlen, "out of memory");
			st = TRAWL_ERR_NOMEM;
			break;
		}
		st = seg_writer_add(w, key, t->klen, t->df, f.docs, f.tfs,
				    f.raw, t->pos.len);
	}
	if (st)
		seg_writer_abort(w);
	else
		st = seg_writer_finish(w, dirfd, info, err, errlen);
	free(order);
	free(f.docs);
	free(f.tfs);
	free(f.raw);
	if (!st)
		inverter_reset(iv);
	return st;
}
