/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * segment.c - reading index segments.
 *
 * A segment is four immutable files in index/, written once by
 * inverter_flush (invert.c) and never changed.  All integers are
 * little-endian.  Every file:
 *
 *   header (24 bytes)  "TRWL", a type ("TDIC" "TPST" "TPOS" "TDVS"),
 *                      u32 format version, u32 analyzer version,
 *                      u64 segment id
 *   body
 *   footer (16 bytes)  u64 file length, "TEND", u32 CRC-32C of every
 *                      byte before it
 *
 * seg-N.dic, the term dictionary.  Keys (index.h: a field byte, then the
 * term) in bytewise order, in blocks of SEG_DICT_BLOCK entries:
 *     varint shared prefix with the previous key of the block (0 for the
 *     first), varint suffix length, suffix, varint df, varint postings
 *     length, varint positions length, then for text fields (exact and
 *     stem keys) varint max tf, u8 min norm (keyword keys: 1 and 255)
 *   Postings and positions of consecutive keys are consecutive, so an
 *   entry's offsets are its block's base plus the lengths before it.  A
 *   stem key with postings length 0 (and positions length 0) is an alias:
 *   its list is that of the exact key of the same text (field - FLD_STEM),
 *   which has the same df.
 *   Then the sparse index, one entry per block:
 *     u64 block offset, u64 postings offset, u64 positions offset,
 *     u16 key length, first key
 *   and the trailer: u32 ndocs, u32 nblocks, u64 nterms, u64 sparse index
 *   offset, u64 sum of lengths of each of the 8 text fields, u64 smallest
 *   and largest item ID.
 *
 * seg-N.pst, postings.  One list per key, of df documents (segment-local
 * doc numbers, ascending):
 *     skip table: one 20-byte entry per full block of 128 documents:
 *       u32 last doc, u32 offset of the block from the list's start, u32
 *       offset of the positions after the block (of the next block's
 *       first doc) from the list's first positions, then the block's
 *       impacts: u8 norm[4], u8 tf[4] - pairs such that every document
 *       of the block has a tf no larger and a norm no smaller than one
 *       of them (the block's Pareto frontier of (tf, norm), cut down to
 *       4 corners; unused pairs have tf 0; a tf of 255 stands for the
 *       list's max tf)
 *     full blocks: the 128 doc gaps as a PFOR block (codec.h), then,
 *       when the field has frequencies, the 128 (tf - 1) as another
 *     tail (df mod 128 docs): varint (gap << 1 | 1 when tf is 1), then
 *       varint tf when it is not 1; keyword fields: varint gap
 *   A gap is doc - previous doc - 1 (the first doc of the list: doc).
 *   Keyword fields have no frequencies (tf is 1).
 *
 * seg-N.pos, positions of text fields' exact forms: for each doc of a
 * list, tf varints: the first position, then the differences.
 *
 * seg-N.dvs, doc values: columns of ndocs fixed-width values (each
 * starting 8-aligned): item ID (u64), date (i64), size (u64), From address
 * ID (u32), kind (u8), flags (u8), and one length-norm byte per text
 * field; then the trailer: u32 ndocs, u32 ncols, per column u32 width,
 * u32 zero, u64 offset.
 *
 * Validation: the whole file's CRC at open (unless a test turns it off),
 * then every offset and length before it is used; a decoded doc number
 * is checked against ndocs and its block's skip entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "analyze.h"
#include "codec.h"
#include "segment.h"
#include "wire.h"
#include "banned.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "index doc values are read in place: little-endian hosts only"
#endif

static const char file_type[SEG_NFILES][5] = { "TDIC", "TPST", "TPOS",
					       "TDVS" };
static const char *const file_ext[SEG_NFILES] = { "dic", "pst", "pos",
						  "dvs" };

#define TRAILER_DIC (4 + 4 + 8 + 8 + 8 * FLD_NTEXT + 16)

static trawl_status fail(char *err, size_t errlen, trawl_status st,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static trawl_status fail(char *err, size_t errlen, trawl_status st,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return st;
}

static trawl_status check_frame(const struct seg_map *m, int file,
				uint64_t id, int verify, char *err,
				size_t errlen)
{
	const char *ext = file_ext[file];

	if (m->n < SEG_HEADER + SEG_FOOTER)
		return fail(err, errlen, TRAWL_ERR_CORRUPT,
			    "seg-%06llu.%s: truncated (%zu bytes)",
			    (unsigned long long)id, ext, m->n);
	if (memcmp(m->p, "TRWL", 4) || memcmp(m->p + 4, file_type[file], 4) ||
	    memcmp(m->p + m->n - 8, "TEND", 4))
		return fail(err, errlen, TRAWL_ERR_CORRUPT,
			    "seg-%06llu.%s: not a trawl index file",
			    (unsigned long long)id, ext);
	if (wire_get_u32(m->p + 8) < SEG_FORMAT_MIN ||
	    wire_get_u32(m->p + 8) > SEG_FORMAT_VERSION) {
		char reads[32];

		if (SEG_FORMAT_MIN == SEG_FORMAT_VERSION)
			snprintf(reads, sizeof(reads), "%u", SEG_FORMAT_MIN);
		else
			snprintf(reads, sizeof(reads), "%u to %u",
				 SEG_FORMAT_MIN, SEG_FORMAT_VERSION);
		return fail(err, errlen, TRAWL_ERR_VERSION,
			    "seg-%06llu.%s: index format %u, this trawl reads "
			    "format %s; run `trawl reindex`",
			    (unsigned long long)id, ext,
			    wire_get_u32(m->p + 8), reads);
	}
	if (wire_get_u32(m->p + 12) != TRAWL_ANALYZER_VERSION)
		return fail(err, errlen, TRAWL_ERR_VERSION,
			    "seg-%06llu.%s: made by analyzer version %u, this "
			    "trawl has %u; run `trawl reindex`",
			    (unsigned long long)id, ext,
			    wire_get_u32(m->p + 12), TRAWL_ANALYZER_VERSION);
	if (wire_get_u64(m->p + 16) != id ||
	    wire_get_u64(m->p + m->n - 16) != m->n)
		return fail(err, errlen, TRAWL_ERR_CORRUPT,
			    "seg-%06llu.%s: wrong segment id or length",
			    (unsigned long long)id, ext);
	if (verify && crc32c(0, m->p, m->n - 4) != wire_get_u32(m->p + m->n - 4))
		return fail(err, errlen, TRAWL_ERR_CORRUPT,
			    "seg-%06llu.%s: checksum mismatch",
			    (unsigned long long)id, ext);
	return TRAWL_OK;
}

/* Body bounds of a file: [SEG_HEADER, n - SEG_FOOTER). */
static size_t body_end(const struct seg_map *m)
{
	return m->n - SEG_FOOTER;
}

static trawl_status load_dv(struct segment *s, char *err, size_t errlen)
{
	const struct seg_map *m = &s->f[SEG_DVS];
	static const uint8_t width[COL_MAX] = { 8, 8, 8, 4, 1, 1, 1, 1, 1, 1,
						1, 1, 1, 1 };
	size_t end = body_end(m), tl = 8 + 16 * COL_MAX;
	const uint8_t *t;

	if (end < SEG_HEADER + tl)
		goto bad;
	t = m->p + end - tl;
	if (wire_get_u32(t) != s->ndocs || wire_get_u32(t + 4) != COL_MAX)
		goto bad;
	for (int c = 0; c < COL_MAX; c++) {
		const uint8_t *e = t + 8 + 16 * c;
		uint64_t off = wire_get_u64(e + 8);

		if (wire_get_u32(e) != width[c] || (off & 7) ||
		    off < SEG_HEADER || off > end - tl ||
		    (uint64_t)width[c] * s->ndocs > end - tl - off)
			goto bad;
		s->col[c] = m->p + off;
	}
	return TRAWL_OK;
bad:
	return fail(err, errlen, TRAWL_ERR_CORRUPT,
		    "seg-%06llu.dvs: bad doc value table",
		    (unsigned long long)s->id);
}

static trawl_status load_dict(struct segment *s, char *err, size_t errlen)
{
	const struct seg_map *m = &s->f[SEG_DIC];
	size_t end = body_end(m);
	const uint8_t *t, *p, *pend;
	uint64_t sparse_off;

	if (end < SEG_HEADER + TRAILER_DIC)
		goto bad;
	t = m->p + end - TRAILER_DIC;
	s->ndocs = wire_get_u32(t);
	s->nblocks = wire_get_u32(t + 4);
	s->nterms = wire_get_u64(t + 8);
	sparse_off = wire_get_u64(t + 16);
	for (int f = 0; f < FLD_NTEXT; f++)
		s->sum_len[f] = wire_get_u64(t + 24 + 8 * f);
	s->min_item = wire_get_u64(t + 24 + 8 * FLD_NTEXT);
	s->max_item = wire_get_u64(t + 32 + 8 * FLD_NTEXT);
	if (s->ndocs >= DOC_END || sparse_off < SEG_HEADER ||
	    sparse_off > end - TRAILER_DIC ||
	    s->nblocks > (end - TRAILER_DIC - sparse_off) / 26 ||
	    s->nterms > (uint64_t)s->nblocks * SEG_DICT_BLOCK ||
	    s->nterms + SEG_DICT_BLOCK <= (uint64_t)s->nblocks * SEG_DICT_BLOCK)
		goto bad;
	s->sparse = malloc(((size_t)s->nblocks + 1) * sizeof(*s->sparse));
	if (!s->sparse)
		return fail(err, errlen, TRAWL_ERR_NOMEM, "out of memory");
	p = m->p + sparse_off;
	pend = m->p + end - TRAILER_DIC;
	for (uint32_t b = 0; b < s->nblocks; b++) {
		size_t kl;

		if (pend - p < 26)
			goto bad;
		kl = p[24] | (size_t)p[25] << 8;
		if (kl < 1 || kl > DOCTERMS_MAX_KEY || (size_t)(pend - p) < 26 + kl ||
		    wire_get_u64(p) < SEG_HEADER || wire_get_u64(p) >= sparse_off ||
		    wire_get_u64(p + 8) > s->f[SEG_PST].n ||
		    wire_get_u64(p + 16) > s->f[SEG_POS].n)
			goto bad;
		s->sparse[b] = p;
		p += 26 + kl;
	}
	if (p != pend)
		goto bad;
	return TRAWL_OK;
bad:
	return fail(err, errlen, TRAWL_ERR_CORRUPT,
		    "seg-%06llu.dic: bad dictionary trailer or sparse index",
		    (unsigned long long)s->id);
}

trawl_status segment_open_mem(struct segment *s, uint64_t id,
			      const struct seg_map bufs[SEG_NFILES],
			      int verify, char *err, size_t errlen)
{
	trawl_status st;

	memset(s, 0, sizeof(*s));
	s->id = id;
	for (int i = 0; i < SEG_NFILES; i++) {
		s->f[i] = bufs[i];
		if ((st = check_frame(&bufs[i], i, id, verify, err, errlen)))
			return st;
	}
	s->version = wire_get_u32(bufs[SEG_DIC].p + 8);
	if ((st = load_dict(s, err, errlen)) || (st = load_dv(s, err, errlen))) {
		free(s->sparse);
		s->sparse = NULL;
	}
	return st;
}

trawl_status segment_open(struct segment *s, int dirfd, uint64_t id,
			  int verify, char *err, size_t errlen)
{
	struct seg_map m[SEG_NFILES] = { 0 };
	trawl_status st = TRAWL_OK;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < SEG_NFILES && !st; i++) {
		char name[32];
		struct stat sb;
		int fd;

		seg_file_name(id, i, name);
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb)) {
			st = fail(err, errlen, errno == ENOENT
				  ? TRAWL_ERR_NOT_FOUND : TRAWL_ERR_IO,
				  "index/%s: %s", name, strerror(errno));
		} else if (sb.st_size < SEG_HEADER + SEG_FOOTER) {
			st = fail(err, errlen, TRAWL_ERR_CORRUPT,
				  "index/%s: truncated", name);
		} else {
			void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ,
				       MAP_SHARED, fd, 0);

			if (p == MAP_FAILED)
				st = fail(err, errlen, TRAWL_ERR_IO,
					  "index/%s: mmap: %s", name,
					  strerror(errno));
			else
				m[i] = (struct seg_map){ p, (size_t)sb.st_size };
		}
		if (fd >= 0)
			close(fd);
	}
	if (!st)
		st = segment_open_mem(s, id, m, verify, err, errlen);
	/* segment_open owns the maps: remember them even on failure */
	for (int i = 0; i < SEG_NFILES; i++)
		s->f[i] = m[i];
	s->id = id;
	if (st)
		segment_close(s);
	return st;
}

void segment_close(struct segment *s)
{
	for (int i = 0; i < SEG_NFILES; i++)
		if (s->f[i].p)
			munmap((void *)s->f[i].p, s->f[i].n);
	free(s->sparse);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* dictionary */

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

static void dict_seek_block(struct seg_dict_iter *c, uint32_t b)
{
	const struct seg_map *m = &c->s->f[SEG_DIC];
	const uint8_t *e = c->s->sparse[b];
	const uint8_t *t = m->p + body_end(m) - TRAILER_DIC;

	c->block = b;
	c->p = m->p + wire_get_u64(e);
	/* a block runs to the next one; the last, to the sparse index */
	c->end = m->p + (b + 1 < c->s->nblocks
			 ? wire_get_u64(c->s->sparse[b + 1])
			 : wire_get_u64(t + 16));
	c->post = wire_get_u64(e + 8);
	c->pos = wire_get_u64(e + 16);
	c->left = b + 1 < c->s->nblocks
			  ? SEG_DICT_BLOCK
			  : (uint32_t)(c->s->nterms -
				       (uint64_t)b * SEG_DICT_BLOCK);
	c->klen = 0;
}

/*
 * An alias entry (ti->alias, from dict_next) gets the offsets of the exact
 * key of the same text, which must be there, be no alias and have the
 * same df.  0, or -1 when not (corrupt).  Called once the caller has
 * matched the key: a lookup of that exact key never resolves another
 * alias on its way, so this never recurses.
 */
static int resolve_alias(const struct segment *s, const uint8_t *key,
			 size_t klen, struct term_info *ti)
{
	uint8_t k[DOCTERMS_MAX_KEY];
	struct term_info e;

	if (!ti->alias)
		return 0;
	memcpy(k, key, klen);
	k[0] -= FLD_STEM;
	if (segment_lookup(s, k, klen, &e) != 1 || e.alias || e.df != ti->df)
		return -1;
	ti->post_off = e.post_off;
	ti->post_len = e.post_len;
	ti->pos_off = e.pos_off;
	ti->pos_len = e.pos_len;
	return 0;
}

/* 1 = next entry read; 0 = end of dictionary; -1 = corrupt. */
static int dict_next(struct seg_dict_iter *c, struct term_info *ti)
{
	uint64_t shared, suf, df, plen, qlen, mtf;

	while (!c->left) {
		if (c->block + 1 >= c->s->nblocks)
			return 0;
		dict_seek_block(c, c->block + 1);
	}
	if (c->p > c->end)
		return -1;
	if (varint_get(&c->p, c->end, &shared) || shared > c->klen ||
	    varint_get(&c->p, c->end, &suf) ||
	    suf > (uint64_t)(c->end - c->p) || shared + suf > DOCTERMS_MAX_KEY ||
	    shared + suf < 1)
		return -1;
	memcpy(c->key + shared, c->p, suf);
	c->p += suf;
	c->klen = shared + suf;
	if (varint_get(&c->p, c->end, &df) || df < 1 || df > c->s->ndocs ||
	    varint_get(&c->p, c->end, &plen) ||
	    varint_get(&c->p, c->end, &qlen))
		return -1;
	if (field_has_freq(c->key[0])) {
		if (varint_get(&c->p, c->end, &mtf) || mtf > UINT32_MAX ||
		    c->p >= c->end)
			return -1;
		ti->min_norm = *c->p++;
		ti->max_tf = (uint32_t)mtf;
	} else {
		ti->min_norm = 255;
		ti->max_tf = 1;
	}
	ti->df = (uint32_t)df;
	ti->post_off = c->post;
	ti->post_len = plen;
	ti->pos_off = c->pos;
	ti->pos_len = qlen;
	/* an alias: a stem key without a list (resolve_alias) */
	ti->alias = plen == 0;
	if (ti->alias && (qlen || c->key[0] < FLD_STEM ||
			  c->key[0] >= FLD_STEM + FLD_NTEXT))
		return -1;
	if (c->post > c->s->f[SEG_PST].n - SEG_FOOTER ||
	    plen > c->s->f[SEG_PST].n - SEG_FOOTER - c->post ||
	    c->pos > c->s->f[SEG_POS].n - SEG_FOOTER ||
	    qlen > c->s->f[SEG_POS].n - SEG_FOOTER - c->pos)
		return -1;
	c->post += plen;
	c->pos += qlen;
	c->left--;
	return 1;
}

void seg_dict_iter_init(struct seg_dict_iter *it, const struct segment *s)
{
	memset(it, 0, sizeof(*it));
	it->s = s;
	if (s->nblocks)
		dict_seek_block(it, 0);
}

static uint32_t find_block(const struct segment *s, const uint8_t *key,
			   size_t klen);

void seg_dict_iter_seek(struct seg_dict_iter *it, const struct segment *s,
			const uint8_t *key, size_t klen)
{
	memset(it, 0, sizeof(*it));
	it->s = s;
	if (s->nblocks)
		dict_seek_block(it, find_block(s, key, klen));
}

int seg_dict_iter_next(struct seg_dict_iter *it, struct term_info *ti)
{
	int r;

	if (!it->s->nblocks)
		return 0;
	r = dict_next(it, ti);
	if (r == 1 && resolve_alias(it->s, it->key, it->klen, ti))
		return -1;
	return r;
}

/* The block whose first key is the last one <= key (0 if none). */
static uint32_t find_block(const struct segment *s, const uint8_t *key,
			   size_t klen)
{
	uint32_t lo = 0, hi = s->nblocks;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		const uint8_t *e = s->sparse[mid];
		size_t kl = e[24] | (size_t)e[25] << 8;

		if (key_cmp(e + 26, kl, key, klen) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int segment_lookup(const struct segment *s, const uint8_t *key, size_t klen,
		   struct term_info *ti)
{
	struct seg_dict_iter c = { .s = s };
	int r;

	if (!s->nblocks)
		return 0;
	dict_seek_block(&c, find_block(s, key, klen));
	for (uint32_t n = 0; n < SEG_DICT_BLOCK; n++) {
		int cmp;

		if (!c.left)
			return 0;
		if ((r = dict_next(&c, ti)) <= 0)
			return r;
		cmp = key_cmp(c.key, c.klen, key, klen);
		if (cmp == 0)
			return resolve_alias(s, key, klen, ti) ? -1 : 1;
		if (cmp > 0)
			return 0;
	}
	return 0;
}

int segment_terms(const struct segment *s, const uint8_t *prefix, size_t plen,
		  seg_term_cb cb, void *ctx)
{
	struct seg_dict_iter c = { .s = s };
	struct term_info ti;
	int r;

	if (!s->nblocks)
		return 0;
	dict_seek_block(&c, find_block(s, prefix, plen));
	while ((r = dict_next(&c, &ti)) == 1) {
		int cmp = key_cmp(c.key, c.klen < plen ? c.klen : plen, prefix,
				  plen);

		if (cmp < 0 || (cmp == 0 && c.klen < plen))
			continue;
		if (cmp > 0)
			return 0;
		if (resolve_alias(s, c.key, c.klen, &ti))
			return -1;
		if (cb(ctx, c.key, c.klen, &ti))
			return 0;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* postings */

static int load_block(struct postings *pc, uint32_t b);

void postings_init(struct postings *pc, const struct segment *s, int field,
		   const struct term_info *ti)
{
	/* everything but the block arrays */
	memset(pc, 0, offsetof(struct postings, docs));
	memset(&pc->n, 0, offsetof(struct postings, tf_before) -
				  offsetof(struct postings, n));
	pc->seg = s;
	pc->ti = *ti;
	pc->field = field;
	pc->list = s->f[SEG_PST].p + ti->post_off;
	pc->list_end = pc->list + ti->post_len;
	pc->nfull = ti->df / SEG_BLOCK;
	pc->skip = pc->list;
	if ((uint64_t)pc->nfull * SEG_SKIP_ENTRY > ti->post_len) {
		pc->corrupt = 1;
		pc->doc = DOC_END;
		pc->n = pc->i = 0;
		return;
	}
	pc->block = UINT32_MAX;
	pc->n = pc->i = 0;
	pc->doc = 0; /* "before the first": postings_next loads block 0 */
}

static uint32_t skip_u32(const struct postings *pc, uint32_t b, int k)
{
	return wire_get_u32(pc->skip + (size_t)b * SEG_SKIP_ENTRY + 4 * k);
}

static int corrupt(struct postings *pc)
{
	pc->corrupt = 1;
	pc->doc = DOC_END;
	pc->n = pc->i = 0;
	return -1;
}

/*
 * Turns block b's gaps into doc numbers in place, four at a time with
 * SSE2 (doc = previous doc + gap + 1, from prev, the last doc of block
 * b - 1; the first block's first doc is its gap), when no sum can
 * overflow 32 bits: every gap below 2^24 and prev below 2^31.  Sets *end
 * to the last doc + 1.  0 when it did nothing: the caller's loop does.
 */
static int prefix_docs(uint32_t *docs, uint32_t b, uint32_t prev,
		       uint64_t *end)
{
#if defined(__SSE2__)
	uint32_t any = 0;
	__m128i base, one = _mm_set1_epi32(1);

	for (int i = 0; i < SEG_BLOCK; i++)
		any |= docs[i];
	if (any >> 24 || (b && prev >> 31))
		return 0;
	/* before the first doc: -1, so that gap + 1 wraps to the gap */
	base = _mm_set1_epi32(b ? (int)prev : -1);
	for (int i = 0; i < SEG_BLOCK; i += 4) {
		__m128i v = _mm_loadu_si128((const __m128i *)(docs + i));

		v = _mm_add_epi32(v, one);
		v = _mm_add_epi32(v, _mm_slli_si128(v, 4));
		v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
		v = _mm_add_epi32(v, base);
		_mm_storeu_si128((__m128i *)(docs + i), v);
		base = _mm_shuffle_epi32(v, 0xff);
	}
	*end = (uint64_t)docs[SEG_BLOCK - 1] + 1;
	return 1;
#else
	(void)docs;
	(void)b;
	(void)prev;
	(void)end;
	return 0;
#endif
}

/* Loads block b (b == nfull: the tail).  0, 1 = past the end, -1. */
static int load_block(struct postings *pc, uint32_t b)
{
	int freq = field_has_freq(pc->field);
	uint32_t prev = b ? skip_u32(pc, b - 1, 0) : 0;
	const uint8_t *p, *end = pc->list_end;
	uint32_t ndocs = pc->seg->ndocs;

	if (b > pc->nfull ||
	    (b == pc->nfull && pc->ti.df % SEG_BLOCK == 0))
		return 1;
	if (b < pc->nfull) {
		uint32_t off = skip_u32(pc, b, 1);
		size_t k;

		p = pc->list + off;
		if (off > pc->ti.post_len ||
		    !(k = pfor_unpack128(p, end, pc->docs)))
			return corrupt(pc);
		p += k;
		if (freq) {
			if (!pfor_unpack128(p, end, pc->tfs))
				return corrupt(pc);
		} else {
			for (int i = 0; i < SEG_BLOCK; i++)
				pc->tfs[i] = 1;
		}
		{
			uint64_t d = b ? (uint64_t)prev + 1 : 0;
			uint32_t zero = 0;

			/* docs ascend: the last one's check covers all (a
			 * corrupt block is never read); a tf of 0 is corrupt */
			if (!prefix_docs(pc->docs, b, prev, &d))
				for (int i = 0; i < SEG_BLOCK; i++) {
					d += pc->docs[i];
					pc->docs[i] = (uint32_t)d;
					d++;
				}
			if (freq)
				for (int i = 0; i < SEG_BLOCK; i++)
					zero |= !++pc->tfs[i];
			if (zero || d - 1 >= ndocs ||
			    pc->docs[SEG_BLOCK - 1] != skip_u32(pc, b, 0))
				return corrupt(pc);
		}
		pc->n = SEG_BLOCK;
	} else {
		uint64_t d = b ? (uint64_t)prev + 1 : 0;
		uint32_t n = pc->ti.df % SEG_BLOCK;

		p = pc->list + (size_t)pc->nfull * SEG_SKIP_ENTRY;
		if (pc->nfull) {
			/* the tail follows the last full block */
			uint32_t off = skip_u32(pc, pc->nfull - 1, 1);
			size_t k, k2 = 0;

			p = pc->list + off;
			if (off > pc->ti.post_len || !(k = pfor_size(p, end)) ||
			    (freq && !(k2 = pfor_size(p + k, end))))
				return corrupt(pc);
			p += k + k2;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint64_t v, tf = 1;

			if (varint_get(&p, end, &v))
				return corrupt(pc);
			if (freq) {
				if (!(v & 1) &&
				    (varint_get(&p, end, &tf) || tf < 2 ||
				     tf > UINT32_MAX))
					return corrupt(pc);
				v >>= 1;
			}
			if (v >= ndocs) /* and no sum can wrap */
				return corrupt(pc);
			d += v;
			if (d >= ndocs)
				return corrupt(pc);
			pc->docs[i] = (uint32_t)d;
			pc->tfs[i] = (uint32_t)tf;
			d++;
		}
		pc->n = n;
	}
	pc->block = b;
	pc->i = 0;
	pc->pos_block = NULL;
	return 0;
}

/* Past the last doc: n = 0 keeps the inline postings_next off. */
static uint32_t at_end(struct postings *pc)
{
	pc->n = pc->i = 0;
	return pc->doc = DOC_END;
}

uint32_t postings_next_block(struct postings *pc)
{
	if (pc->corrupt)
		return DOC_END;
	if (pc->block != UINT32_MAX && pc->i + 1 < pc->n) {
		pc->i++;
		return pc->doc = pc->docs[pc->i];
	}
	if (pc->block != UINT32_MAX && pc->doc == DOC_END)
		return DOC_END;
	if (load_block(pc, pc->block == UINT32_MAX ? 0 : pc->block + 1))
		return at_end(pc);
	return pc->doc = pc->docs[0];
}

/* The first full block from lo whose last doc is >= target (nfull: the
 * tail), by binary search over the skip entries. */
static uint32_t first_block_to(const struct postings *pc, uint32_t lo,
			       uint32_t target)
{
	uint32_t hi = pc->nfull;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (skip_u32(pc, mid, 0) < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t postings_advance_block(struct postings *pc, uint32_t target)
{
	uint32_t b;

	if (pc->corrupt)
		return DOC_END;
	if (pc->block != UINT32_MAX && pc->doc == DOC_END)
		return DOC_END;
	if (pc->block == UINT32_MAX || pc->docs[pc->n - 1] < target) {
		/* find the first block whose last doc >= target */
		b = first_block_to(pc, pc->block == UINT32_MAX ? 0
							       : pc->block + 1,
				   target);
		if (load_block(pc, b))
			return at_end(pc);
	}
	while (pc->docs[pc->i] < target) {
		if (++pc->i == pc->n) {
			if (load_block(pc, pc->block + 1))
				return at_end(pc);
		}
	}
	return pc->doc = pc->docs[pc->i];
}

/* Offset (from the list's first positions) of block b's first positions:
 * the end of block b - 1, which its skip entry records. */
static uint32_t block_pos_off(const struct postings *pc, uint32_t b)
{
	return b ? skip_u32(pc, b - 1, 2) : 0;
}

/* The loaded block's positions: where they start, and the prefix sums
 * of its tfs (positions before each doc). */
static int pos_block_open(struct postings *pc)
{
	uint32_t off = block_pos_off(pc, pc->block);
	uint64_t sum = 0;

	if (off > pc->ti.pos_len)
		return corrupt(pc);
	pc->pos_block = pc->seg->f[SEG_POS].p + pc->ti.pos_off + off;
	pc->pos_end = pc->seg->f[SEG_POS].p + pc->ti.pos_off + pc->ti.pos_len;
	for (uint32_t j = 0; j < pc->n; j++) {
		pc->tf_before[j] = sum;
		sum += pc->tfs[j];
	}
	pc->pos_cur = pc->pos_block;
	pc->pos_i = 0;
	return 0;
}

int postings_pos_open_slow(struct postings *pc, struct pos_reader *r)
{
	const struct seg_map *m = &pc->seg->f[SEG_POS];

	r->pc = pc;
	r->left = r->tf = r->prev = 0;
	if (!field_has_pos(pc->field) || pc->doc == DOC_END || pc->corrupt ||
	    (!pc->pos_block && pos_block_open(pc)))
		return -1;
	r->end = m->p + pc->ti.pos_off + pc->ti.pos_len;
	if (pc->pos_i != pc->i) {
		const uint8_t *p = pc->pos_cur;
		uint64_t k;

		if (pc->pos_i > pc->i) {
			p = pc->pos_block;
			pc->pos_i = 0;
		}
		k = pc->tf_before[pc->i] - pc->tf_before[pc->pos_i];
		if (!(p = skip_varints(p, r->end, k)))
			return corrupt(pc);
		pc->pos_cur = p;
		pc->pos_i = pc->i;
	}
	r->p = pc->pos_cur;
	r->tf = r->left = pc->tfs[pc->i];
	return 0;
}

int pos_reader_next_slow(struct pos_reader *r, uint32_t *pos)
{
	uint32_t v;

	if (!r->left)
		return 0;
	if (varint_get32(&r->p, r->end, &v) || v > UINT32_MAX - r->prev ||
	    (r->left < r->tf && v == 0))
		return corrupt(r->pc);
	r->left--;
	*pos = r->prev += v;
	return 1;
}

int postings_positions(struct postings *pc, uint32_t *out)
{
	struct pos_reader r;
	const uint8_t *q;
	uint32_t prev = 0;

	if (postings_pos_open(pc, &r))
		return -1;
	q = r.p;
	for (uint32_t k = 0; k < r.tf; k++) {
		uint32_t v;

		if (q < r.end && !(*q & 0x80)) {
			v = *q++; /* the common case: one byte */
		} else if (varint_get32(&q, r.end, &v)) {
			return corrupt(pc);
		}
		if (v > UINT32_MAX - prev || (k && v == 0))
			return corrupt(pc);
		prev += v;
		out[k] = prev;
	}
	return 0;
}

void postings_block_impacts(struct postings *pc, uint32_t d,
			    struct block_impacts *bi)
{
	uint32_t lo = first_block_to(pc, 0, d);

	if (lo < pc->nfull) {
		const uint8_t *e = pc->skip + (size_t)lo * SEG_SKIP_ENTRY;

		bi->last = wire_get_u32(e);
		bi->n = SEG_IMPACTS;
		for (int k = 0; k < SEG_IMPACTS; k++) {
			bi->norm[k] = e[12 + k];
			bi->tf[k] = e[16 + k] < SEG_IMPACT_TF_MAX
					    ? e[16 + k]
					    : pc->ti.max_tf;
		}
	} else {
		bi->last = DOC_END;
		bi->n = 1;
		bi->tf[0] = pc->ti.max_tf;
		bi->norm[0] = pc->ti.min_norm;
	}
}
