/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * invert.c - the in-memory inverter and the segment writer.
 *
 * Documents arrive in item ID order as doc terms records (index.h).  Each
 * distinct key gets a term record (its key, statistics and one byte
 * stream) in the term arena, found through an open-addressing hash table.
 * The stream lives in a slice pool, as in Lucene's indexing chain: per
 * document, varint doc delta, varint freq (fields with frequencies), then
 * the record's position varints as they are (fields with positions).  A
 * flush sorts the keys and writes the segment files in the layout
 * described at the top of segment.c.
 *
 * The slice pool: 64 KiB pages; a stream is a chain of slices of growing
 * size, each ending in the 4-byte address of the next one.  Addresses are
 * u32: page << 16 | offset, which caps the pool (and so the flush budget)
 * below 4 GiB.
 *
 * Most of the time goes to cache and TLB misses: the slot, the term
 * record and the stream's end of a key seen before are anywhere in a few
 * hundred MiB.  So the tables sit in transparent huge pages, a term's key
 * lives in its record, the slots carry the hash, and a document's keys are
 * looked up in a software pipeline (add_terms) with prefetches.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze.h"
#include "codec.h"
#include "io.h"
#include "segment.h"
#include "wire.h"
#include "banned.h"

#define PAGE_BITS 16
#define PAGE_SIZE ((uint32_t)1 << PAGE_BITS)
#define MAX_PAGES 60000u /* a multiple of 32 */

static const uint32_t slice_size[] = { 16, 32, 64, 128, 256, 512, 1024,
				       2048, 4096 };
#define NLEVELS (sizeof(slice_size) / sizeof(slice_size[0]))

struct stream {
	uint32_t head, cur, end; /* end: where the next-address field is */
	uint32_t len;            /* bytes written */
};

/*
 * A term: its state and its key, one record in the term arena (8-byte
 * aligned, found by its offset / 8), so that a lookup touches one place
 * for both.  The hash table's slots hold the hash beside the offset, so a
 * probe compares hashes without touching records.
 */
struct iterm {
	uint32_t hash;
	uint32_t df, last_doc, max_tf;
	struct stream s;
	uint8_t level, min_norm, klen;
	uint8_t key[];
};

_Static_assert(DOCTERMS_MAX_KEY <= UINT8_MAX, "klen is a u8");

/* A slot: hash << 32 | (record offset / 8 + 1); 0 = empty. */
#define SLOT_REC(s) ((uint32_t)(s) - 1)

/* A flush of this many keys or more writes them with two threads. */
#define FLUSH_SPLIT_MIN 65536

/* Lookups run in a pipeline over a document's terms, this many apart per
 * stage, so that the cache misses of several terms overlap. */
#define LOOKAHEAD 8

struct inverter {
	uint8_t **pages;         /* mapped_pages of them, npages in use */
	uint32_t npages, mapped_pages, page_used;
	uint8_t *terms;          /* the term arena */
	size_t terms_len, terms_cap;
	uint32_t *rec;           /* the record of each term, for the flush */
	size_t nt, crec;
	uint64_t *slot;
	size_t nslot;
	/* doc values */
	uint64_t *item, *size;
	int64_t *date;
	uint32_t *from;
	uint8_t *kind, *flags, *norm[FLD_NTEXT];
	uint64_t sum_len[FLD_NTEXT];
	uint32_t ndocs, cdocs;
	size_t split_min;       /* keys from which a flush uses 2 threads */
	struct docterm *dt;     /* the record being added, validated */
	uint32_t *dth;          /* their hashes */
	uint32_t *dtrec;        /* their records, once looked up */
	size_t ndt, cdt;
};

/* ------------------------------------------------------------------ */
/* memory */

/*
 * The inverter's big tables (slice pool, term arena, hash slots) are
 * touched at random, so they are mapped in 2 MiB pieces with transparent
 * huge pages asked for: one TLB entry per 2 MiB instead of per 4 KiB.
 * Mapped memory starts zeroed.
 */
#define HUGE_SIZE ((size_t)2 << 20)

static size_t huge_round(size_t n)
{
	return (n + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
}

static void *huge_alloc(size_t n)
{
	void *p = mmap(NULL, huge_round(n), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, huge_round(n), MADV_HUGEPAGE); /* a hint only */
	return p;
}

static void *huge_grow(void *p, size_t old, size_t n)
{
	void *q;

	if (!p)
		return huge_alloc(n);
	q = mremap(p, huge_round(old), huge_round(n), MREMAP_MAYMOVE);
	return q == MAP_FAILED ? NULL : q;
}

static void huge_free(void *p, size_t n)
{
	if (p)
		munmap(p, huge_round(n));
}

/* ------------------------------------------------------------------ */
/* slice pool */

static uint8_t *at(const struct inverter *iv, uint32_t addr)
{
	return iv->pages[addr >> PAGE_BITS] + (addr & (PAGE_SIZE - 1));
}

/* A new slice of n bytes; returns its address, or UINT32_MAX.  Pages come
 * in chunks of HUGE_SIZE, kept across flushes. */
static uint32_t slice_alloc(struct inverter *iv, uint32_t n)
{
	if (!iv->npages || iv->page_used + n > PAGE_SIZE) {
		if (iv->npages >= MAX_PAGES)
			return UINT32_MAX;
		if (iv->npages == iv->mapped_pages) {
			const uint32_t per = HUGE_SIZE / PAGE_SIZE;
			uint8_t **p, *chunk;

			p = realloc(iv->pages,
				    (iv->mapped_pages + per) * sizeof(*p));
			if (!p)
				return UINT32_MAX;
			iv->pages = p;
			if (!(chunk = huge_alloc(HUGE_SIZE)))
				return UINT32_MAX;
			for (uint32_t i = 0; i < per; i++)
				p[iv->mapped_pages + i] = chunk + i * PAGE_SIZE;
			iv->mapped_pages += per;
		}
		iv->npages++;
		iv->page_used = 0;
	}
	iv->page_used += n;
	return ((iv->npages - 1) << PAGE_BITS) | (iv->page_used - n);
}

static int stream_write(struct inverter *iv, struct stream *s,
			uint8_t *level, const uint8_t *d, size_t n)
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
			uint8_t lv = *level + 1 < NLEVELS ? *level + 1 : *level;
			uint32_t a = slice_alloc(iv, slice_size[lv]);

			if (a == UINT32_MAX)
				return -1;
			wire_set_u32(at(iv, s->end), a);
			*level = lv;
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

static struct iterm *rec_at(const struct inverter *iv, uint32_t r)
{
	return (struct iterm *)(void *)(iv->terms + (size_t)r * 8);
}

static int rehash(struct inverter *iv, size_t nslot)
{
	uint64_t *s = huge_alloc(nslot * sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < iv->nt; i++) {
		const struct iterm *t = rec_at(iv, iv->rec[i]);
		size_t j = t->hash & (nslot - 1);

		while (s[j])
			j = (j + 1) & (nslot - 1);
		s[j] = (uint64_t)t->hash << 32 | (iv->rec[i] + 1);
	}
	huge_free(iv->slot, iv->nslot * sizeof(*s));
	iv->slot = s;
	iv->nslot = nslot;
	return 0;
}

/* Room for n more terms, before a document's lookups start (a lookup
 * never rehashes, so the pipeline's slot addresses stay valid). */
static int reserve_terms(struct inverter *iv, size_t n, size_t key_bytes)
{
	size_t need = iv->terms_len + n * (sizeof(struct iterm) + 8) +
		      key_bytes;

	if ((iv->nt + n) * 2 > iv->nslot) {
		size_t ns = iv->nslot ? iv->nslot : 65536;

		while ((iv->nt + n) * 2 > ns)
			ns *= 2;
		if (rehash(iv, ns))
			return -1;
	}
	if (iv->nt + n > iv->crec) {
		size_t c = iv->crec ? iv->crec : 65536;
		uint32_t *p;

		while (iv->nt + n > c)
			c *= 2;
		if (!(p = realloc(iv->rec, c * sizeof(*p))))
			return -1;
		iv->rec = p;
		iv->crec = c;
	}
	if (need > iv->terms_cap) {
		size_t c = iv->terms_cap ? iv->terms_cap : (size_t)1 << 20;
		uint8_t *p;

		while (need > c)
			c *= 2;
		/* offsets are u32 in units of 8 bytes */
		if (c >= (size_t)UINT32_MAX * 8 ||
		    !(p = huge_grow(iv->terms, iv->terms_cap, c)))
			return -1;
		iv->terms = p;
		iv->terms_cap = c;
	}
	return 0;
}

/* The record of a key, added when new (room reserved before). */
static uint32_t term_get(struct inverter *iv, const uint8_t *k, size_t klen,
			 uint32_t h)
{
	size_t j, size;
	uint32_t r;
	struct iterm *t;

	for (j = h & (iv->nslot - 1); iv->slot[j];
	     j = (j + 1) & (iv->nslot - 1)) {
		if ((uint32_t)(iv->slot[j] >> 32) != h)
			continue;
		r = SLOT_REC(iv->slot[j]);
		t = rec_at(iv, r);
		if (t->klen == klen && !memcmp(t->key, k, klen))
			return r;
	}
	r = (uint32_t)(iv->terms_len / 8);
	t = rec_at(iv, r);
	*t = (struct iterm){ .hash = h, .klen = (uint8_t)klen,
			     .min_norm = 255 };
	memcpy(t->key, k, klen);
	size = (sizeof(*t) + klen + 7) & ~(size_t)7;
	iv->terms_len += size;
	iv->slot[j] = (uint64_t)h << 32 | (r + 1);
	iv->rec[iv->nt++] = r;
	return r;
}

/* The record of a key, or NULL when the key is not there. */
static const struct iterm *term_find(const struct inverter *iv,
				     const uint8_t *k, size_t klen)
{
	uint32_t h = key_hash(k, klen);

	if (!iv->nslot)
		return NULL;
	for (size_t j = h & (iv->nslot - 1); iv->slot[j];
	     j = (j + 1) & (iv->nslot - 1)) {
		const struct iterm *t;

		if ((uint32_t)(iv->slot[j] >> 32) != h)
			continue;
		t = rec_at(iv, SLOT_REC(iv->slot[j]));
		if (t->klen == klen && !memcmp(t->key, k, klen))
			return t;
	}
	return NULL;
}

/* Prefetches the record a key's slot points at, if any. */
static void prefetch_rec(const struct inverter *iv, uint32_t h)
{
	uint64_t s = iv->slot[h & (iv->nslot - 1)];

	if (s && (uint32_t)(s >> 32) == h)
		__builtin_prefetch(rec_at(iv, SLOT_REC(s)), 1);
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

/* Validates a record whole, keeping its terms in iv->dt and their hashes
 * in iv->dth: nothing is added unless every term is sound.  *key_bytes:
 * the sum of the key lengths. */
static int validate(struct inverter *iv, const void *terms, size_t len,
		    uint32_t lens[FLD_NTEXT], size_t *key_bytes)
{
	struct docterms_cursor c;
	int r;

	iv->ndt = 0;
	*key_bytes = 0;
	if (docterms_open(&c, terms, len, lens))
		return -1;
	for (;;) {
		struct docterm *t;

		if (iv->ndt == iv->cdt) {
			size_t n = iv->cdt ? iv->cdt * 2 : 1024;
			struct docterm *p = realloc(iv->dt, n * sizeof(*p));
			uint32_t *h, *rec;

			if (!p)
				return -2;
			iv->dt = p;
			if (!(h = realloc(iv->dth, n * sizeof(*h))))
				return -2;
			iv->dth = h;
			if (!(rec = realloc(iv->dtrec, n * sizeof(*rec))))
				return -2;
			iv->dtrec = rec;
			iv->cdt = n;
		}
		t = &iv->dt[iv->ndt];
		if ((r = docterms_next(&c, t)) != 1)
			return r;
		iv->dth[iv->ndt++] = key_hash(t->key, t->klen);
		*key_bytes += t->klen;
	}
}

static int add_term(struct inverter *iv, uint32_t doc, const uint8_t *norms,
		    const struct docterm *dt, struct iterm *t)
{
	uint8_t v[20];
	size_t n;
	int f = dt->key[0];

	if (t->df && t->last_doc == doc)
		return 0; /* a repeated key: the validator allows it; skip */
	n = varint_put(v, t->df ? doc - t->last_doc - 1 : doc);
	if (field_has_freq(f))
		n += varint_put(v + n, dt->freq);
	if (stream_write(iv, &t->s, &t->level, v, n) ||
	    (dt->pos && stream_write(iv, &t->s, &t->level, dt->pos,
				     dt->pos_len)))
		return -1;
	t->df++;
	t->last_doc = doc;
	if (dt->freq > t->max_tf)
		t->max_tf = dt->freq;
	if (field_has_freq(f) && norms[f % FLD_NTEXT] < t->min_norm)
		t->min_norm = norms[f % FLD_NTEXT];
	return 0;
}

/* Where a stream's next bytes go, for a prefetch (the start of a new
 * stream is anywhere). */
static void prefetch_tail(const struct inverter *iv, const struct stream *s)
{
	if (s->len)
		__builtin_prefetch(at(iv, s->cur), 1);
}

/*
 * Adds the validated terms of document doc.  Four stages, LOOKAHEAD terms
 * apart, so that each term's memory is fetched while others work: (1)
 * prefetch the term's hash slot; (2) prefetch the record that slot names;
 * (3) look the key up for real (adding it when new) and prefetch the end
 * of its stream; (4) append the posting.  Stage 3 runs in term order and
 * alone changes the table, so a key repeated in a record is found.
 */
static int add_terms(struct inverter *iv, uint32_t doc, const uint8_t *norms)
{
	const size_t n = iv->ndt, d = LOOKAHEAD;

	for (size_t i = 0; i < n + 3 * d; i++) {
		if (i < n)
			__builtin_prefetch(
				&iv->slot[iv->dth[i] & (iv->nslot - 1)]);
		if (i >= d && i - d < n)
			prefetch_rec(iv, iv->dth[i - d]);
		if (i >= 2 * d && i - 2 * d < n) {
			size_t k = i - 2 * d;
			const struct iterm *t;

			iv->dtrec[k] = term_get(iv, iv->dt[k].key,
						iv->dt[k].klen, iv->dth[k]);
			t = rec_at(iv, iv->dtrec[k]);
			prefetch_tail(iv, &t->s);
		}
		if (i >= 3 * d) {
			size_t k = i - 3 * d;

			if (add_term(iv, doc, norms, &iv->dt[k],
				     rec_at(iv, iv->dtrec[k])))
				return -1;
		}
	}
	return 0;
}

trawl_status inverter_add(struct inverter *iv, const struct doc_meta *m,
			  const void *terms, size_t len)
{
	uint32_t lens[FLD_NTEXT] = { 0 };
	uint8_t norms[FLD_NTEXT];
	uint32_t doc = iv->ndocs;
	size_t key_bytes = 0;
	int bad = terms ? validate(iv, terms, len, lens, &key_bytes) : -1;

	if (bad == -2)
		return TRAWL_ERR_NOMEM;
	if (doc == UINT32_MAX - 1)
		return TRAWL_ERR_TOO_LARGE;
	if (doc == iv->cdocs && grow_docs(iv))
		return TRAWL_ERR_NOMEM;
	if (!bad && reserve_terms(iv, iv->ndt, key_bytes))
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
	if (add_terms(iv, doc, norms))
		return TRAWL_ERR_NOMEM;
	return TRAWL_OK;
}

uint32_t inverter_docs(const struct inverter *iv)
{
	return iv->ndocs;
}

/* What the documents added since the last flush fill, not what is
 * mapped: the pool's pages and the tables stay mapped after a flush, and
 * counting them would make every batch after the first look full. */
size_t inverter_bytes(const struct inverter *iv)
{
	return (size_t)iv->npages * PAGE_SIZE + iv->terms_len +
	       iv->nt * (sizeof(*iv->rec) + 2 * sizeof(*iv->slot)) +
	       (size_t)iv->ndocs * (8 * 3 + 4 + 2 + FLD_NTEXT);
}

struct inverter *inverter_new(void)
{
	struct inverter *iv = calloc(1, sizeof(struct inverter));

	if (iv)
		iv->split_min = FLUSH_SPLIT_MIN;
	return iv;
}

static void inverter_reset(struct inverter *iv)
{
	iv->npages = iv->page_used = 0; /* the pages stay mapped, for reuse */
	iv->nt = 0;
	iv->terms_len = 0;
	if (iv->nslot)
		memset(iv->slot, 0, iv->nslot * sizeof(*iv->slot));
	iv->ndocs = 0;
	memset(iv->sum_len, 0, sizeof(iv->sum_len));
}

void inverter_free(struct inverter *iv)
{
	if (!iv)
		return;
	for (uint32_t i = 0; i < iv->mapped_pages; i += HUGE_SIZE / PAGE_SIZE)
		huge_free(iv->pages[i], HUGE_SIZE);
	free(iv->pages);
	huge_free(iv->terms, iv->terms_cap);
	free(iv->rec);
	huge_free(iv->slot, iv->nslot * sizeof(*iv->slot));
	free(iv->dt);
	free(iv->dth);
	free(iv->dtrec);
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

/* The flush sorts keys by their first 8 bytes as a big-endian number
 * (bytes past a key's end are 0), then, on a tie, whole. */
struct sort_ent {
	uint64_t prefix;
	const uint8_t *key;
	size_t klen;
	const struct iterm *t; /* a term added; NULL for a stem key */
	uint32_t g;            /* a stem key: its group in the flush's stems */
	uint64_t cost;         /* postings bytes, for the thread split */
};

static int cmp_term(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;
	size_t n;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	n = x->klen < y->klen ? x->klen : y->klen;
	c = memcmp(x->key, y->key, n);
	return c ? c : (int)x->klen - (int)y->klen;
}

static uint64_t key_prefix(const uint8_t *k, size_t klen)
{
	uint64_t p = 0;

	for (size_t j = 0; j < 8; j++)
		p = p << 8 | (j < klen ? k[j] : 0);
	return p;
}

/* Sorts the terms: LSD radix sort on the 8-byte prefixes (a pass per
 * byte, skipped when every prefix has the same byte there), then the
 * runs of equal prefixes by whole key.  qsort alone when there is no
 * memory for the second array. */
static void sort_terms(struct sort_ent *a, size_t n)
{
	struct sort_ent *tmp = n > 1 ? malloc(n * sizeof(*tmp)) : NULL;
	struct sort_ent *src = a, *dst = tmp;

	if (!tmp) {
		qsort(a, n, sizeof(*a), cmp_term);
		return;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t cnt[256] = { 0 }, sum = 0;

		for (size_t i = 0; i < n; i++)
			cnt[(src[i].prefix >> shift) & 0xff]++;
		if (cnt[(src[0].prefix >> shift) & 0xff] == n)
			continue;
		for (int b = 0; b < 256; b++) {
			size_t c = cnt[b];

			cnt[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].prefix >> shift) & 0xff]++] = src[i];
		dst = src;
		src = src == a ? tmp : a;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].prefix == a[i].prefix; j++)
			;
		if (j - i > 1)
			qsort(a + i, j - i, sizeof(*a), cmp_term);
	}
}

struct flush {
	struct inverter *iv;
	uint32_t *docs, *tfs;    /* one term's list */
	size_t cdocs;
	uint8_t *raw, *pos;      /* one term's stream; its positions */
	size_t craw, cpos, npos;
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

/* Decodes a term's stream into f->docs / f->tfs and, with want_pos, its
 * positions, as they were in the doc terms records, into f->pos (a stem's
 * words are loaded without: stems have none). */
static int load_list(struct flush *f, const struct iterm *t, int want_pos)
{
	const uint8_t *p, *end;
	size_t cd = f->cdocs;
	uint32_t prev = 0;
	int has_freq = field_has_freq(t->key[0]);
	int has_pos = field_has_pos(t->key[0]);

	if (need((void **)&f->raw, &f->craw, t->s.len + 1, 1) ||
	    need((void **)&f->pos, &f->cpos, t->s.len + 1, 1) ||
	    need((void **)&f->docs, &cd, t->df, 4))
		return -1;
	cd = f->cdocs;
	if (need((void **)&f->tfs, &cd, t->df, 4))
		return -1;
	f->cdocs = cd;
	stream_read(f->iv, &t->s, f->raw);
	p = f->raw;
	end = p + t->s.len;
	f->npos = 0;
	for (uint32_t i = 0; i < t->df; i++) {
		uint32_t d, tf = 1;

		/* one-byte varints (most) without a call */
		if (p < end && *p < 0x80)
			d = *p++;
		else if (varint_get32(&p, end, &d))
			return -1;
		if (has_freq) {
			if (p < end && *p < 0x80)
				tf = *p++;
			else if (varint_get32(&p, end, &tf))
				return -1;
		}
		f->docs[i] = i ? prev + d + 1 : d;
		f->tfs[i] = tf;
		prev = f->docs[i];
		if (has_pos) {
			/* the doc's tf position varints, skipped eight
			 * bytes at a time (segment.h) and copied whole (the
			 * stream was written by add_term and is not decoded
			 * here); a few bytes without a memcpy call */
			const uint8_t *q = skip_varints(p, end, tf);

			if (!q)
				return -1;
			if (want_pos) {
				size_t m = (size_t)(q - p);
				uint8_t *o = f->pos + f->npos;

				if (m <= 16)
					for (size_t k = 0; k < m; k++)
						o[k] = p[k];
				else
					memcpy(o, p, m);
				f->npos += m;
			}
			p = q;
		}
	}
	return 0;
}

/*
 * A stem key whose documents and frequencies are those of the exact key
 * of the same text (a word with no other form in the batch: most rare
 * words) is written as an alias of that list.  The stem's list (df
 * documents, max_tf) is in f; g is room for the exact one.  1 alias, 0
 * not, -1 out of memory.
 */
static int same_as_exact_key(struct inverter *iv, struct flush *g,
			     const uint8_t *key, size_t klen, uint32_t df,
			     uint32_t max_tf, const struct flush *f)
{
	uint8_t k[DOCTERMS_MAX_KEY];
	const struct iterm *e;

	if (key[0] < FLD_STEM || key[0] >= FLD_STEM + FLD_NTEXT)
		return 0;
	memcpy(k, key, klen);
	k[0] -= FLD_STEM;
	if (!(e = term_find(iv, k, klen)) || e->df != df ||
	    e->max_tf != max_tf)
		return 0;
	if (load_list(g, e, 0))
		return -1;
	return !memcmp(g->docs, f->docs, df * sizeof(*f->docs)) &&
	       !memcmp(g->tfs, f->tfs, df * sizeof(*f->tfs));
}


/*
 * The flush visits the terms in key order, which is random in memory:
 * their records and streams miss the cache.  Two stages ahead: the
 * record of the term 2 * FLUSH_AHEAD on, then, its record in cache by
 * then, the stream's first slice of the term FLUSH_AHEAD on.  (A stem
 * key's words are not prefetched.)
 */
#define FLUSH_AHEAD 8

static void flush_prefetch(const struct inverter *iv,
			   const struct sort_ent *order, size_t n, size_t i)
{
	const struct iterm *t;

	if (i + 2 * FLUSH_AHEAD < n && order[i + 2 * FLUSH_AHEAD].t)
		__builtin_prefetch(order[i + 2 * FLUSH_AHEAD].t);
	if (i + FLUSH_AHEAD >= n || !(t = order[i + FLUSH_AHEAD].t))
		return;
	if (t->s.len)
		__builtin_prefetch(at(iv, t->s.head));
}

/*
 * Stem keys are not added per document: the flush derives them from the
 * word keys of the text fields.  Each word key (analyzer_word_stem: the
 * key's text is one TOK_WORD) goes to the stem key of its field, and the
 * stem's list is its words' lists merged, frequencies added: what the
 * documents' stem entries gave when they were added one by one (a stem's
 * frequency in a document is its words' occurrences, and a key's text
 * decides whether it is a word).  But a key of a STEM_AMBIGUOUS length may
 * be a cut segment of letters and digits: those words still bring their
 * stem entries (docterms.c), which join their groups as members.  stems:
 * the (stem key, member) pairs sorted by stem key; a group is a run of
 * one stem key.  On Enron this takes 6.9 M of the 17.2 M postings out of
 * the adds, and the stemming out of the parsers, for the same bytes.
 */
struct stem_pair {
	uint32_t koff;           /* the stem key in the flush's arena */
	uint8_t klen;
	const struct iterm *word;
};

struct stems {
	uint8_t *arena;
	size_t len, cap;
	struct stem_pair *pair;
	size_t n;
	size_t *gstart;          /* group g: pairs [gstart[g], gstart[g+1]) */
	size_t ng;
};

/* One run of the sorted keys, [lo, hi), written by w. */
struct flush_run {
	struct inverter *iv;
	const struct sort_ent *order;
	size_t lo, hi;
	struct seg_writer *w;
	const struct stems *sm;
	trawl_status st;
};

/* Swaps the lists of f and h (arrays and their room). */
static void swap_lists(struct flush *f, struct flush *h)
{
	uint32_t *d = f->docs, *t = f->tfs;
	size_t c = f->cdocs;

	f->docs = h->docs;
	f->tfs = h->tfs;
	f->cdocs = h->cdocs;
	h->docs = d;
	h->tfs = t;
	h->cdocs = c;
}

/*
 * Stem group grp's list into f (*df documents): its members' lists
 * merged, g and h for room.  1 when the exact key of the stem's text has
 * this very list (the stem is written as an alias of it, as a flush did
 * when stems were added document by document), 0 otherwise, -1 out of
 * memory or a corrupt stream.
 */
static int load_stem(struct flush *f, struct flush *g, struct flush *h,
		     const struct stems *sm, uint32_t grp, uint32_t *df)
{
	size_t a = sm->gstart[grp], b = sm->gstart[grp + 1];
	const struct stem_pair *p0 = &sm->pair[a];
	const struct iterm *w0 = p0->word;
	uint32_t n, max_tf = 0;

	if (load_list(f, w0, 0))
		return -1;
	n = w0->df;
	/* one word of the stem's very text: its list, so its alias */
	if (b - a == 1 && w0->key[0] < FLD_STEM && w0->klen == p0->klen &&
	    !memcmp(w0->key + 1, sm->arena + p0->koff + 1,
		    (size_t)p0->klen - 1)) {
		*df = n;
		return 1;
	}
	for (size_t k = a + 1; k < b; k++) {
		const struct iterm *w = sm->pair[k].word;
		size_t i = 0, j = 0, m = 0, cap = h->cdocs;

		if (load_list(g, w, 0))
			return -1;
		if (need((void **)&h->docs, &cap, (size_t)n + w->df, 4))
			return -1;
		cap = h->cdocs;
		if (need((void **)&h->tfs, &cap, (size_t)n + w->df, 4))
			return -1;
		h->cdocs = cap;
		while (i < n || j < w->df) {
			if (j == w->df || (i < n && f->docs[i] < g->docs[j])) {
				h->docs[m] = f->docs[i];
				h->tfs[m++] = f->tfs[i++];
			} else if (i == n || g->docs[j] < f->docs[i]) {
				h->docs[m] = g->docs[j];
				h->tfs[m++] = g->tfs[j++];
			} else {
				h->docs[m] = f->docs[i];
				h->tfs[m++] = f->tfs[i++] + g->tfs[j++];
			}
		}
		swap_lists(f, h);
		n = (uint32_t)m;
	}
	*df = n;
	/* an alias when the exact key of the stem's text has this very
	 * list, as when stems were added document by document */
	for (uint32_t i = 0; i < n; i++)
		if (f->tfs[i] > max_tf)
			max_tf = f->tfs[i];
	return same_as_exact_key(f->iv, g, sm->arena + p0->koff, p0->klen, n,
				 max_tf, f);
}

static void *flush_range(void *arg)
{
	struct flush_run *r = arg;
	struct flush f = { .iv = r->iv }, g = { .iv = r->iv };
	struct flush h = { .iv = r->iv };

	for (size_t i = r->lo; i < r->hi && !r->st; i++) {
		const struct sort_ent *e = &r->order[i];
		const struct iterm *t = e->t;
		uint32_t df;
		int alias;

		flush_prefetch(r->iv, r->order, r->hi, i);
		if (!t) { /* a stem key, from its words */
			alias = load_stem(&f, &g, &h, r->sm, e->g, &df);
			if (alias < 0)
				r->st = TRAWL_ERR_NOMEM;
			else if (alias)
				r->st = seg_writer_add_alias(r->w, e->key,
							     e->klen, df,
							     f.docs, f.tfs);
			else
				r->st = seg_writer_add(r->w, e->key, e->klen,
						       df, f.docs, f.tfs,
						       NULL, 0);
			continue;
		}
		if (load_list(&f, t, 1)) {
			r->st = TRAWL_ERR_NOMEM;
			break;
		}
		r->st = seg_writer_add(r->w, t->key, t->klen, t->df, f.docs,
				       f.tfs, f.pos, f.npos);
	}
	free(f.docs);
	free(f.tfs);
	free(f.raw);
	free(f.pos);
	free(g.docs);
	free(g.tfs);
	free(g.raw);
	free(g.pos);
	free(h.docs);
	free(h.tfs);
	return NULL;
}

static int cmp_pair(const void *a, const void *b, void *arena)
{
	const struct stem_pair *x = a, *y = b;
	const uint8_t *ar = arena;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(ar + x->koff, ar + y->koff, n);

	return c ? c : (int)x->klen - (int)y->klen;
}

static void stems_free(struct stems *sm)
{
	free(sm->arena);
	free(sm->pair);
	free(sm->gstart);
	memset(sm, 0, sizeof(*sm));
}

/* The stem keys of the terms added, and their words (struct stems). */
static int derive_stems(struct inverter *iv, struct stems *sm)
{
	struct analyzer *an = analyzer_new();

	memset(sm, 0, sizeof(*sm));
	if (!an || !(sm->pair = malloc((iv->nt + 1) * sizeof(*sm->pair))))
		goto fail;
	for (size_t i = 0; i < iv->nt; i++) {
		const struct iterm *t = rec_at(iv, iv->rec[i]);
		const char *stem;
		size_t slen;

		if (t->key[0] >= FLD_STEM && t->key[0] < FLD_STEM + FLD_NTEXT) {
			/* a stem the documents gave (a word of an ambiguous
			 * length): a member of its group as it is */
			stem = (const char *)t->key + 1;
			slen = (size_t)t->klen - 1;
		} else if (t->key[0] >= FLD_NTEXT || t->klen < 2 ||
			   STEM_AMBIGUOUS((size_t)t->klen - 1) ||
			   !analyzer_word_stem(an, (const char *)t->key + 1,
					       (size_t)t->klen - 1, &stem,
					       &slen) ||
			   1 + slen > DOCTERMS_MAX_KEY) {
			continue;
		}
		if (need((void **)&sm->arena, &sm->cap, sm->len + 1 + slen, 1))
			goto fail;
		sm->arena[sm->len] = (uint8_t)(t->key[0] % FLD_STEM + FLD_STEM);
		memcpy(sm->arena + sm->len + 1, stem, slen);
		sm->pair[sm->n++] = (struct stem_pair){ (uint32_t)sm->len,
							(uint8_t)(1 + slen),
							t };
		sm->len += 1 + slen;
	}
	analyzer_free(an);
	an = NULL;
	if (sm->n)
		qsort_r(sm->pair, sm->n, sizeof(*sm->pair), cmp_pair,
			sm->arena);
	if (!(sm->gstart = malloc((sm->n + 1) * sizeof(*sm->gstart))))
		goto fail;
	for (size_t i = 0; i < sm->n; i++)
		if (!i || cmp_pair(&sm->pair[i - 1], &sm->pair[i],
				   sm->arena))
			sm->gstart[sm->ng++] = i;
	sm->gstart[sm->ng] = sm->n;
	return 0;
fail:
	analyzer_free(an);
	stems_free(sm);
	return -1;
}

void inverter_set_split(struct inverter *iv, size_t min_keys)
{
	iv->split_min = min_keys;
}

/*
 * Where a flush of many keys splits between its two threads: the first
 * key of a dictionary block near half the postings bytes (a term's
 * stream length stands for its cost).  0: one thread (few keys).
 */
static size_t flush_split(const struct inverter *iv,
			  const struct sort_ent *order, size_t n)
{
	uint64_t total = 0, sum = 0;
	size_t m;

	if (n < iv->split_min || n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		total += order[i].cost;
	for (m = 0; m < n && sum < total / 2; m++)
		sum += order[m].cost;
	m -= m % SEG_DICT_BLOCK;
	return m > 0 && m < n ? m : 0;
}

/*
 * The flush: the keys sorted, then written in order.  With many keys the
 * second part goes to a thread of its own, into memory, and is appended
 * to the first: the same bytes as one thread writes.  (The inverter is
 * only read meanwhile; the thread ends before the flush returns, so no
 * fork ever sees it.)
 */
trawl_status inverter_flush(struct inverter *iv, int dirfd, uint64_t id,
			    struct seg_info *info, char *err, size_t errlen)
{
	struct seg_docs sd = {
		.ndocs = iv->ndocs, .item = iv->item, .size = iv->size,
		.date = iv->date, .from = iv->from, .kind = iv->kind,
		.flags = iv->flags,
	};
	struct flush_run r1 = { .iv = iv }, r2 = { .iv = iv };
	struct seg_writer *w = NULL;
	struct sort_ent *order = NULL;
	struct stems sm;
	pthread_t th;
	int threaded = 0;
	size_t m, n;
	trawl_status st;

	for (int i = 0; i < FLD_NTEXT; i++) {
		sd.norm[i] = iv->norm[i];
		sd.sum_len[i] = iv->sum_len[i];
	}
	if (derive_stems(iv, &sm) ||
	    !(order = malloc((iv->nt + sm.ng + 1) * sizeof(*order)))) {
		stems_free(&sm);
		snprintf(err, errlen, "out of memory");
		return TRAWL_ERR_NOMEM;
	}
	n = 0;
	for (size_t i = 0; i < iv->nt; i++) {
		const struct iterm *t = rec_at(iv, iv->rec[i]);

		if (t->key[0] >= FLD_STEM && t->key[0] < FLD_STEM + FLD_NTEXT)
			continue; /* in its stem group */
		order[n++] = (struct sort_ent){ key_prefix(t->key, t->klen),
						t->key, t->klen, t, 0,
						t->s.len };
	}
	for (size_t g = 0; g < sm.ng; g++) {
		const struct stem_pair *p = &sm.pair[sm.gstart[g]];
		const uint8_t *k = sm.arena + p->koff;
		uint64_t cost = 0;

		for (size_t i = sm.gstart[g]; i < sm.gstart[g + 1]; i++)
			cost += sm.pair[i].word->s.len;
		order[n++] = (struct sort_ent){
			key_prefix(k, p->klen), k, p->klen, NULL, (uint32_t)g,
			cost };
	}
	sort_terms(order, n);
	if ((st = seg_writer_open(&w, dirfd, id, &sd, err, errlen))) {
		seg_writer_abort(w); /* err says why */
		free(order);
		stems_free(&sm);
		return st;
	}
	m = flush_split(iv, order, n);
	r1 = (struct flush_run){ iv, order, 0, m ? m : n, w, &sm, TRAWL_OK };
	if (m) {
		r2 = (struct flush_run){ iv, order, m, n, NULL, &sm, TRAWL_OK };
		r2.st = seg_writer_open_part(&r2.w, &sd);
		threaded = !r2.st &&
			   !pthread_create(&th, NULL, flush_range, &r2);
	}
	flush_range(&r1);
	if (threaded)
		pthread_join(th, NULL);
	else if (m && !r2.st)
		flush_range(&r2); /* no thread: the same, in turn */
	st = r1.st ? r1.st : r2.st;
	if (m) {
		if (!st)
			st = seg_writer_append(w, r2.w); /* frees the part */
		else
			seg_writer_abort(r2.w);
	}
	if (st) {
		snprintf(err, errlen, "writing segment %llu: %s",
			 (unsigned long long)id, trawl_status_str(st));
		seg_writer_abort(w);
	} else {
		st = seg_writer_finish(w, dirfd, info, err, errlen);
	}
	free(order);
	stems_free(&sm);
	if (!st)
		inverter_reset(iv);
	return st;
}
