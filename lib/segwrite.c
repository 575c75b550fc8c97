/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * segwrite.c - writing one segment's four files, a term at a time.
 *
 * The inverter (a flush) and the merger both hand their terms here in key
 * order, each with its documents, frequencies and positions; this file
 * lays them out as segment.c describes (block-packed postings with skip
 * entries, the dictionary with its sparse index, doc values), computes
 * each block's impacts, and makes the files durable.
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

/* ------------------------------------------------------------------ */
/* file output: a buffered writer with a running CRC and a sticky error */

struct out {
	int fd;
	uint64_t off;   /* bytes written so far, buffered included */
	uint32_t crc;
	uint8_t *b;
	size_t n;
	int err;
	struct buf *mem; /* a part (seg_writer_open_part): into memory,
			  * no file, no CRC */
};

#define OUTBUF ((size_t)1 << 20)

static void out_flush(struct out *o)
{
	if (o->err || !o->n)
		return;
	if (o->mem) {
		if (buf_append(o->mem, o->b, o->n))
			o->err = ENOMEM;
		o->n = 0;
		return;
	}
	o->crc = crc32c(o->crc, o->b, o->n);
	if (io_write_all(o->fd, o->b, o->n))
		o->err = errno ? errno : EIO;
	o->n = 0;
}

static void out_put(struct out *o, const void *d, size_t n)
{
	const uint8_t *p = d;

	while (n && !o->err) {
		size_t k = OUTBUF - o->n < n ? OUTBUF - o->n : n;

		memcpy(o->b + o->n, p, k);
		o->n += k;
		o->off += k;
		p += k;
		n -= k;
		if (o->n == OUTBUF)
			out_flush(o);
	}
}

/* Small values go straight into the buffer when it has room for them
 * (no memcpy call for a byte or two: the dictionary and the tails are
 * millions of them), else through out_put. */
static int out_room(struct out *o, size_t n)
{
	return !o->err && OUTBUF - o->n > n; /* > : a full buffer flushes */
}

static void out_u8(struct out *o, uint8_t v)
{
	if (out_room(o, 1)) {
		o->b[o->n++] = v;
		o->off++;
		return;
	}
	out_put(o, &v, 1);
}
static void out_u32(struct out *o, uint32_t v)
{
	uint8_t t[4];

	if (out_room(o, 4)) {
		wire_set_u32(o->b + o->n, v);
		o->n += 4;
		o->off += 4;
		return;
	}
	wire_set_u32(t, v);
	out_put(o, t, 4);
}
static void out_u64(struct out *o, uint64_t v)
{
	uint8_t t[8];

	if (out_room(o, 8)) {
		wire_set_u64(o->b + o->n, v);
		o->n += 8;
		o->off += 8;
		return;
	}
	wire_set_u64(t, v);
	out_put(o, t, 8);
}
static void out_varint(struct out *o, uint64_t v)
{
	uint8_t t[10];
	size_t n;

	if (out_room(o, 10)) {
		n = varint_put(o->b + o->n, v);
		o->n += n;
		o->off += n;
		return;
	}
	out_put(o, t, varint_put(t, v));
}
static void out_align8(struct out *o)
{
	static const uint8_t z[8];

	out_put(o, z, (8 - (o->off & 7)) & 7);
}

static const char file_type[SEG_NFILES][5] = { "TDIC", "TPST", "TPOS",
					       "TDVS" };
static const char *const file_ext[SEG_NFILES] = { "dic", "pst", "pos",
						  "dvs" };

void seg_file_name(uint64_t id, int file, char out[32])
{
	snprintf(out, 32, "seg-%06llu.%s", (unsigned long long)id,
		 file_ext[file]);
}

int seg_parse_name(const char *name, uint64_t *id)
{
	unsigned long long v = 0;
	size_t i = 4;

	if (strncmp(name, "seg-", 4))
		return 0;
	for (; name[i] >= '0' && name[i] <= '9' && i < 24; i++)
		v = v * 10 + (unsigned)(name[i] - '0');
	if (i == 4 || name[i] != '.')
		return 0;
	*id = v;
	return 1;
}

static int out_open(struct out *o, int dirfd, uint64_t id, int file)
{
	char name[32];

	memset(o, 0, sizeof(*o));
	seg_file_name(id, file, name);
	o->b = malloc(OUTBUF);
	o->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0644);
	if (!o->b || o->fd < 0) {
		o->err = o->b ? errno : ENOMEM;
		return -1;
	}
	out_put(o, "TRWL", 4);
	out_put(o, file_type[file], 4);
	out_u32(o, SEG_FORMAT_VERSION);
	out_u32(o, TRAWL_ANALYZER_VERSION);
	out_u64(o, id);
	return 0;
}

/* Writes the footer, flushes and fsyncs; returns 0 or an errno. */
static int out_close(struct out *o, uint64_t *bytes)
{
	int err;

	out_u64(o, o->off + 16);
	out_put(o, "TEND", 4);
	out_flush(o);
	if (!o->err) {
		uint8_t t[4];

		wire_set_u32(t, o->crc);
		if (io_write_all(o->fd, t, 4))
			o->err = errno ? errno : EIO;
		o->off += 4;
	}
	if (!o->err && fsync(o->fd))
		o->err = errno;
	if (o->fd >= 0)
		close(o->fd);
	free(o->b);
	err = o->err;
	*bytes += o->off;
	return err;
}


/* ------------------------------------------------------------------ */
/* the segment writer */

struct seg_writer {
	struct out o[SEG_NFILES];
	struct buf part[SEG_NFILES]; /* a part's files, in memory */
	int is_part;
	const struct seg_docs *docs;
	uint64_t id;
	uint64_t nterms;
	/* dictionary block being built */
	uint32_t nin;            /* entries in the current block */
	uint64_t post_base, pos_base;
	uint8_t prev[DOCTERMS_MAX_KEY];
	size_t prev_len;
	struct buf sparse;       /* sparse index entries */
	struct buf blk;          /* a list's full blocks, being encoded */
	uint32_t nblocks;
	uint64_t min_item, max_item;
	trawl_status st;
};

/* Bytes of the positions of one doc (tf varints) starting at p. */
static size_t pos_bytes(const uint8_t *p, const uint8_t *end, uint32_t tf)
{
	size_t n = 0;

	while (tf && p + n < end) {
		if (!(p[n] & 0x80))
			tf--;
		n++;
	}
	return n;
}

static void gaps(const uint32_t *d, uint32_t b, uint32_t *v)
{
	for (int i = 0; i < SEG_BLOCK; i++)
		v[i] = d[i] - (i ? d[i - 1] : (b ? d[-1] : 0)) -
		       (i || b ? 1 : 0);
}

/*
 * A block's impacts: the Pareto frontier of its (tf, norm) pairs (a doc
 * with a larger tf and a smaller norm scores higher, whatever the
 * statistics), then, if longer than SEG_IMPACTS, cut into SEG_IMPACTS
 * consecutive groups each replaced by its corner (the group's largest tf
 * with its smallest norm), which still bounds every doc.  Norms are
 * bytes: the largest tf per norm, then one pass in norm order.
 */
static void block_impacts(const uint32_t *tf, const uint32_t *docs,
			  const uint8_t *norms, uint32_t out_tf[SEG_IMPACTS],
			  uint8_t out_norm[SEG_IMPACTS])
{
	uint32_t best[256] = { 0 }, ftf[SEG_BLOCK];
	uint8_t fnorm[SEG_BLOCK];
	size_t nf = 0;

	for (int i = 0; i < SEG_BLOCK; i++) {
		uint8_t n = norms[docs[i]];

		if (tf[i] > best[n])
			best[n] = tf[i];
	}
	for (int n = 0; n < 256; n++) {
		if (best[n] && (!nf || best[n] > ftf[nf - 1])) {
			ftf[nf] = best[n];
			fnorm[nf++] = (uint8_t)n;
		}
	}
	memset(out_tf, 0, SEG_IMPACTS * sizeof(*out_tf));
	memset(out_norm, 0, SEG_IMPACTS);
	for (int g = 0; g < SEG_IMPACTS; g++) {
		size_t a = nf * (size_t)g / SEG_IMPACTS;
		size_t b = nf * (size_t)(g + 1) / SEG_IMPACTS;

		if (a == b)
			continue;
		out_norm[g] = fnorm[a];   /* smallest norm of the group */
		out_tf[g] = ftf[b - 1];   /* largest tf of the group */
	}
}

/*
 * A list's postings: the skip table, then the full blocks (PFOR, codec.h:
 * doc gaps, then tf - 1 when the field has frequencies), then the tail as
 * varints (gap << 1 | tf == 1, then tf when it is not 1; keyword fields:
 * the gap alone).  The blocks are encoded into w->blk first, since each
 * skip entry holds its block's offset.
 */
static void write_postings(struct seg_writer *w, int field, uint32_t df,
			   const uint32_t *docs, const uint32_t *tfs,
			   const uint8_t *pos, size_t pos_len)
{
	struct out *po = &w->o[SEG_PST];
	uint32_t nfull = df / SEG_BLOCK, skip_len = nfull * SEG_SKIP_ENTRY;
	int freq = field_has_freq(field);
	const uint8_t *norms = w->docs->norm[field % FLD_NTEXT];
	uint32_t pos_off = 0;
	uint32_t v[SEG_BLOCK];
	uint8_t packed[PFOR_MAX_BYTES];

	buf_reset(&w->blk);
	for (uint32_t b = 0; b < nfull; b++) {
		const uint32_t *d = docs + b * SEG_BLOCK;
		const uint32_t *tf = tfs + b * SEG_BLOCK;
		uint32_t imp_tf[SEG_IMPACTS];
		uint8_t imp_norm[SEG_IMPACTS], e[SEG_SKIP_ENTRY];
		uint64_t doc_off = skip_len + (uint64_t)w->blk.len;

		if (doc_off > UINT32_MAX) {
			w->st = TRAWL_ERR_TOO_LARGE;
			return;
		}
		if (freq) {
			block_impacts(tf, d, norms, imp_tf, imp_norm);
		} else {
			memset(imp_tf, 0, sizeof(imp_tf));
			memset(imp_norm, 0, sizeof(imp_norm));
			imp_tf[0] = 1;
			imp_norm[0] = 255;
		}
		gaps(d, b, v);
		if (buf_append(&w->blk, packed, pfor_pack128(v, packed)))
			w->st = TRAWL_ERR_NOMEM;
		if (freq) {
			for (int i = 0; i < SEG_BLOCK; i++)
				v[i] = tf[i] - 1;
			if (buf_append(&w->blk, packed,
				       pfor_pack128(v, packed)))
				w->st = TRAWL_ERR_NOMEM;
		}
		if (pos)
			for (int i = 0; i < SEG_BLOCK; i++)
				pos_off += (uint32_t)pos_bytes(pos + pos_off,
							       pos + pos_len,
							       tf[i]);
		/* u32 last doc, u32 block offset, u32 positions after the
		 * block, u8 norm[4], u8 tf[4] (255: up to the list's max) */
		wire_set_u32(e, d[SEG_BLOCK - 1]);
		wire_set_u32(e + 4, (uint32_t)doc_off);
		wire_set_u32(e + 8, pos_off);
		memcpy(e + 12, imp_norm, SEG_IMPACTS);
		for (int k = 0; k < SEG_IMPACTS; k++)
			e[16 + k] = imp_tf[k] < SEG_IMPACT_TF_MAX
					    ? (uint8_t)imp_tf[k]
					    : SEG_IMPACT_TF_MAX;
		out_put(po, e, SEG_SKIP_ENTRY);
	}
	out_put(po, w->blk.data, w->blk.len);
	for (uint32_t i = nfull * SEG_BLOCK; i < df; i++) {
		uint64_t gap = i ? docs[i] - docs[i - 1] - 1 : docs[i];

		if (!freq) {
			out_varint(po, gap);
		} else {
			out_varint(po, gap << 1 | (tfs[i] == 1));
			if (tfs[i] != 1)
				out_varint(po, tfs[i]);
		}
	}
}

static void dict_entry(struct seg_writer *w, const uint8_t *key, size_t klen,
		       uint32_t df, uint32_t max_tf, uint8_t min_norm,
		       uint64_t post_len, uint64_t pos_len)
{
	struct out *d = &w->o[SEG_DIC];
	size_t shared = 0;

	if (w->nin == SEG_DICT_BLOCK)
		w->nin = 0;
	if (w->nin == 0) {
		uint8_t h[26];

		/* sparse entry: u64 block offset, u64 post, u64 pos, u16 len */
		wire_set_u64(h, d->off);
		wire_set_u64(h + 8, w->post_base);
		wire_set_u64(h + 16, w->pos_base);
		h[24] = (uint8_t)(klen & 0xff);
		h[25] = (uint8_t)(klen >> 8);
		buf_append(&w->sparse, h, sizeof(h));
		buf_append(&w->sparse, key, klen);
		w->nblocks++;
		w->prev_len = 0;
	}
	while (shared < klen && shared < w->prev_len &&
	       key[shared] == w->prev[shared])
		shared++;
	out_varint(d, shared);
	out_varint(d, klen - shared);
	out_put(d, key + shared, klen - shared);
	out_varint(d, df);
	out_varint(d, post_len);
	out_varint(d, pos_len);
	if (field_has_freq(key[0])) {
		out_varint(d, max_tf);
		out_u8(d, min_norm);
	}
	memcpy(w->prev, key, klen);
	w->prev_len = klen;
	w->post_base += post_len;
	w->pos_base += pos_len;
	w->nin++;
	w->nterms++;
}

trawl_status seg_writer_add(struct seg_writer *w, const uint8_t *key,
			    size_t klen, uint32_t df, const uint32_t *docs,
			    const uint32_t *tfs, const uint8_t *pos,
			    size_t pos_len)
{
	struct out *po = &w->o[SEG_PST], *qo = &w->o[SEG_POS];
	uint64_t post0 = po->off, pos0 = qo->off;
	int field = key[0];
	const uint8_t *norms = w->docs->norm[field % FLD_NTEXT];
	uint32_t max_tf = 0;
	uint8_t min_norm = 255;

	if (w->st)
		return w->st;
	if (!df || klen < 1 || klen > DOCTERMS_MAX_KEY)
		return w->st = TRAWL_ERR_INTERNAL;
	for (uint32_t i = 0; i < df; i++) {
		if (tfs[i] > max_tf)
			max_tf = tfs[i];
		if (field_has_freq(field) && norms[docs[i]] < min_norm)
			min_norm = norms[docs[i]];
	}
	if (!field_has_pos(field))
		pos = NULL;
	write_postings(w, field, df, docs, tfs, pos, pos_len);
	if (w->st)
		return w->st;
	if (pos)
		out_put(qo, pos, pos_len);
	dict_entry(w, key, klen, df, max_tf, min_norm, po->off - post0,
		   qo->off - pos0);
	return TRAWL_OK;
}

trawl_status seg_writer_add_alias(struct seg_writer *w, const uint8_t *key,
				  size_t klen, uint32_t df,
				  const uint32_t *docs, const uint32_t *tfs)
{
	const uint8_t *norms;
	uint32_t max_tf = 0;
	uint8_t min_norm = 255;

	if (w->st)
		return w->st;
	if (!df || klen < 1 || klen > DOCTERMS_MAX_KEY ||
	    key[0] < FLD_STEM || key[0] >= FLD_STEM + FLD_NTEXT)
		return w->st = TRAWL_ERR_INTERNAL;
	norms = w->docs->norm[key[0] % FLD_NTEXT];
	for (uint32_t i = 0; i < df; i++) {
		if (tfs[i] > max_tf)
			max_tf = tfs[i];
		if (norms[docs[i]] < min_norm)
			min_norm = norms[docs[i]];
	}
	dict_entry(w, key, klen, df, max_tf, min_norm, 0, 0);
	return TRAWL_OK;
}

static void write_dv(struct seg_writer *w)
{
	const struct seg_docs *sd = w->docs;
	struct out *o = &w->o[SEG_DVS];
	uint64_t off[COL_MAX];
	static const uint8_t width[COL_MAX] = { 8, 8, 8, 4, 1, 1, 1, 1, 1, 1,
						1, 1, 1, 1 };
	const void *src[COL_MAX] = { sd->item, sd->date, sd->size, sd->from,
				     sd->kind, sd->flags };

	for (int f = 0; f < FLD_NTEXT; f++)
		src[COL_NORM0 + f] = sd->norm[f];
	for (int c = 0; c < COL_MAX; c++) {
		out_align8(o);
		off[c] = o->off;
		out_put(o, src[c], (size_t)width[c] * sd->ndocs);
	}
	out_align8(o);
	/* trailer: u32 ndocs, u32 ncols, ncols x { u32 width, u32 pad,
	 * u64 offset } */
	out_u32(o, sd->ndocs);
	out_u32(o, COL_MAX);
	for (int c = 0; c < COL_MAX; c++) {
		out_u32(o, width[c]);
		out_u32(o, 0);
		out_u64(o, off[c]);
	}
}

static void write_dict_trailer(struct seg_writer *w)
{
	const struct seg_docs *sd = w->docs;
	struct out *d = &w->o[SEG_DIC];
	uint64_t sparse_off = d->off;

	out_put(d, w->sparse.data, w->sparse.len);
	/* trailer: u32 ndocs, u32 nblocks, u64 nterms, u64 sparse_off,
	 * u64 sum_len[8], u64 min_item, u64 max_item */
	out_u32(d, sd->ndocs);
	out_u32(d, w->nblocks);
	out_u64(d, w->nterms);
	out_u64(d, sparse_off);
	for (int i = 0; i < FLD_NTEXT; i++)
		out_u64(d, sd->sum_len[i]);
	out_u64(d, w->min_item);
	out_u64(d, w->max_item);
}

/* Documents are in item order except in a segment that re-indexes items
 * (remove.c) merged with others: take the real extremes. */
static void item_range(const struct seg_docs *sd, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	for (uint32_t d = 0; d < sd->ndocs; d++) {
		if (!d || sd->item[d] < *lo)
			*lo = sd->item[d];
		if (!d || sd->item[d] > *hi)
			*hi = sd->item[d];
	}
}

static void report(char *err, size_t errlen, uint64_t id, trawl_status st,
		   int e)
{
	snprintf(err, errlen, "writing segment %llu: %s",
		 (unsigned long long)id, e ? strerror(e) : trawl_status_str(st));
}

trawl_status seg_writer_open(struct seg_writer **out, int dirfd, uint64_t id,
			     const struct seg_docs *docs, char *err,
			     size_t errlen)
{
	struct seg_writer *w = calloc(1, sizeof(*w));

	*out = w;
	if (!w) {
		report(err, errlen, id, TRAWL_ERR_NOMEM, 0);
		return TRAWL_ERR_NOMEM;
	}
	w->docs = docs;
	w->id = id;
	buf_init(&w->sparse, (size_t)1 << 31);
	buf_init(&w->blk, (size_t)1 << 31);
	for (int i = 0; i < SEG_NFILES; i++)
		w->o[i].fd = -1;
	for (int i = 0; i < SEG_NFILES; i++) {
		if (out_open(&w->o[i], dirfd, id, i)) {
			report(err, errlen, id, TRAWL_ERR_IO, w->o[i].err);
			return w->st = TRAWL_ERR_IO;
		}
	}
	w->post_base = SEG_HEADER;
	w->pos_base = SEG_HEADER;
	return TRAWL_OK;
}

/* Closes every file; the first errno, or 0. */
static int close_all(struct seg_writer *w, uint64_t *bytes)
{
	int e = 0;

	for (int i = 0; i < SEG_NFILES; i++) {
		int r = w->o[i].fd >= 0 || w->o[i].b
				? out_close(&w->o[i], bytes) : 0;

		if (r && !e)
			e = r;
	}
	return e;
}

/* Frees a part's memory (the writer itself is the caller's). */
static void part_release(struct seg_writer *w)
{
	for (int i = 0; i < SEG_NFILES; i++) {
		free(w->o[i].b);
		w->o[i].b = NULL;
		buf_release(&w->part[i]);
	}
}

trawl_status seg_writer_open_part(struct seg_writer **out,
				  const struct seg_docs *docs)
{
	struct seg_writer *w = calloc(1, sizeof(*w));

	*out = w;
	if (!w)
		return TRAWL_ERR_NOMEM;
	w->docs = docs;
	w->is_part = 1;
	buf_init(&w->sparse, (size_t)1 << 31);
	buf_init(&w->blk, (size_t)1 << 31);
	for (int i = 0; i < SEG_NFILES; i++) {
		/* the inverter's budget (256 MiB) keeps a segment far
		 * below this; a list's offsets are u32 anyway */
		buf_init(&w->part[i], (size_t)UINT32_MAX);
		w->o[i].fd = -1;
		w->o[i].mem = &w->part[i];
		if (!(w->o[i].b = malloc(OUTBUF)))
			w->st = TRAWL_ERR_NOMEM;
	}
	return w->st;
}

trawl_status seg_writer_append(struct seg_writer *w, struct seg_writer *part)
{
	uint64_t base[SEG_NFILES];
	const uint8_t *p, *end;

	if (w->st)
		goto out;
	if ((w->st = part->st))
		goto out;
	if (part->sparse.err) { /* an entry of its sparse index is missing */
		w->st = part->sparse.err;
		goto out;
	}
	if (w->nin && w->nin != SEG_DICT_BLOCK) {
		w->st = TRAWL_ERR_INTERNAL; /* a part starts a block */
		goto out;
	}
	for (int i = 0; i < SEG_NFILES; i++) {
		out_flush(&part->o[i]);
		if (part->o[i].err || part->part[i].err) {
			w->st = TRAWL_ERR_NOMEM;
			goto out;
		}
		base[i] = w->o[i].off;
		out_put(&w->o[i], part->part[i].data, part->part[i].len);
	}
	/* the part's sparse entries, their offsets made absolute: u64
	 * block offset, u64 postings offset, u64 positions offset, u16
	 * key length, key */
	p = (const uint8_t *)part->sparse.data;
	end = p + part->sparse.len;
	while (end - p >= 26) {
		uint8_t h[26];
		size_t klen;

		memcpy(h, p, 26);
		klen = (size_t)h[24] | (size_t)h[25] << 8;
		if ((size_t)(end - p) < 26 + klen) {
			w->st = TRAWL_ERR_INTERNAL;
			goto out;
		}
		wire_set_u64(h, wire_get_u64(h) + base[SEG_DIC]);
		wire_set_u64(h + 8, wire_get_u64(h + 8) + base[SEG_PST]);
		wire_set_u64(h + 16, wire_get_u64(h + 16) + base[SEG_POS]);
		if (buf_append(&w->sparse, h, 26) ||
		    buf_append(&w->sparse, p + 26, klen))
			w->st = TRAWL_ERR_NOMEM;
		p += 26 + klen;
	}
	w->nblocks += part->nblocks;
	w->nterms += part->nterms;
	w->post_base += part->post_base;
	w->pos_base += part->pos_base;
	w->nin = part->nin;
	memcpy(w->prev, part->prev, part->prev_len);
	w->prev_len = part->prev_len;
out:
	part_release(part);
	buf_release(&part->sparse);
	buf_release(&part->blk);
	free(part);
	return w->st;
}

trawl_status seg_writer_finish(struct seg_writer *w, int dirfd,
			       struct seg_info *info, char *err,
			       size_t errlen)
{
	trawl_status st = w->st;
	int e;

	memset(info, 0, sizeof(*info));
	info->id = w->id;
	info->ndocs = w->docs->ndocs;
	item_range(w->docs, &w->min_item, &w->max_item);
	info->min_item = w->min_item;
	info->max_item = w->max_item;
	if (!st) {
		write_dict_trailer(w);
		write_dv(w);
		st = w->sparse.err;
	}
	e = close_all(w, &info->bytes);
	if (st || e) {
		report(err, errlen, w->id, st ? st : TRAWL_ERR_IO, e);
		st = st ? st : TRAWL_ERR_IO;
	} else if (fsync(dirfd)) {
		snprintf(err, errlen, "syncing index/: %s", strerror(errno));
		st = TRAWL_ERR_IO;
	}
	buf_release(&w->sparse);
	buf_release(&w->blk);
	free(w);
	return st;
}

void seg_writer_abort(struct seg_writer *w)
{
	uint64_t bytes = 0;

	if (!w)
		return;
	if (w->is_part)
		part_release(w);
	else
		close_all(w, &bytes);
	buf_release(&w->sparse);
	buf_release(&w->blk);
	free(w);
}
