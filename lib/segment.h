/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * segment.h - immutable index segments: writing (from the inverter) and
 * reading (mmap'd, validated before use).  The byte layout is described at
 * the top of segment.c and in docs/FORMAT.md.
 */
#ifndef TRAWL_SEGMENT_H
#define TRAWL_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "index.h"
#include "trawl.h"

/* Format 2 added stem entries that share their exact key's list (the
 * dictionary's aliases); format 3 PFOR blocks, shorter skip entries and
 * tails, and keyword entries without frequency bounds.  This trawl reads
 * format 3 only: an older index is refused with "run `trawl reindex`". */
#define SEG_FORMAT_VERSION 3u
#define SEG_FORMAT_MIN 3u
#define SEG_BLOCK 128
#define SEG_DICT_BLOCK 32     /* terms per dictionary block */
#define SEG_IMPACTS 4         /* (tf, norm) pairs per skip entry */
#define SEG_SKIP_ENTRY 20     /* bytes of one skip entry */
#define SEG_IMPACT_TF_MAX 255 /* a skip entry's tf byte: this or more */
#define SEG_HEADER 24
#define SEG_FOOTER 16
#define DOC_END UINT32_MAX

enum seg_file { SEG_DIC, SEG_PST, SEG_POS, SEG_DVS, SEG_NFILES };

/* Doc value columns. */
enum seg_col {
	COL_ITEM = 0,  /* u64 item ID */
	COL_DATE,      /* i64 UTC seconds */
	COL_SIZE,      /* u64 bytes */
	COL_FROM,      /* u32 address ID of the first From (0: none) */
	COL_KIND,      /* u8 trawl_kind */
	COL_FLAGS,     /* u8 DV_FLAG_* */
	COL_NORM0,     /* u8 length norm of text field 0; COL_NORM0 + f */
	COL_MAX = COL_NORM0 + FLD_NTEXT,
};
#define DV_FLAG_DATE_GUESSED 1u

/* Per-document values handed to the inverter with its doc terms. */
struct doc_meta {
	uint64_t item;
	int64_t date;
	uint64_t size;
	uint32_t from_addr;
	uint8_t kind, flags;
};

/* File name of one file of a segment ("seg-000001.dic"), in out. */
void seg_file_name(uint64_t id, int file, char out[32]);
/* 1 when name is a segment file name (any extension), with its id. */
int seg_parse_name(const char *name, uint64_t *id);

/* ---- writing: the in-memory inverter ---- */

struct inverter;

struct inverter *inverter_new(void);
void inverter_free(struct inverter *iv);
/*
 * Adds one document.  terms is a doc terms record (index.h) from a worker;
 * it is validated first, and when malformed the document is added without
 * terms and TRAWL_ERR_CORRUPT is returned (the caller records a warning).
 */
trawl_status inverter_add(struct inverter *iv, const struct doc_meta *m,
			  const void *terms, size_t len);
uint32_t inverter_docs(const struct inverter *iv);
/* Bytes of memory the inverter holds (for the flush budget). */
size_t inverter_bytes(const struct inverter *iv);
/* From how many keys a flush writes them with two threads (default
 * 65,536; SIZE_MAX: never).  The bytes written are the same either way;
 * tests set it to compare the two. */
void inverter_set_split(struct inverter *iv, size_t min_keys);

struct seg_info {
	uint64_t id;
	uint32_t ndocs;
	uint64_t min_item, max_item;
	uint64_t bytes; /* all files */
};
/*
 * Writes the documents added so far as segment `id` in the directory dirfd
 * (each file written, fsynced), then empties the inverter.  On failure the
 * files may exist and are swept as unreferenced; err says why.
 */
trawl_status inverter_flush(struct inverter *iv, int dirfd, uint64_t id,
			    struct seg_info *info, char *err, size_t errlen);

/* ---- writing a segment, a term at a time (segwrite.c) ---- */

/* The doc values of the segment being written (arrays of ndocs). */
struct seg_docs {
	uint32_t ndocs;
	const uint64_t *item, *size;
	const int64_t *date;
	const uint32_t *from;
	const uint8_t *kind, *flags, *norm[FLD_NTEXT];
	uint64_t sum_len[FLD_NTEXT]; /* sum of each text field's lengths */
};

struct seg_writer;

/* Creates the files of segment id in dirfd.  docs must stay valid until
 * seg_writer_finish.  On failure *w is set for seg_writer_abort. */
trawl_status seg_writer_open(struct seg_writer **w, int dirfd, uint64_t id,
			     const struct seg_docs *docs, char *err,
			     size_t errlen);
/* Adds one key (keys in increasing order) with its df documents
 * (ascending), their frequencies and, for text fields, their positions:
 * for each doc, tf varints (the first position, then differences). */
trawl_status seg_writer_add(struct seg_writer *w, const uint8_t *key,
			    size_t klen, uint32_t df, const uint32_t *docs,
			    const uint32_t *tfs, const uint8_t *pos,
			    size_t pos_len);
/* Adds a stem key (field FLD_STEM + f) whose documents and frequencies
 * are exactly those of the exact key of the same text in field f, added
 * before: the dictionary points the stem at that list (an alias) instead
 * of writing it twice. */
trawl_status seg_writer_add_alias(struct seg_writer *w, const uint8_t *key,
				  size_t klen, uint32_t df,
				  const uint32_t *docs, const uint32_t *tfs);
/* Writes the dictionary's index and the doc values, fsyncs every file
 * and the directory, and frees w. */
trawl_status seg_writer_finish(struct seg_writer *w, int dirfd,
			       struct seg_info *info, char *err,
			       size_t errlen);
/* Closes and frees w after a failure (the files stay, for the sweep). */
void seg_writer_abort(struct seg_writer *w);
/*
 * A part: a writer of a run of keys into memory, no files, so that two
 * threads can write the two halves of a segment's keys at once.  Its
 * keys must all sort after the writer's it is appended to, and the
 * writer must have ended a dictionary block (a multiple of
 * SEG_DICT_BLOCK keys).  seg_writer_append adds the part's bytes to w,
 * exactly as if w had been given its keys, and frees the part (also on
 * failure); a part that failed is dropped with seg_writer_abort.
 */
trawl_status seg_writer_open_part(struct seg_writer **part,
				  const struct seg_docs *docs);
trawl_status seg_writer_append(struct seg_writer *w,
			       struct seg_writer *part);

/* ---- reading ---- */

struct seg_map {
	const uint8_t *p; /* whole file */
	size_t n;
};

struct segment {
	uint64_t id;
	uint32_t version;  /* the .dic's format version */
	uint32_t ndocs;
	uint64_t nterms;
	uint64_t sum_len[FLD_NTEXT];
	uint64_t min_item, max_item;
	struct seg_map f[SEG_NFILES];
	uint32_t nblocks;
	const uint8_t **sparse; /* nblocks entries into f[SEG_DIC] */
	const void *col[COL_MAX];
};

/* Opens, maps and validates (checksums included, unless verify is 0: the
 * fuzz target) segment id in dirfd.  TRAWL_ERR_CORRUPT or _VERSION with
 * err saying which file and what. */
trawl_status segment_open(struct segment *s, int dirfd, uint64_t id,
			  int verify, char *err, size_t errlen);
void segment_close(struct segment *s);
/* The same on files in memory (tests, fuzzing): bufs[SEG_NFILES]. */
trawl_status segment_open_mem(struct segment *s, uint64_t id,
			      const struct seg_map bufs[SEG_NFILES],
			      int verify, char *err, size_t errlen);

static inline uint64_t seg_item(const struct segment *s, uint32_t doc)
{
	return ((const uint64_t *)s->col[COL_ITEM])[doc];
}
static inline int64_t seg_date(const struct segment *s, uint32_t doc)
{
	return ((const int64_t *)s->col[COL_DATE])[doc];
}
static inline uint64_t seg_size(const struct segment *s, uint32_t doc)
{
	return ((const uint64_t *)s->col[COL_SIZE])[doc];
}
static inline uint8_t seg_norm(const struct segment *s, int field,
			       uint32_t doc)
{
	return ((const uint8_t *)s->col[COL_NORM0 + field])[doc];
}

/* What the dictionary says about one term. */
struct term_info {
	uint32_t df;
	uint32_t max_tf;   /* over the whole list */
	uint8_t min_norm;  /* over the whole list */
	uint8_t alias;     /* a stem key whose list is its exact key's: the
			    * offsets are that key's (same documents and
			    * frequencies; its positions are not the stem's) */
	uint64_t post_off, post_len, pos_off, pos_len;
};
/* 1 found, 0 absent, -1 corrupt. */
int segment_lookup(const struct segment *s, const uint8_t *key, size_t klen,
		   struct term_info *ti);

/* A cursor over the whole dictionary, in key order. */
struct seg_dict_iter {
	const struct segment *s;
	const uint8_t *p, *end;
	uint32_t block, left;   /* entries left in the block */
	uint64_t post, pos;     /* offsets of the next entry */
	uint8_t key[DOCTERMS_MAX_KEY]; /* the current key */
	size_t klen;
};
void seg_dict_iter_init(struct seg_dict_iter *it, const struct segment *s);
/* Starts at the dictionary block where key would be: the keys that
 * follow include every key >= key (and some smaller ones first). */
void seg_dict_iter_seek(struct seg_dict_iter *it, const struct segment *s,
			const uint8_t *key, size_t klen);
/* 1 = the next key in it->key with its info; 0 = end; -1 = corrupt. */
int seg_dict_iter_next(struct seg_dict_iter *it, struct term_info *ti);

/* Walks the keys >= from that start with prefix (in key order): calls cb
 * for each; cb returns nonzero to stop.  0, or -1 corrupt. */
typedef int (*seg_term_cb)(void *ctx, const uint8_t *key, size_t klen,
			   const struct term_info *ti);
int segment_terms(const struct segment *s, const uint8_t *prefix, size_t plen,
		  seg_term_cb cb, void *ctx);

/* A cursor over one postings list. */
struct postings {
	const struct segment *seg;
	struct term_info ti;
	int field;           /* key's field byte */
	const uint8_t *list, *list_end, *skip, *cur;
	uint32_t nfull;      /* full blocks */
	uint32_t block;      /* index of the loaded block */
	uint32_t docs[SEG_BLOCK], tfs[SEG_BLOCK];
	uint32_t n, i;       /* docs in the loaded block, index of current */
	uint32_t doc;        /* current, or DOC_END */
	uint32_t prev_last;  /* last doc of the block before */
	int corrupt;
	/* positions */
	const uint8_t *pos_block; /* positions of docs[0] of the loaded block */
	const uint8_t *pos_end;   /* the end of the list's positions */
	uint32_t pos_i;      /* doc index pos_cur stands at */
	const uint8_t *pos_cur;
	uint64_t tf_before[SEG_BLOCK]; /* positions before each doc (once
					* pos_block is set) */
};

/* Positions the cursor before the first doc (call postings_next). */
void postings_init(struct postings *pc, const struct segment *s, int field,
		   const struct term_info *ti);
/* Moves to the next doc; returns it or DOC_END.  The common case (the
 * next doc of the loaded block) is inline. */
uint32_t postings_next_block(struct postings *pc);
static inline uint32_t postings_next(struct postings *pc)
{
	if (pc->block != UINT32_MAX && pc->i + 1 < pc->n) {
		pc->i++;
		return pc->doc = pc->docs[pc->i];
	}
	return postings_next_block(pc);
}
/* Moves to the first doc >= target (target > current).  The common case
 * (a doc of the loaded block: n is 0 before the first block, at the end
 * and when corrupt) is inline. */
uint32_t postings_advance_block(struct postings *pc, uint32_t target);
static inline uint32_t postings_advance(struct postings *pc, uint32_t target)
{
	if (pc->n && pc->docs[pc->n - 1] >= target) {
		uint32_t i = pc->i;

		while (pc->docs[i] < target)
			i++;
		pc->i = i;
		return pc->doc = pc->docs[i];
	}
	return postings_advance_block(pc, target);
}
static inline uint32_t postings_tf(const struct postings *pc)
{
	return pc->tfs[pc->i];
}
/* Decodes the current doc's positions into out (room for tf). 0 or -1. */
int postings_positions(struct postings *pc, uint32_t *out);
/* The current doc's positions, read one at a time (a phrase match may
 * stop early).  Valid while the cursor stays on the doc. */
struct pos_reader {
	struct postings *pc;
	const uint8_t *p, *end;
	uint32_t tf, left;   /* positions of the doc, and not read yet */
	uint32_t prev;       /* the last one read (0 before the first) */
};
/* Skips k varints, 1 <= k <= 8, from p when the eight bytes there hold
 * them: the ends (bytes below 0x80) are counted by one multiply, which
 * sums their 0/1 flags into every byte as prefix counts (little-endian:
 * p[0] is the low byte; at most 8: no carry); the first byte whose count
 * reaches k gets bit 7 set by adding 0x80 - k.  NULL when the eight bytes
 * do not hold k ends. */
static inline const uint8_t *pos_skip8(const uint8_t *p, const uint8_t *end,
				       uint64_t k)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t w, c;

	if (end - p < 8)
		return NULL;
	memcpy(&w, p, 8);
	c = ((~w & 0x8080808080808080ull) >> 7) * ones;
	if (c >> 56 < k)
		return NULL;
	c = (c + (0x80 - k) * ones) & 0x8080808080808080ull;
	return p + __builtin_ctzll(c) / 8 + 1;
}
/* Skips k varints from p, eight bytes at a time (pos_skip8 for the
 * word that holds the last end); NULL when the list ends first. */
static inline const uint8_t *skip_varints(const uint8_t *p,
					  const uint8_t *end, uint64_t k)
{
	if (!k)
		return p;
	while (end - p >= 8) {
		uint64_t w, ends;

		memcpy(&w, p, 8);
		ends = (((~w & 0x8080808080808080ull) >> 7) *
			0x0101010101010101ull) >> 56;
		if (ends >= k)
			return pos_skip8(p, end, k);
		k -= ends;
		p += 8;
	}
	while (k) {
		if (p >= end)
			return NULL;
		k -= !(*p++ & 0x80);
	}
	return p;
}

/* Opens r on the current doc's positions: 0, or -1 (no positions, or
 * corrupt: the cursor is marked).  The common case, the block's
 * positions open and the cursor at or past the doc that opened last, is
 * inline. */
int postings_pos_open_slow(struct postings *pc, struct pos_reader *r);
static inline int postings_pos_open(struct postings *pc, struct pos_reader *r)
{
	const uint8_t *p = pc->pos_cur;
	uint64_t k;

	if (!pc->pos_block || pc->i >= pc->n || pc->pos_i > pc->i)
		return postings_pos_open_slow(pc, r);
	k = pc->tf_before[pc->i] - pc->tf_before[pc->pos_i];
	if (k && !(p = skip_varints(p, pc->pos_end, k)))
		return postings_pos_open_slow(pc, r);
	pc->pos_cur = p;
	pc->pos_i = pc->i;
	r->pc = pc;
	r->p = p;
	r->end = pc->pos_end;
	r->tf = r->left = pc->tfs[pc->i];
	r->prev = 0;
	return 0;
}
/* Reads the next position into *pos: 1, 0 when none is left, -1 when
 * corrupt (the cursor is marked).  The common case, a one-byte gap, is
 * inline; a gap is 0 only before the first position. */
int pos_reader_next_slow(struct pos_reader *r, uint32_t *pos);
static inline int pos_reader_next(struct pos_reader *r, uint32_t *pos)
{
	if (r->left && r->p < r->end) {
		uint32_t v = *r->p;

		if (v < 0x80 && (v || r->left == r->tf) &&
		    v <= UINT32_MAX - r->prev) {
			r->p++;
			r->left--;
			*pos = r->prev += v;
			return 1;
		}
	}
	return pos_reader_next_slow(r, pos);
}
/* Block-max data of the block holding doc d: its last doc, and (tf,
 * norm) pairs such that every doc of the block has a tf no larger and a
 * norm no smaller than one of them.  For the tail: the list's max tf and
 * min norm, last = DOC_END. */
struct block_impacts {
	uint32_t last;
	int n;
	uint32_t tf[SEG_IMPACTS];
	uint8_t norm[SEG_IMPACTS];
};
void postings_block_impacts(struct postings *pc, uint32_t d,
			    struct block_impacts *bi);

#endif
