/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * merge.c - merging segments, and the policy that picks them.
 *
 * A merge reads adjacent segments (in item order) and writes one new
 * segment holding their live documents, renumbered in the same order, so
 * that a segment's documents stay in item ID order.  Deleted documents are
 * left out: this is where they stop counting in the collection
 * statistics.  The dictionaries are walked together (a k-way merge of
 * sorted keys); each key's postings are concatenated in input order.
 *
 * The policy (merge_pick) is tiered like Lucene's log merge policy over
 * adjacent segments: a segment's tier is its size in documents on a scale
 * of MERGE_FACTOR; the first run of MERGE_FACTOR adjacent segments of
 * tier t merges, trying t = 0, 1, 2...  New segments come at the end (the
 * newest items), so small ones gather there; a small one left between
 * big ones by a rewrite waits for the next optimize.  A segment with more than a fifth of its
 * documents deleted is rewritten on its own.  So an ingest of N documents
 * in batches keeps O(log N) segments, and each document is rewritten
 * O(log N) times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "merge.h"
#include "banned.h"

static int is_deleted(const uint8_t *del, uint32_t d)
{
	return del && (del[d >> 3] >> (d & 7)) & 1;
}

struct merger {
	const struct segment *in;
	const uint8_t *const *del;
	size_t n;
	uint32_t **map;          /* per input: old doc -> new doc or DOC_END */
	uint64_t *item, *size;
	int64_t *date;
	uint32_t *from;
	uint8_t *kind, *flags, *norm[FLD_NTEXT];
	struct seg_docs sd;
	/* one key's merged list */
	uint32_t *docs, *tfs, *pos;
	size_t cdocs, cpos;
	struct buf posbuf;
};

static int build_docs(struct merger *m)
{
	uint32_t total = 0, k = 0;

	for (size_t i = 0; i < m->n; i++)
		total += m->in[i].ndocs;
	m->map = calloc(m->n, sizeof(*m->map));
	m->item = malloc((total + 1) * sizeof(*m->item));
	m->size = malloc((total + 1) * sizeof(*m->size));
	m->date = malloc((total + 1) * sizeof(*m->date));
	m->from = malloc((total + 1) * sizeof(*m->from));
	m->kind = malloc(total + 1);
	m->flags = malloc(total + 1);
	if (!m->map || !m->item || !m->size || !m->date || !m->from ||
	    !m->kind || !m->flags)
		return -1;
	for (int f = 0; f < FLD_NTEXT; f++)
		if (!(m->norm[f] = malloc(total + 1)))
			return -1;
	for (size_t i = 0; i < m->n; i++) {
		const struct segment *s = &m->in[i];

		if (!(m->map[i] = malloc(((size_t)s->ndocs + 1) * 4)))
			return -1;
		for (uint32_t d = 0; d < s->ndocs; d++) {
			if (is_deleted(m->del ? m->del[i] : NULL, d)) {
				m->map[i][d] = DOC_END;
				continue;
			}
			m->map[i][d] = k;
			m->item[k] = seg_item(s, d);
			m->date[k] = seg_date(s, d);
			m->size[k] = seg_size(s, d);
			m->from[k] = ((const uint32_t *)s->col[COL_FROM])[d];
			m->kind[k] = ((const uint8_t *)s->col[COL_KIND])[d];
			m->flags[k] = ((const uint8_t *)s->col[COL_FLAGS])[d];
			for (int f = 0; f < FLD_NTEXT; f++)
				m->norm[f][k] = seg_norm(s, f, d);
			k++;
		}
	}
	m->sd = (struct seg_docs){ .ndocs = k, .item = m->item,
				   .size = m->size, .date = m->date,
				   .from = m->from, .kind = m->kind,
				   .flags = m->flags };
	for (int f = 0; f < FLD_NTEXT; f++)
		m->sd.norm[f] = m->norm[f];
	return 0;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 256;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if (!(q = realloc(*p, c * size)))
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Appends input i's postings of one key, renumbered, to the merged list.
 * 0, -1 corrupt, -2 out of memory. */
static int append_list(struct merger *m, size_t i, const uint8_t *key,
		       const struct term_info *ti, uint32_t *df)
{
	struct postings pc;
	int pos = field_has_pos(key[0]);
	size_t c = m->cdocs;

	if (grow((void **)&m->docs, &c, *df + ti->df, 4))
		return -2;
	c = m->cdocs;
	if (grow((void **)&m->tfs, &c, *df + ti->df, 4))
		return -2;
	m->cdocs = c;
	postings_init(&pc, &m->in[i], key[0], ti);
	for (uint32_t d = postings_next(&pc); d != DOC_END;
	     d = postings_next(&pc)) {
		uint32_t nd = m->map[i][d], tf = postings_tf(&pc);

		if (nd == DOC_END)
			continue;
		m->docs[*df] = nd;
		m->tfs[(*df)++] = tf;
		if (field_is_text(key[0]))
			m->sd.sum_len[key[0]] += tf;
		if (!pos)
			continue;
		if (grow((void **)&m->pos, &m->cpos, tf, 4))
			return -2;
		if (postings_positions(&pc, m->pos))
			return -1;
		for (uint32_t k = 0, prev = 0; k < tf; k++) {
			uint8_t v[10];

			buf_append(&m->posbuf, v, varint_put(v, m->pos[k] - prev));
			prev = m->pos[k];
		}
	}
	if (pc.corrupt)
		return -1;
	return m->posbuf.err ? -2 : 0;
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

/* Whether segment s has the exact key of stem key key: 1, 0, -1 corrupt. */
static int exact_in(const struct segment *s, const uint8_t *key, size_t klen)
{
	uint8_t k[DOCTERMS_MAX_KEY];
	struct term_info ti;

	memcpy(k, key, klen);
	k[0] -= FLD_STEM;
	return segment_lookup(s, k, klen, &ti);
}

/*
 * The k-way merge of the dictionaries.  A stem key whose list is an alias
 * of its exact key's in every input that has it, in inputs that have
 * neither, stays an alias: the merged lists are then the same.
 */
static trawl_status merge_terms(struct merger *m, struct seg_writer *w,
				char *err, size_t errlen)
{
	struct seg_dict_iter *it = calloc(m->n, sizeof(*it));
	struct term_info *ti = calloc(m->n, sizeof(*ti));
	int *live = calloc(m->n, sizeof(*live));
	trawl_status st = TRAWL_OK;

	if (!it || !ti || !live) {
		st = TRAWL_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < m->n; i++) {
		seg_dict_iter_init(&it[i], &m->in[i]);
		live[i] = seg_dict_iter_next(&it[i], &ti[i]);
	}
	for (;;) {
		const uint8_t *min = NULL;
		size_t mlen = 0;
		uint8_t key[DOCTERMS_MAX_KEY];
		uint32_t df = 0;
		int alias;

		for (size_t i = 0; i < m->n; i++) {
			if (live[i] < 0) {
				snprintf(err, errlen, "merging: segment %llu "
					 "is corrupt",
					 (unsigned long long)m->in[i].id);
				st = TRAWL_ERR_CORRUPT;
				goto out;
			}
			if (live[i] && (!min || key_cmp(it[i].key, it[i].klen,
							min, mlen) < 0)) {
				min = it[i].key;
				mlen = it[i].klen;
			}
		}
		if (!min)
			break;
		memcpy(key, min, mlen);
		buf_reset(&m->posbuf);
		alias = key[0] >= FLD_STEM && key[0] < FLD_STEM + FLD_NTEXT;
		for (size_t i = 0; i < m->n; i++) {
			int r;

			if (!live[i] || key_cmp(it[i].key, it[i].klen, key,
						mlen)) {
				/* an input without the stem: still an alias
				 * if it has no exact key of that text either */
				if (alias && (r = exact_in(&m->in[i], key,
							   mlen)) != 0) {
					alias = 0;
					if (r < 0) {
						snprintf(err, errlen, "merging: "
							 "segment %llu is "
							 "corrupt",
							 (unsigned long long)
							 m->in[i].id);
						st = TRAWL_ERR_CORRUPT;
						goto out;
					}
				}
				continue;
			}
			if (!ti[i].alias)
				alias = 0;
			r = append_list(m, i, key, &ti[i], &df);
			if (r) {
				st = r == -1 ? TRAWL_ERR_CORRUPT
					     : TRAWL_ERR_NOMEM;
				snprintf(err, errlen, "merging segment %llu: %s",
					 (unsigned long long)m->in[i].id,
					 trawl_status_str(st));
				goto out;
			}
			live[i] = seg_dict_iter_next(&it[i], &ti[i]);
		}
		if (df && alias)
			st = seg_writer_add_alias(w, key, mlen, df, m->docs,
						  m->tfs);
		else if (df)
			st = seg_writer_add(w, key, mlen, df, m->docs, m->tfs,
					    (const uint8_t *)m->posbuf.data,
					    m->posbuf.len);
		if (st) {
			snprintf(err, errlen, "merging: %s",
				 trawl_status_str(st));
			goto out;
		}
	}
out:
	free(it);
	free(ti);
	free(live);
	return st;
}

static void merger_release(struct merger *m)
{
	if (m->map)
		for (size_t i = 0; i < m->n; i++)
			free(m->map[i]);
	free(m->map);
	free(m->item);
	free(m->size);
	free(m->date);
	free(m->from);
	free(m->kind);
	free(m->flags);
	for (int f = 0; f < FLD_NTEXT; f++)
		free(m->norm[f]);
	free(m->docs);
	free(m->tfs);
	free(m->pos);
	buf_release(&m->posbuf);
}

trawl_status segments_merge(const struct segment *in,
			    const uint8_t *const *del, size_t n, int dirfd,
			    uint64_t id, struct seg_info *info, char *err,
			    size_t errlen)
{
	struct merger m = { .in = in, .del = del, .n = n };
	struct seg_writer *w = NULL;
	trawl_status st;

	buf_init(&m.posbuf, (size_t)1 << 32);
	if (build_docs(&m)) {
		merger_release(&m);
		snprintf(err, errlen, "merging: out of memory");
		return TRAWL_ERR_NOMEM;
	}
	st = seg_writer_open(&w, dirfd, id, &m.sd, err, errlen);
	if (!st)
		st = merge_terms(&m, w, err, errlen);
	if (st)
		seg_writer_abort(w);
	else
		st = seg_writer_finish(w, dirfd, info, err, errlen);
	merger_release(&m);
	return st;
}

/* ------------------------------------------------------------------ */
/* policy */

static int tier(uint64_t ndocs)
{
	int t = 0;

	while (ndocs >= MERGE_MIN_DOCS) {
		ndocs /= MERGE_FACTOR;
		t++;
	}
	return t;
}

int merge_pick(const struct merge_cand *c, size_t n, size_t *first,
	       size_t *count)
{
	int high = 0;

	/* a segment with many deletions is rewritten alone */
	for (size_t i = 0; i < n; i++) {
		if (c[i].ndocs && c[i].ndeleted * 5 > c[i].ndocs) {
			*first = i;
			*count = 1;
			return 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (tier(c[i].ndocs) > high)
			high = tier(c[i].ndocs);
	/* from the lowest tier up: the first run of MERGE_FACTOR adjacent
	 * segments of that tier (a big segment is not rewritten to absorb
	 * small ones) */
	for (int t = 0; t <= high; t++) {
		for (size_t i = 0, run = 0; i < n; i++) {
			run = tier(c[i].ndocs) == t ? run + 1 : 0;
			if (run == MERGE_FACTOR) {
				*first = i + 1 - run;
				*count = run;
				return 1;
			}
		}
	}
	return 0;
}
