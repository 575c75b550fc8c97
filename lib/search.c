/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * search.c - the searcher: live segments, query preparation, evaluation.
 *
 * A search runs in two steps.  Preparation turns the query tree into a
 * tree of prepared nodes with collection statistics (document frequencies
 * summed over the live segments, so a score does not depend on how the
 * index is cut into segments) and expands prefixes.  Evaluation then walks
 * each segment with a tree of iterators, document at a time: every
 * iterator stands on its current document and moves forward only (next,
 * advance to a target).  Every match is counted; the top offset + limit by
 * the chosen order are kept in a heap.  Four query shapes have their own
 * way, a term (or field) at a time into per-document accumulators and
 * bitmaps, where the walk would do the same work many times over: one
 * term (run_term), a flat OR of terms (run_terms), a flat AND of common
 * terms ranked by relevance (run_terms too) and one phrase (run_phrase).
 */
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bounds.h"
#include "codec.h"
#include "internal.h"
#include "query.h"
#include "score.h"
#include "search-internal.h"
#include "segment.h"
#include "threadmap.h"
#include "banned.h"

struct trawl_searcher {
	trawl_archive *a;
	int dirfd;
	double *acc;    /* run_term's accumulators and marks, reused */
	uint64_t *mark;
	double *tot;    /* run_terms': sums over terms, docs touched */
	uint64_t *any;
	uint32_t *touched;
	size_t cacc;    /* entries of acc, tot, touched */
	struct threadmap threads; /* item -> thread, as of the last commit */
	struct segment *segs;
	uint8_t **del;  /* per segment: deletion bitmap, or NULL */
	uint64_t **copies; /* per segment: the docs whose mail has copies
			    * (bit d), made on first use (copy_bits) */
	uint64_t **kinds;  /* per segment: the docs of the kinds in
			    * kmask[i] (bit d), made on use (kind_bits) */
	unsigned *kmask;
	size_t nsegs;
	uint64_t ndocs;
	uint64_t max_item; /* the largest item ID in a live segment */
	struct bm25_stats stats;
	struct buf err;
};

#define sfail searcher_fail

trawl_status searcher_fail(trawl_searcher *s, trawl_status st,
			   const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_reset(&s->err);
	buf_puts(&s->err, tmp);
	return st;
}

const char *trawl_searcher_errmsg(const trawl_searcher *s)
{
	return s && s->err.data ? s->err.data : "";
}

uint64_t trawl_searcher_docs(const trawl_searcher *s)
{
	return s->ndocs;
}

/* ------------------------------------------------------------------ */
/* opening */

static void free_segments(struct segment *segs, uint8_t **del, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		segment_close(&segs[i]);
		free(del[i]);
	}
	free(segs);
	free(del);
}

static void close_segments(trawl_searcher *s)
{
	for (size_t i = 0; i < s->nsegs; i++) {
		if (s->copies)
			free(s->copies[i]);
		if (s->kinds)
			free(s->kinds[i]);
	}
	free(s->copies);
	free(s->kinds);
	free(s->kmask);
	s->copies = s->kinds = NULL;
	s->kmask = NULL;
	free_segments(s->segs, s->del, s->nsegs);
	s->segs = NULL;
	s->del = NULL;
	s->nsegs = 0;
}

/* A copy of a deletion bitmap that covers ndocs, or NULL (none, or bad:
 * *bad set). */
static uint8_t *copy_bitmap(sqlite3_stmt *q, int col, uint32_t ndocs,
			    int *bad)
{
	const void *d = sqlite3_column_blob(q, col);
	size_t n = (size_t)sqlite3_column_bytes(q, col), want = (ndocs + 7) / 8;
	uint8_t *b;

	*bad = 0;
	if (!d || !n)
		return NULL;
	if (n != want) {
		*bad = 1;
		return NULL;
	}
	if ((b = malloc(n)))
		memcpy(b, d, n);
	else
		*bad = 2;
	return b;
}

/* Maps the thread map the database names now, unless it is mapped
 * already.  No map yet (an archive still being ingested): none. */
static trawl_status load_threads(trawl_searcher *s)
{
	sqlite3_stmt *q = NULL;
	struct threadmap m;
	char err[512];
	int64_t gen = 0;
	trawl_status st;

	if ((st = db_prepare(s->a, "SELECT CAST(value AS INTEGER) FROM meta "
			     "WHERE key = 'threads_map'", &q)))
		return sfail(s, st, "%s", trawl_archive_errmsg(s->a));
	if (sqlite3_step(q) == SQLITE_ROW)
		gen = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (gen <= 0 || (uint64_t)gen == s->threads.gen)
		return TRAWL_OK;
	if ((st = threadmap_open(&m, s->dirfd, (uint64_t)gen, err,
				 sizeof(err))))
		return sfail(s, st, "%s/index: %s", s->a->dir, err);
	threadmap_close(&s->threads);
	s->threads = m;
	return TRAWL_OK;
}

/* A segment the searcher has open already is taken over as it is
 * (segments never change): a refresh only opens and checks new ones.
 * The old slot is emptied and *from says which it was (SIZE_MAX: opened
 * now); give_back undoes it when the load fails. */
static trawl_status reuse_or_open(trawl_searcher *s, struct segment *out,
				  uint64_t id, size_t *from, char *err,
				  size_t errlen)
{
	*from = SIZE_MAX;
	for (size_t i = 0; i < s->nsegs; i++) {
		if (s->segs[i].id == id && s->segs[i].f[0].p) {
			*out = s->segs[i];
			memset(&s->segs[i], 0, sizeof(s->segs[i]));
			*from = i;
			return TRAWL_OK;
		}
	}
	return segment_open(out, s->dirfd, id, 1, err, errlen);
}

/* Puts each reused segment back in the very slot it came from (where the
 * searcher's deletion bitmaps and caches for it still are); the segments
 * opened now stay in segs, for the caller to close. */
static void give_back(trawl_searcher *s, struct segment *segs,
		      const size_t *from, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (from[k] != SIZE_MAX && from[k] < s->nsegs) {
			s->segs[from[k]] = segs[k];
			memset(&segs[k], 0, sizeof(segs[k]));
		}
}

/* Opens the live segments as the database lists them now (one read
 * transaction: a consistent commit).  TRAWL_ERR_NOT_FOUND when a file
 * went away meanwhile (a merge committed): the caller reads again. */
static trawl_status try_load(trawl_searcher *s)
{
	sqlite3_stmt *q = NULL;
	uint64_t sum[FLD_NTEXT] = { 0 };
	trawl_status st;
	size_t n = 0, cap = 0, *from = NULL;
	struct segment *segs = NULL;
	uint8_t **del = NULL;
	int rc;

	if ((st = db_prepare(s->a, "SELECT id, deleted FROM segments "
			     "ORDER BY min_item", &q)))
		return sfail(s, st, "%s", trawl_archive_errmsg(s->a));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char err[512];
		uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
		int bad;

		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct segment *p = realloc(segs, nc * sizeof(*p));
			uint8_t **d = p ? realloc(del, nc * sizeof(*d)) : NULL;
			size_t *f = d ? realloc(from, nc * sizeof(*f)) : NULL;

			if (p)
				segs = p;
			if (d)
				del = d;
			if (f)
				from = f;
			if (!p || !d || !f) {
				st = sfail(s, TRAWL_ERR_NOMEM, "out of memory");
				break;
			}
			cap = nc;
		}
		st = reuse_or_open(s, &segs[n], id, &from[n], err,
				   sizeof(err));
		if (st) {
			sfail(s, st, "%s/index: %s", s->a->dir, err);
			break;
		}
		del[n] = copy_bitmap(q, 1, segs[n].ndocs, &bad);
		n++;
		if (bad) {
			st = sfail(s, bad == 2 ? TRAWL_ERR_NOMEM
					       : TRAWL_ERR_CORRUPT,
				   "index segment %llu: bad deletion bitmap",
				   (unsigned long long)id);
			break;
		}
	}
	if (!st && rc != SQLITE_DONE)
		st = sfail(s, TRAWL_ERR_DB, "reading the segment list: %s",
			   sqlite3_errmsg(s->a->db));
	sqlite3_finalize(q);
	if (!st)
		st = load_threads(s);
	if (st) {
		give_back(s, segs, from, n);
		free_segments(segs, del, n);
		free(from);
		return st;
	}
	free(from);
	close_segments(s);
	s->segs = segs;
	s->del = del;
	s->nsegs = n;
	/* NULL: none (the callers walk every document instead) */
	s->copies = calloc(n ? n : 1, sizeof(*s->copies));
	s->kinds = calloc(n ? n : 1, sizeof(*s->kinds));
	s->kmask = calloc(n ? n : 1, sizeof(*s->kmask));
	s->ndocs = 0;
	s->max_item = 0;
	for (size_t i = 0; i < n; i++) {
		s->ndocs += segs[i].ndocs;
		if (segs[i].max_item > s->max_item)
			s->max_item = segs[i].max_item;
		for (int f = 0; f < FLD_NTEXT; f++)
			sum[f] += segs[i].sum_len[f];
	}
	bm25_stats_init(&s->stats, s->ndocs, sum);
	return TRAWL_OK;
}

static trawl_status load_segments(trawl_searcher *s)
{
	trawl_status st = TRAWL_ERR_NOT_FOUND;

	for (int tries = 0; tries < 5 && st == TRAWL_ERR_NOT_FOUND; tries++) {
		/* one read transaction: the segments and the thread map of
		 * one commit */
		int txn = sqlite3_get_autocommit(s->a->db) &&
			  sqlite3_exec(s->a->db, "BEGIN", NULL, NULL, NULL) ==
				  SQLITE_OK;

		st = try_load(s);
		if (txn)
			sqlite3_exec(s->a->db, "COMMIT", NULL, NULL, NULL);
	}
	/* still missing: not a merge's race but a damaged archive */
	if (st == TRAWL_ERR_NOT_FOUND) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", trawl_searcher_errmsg(s));
		st = sfail(s, TRAWL_ERR_CORRUPT, "%s (a live segment's file is "
			   "missing; `trawl reindex` rebuilds the index)", msg);
	}
	return st;
}

trawl_status trawl_searcher_open(trawl_archive *a, trawl_searcher **out)
{
	trawl_searcher *s = calloc(1, sizeof(*s));

	*out = s;
	if (!s)
		return TRAWL_ERR_NOMEM;
	s->a = a;
	buf_init(&s->err, 4096);
	s->dirfd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return sfail(s, TRAWL_ERR_NOT_FOUND, "%s: no index (%m)",
			     a->indexdir);
	return load_segments(s);
}

trawl_status trawl_searcher_refresh(trawl_searcher *s)
{
	return load_segments(s);
}

void trawl_searcher_close(trawl_searcher *s)
{
	if (!s)
		return;
	close_segments(s);
	threadmap_close(&s->threads);
	free(s->acc);
	free(s->mark);
	free(s->tot);
	free(s->any);
	free(s->touched);
	if (s->dirfd >= 0)
		close(s->dirfd);
	buf_release(&s->err);
	free(s);
}

/* ------------------------------------------------------------------ */
/* preparation */

struct pnode {
	int type;              /* enum qtype; PREFIX becomes BOOL */
	unsigned fields;
	int stem;
	uint8_t key[DOCTERMS_MAX_KEY]; /* TERM, KEYWORD: [field] + text */
	size_t klen;
	/* TERM: what the dictionaries said, per segment and field (looked
	 * up once, for the statistics, and used again to open cursors) */
	struct term_info *tis;
	uint8_t *have;         /* 1 found, 0 absent */
	double idf;            /* TERM: its idf; PHRASE: the sum */
	uint8_t **pkeys;       /* PHRASE: [0] + term, per term */
	size_t *pklens, nterms;
	unsigned slop;
	int col;
	int64_t lo, hi;
	uint64_t *iset;        /* PATH: bit i - ilo for item i */
	uint64_t ilo, ihi;
	struct pnode **kids;
	int *occur;
	size_t nkids;
};

struct prep {
	trawl_searcher *s;
	size_t nodes;
	trawl_status st;
};

static void pnode_free(struct pnode *p)
{
	if (!p)
		return;
	free(p->tis);
	free(p->have);
	for (size_t i = 0; i < p->nterms; i++)
		free(p->pkeys[i]);
	free(p->pkeys);
	free(p->pklens);
	free(p->iset);
	for (size_t i = 0; i < p->nkids; i++)
		pnode_free(p->kids[i]);
	free(p->kids);
	free(p->occur);
	free(p);
}

/* Documents holding key, over every live segment. */
static uint64_t doc_freq(struct prep *pr, const uint8_t *key, size_t klen)
{
	uint64_t df = 0;

	for (size_t i = 0; i < pr->s->nsegs; i++) {
		struct term_info ti;
		int r = segment_lookup(&pr->s->segs[i], key, klen, &ti);

		if (r < 0)
			pr->st = sfail(pr->s, TRAWL_ERR_CORRUPT,
				       "index segment %llu: corrupt dictionary",
				       (unsigned long long)pr->s->segs[i].id);
		else if (r)
			df += ti.df;
	}
	return df;
}

/* The largest per-field document frequency of a term over a mask. */
static uint64_t term_df(struct prep *pr, uint8_t *key, size_t klen,
			unsigned fields, int stem)
{
	uint64_t best = 0;

	for (int f = 0; f < FLD_NTEXT; f++) {
		uint64_t df;

		if (!(fields & (1u << f)))
			continue;
		key[0] = (uint8_t)(f + (stem ? FLD_STEM : 0));
		df = doc_freq(pr, key, klen);
		if (df > best)
			best = df;
	}
	return best;
}

/* term_df for a TERM node, keeping each segment's answer in p. */
static uint64_t term_df_cached(struct prep *pr, struct pnode *p)
{
	size_t nsegs = pr->s->nsegs;
	uint64_t best = 0;
	uint8_t key[DOCTERMS_MAX_KEY];

	p->tis = calloc(nsegs * FLD_NTEXT + 1, sizeof(*p->tis));
	p->have = calloc(nsegs * FLD_NTEXT + 1, 1);
	if (!p->tis || !p->have) {
		pr->st = sfail(pr->s, TRAWL_ERR_NOMEM, "out of memory");
		return 0;
	}
	memcpy(key, p->key, p->klen);
	for (int f = 0; f < FLD_NTEXT; f++) {
		uint64_t df = 0;

		if (!(p->fields & (1u << f)))
			continue;
		key[0] = (uint8_t)(f + (p->stem ? FLD_STEM : 0));
		for (size_t i = 0; i < nsegs; i++) {
			struct term_info *ti = &p->tis[i * FLD_NTEXT + f];
			int r = segment_lookup(&pr->s->segs[i], key, p->klen,
					       ti);

			if (r < 0)
				pr->st = sfail(pr->s, TRAWL_ERR_CORRUPT,
					       "index segment %llu: corrupt "
					       "dictionary",
					       (unsigned long long)
						       pr->s->segs[i].id);
			else if (r)
				df += ti->df;
			p->have[i * FLD_NTEXT + f] = r > 0;
		}
		if (df > best)
			best = df;
	}
	return best;
}

static struct pnode *prepare(struct prep *pr, const trawl_query *q, int depth);

static int add_kid(struct pnode *b, struct pnode *k, int occur)
{
	struct pnode **kids = realloc(b->kids, (b->nkids + 1) * sizeof(*kids));
	int *oc;

	if (kids)
		b->kids = kids;
	oc = realloc(b->occur, (b->nkids + 1) * sizeof(*oc));
	if (oc)
		b->occur = oc;
	if (!kids || !oc)
		return -1;
	b->kids[b->nkids] = k;
	b->occur[b->nkids++] = occur;
	return 0;
}

struct expand {
	struct prep *pr;
	char **terms;
	/* per term: what each segment's dictionary said, per field, kept
	 * from the walk (the expansions' lookups, done once) */
	struct term_info **tis;
	uint8_t **have;
	size_t n, cap;
	GHashTable *seen;  /* term -> its index + 1 */
	int f;             /* the field and segment being walked */
	size_t si, nslots;
	int too_many, oom;
};

static int cmp_idx(const void *a, const void *b, void *ctx)
{
	char *const *t = ctx;

	return strcmp(t[*(const size_t *)a], t[*(const size_t *)b]);
}

static int on_prefix_term(void *ctx, const uint8_t *key, size_t klen,
			  const struct term_info *ti)
{
	struct expand *e = ctx;
	size_t idx;
	gpointer v;
	char *t;

	if (!(t = strndup((const char *)key + 1, klen - 1))) {
		e->oom = 1;
		return 1;
	}
	if ((v = g_hash_table_lookup(e->seen, t))) {
		free(t);
		idx = (size_t)GPOINTER_TO_SIZE(v) - 1;
		goto record;
	}
	if (e->n == TRAWL_MAX_PREFIX_TERMS) {
		free(t);
		e->too_many = 1;
		return 1;
	}
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 16;
		char **p = realloc(e->terms, nc * sizeof(*p));
		struct term_info **q = p ? realloc(e->tis, nc * sizeof(*q))
					 : NULL;
		uint8_t **h = q ? realloc(e->have, nc * sizeof(*h)) : NULL;

		if (p)
			e->terms = p;
		if (q)
			e->tis = q;
		if (h)
			e->have = h;
		if (!h) {
			free(t);
			e->oom = 1;
			return 1;
		}
		e->cap = nc;
	}
	idx = e->n;
	e->tis[idx] = calloc(e->nslots, sizeof(**e->tis));
	e->have[idx] = calloc(e->nslots, 1);
	e->terms[idx] = t;
	e->n++;
	if (!e->tis[idx] || !e->have[idx]) {
		e->oom = 1;
		return 1;
	}
	g_hash_table_insert(e->seen, t, GSIZE_TO_POINTER(idx + 1));
record:
	e->tis[idx][e->si * FLD_NTEXT + (size_t)e->f] = *ti;
	e->have[idx][e->si * FLD_NTEXT + (size_t)e->f] = 1;
	return 0;
}

/* The TERM node of expansion idx, its dictionary answers taken over from
 * the walk; its idf as term_df_cached computes it. */
static struct pnode *expansion(struct expand *e, size_t idx, unsigned fields)
{
	struct pnode *k = calloc(1, sizeof(*k));
	size_t n = strlen(e->terms[idx]), nsegs = e->pr->s->nsegs;
	uint64_t best = 0;

	if (!k)
		return NULL;
	k->type = Q_TERM;
	k->fields = fields;
	memcpy(k->key + 1, e->terms[idx], n);
	k->klen = n + 1;
	k->tis = e->tis[idx];
	k->have = e->have[idx];
	e->tis[idx] = NULL;
	e->have[idx] = NULL;
	for (int f = 0; f < FLD_NTEXT; f++) {
		uint64_t df = 0;

		if (!(fields & (1u << f)))
			continue;
		for (size_t i = 0; i < nsegs; i++)
			if (k->have[i * FLD_NTEXT + f])
				df += k->tis[i * FLD_NTEXT + f].df;
		if (df > best)
			best = df;
	}
	k->idf = bm25_idf(&e->pr->s->stats, best);
	return k;
}

/* A prefix becomes the disjunction of the exact forms it expands to. */
static struct pnode *prepare_prefix(struct prep *pr, const trawl_query *q)
{
	struct expand e = { .pr = pr,
			    .seen = g_hash_table_new(g_str_hash, g_str_equal),
			    .nslots = pr->s->nsegs * FLD_NTEXT + 1 };
	struct pnode *b = calloc(1, sizeof(*b));
	uint8_t key[DOCTERMS_MAX_KEY];
	size_t plen = strlen(q->text), *order = NULL;

	if (!b)
		goto nomem;
	b->type = Q_BOOL;
	memcpy(key + 1, q->text, plen);
	for (int f = 0; f < FLD_NTEXT && !e.too_many && !e.oom; f++) {
		if (!(q->fields & (1u << f)))
			continue;
		key[0] = (uint8_t)f;
		e.f = f;
		for (size_t i = 0; i < pr->s->nsegs && !e.too_many && !e.oom;
		     i++) {
			e.si = i;
			if (segment_terms(&pr->s->segs[i], key, plen + 1,
					  on_prefix_term, &e) < 0)
				pr->st = sfail(pr->s, TRAWL_ERR_CORRUPT,
					       "index segment %llu: corrupt "
					       "dictionary",
					       (unsigned long long)
						       pr->s->segs[i].id);
		}
	}
	if (e.oom)
		goto nomem;
	if (e.too_many) {
		pr->st = sfail(pr->s, TRAWL_ERR_TOO_LARGE,
			       "the prefix '%s*' matches more than %d words; "
			       "make it longer", q->text,
			       TRAWL_MAX_PREFIX_TERMS);
		goto out;
	}
	if (pr->st)
		goto out;
	/* the expansions in term order, as their scores are summed */
	if (!(order = malloc((e.n + 1) * sizeof(*order))))
		goto nomem;
	for (size_t i = 0; i < e.n; i++)
		order[i] = i;
	qsort_r(order, e.n, sizeof(*order), cmp_idx, e.terms);
	for (size_t i = 0; i < e.n; i++) {
		struct pnode *k = expansion(&e, order[i], q->fields);

		/* expansions are bounded on their own, not as query nodes */
		if (!k || add_kid(b, k, TRAWL_SHOULD)) {
			pnode_free(k);
			goto nomem;
		}
	}
	goto out;
nomem:
	if (!pr->st)
		pr->st = sfail(pr->s, TRAWL_ERR_NOMEM, "out of memory");
out:
	for (size_t i = 0; i < e.n; i++) {
		free(e.terms[i]);
		free(e.tis[i]);
		free(e.have[i]);
	}
	free(e.terms);
	free(e.tis);
	free(e.have);
	free(order);
	g_hash_table_destroy(e.seen);
	if (pr->st) {
		pnode_free(b);
		return NULL;
	}
	return b;
}

static struct pnode *prepare_phrase(struct prep *pr, const trawl_query *q,
				    struct pnode *p)
{
	p->pkeys = calloc(q->nterms, sizeof(*p->pkeys));
	p->pklens = calloc(q->nterms, sizeof(*p->pklens));
	if (!p->pkeys || !p->pklens)
		return NULL;
	p->nterms = q->nterms;
	p->slop = q->slop;
	p->idf = 0.0;
	for (size_t i = 0; i < q->nterms; i++) {
		size_t n = strlen(q->terms[i]);
		uint64_t df;

		if (!(p->pkeys[i] = malloc(n + 1)))
			return NULL;
		memcpy(p->pkeys[i] + 1, q->terms[i], n);
		p->pklens[i] = n + 1;
		df = term_df(pr, p->pkeys[i], n + 1, q->fields, 0);
		p->idf += bm25_idf(&pr->s->stats, df);
	}
	return p;
}

/* The items found under a path prefix, and what is inside them, as a
 * bitmap over their ID range (empty: ilo > ihi). */
static int prepare_path(struct prep *pr, const trawl_query *q,
			struct pnode *p)
{
	static const char sql[] =
		"WITH RECURSIVE s(id) AS (SELECT item FROM sources WHERE "
		"path >= ?1 AND (?2 IS NULL OR path < ?2) UNION SELECT i.id "
		"FROM items i, s WHERE i.parent = s.id) SELECT id FROM s "
		"LIMIT ?3";
	trawl_searcher *s = pr->s;
	size_t n = strlen(q->text), cap = 0, cnt = 0, hn;
	uint64_t *ids = NULL;
	sqlite3_stmt *st = NULL;
	char *hi = malloc(n + 2);
	int rc, ok = 0;

	if (!hi)
		goto out;
	/* the upper bound: the smallest string above every string that
	 * starts with the prefix (paths are bytes, 0xff included): the
	 * prefix without its trailing 0xff bytes, its last byte plus one;
	 * none when it is all 0xff */
	memcpy(hi, q->text, n + 1);
	hn = n;
	while (hn && (uint8_t)hi[hn - 1] == 0xff)
		hn--;
	if (hn)
		hi[hn - 1] = (char)((uint8_t)hi[hn - 1] + 1);
	if (db_prepare(s->a, sql, &st)) {
		pr->st = sfail(s, TRAWL_ERR_DB, "path: %s",
			       trawl_archive_errmsg(s->a));
		goto out;
	}
	sqlite3_bind_text(st, 1, q->text, (int)n, SQLITE_STATIC);
	if (hn)
		sqlite3_bind_text(st, 2, hi, (int)hn, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, TRAWL_MAX_PATH_ITEMS + 1);
	p->ilo = UINT64_MAX;
	p->ihi = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if (id <= 0)
			continue;
		if (cnt == TRAWL_MAX_PATH_ITEMS) {
			pr->st = sfail(s, TRAWL_ERR_TOO_LARGE,
				       "path:%s stands for more than %d items; "
				       "give a longer path", q->text,
				       TRAWL_MAX_PATH_ITEMS);
			goto out;
		}
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			uint64_t *x = realloc(ids, nc * sizeof(*x));

			if (!x)
				goto out;
			ids = x;
			cap = nc;
		}
		ids[cnt++] = (uint64_t)id;
		if ((uint64_t)id < p->ilo)
			p->ilo = (uint64_t)id;
		if ((uint64_t)id > p->ihi)
			p->ihi = (uint64_t)id;
	}
	if (rc != SQLITE_DONE) {
		pr->st = sfail(s, TRAWL_ERR_DB, "path: %s",
			       sqlite3_errmsg(s->a->db));
		goto out;
	}
	if (!cnt) {
		p->ilo = 1;
		p->ihi = 0;
		ok = 1;
		goto out;
	}
	if (!(p->iset = calloc((p->ihi - p->ilo) / 64 + 1, sizeof(*p->iset))))
		goto out;
	for (size_t i = 0; i < cnt; i++)
		p->iset[(ids[i] - p->ilo) >> 6] |= (uint64_t)1
						   << ((ids[i] - p->ilo) & 63);
	ok = 1;
out:
	if (st)
		sqlite3_finalize(st);
	free(ids);
	free(hi);
	return ok || pr->st;
}

static struct pnode *prepare(struct prep *pr, const trawl_query *q, int depth)
{
	struct pnode *p;
	size_t n;

	if (pr->st)
		return NULL;
	if (depth > TRAWL_MAX_QUERY_DEPTH || ++pr->nodes > TRAWL_MAX_QUERY_NODES) {
		pr->st = sfail(pr->s, TRAWL_ERR_TOO_LARGE,
			       "the query is too large (more than %d nodes or "
			       "%d levels deep)", TRAWL_MAX_QUERY_NODES,
			       TRAWL_MAX_QUERY_DEPTH);
		return NULL;
	}
	if (q->type == Q_PREFIX)
		return prepare_prefix(pr, q);
	if (!(p = calloc(1, sizeof(*p))))
		goto nomem;
	p->type = q->type;
	p->fields = q->fields;
	p->stem = q->stem;
	switch (q->type) {
	case Q_TERM:
		n = strlen(q->text);
		memcpy(p->key + 1, q->text, n);
		p->klen = n + 1;
		p->idf = bm25_idf(&pr->s->stats, term_df_cached(pr, p));
		break;
	case Q_KEYWORD:
		n = strlen(q->text);
		p->key[0] = (uint8_t)q->kw;
		memcpy(p->key + 1, q->text, n);
		p->klen = n + 1;
		break;
	case Q_PHRASE:
		if (!prepare_phrase(pr, q, p))
			goto nomem;
		break;
	case Q_RANGE:
	case Q_THREAD:
		p->col = q->col;
		p->lo = q->lo;
		p->hi = q->hi;
		break;
	case Q_PATH:
		if (!prepare_path(pr, q, p))
			goto nomem;
		break;
	case Q_ALL:
		break;
	case Q_BOOL:
		for (size_t i = 0; i < q->nkids; i++) {
			struct pnode *k = prepare(pr, q->kids[i].q, depth + 1);

			if (!k || add_kid(p, k, q->kids[i].occur)) {
				pnode_free(k);
				pnode_free(p);
				if (!pr->st)
					goto nomem;
				return NULL;
			}
		}
		break;
	default:
		pnode_free(p);
		pr->st = sfail(pr->s, TRAWL_ERR_INVALID, "bad query node");
		return NULL;
	}
	if (pr->st) {
		pnode_free(p);
		return NULL;
	}
	return p;
nomem:
	pnode_free(p);
	pr->st = sfail(pr->s, TRAWL_ERR_NOMEM, "out of memory");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* iterators */

struct heap;

struct ctx {
	const struct segment *seg;
	size_t segi;            /* its index in the searcher */
	const struct bm25_stats *stats;
	const struct threadmap *threads;
	/* Ranking by relevance: the heap, and the root node, which may
	 * then pass over documents that cannot enter the heap - skip them,
	 * or with prune_count (an exact count wanted) only find that they
	 * match, with a score below the heap's worst. */
	const struct heap *prune_heap;
	const struct pnode *prune_root;
	int prune_count;
	int no_scores; /* nothing calls score(): a match need only exist */
	struct postings **all; /* every postings cursor, for corruption */
	size_t nall, call;
	int nomem;
};

struct it {
	uint32_t doc; /* current, or DOC_END */
	uint32_t (*next)(struct it *);
	uint32_t (*advance)(struct it *, uint32_t target); /* target > doc */
	double (*score)(struct it *);
	/* An upper bound of score() over the docs target..*upto (block-max
	 * data: the bound holds until the end of the blocks that hold
	 * target). */
	double (*block_max)(struct it *, uint32_t target, uint32_t *upto);
	void (*release)(struct it *);
};

static double no_max(struct it *it, uint32_t target, uint32_t *upto)
{
	(void)it;
	(void)target;
	*upto = DOC_END;
	return 0.0;
}

/* A cursor on a list whose dictionary entry is known, positioned on its
 * first doc; every cursor is kept in c->all, to be checked and freed. */
static struct postings *open_cached(struct ctx *c, int field,
				    const struct term_info *ti)
{
	struct postings *pc;

	if (c->nall == c->call) {
		size_t n = c->call ? c->call * 2 : 16;
		struct postings **p = realloc(c->all, n * sizeof(*p));

		if (!p) {
			c->nomem = 1;
			return NULL;
		}
		c->all = p;
		c->call = n;
	}
	if (!(pc = malloc(sizeof(*pc)))) {
		c->nomem = 1;
		return NULL;
	}
	postings_init(pc, c->seg, field, ti);
	postings_next(pc);
	c->all[c->nall++] = pc;
	return pc;
}

/* The same after looking key up; NULL when absent (or corrupt). */
static struct postings *open_postings(struct ctx *c, const uint8_t *key,
				      size_t klen)
{
	struct term_info ti;
	int r = segment_lookup(c->seg, key, klen, &ti);

	if (r < 0)
		c->nomem = -1;
	return r > 0 ? open_cached(c, key[0], &ti) : NULL;
}

/* ---- term (BM25F over several fields) ---- */

struct term_it {
	struct it it;
	const struct ctx *c;
	const struct pnode *p;
	int nf;
	int field[FLD_NTEXT];
	struct postings *pc[FLD_NTEXT];
};

static uint32_t term_min(struct term_it *t)
{
	uint32_t d = DOC_END;

	for (int i = 0; i < t->nf; i++)
		if (t->pc[i]->doc < d)
			d = t->pc[i]->doc;
	return t->it.doc = d;
}

static uint32_t term_next(struct it *it)
{
	struct term_it *t = (struct term_it *)it;
	uint32_t cur = it->doc, min = DOC_END;

	if (t->nf == 1)
		return it->doc = postings_next(t->pc[0]);
	for (int i = 0; i < t->nf; i++) {
		struct postings *pc = t->pc[i];
		uint32_t d = pc->doc == cur ? postings_next(pc) : pc->doc;

		if (d < min)
			min = d;
	}
	return it->doc = min;
}

static uint32_t term_advance(struct it *it, uint32_t target)
{
	struct term_it *t = (struct term_it *)it;

	for (int i = 0; i < t->nf; i++)
		if (t->pc[i]->doc < target)
			postings_advance(t->pc[i], target);
	return term_min(t);
}

/* The term's fields are opened in field order, so summing here is
 * bm25f's sum (score.h). */
static double term_score(struct it *it)
{
	struct term_it *t = (struct term_it *)it;
	const struct segment *seg = t->c->seg;
	double sum = 0.0;

	for (int i = 0; i < t->nf; i++) {
		int f = t->field[i];
		uint32_t tf;

		if (t->pc[i]->doc != it->doc || !(tf = postings_tf(t->pc[i])))
			continue;
		sum += bm25f_part(t->c->stats, f, tf,
				  seg_norm(seg, f, it->doc));
	}
	return bm25f_final(t->p->idf, sum);
}

/* The largest part (score.h) a field's block can give: the best of its
 * impact pairs. */
static double best_part(const struct bm25_stats *st, int f,
			const struct block_impacts *bi)
{
	double best = 0.0;

	for (int k = 0; k < bi->n; k++) {
		double v;

		if (!bi->tf[k])
			continue;
		v = bm25f_part(st, f, bi->tf[k], bi->norm[k]);
		if (v > best)
			best = v;
	}
	return best;
}

static double term_block_max(struct it *it, uint32_t target, uint32_t *upto)
{
	struct term_it *t = (struct term_it *)it;
	double sum = 0.0;

	*upto = DOC_END;
	for (int i = 0; i < t->nf; i++) {
		struct block_impacts bi;

		postings_block_impacts(t->pc[i], target, &bi);
		if (bi.last < *upto)
			*upto = bi.last;
		sum += best_part(t->c->stats, t->field[i], &bi);
	}
	return bm25f_final(t->p->idf, sum);
}

static double zero_score(struct it *it)
{
	(void)it;
	return 0.0;
}

static void plain_release(struct it *it)
{
	free(it);
}

static struct it *term_open(struct ctx *c, const struct pnode *p)
{
	struct term_it *t = calloc(1, sizeof(*t));
	uint8_t key[DOCTERMS_MAX_KEY];

	if (!t) {
		c->nomem = 1;
		return NULL;
	}
	memcpy(key, p->key, p->klen);
	for (int f = 0; f < FLD_NTEXT; f++) {
		struct postings *pc;

		if (!(p->fields & (1u << f)))
			continue;
		key[0] = (uint8_t)(f + (p->stem ? FLD_STEM : 0));
		if (!p->have[c->segi * FLD_NTEXT + f] ||
		    !(pc = open_cached(c, key[0],
				       &p->tis[c->segi * FLD_NTEXT + f])))
			continue;
		t->field[t->nf] = f;
		t->pc[t->nf++] = pc;
	}
	t->c = c;
	t->p = p;
	t->it.next = term_next;
	t->it.advance = term_advance;
	t->it.score = term_score;
	t->it.block_max = term_block_max;
	t->it.release = plain_release;
	term_min(t);
	return &t->it;
}

/* ---- keyword ---- */

struct kw_it {
	struct it it;
	struct postings *pc;
};

static uint32_t kw_next(struct it *it)
{
	struct kw_it *k = (struct kw_it *)it;

	return it->doc = k->pc ? postings_next(k->pc) : DOC_END;
}

static uint32_t kw_advance(struct it *it, uint32_t target)
{
	struct kw_it *k = (struct kw_it *)it;

	return it->doc = k->pc ? postings_advance(k->pc, target) : DOC_END;
}

static struct it *kw_open(struct ctx *c, const struct pnode *p)
{
	struct kw_it *k = calloc(1, sizeof(*k));

	if (!k) {
		c->nomem = 1;
		return NULL;
	}
	k->pc = open_postings(c, p->key, p->klen);
	k->it.doc = k->pc ? k->pc->doc : DOC_END;
	k->it.next = kw_next;
	k->it.advance = kw_advance;
	k->it.score = zero_score;
	k->it.block_max = no_max;
	k->it.release = plain_release;
	return &k->it;
}

/* ---- range and all: a scan of the doc values ---- */

struct scan_it {
	struct it it;
	const struct segment *seg;
	const struct threadmap *threads;
	int col;
	int64_t lo, hi;
	const uint64_t *iset; /* COL_ISET: the set, from ilo to ihi */
	uint64_t ilo, ihi;
};

#define COL_THREAD 100 /* a scan by thread: lo is the thread ID */
#define COL_ISET 101   /* a scan for a set of items (path:) */

static int in_range(const struct scan_it *s, uint32_t d)
{
	if (s->col == COL_ISET) {
		uint64_t v = seg_item(s->seg, d);

		return v >= s->ilo && v <= s->ihi &&
		       ((s->iset[(v - s->ilo) >> 6] >> ((v - s->ilo) & 63)) & 1);
	}
	if (s->col == TRAWL_COL_ITEM) {
		uint64_t v = seg_item(s->seg, d);

		return s->hi >= 0 && v <= (uint64_t)s->hi &&
		       (s->lo < 0 || v >= (uint64_t)s->lo);
	}
	if (s->col == COL_THREAD)
		return threadmap_get(s->threads, seg_item(s->seg, d)) ==
		       (uint64_t)s->lo;
	if (s->col == TRAWL_COL_DATE) {
		int64_t v = seg_date(s->seg, d);

		return v >= s->lo && v <= s->hi;
	}
	if (s->col == TRAWL_COL_SIZE) {
		uint64_t v = seg_size(s->seg, d);

		return s->hi >= 0 && v <= (uint64_t)s->hi &&
		       (s->lo < 0 || v >= (uint64_t)s->lo);
	}
	return 1;
}

static uint32_t scan_advance(struct it *it, uint32_t target)
{
	struct scan_it *s = (struct scan_it *)it;
	uint32_t d = target;

	if (s->col < 0)
		return it->doc = DOC_END;
	while (d < s->seg->ndocs && !in_range(s, d))
		d++;
	return it->doc = d < s->seg->ndocs ? d : DOC_END;
}

static uint32_t scan_next(struct it *it)
{
	return scan_advance(it, it->doc + 1);
}

static struct it *scan_open(struct ctx *c, const struct pnode *p)
{
	struct scan_it *s = calloc(1, sizeof(*s));

	if (!s) {
		c->nomem = 1;
		return NULL;
	}
	s->seg = c->seg;
	s->threads = c->threads;
	s->col = !p ? 0 : p->type == Q_THREAD ? COL_THREAD
			 : p->type == Q_PATH ? COL_ISET : p->col;
	s->lo = p ? p->lo : 0;
	s->hi = p ? p->hi : 0;
	if (s->col == COL_ISET) {
		s->iset = p->iset;
		s->ilo = p->ilo;
		s->ihi = p->ihi;
		/* nothing of the set in this segment: no scan */
		if (!p->iset || p->ilo > c->seg->max_item ||
		    p->ihi < c->seg->min_item) {
			s->it.doc = DOC_END;
			s->col = -1;
		}
	}
	s->it.next = scan_next;
	s->it.advance = scan_advance;
	s->it.score = zero_score;
	s->it.block_max = no_max;
	s->it.release = plain_release;
	if (s->col >= 0)
		scan_advance(&s->it, 0);
	return &s->it;
}

/* ---- phrase ---- */

/*
 * A phrase runs in two phases, as Lucene's two-phase iterators do: per
 * field, a candidate is a doc where all its terms occur (a leapfrog over
 * their postings), and only the smallest candidate is checked against
 * the positions, which are decoded as far as the check needs them.
 * When nothing asks for scores (a count, an order by date), a match only
 * has to exist: the fields are tried cheapest first and the first
 * occurrence ends the check.  As the root of a ranking by relevance, a
 * candidate whose score cannot reach the heap's worst (its phrase
 * frequency is at most its terms' smallest tf) is passed over unchecked
 * when no count is wanted, and with a count only checked to exist.
 */
struct phrase_field {
	int field;
	struct postings **pc; /* one per term, all present */
	uint32_t doc, freq;   /* the candidate; its phrase freq once checked */
};

struct phrase_it {
	struct it it;
	const struct ctx *c;
	const struct pnode *p;
	const struct heap *prune; /* see struct ctx */
	int prune_count;          /* see struct ctx */
	int no_scores;            /* see struct ctx */
	int exists_only;          /* the current doc is only known to match */
	double doc_max;           /* then: its bound, below the heap's worst */
	struct phrase_field *pf;
	int npf;
	struct pos_reader *rd; /* per term: its positions in the doc checked */
};

static double heap_floor(const struct heap *hp);

/*
 * Phrase frequency in the doc all of pf's cursors stand on: the number of
 * positions p0 of the first term from which each next term's smallest
 * position after the previous one keeps the span within n - 1 + slop.
 * With first, 1 as soon as one p0 holds.  Every term's scan only moves
 * forward (the position it must pass only grows), so the positions are
 * read as the scan goes, and once a term runs out no later p0 can hold.
 */
static inline __attribute__((always_inline)) uint32_t
phrase_freq_inline(struct phrase_it *ph, struct phrase_field *pf, int first)
{
	size_t n = ph->p->nterms;
	uint32_t freq = 0, span = (uint32_t)(n - 1 + ph->p->slop);
	uint32_t cur[TRAWL_MAX_PHRASE_TERMS], p0; /* n is at most that */

	if (n == 2) {
		/* the same walk for the common case, without the arrays */
		struct pos_reader *r0 = &ph->rd[0], *r1 = &ph->rd[1];
		uint32_t a, b;

		if (postings_pos_open(pf->pc[0], r0) ||
		    postings_pos_open(pf->pc[1], r1) ||
		    pos_reader_next(r0, &a) <= 0 || pos_reader_next(r1, &b) <= 0)
			return 0;
		for (;;) {
			while (b <= a)
				if (pos_reader_next(r1, &b) <= 0)
					return freq;
			if (b - a <= span && (++freq, first))
				return freq;
			if (pos_reader_next(r0, &a) <= 0)
				return freq;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (postings_pos_open(pf->pc[i], &ph->rd[i]) ||
		    pos_reader_next(&ph->rd[i], &cur[i]) <= 0)
			return 0;
	for (p0 = cur[0];; ) {
		uint32_t prev = p0;
		size_t i;

		for (i = 1; i < n; i++) {
			while (cur[i] <= prev)
				if (pos_reader_next(&ph->rd[i], &cur[i]) <= 0)
					return freq;
			if (cur[i] - p0 > span)
				break;
			prev = cur[i];
		}
		if (i == n) {
			freq++;
			if (first)
				return freq;
		}
		if (pos_reader_next(&ph->rd[0], &p0) <= 0)
			return freq;
	}
}

static uint32_t phrase_freq(struct phrase_it *ph, struct phrase_field *pf,
			    int first)
{
	return phrase_freq_inline(ph, pf, first);
}

/* Moves field pf to its first candidate >= target: a doc all its terms
 * share.  (Inline where a loop runs it per candidate.) */
static inline __attribute__((always_inline)) void
phrase_candidate_inline(struct phrase_it *ph, struct phrase_field *pf,
			uint32_t target)
{
	size_t n = ph->p->nterms, i = 0, agree = 0;
	uint32_t d = target;

	pf->freq = 0;
	if (n == 2) {
		/* a leapfrog of two, the common case */
		struct postings *a = pf->pc[0], *b = pf->pc[1];
		uint32_t x = a->doc < d ? postings_advance(a, d) : a->doc;

		while (x != DOC_END) {
			uint32_t y = b->doc < x ? postings_advance(b, x) : b->doc;

			if (y == x)
				break;
			x = y == DOC_END ? DOC_END : postings_advance(a, y);
		}
		pf->doc = x;
		return;
	}
	for (;;) {
		struct postings *pc = pf->pc[i];
		uint32_t x = pc->doc < d ? postings_advance(pc, d) : pc->doc;

		if (x != d) {
			if (x == DOC_END) {
				pf->doc = DOC_END;
				return;
			}
			d = x;
			agree = 0;
		}
		if (++agree == n)
			break;
		if (++i == n)
			i = 0;
	}
	pf->doc = d;
}

static void phrase_candidate(struct phrase_it *ph, struct phrase_field *pf,
			     uint32_t target)
{
	phrase_candidate_inline(ph, pf, target);
}

/* The least tf of pf's terms on its candidate: its phrase frequency is
 * at most that.  With slop, only the first term's: a frequency counts
 * the first term's positions, and several of them may share one
 * occurrence of a later term ("x x y" holds "x y"~1 twice). */
static uint32_t phrase_min_tf(const struct phrase_it *ph,
			      const struct phrase_field *pf)
{
	uint32_t m = UINT32_MAX;

	if (ph->p->slop)
		return postings_tf(pf->pc[0]);
	for (size_t i = 0; i < ph->p->nterms; i++) {
		uint32_t tf = postings_tf(pf->pc[i]);

		m = tf < m ? tf : m;
	}
	return m;
}

/* The positions a check of pf's candidate may read: its terms' tfs. */
static uint64_t phrase_cost(const struct phrase_it *ph,
			    const struct phrase_field *pf)
{
	uint64_t c = 0;

	for (size_t i = 0; i < ph->p->nterms; i++)
		c += postings_tf(pf->pc[i]);
	return c;
}

/* Whether the phrase holds in doc d in some field, the fields on d tried
 * cheapest first; those found without it move past d, the others stay. */
static int phrase_exists(struct phrase_it *ph, uint32_t d)
{
	for (;;) {
		struct phrase_field *pf = NULL;
		uint64_t cost = 0;

		for (int i = 0; i < ph->npf; i++) {
			uint64_t c;

			if (ph->pf[i].doc != d)
				continue;
			c = phrase_cost(ph, &ph->pf[i]);
			if (!pf || c < cost) {
				pf = &ph->pf[i];
				cost = c;
			}
		}
		if (!pf)
			return 0;
		if ((pf->freq = phrase_freq(ph, pf, 1)))
			return 1;
		phrase_candidate(ph, pf, d + 1);
	}
}

/* An upper bound of the phrase's score in doc d, from the candidates on
 * d: in each field, a phrase frequency of at most the terms' least tf. */
static double phrase_doc_max(struct phrase_it *ph, uint32_t d)
{
	double sum = 0.0;

	for (int i = 0; i < ph->npf; i++) {
		const struct phrase_field *pf = &ph->pf[i];

		if (pf->doc == d)
			sum += bm25f_part(ph->c->stats, pf->field,
					  phrase_min_tf(ph, pf),
					  seg_norm(ph->c->seg, pf->field, d));
	}
	return bm25f_final(ph->p->idf, sum);
}

/* Passes over candidate d in every field. */
static void phrase_pass(struct phrase_it *ph, uint32_t d)
{
	for (int i = 0; i < ph->npf; i++)
		if (ph->pf[i].doc == d)
			phrase_candidate(ph, &ph->pf[i], d + 1);
}

/* Settles on the smallest doc where some field's candidate holds the
 * phrase; the fields on it have their freq, the others are past it
 * (unless exists_only: then one field holds it, some may be unchecked). */
static uint32_t phrase_settle(struct phrase_it *ph)
{
	for (;;) {
		uint32_t d = DOC_END;
		int found = 0, exists = ph->no_scores;

		for (int i = 0; i < ph->npf; i++)
			if (ph->pf[i].doc < d)
				d = ph->pf[i].doc;
		if (d == DOC_END)
			return ph->it.doc = DOC_END;
		if (ph->prune && !exists) {
			double floor = heap_floor(ph->prune);
			double max = phrase_doc_max(ph, d);

			/* the driver's margin for rounding, the same way */
			if (max * (1.0 + 1e-9) < floor) {
				if (!ph->prune_count) {
					phrase_pass(ph, d);
					continue;
				}
				ph->doc_max = max;
				exists = 1;
			}
		}
		ph->exists_only = exists;
		if (exists) {
			if (phrase_exists(ph, d))
				return ph->it.doc = d;
			continue;
		}
		for (int i = 0; i < ph->npf; i++) {
			struct phrase_field *pf = &ph->pf[i];

			if (pf->doc != d)
				continue;
			if ((pf->freq = phrase_freq(ph, pf, 0)))
				found = 1;
			else
				phrase_candidate(ph, pf, d + 1);
		}
		if (found)
			return ph->it.doc = d;
	}
}

static uint32_t phrase_advance(struct it *it, uint32_t target)
{
	struct phrase_it *ph = (struct phrase_it *)it;

	for (int i = 0; i < ph->npf; i++)
		if (ph->pf[i].doc < target)
			phrase_candidate(ph, &ph->pf[i], target);
	return phrase_settle(ph);
}

static uint32_t phrase_next(struct it *it)
{
	return phrase_advance(it, it->doc + 1);
}

static double phrase_score(struct it *it)
{
	struct phrase_it *ph = (struct phrase_it *)it;
	uint32_t tf[FLD_NTEXT] = { 0 };
	uint8_t len[FLD_NTEXT] = { 0 };

	/* a score that cannot enter the heap (or that nothing asks for) */
	if (ph->exists_only)
		return ph->no_scores ? 0.0 : ph->doc_max;
	for (int i = 0; i < ph->npf; i++) {
		int f = ph->pf[i].field;

		if (ph->pf[i].doc != it->doc)
			continue;
		tf[f] = ph->pf[i].freq;
		len[f] = seg_norm(ph->c->seg, f, it->doc);
	}
	return bm25f(ph->c->stats, ph->p->idf, tf, len, ph->p->fields);
}

/* A phrase's frequency in a field is at most its first term's: bound it
 * by that term's block impacts. */
static double phrase_block_max(struct it *it, uint32_t target,
			       uint32_t *upto)
{
	struct phrase_it *ph = (struct phrase_it *)it;
	double sum = 0.0;

	*upto = DOC_END;
	for (int i = 0; i < ph->npf; i++) {
		struct block_impacts bi;

		postings_block_impacts(ph->pf[i].pc[0], target, &bi);
		if (bi.last < *upto)
			*upto = bi.last;
		sum += best_part(ph->c->stats, ph->pf[i].field, &bi);
	}
	return bm25f_final(ph->p->idf, sum);
}

static void phrase_release(struct it *it)
{
	struct phrase_it *ph = (struct phrase_it *)it;

	for (int i = 0; i < ph->npf; i++)
		free(ph->pf[i].pc);
	free(ph->pf);
	free(ph->rd);
	free(ph);
}

/* Sets ph up for phrase p: a cursor per term in each field where all its
 * terms occur, each field on its first candidate.  0, or -1 (memory). */
static int phrase_fields(struct ctx *c, const struct pnode *p,
			 struct phrase_it *ph)
{
	uint8_t key[DOCTERMS_MAX_KEY];

	if (!(ph->pf = calloc(FLD_NTEXT, sizeof(*ph->pf))) ||
	    !(ph->rd = calloc(p->nterms, sizeof(*ph->rd))))
		return -1;
	ph->c = c;
	ph->p = p;
	for (int f = 0; f < FLD_NTEXT; f++) {
		struct phrase_field *pf = &ph->pf[ph->npf];
		size_t i;

		if (!(p->fields & (1u << f)))
			continue;
		if (!(pf->pc = calloc(p->nterms, sizeof(*pf->pc))))
			return -1;
		for (i = 0; i < p->nterms; i++) {
			memcpy(key, p->pkeys[i], p->pklens[i]);
			key[0] = (uint8_t)f;
			if (!(pf->pc[i] = open_postings(c, key, p->pklens[i])))
				break;
		}
		if (i < p->nterms) {
			free(pf->pc);
			pf->pc = NULL;
			continue;
		}
		pf->field = f;
		ph->npf++;
		phrase_candidate(ph, pf, 0);
	}
	return 0;
}

/* Starts iterator ph, set up by phrase_fields in c, on its first match. */
static struct it *phrase_start(struct ctx *c, struct phrase_it *ph)
{
	if (c->prune_root == ph->p) {
		ph->prune = c->prune_heap;
		ph->prune_count = c->prune_count;
	}
	ph->no_scores = c->no_scores;
	ph->it.next = phrase_next;
	ph->it.advance = phrase_advance;
	ph->it.score = phrase_score;
	ph->it.block_max = phrase_block_max;
	ph->it.release = phrase_release;
	phrase_settle(ph);
	return &ph->it;
}

static struct it *phrase_open(struct ctx *c, const struct pnode *p)
{
	struct phrase_it *ph = calloc(1, sizeof(*ph));

	if (ph && !phrase_fields(c, p, ph))
		return phrase_start(c, ph);
	c->nomem = 1;
	if (ph)
		phrase_release(&ph->it);
	return NULL;
}

/* ---- boolean ---- */

struct bool_it {
	struct it it;
	struct it **kids;
	const int *occur;
	size_t nkids;
	struct it *all;  /* only must-nots: every document */
	int nmust, nshould;
};

/* The first doc >= target that every must holds (or any should, without
 * musts; or any doc, with neither), then filtered by the must-nots. */
static uint32_t bool_find(struct bool_it *b, uint32_t target)
{
	for (;;) {
		uint32_t d = DOC_END;
		int excluded = 0;

		if (target == DOC_END)
			return b->it.doc = DOC_END;
		if (b->nmust) {
			size_t agree = 0, i = 0;

			d = target;
			while (agree < (size_t)b->nmust) {
				struct it *k;

				while (b->occur[i] != TRAWL_MUST)
					i = (i + 1) % b->nkids;
				k = b->kids[i];
				if (k->doc < d)
					k->advance(k, d);
				if (k->doc == DOC_END)
					return b->it.doc = DOC_END;
				if (k->doc > d) {
					d = k->doc;
					agree = 1;
				} else {
					agree++;
				}
				i = (i + 1) % b->nkids;
			}
		} else if (b->nshould) {
			for (size_t i = 0; i < b->nkids; i++) {
				struct it *k = b->kids[i];

				if (b->occur[i] != TRAWL_SHOULD)
					continue;
				if (k->doc < target)
					k->advance(k, target);
				if (k->doc < d)
					d = k->doc;
			}
		} else if (b->all) {
			if (b->all->doc < target)
				b->all->advance(b->all, target);
			d = b->all->doc;
		}
		if (d == DOC_END)
			return b->it.doc = DOC_END;
		for (size_t i = 0; i < b->nkids && !excluded; i++) {
			struct it *k = b->kids[i];

			if (b->occur[i] != TRAWL_MUST_NOT)
				continue;
			if (k->doc < d)
				k->advance(k, d);
			excluded = k->doc == d;
		}
		if (!excluded) {
			if (b->nmust)
				for (size_t i = 0; i < b->nkids; i++)
					if (b->occur[i] == TRAWL_SHOULD &&
					    b->kids[i]->doc < d)
						b->kids[i]->advance(b->kids[i],
								    d);
			return b->it.doc = d;
		}
		target = d + 1;
	}
}

static uint32_t bool_next(struct it *it)
{
	return bool_find((struct bool_it *)it,
			 it->doc == DOC_END ? DOC_END : it->doc + 1);
}

static uint32_t bool_advance(struct it *it, uint32_t target)
{
	return bool_find((struct bool_it *)it, target);
}

static double bool_score(struct it *it)
{
	struct bool_it *b = (struct bool_it *)it;
	double s = 0.0;

	for (size_t i = 0; i < b->nkids; i++)
		if (b->occur[i] != TRAWL_MUST_NOT && b->kids[i]->doc == it->doc)
			s += b->kids[i]->score(b->kids[i]);
	return s;
}

static double bool_block_max(struct it *it, uint32_t target, uint32_t *upto)
{
	struct bool_it *b = (struct bool_it *)it;
	double s = 0.0;

	*upto = DOC_END;
	for (size_t i = 0; i < b->nkids; i++) {
		uint32_t u;

		if (b->occur[i] == TRAWL_MUST_NOT)
			continue;
		s += b->kids[i]->block_max(b->kids[i], target, &u);
		if (u < *upto)
			*upto = u;
	}
	return s;
}

static void bool_release(struct it *it)
{
	struct bool_it *b = (struct bool_it *)it;

	for (size_t i = 0; i < b->nkids; i++)
		if (b->kids[i])
			b->kids[i]->release(b->kids[i]);
	if (b->all)
		b->all->release(b->all);
	free(b->kids);
	free(b);
}

static struct it *it_open(struct ctx *c, const struct pnode *p);

static struct it *bool_open(struct ctx *c, const struct pnode *p)
{
	struct bool_it *b = calloc(1, sizeof(*b));

	if (!b || !(b->kids = calloc(p->nkids + 1, sizeof(*b->kids)))) {
		free(b);
		c->nomem = 1;
		return NULL;
	}
	b->occur = p->occur;
	b->nkids = p->nkids;
	b->it.next = bool_next;
	b->it.advance = bool_advance;
	b->it.score = bool_score;
	b->it.block_max = bool_block_max;
	b->it.release = bool_release;
	for (size_t i = 0; i < p->nkids; i++) {
		if (!(b->kids[i] = it_open(c, p->kids[i]))) {
			bool_release(&b->it);
			return NULL;
		}
		b->nmust += p->occur[i] == TRAWL_MUST;
		b->nshould += p->occur[i] == TRAWL_SHOULD;
	}
	if (!b->nmust && !b->nshould && p->nkids &&
	    !(b->all = scan_open(c, NULL))) {
		bool_release(&b->it);
		return NULL;
	}
	if (!p->nkids)
		b->it.doc = DOC_END; /* an empty disjunction matches nothing */
	else
		bool_find(b, 0);
	return &b->it;
}

static struct it *it_open(struct ctx *c, const struct pnode *p)
{
	switch (p->type) {
	case Q_TERM: return term_open(c, p);
	case Q_KEYWORD: return kw_open(c, p);
	case Q_PHRASE: return phrase_open(c, p);
	case Q_RANGE: return scan_open(c, p);
	case Q_THREAD: return scan_open(c, p);
	case Q_PATH: return scan_open(c, p);
	case Q_ALL: return scan_open(c, NULL);
	case Q_BOOL: return bool_open(c, p);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* collecting */

/*
 * The hits kept: a heap whose top is the worst of the best k.  With
 * collapsing, each group (thread, or mail and its copies) has at most one
 * entry, its best hit so far, found through an open-addressing table from
 * group to heap position.  That keeps the best k groups exactly: a group
 * pushed out of the heap had every hit below the heap's worst, which only
 * rises, so a later hit that gets in is the group's best.  Every filtered
 * match is counted, once per group when collapsing (a bitmap of groups).
 */
struct gslot {
	uint64_t group; /* 0: empty */
	size_t at;
};

struct heap {
	trawl_hit *h;
	size_t n, k;
	trawl_sort sort;
	unsigned kinds;          /* 0: all */
	unsigned collapse;
	const struct threadmap *tm;
	struct gslot *map;       /* collapse: capacity mapmask + 1 */
	size_t mapmask;
	uint64_t *seen;          /* collapse with a count: groups counted */
	uint64_t nseen;          /* bits in seen */
};

/* The score a document must reach to enter a full heap ranked by
 * relevance (its worst); -1 while there is room. */
static double heap_floor(const struct heap *hp)
{
	return hp->k && hp->n == hp->k ? hp->h[0].score : -1.0;
}

/* 1 when a ranks before b. */
static int better(const struct heap *hp, const trawl_hit *a,
		  const trawl_hit *b)
{
	switch (hp->sort) {
	case TRAWL_SORT_NEWEST:
		if (a->date != b->date)
			return a->date > b->date;
		break;
	case TRAWL_SORT_OLDEST:
		if (a->date != b->date)
			return a->date < b->date;
		break;
	default:
		if (a->score != b->score)
			return a->score > b->score;
	}
	return a->item < b->item;
}

static size_t gslot_of(const struct heap *hp, uint64_t g)
{
	size_t i = (size_t)((g * 0x9e3779b97f4a7c15ull) >> 20) & hp->mapmask;

	while (hp->map[i].group && hp->map[i].group != g)
		i = (i + 1) & hp->mapmask;
	return i;
}

/* Linear probing's deletion: later entries of the run move back. */
static void gslot_del(struct heap *hp, uint64_t g)
{
	size_t i = gslot_of(hp, g), j = i;

	if (!hp->map[i].group)
		return;
	for (;;) {
		size_t home;

		hp->map[i].group = 0;
		for (;;) {
			j = (j + 1) & hp->mapmask;
			if (!hp->map[j].group)
				return;
			home = (size_t)((hp->map[j].group *
					 0x9e3779b97f4a7c15ull) >> 20) &
			       hp->mapmask;
			/* j may fill i when its home is not in (i, j] */
			if (i <= j ? (home <= i || home > j)
				   : (home <= i && home > j))
				break;
		}
		hp->map[i] = hp->map[j];
		i = j;
	}
}

static void heap_set(struct heap *hp, size_t i, const trawl_hit *x)
{
	hp->h[i] = *x;
	if (hp->map)
		hp->map[gslot_of(hp, x->group)].at = i;
}

/* Moves entry i down while a child ranks below it. */
static void sift_down(struct heap *hp, size_t i)
{
	trawl_hit x = hp->h[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = l;

		if (l >= hp->n)
			break;
		if (r < hp->n && better(hp, &hp->h[l], &hp->h[r]))
			w = r;
		if (!better(hp, &x, &hp->h[w]))
			break;
		heap_set(hp, i, &hp->h[w]);
		i = w;
	}
	heap_set(hp, i, &x);
}

static void sift_up(struct heap *hp, size_t i)
{
	trawl_hit x = hp->h[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!better(hp, &hp->h[parent], &x))
			break;
		heap_set(hp, i, &hp->h[parent]);
		i = parent;
	}
	heap_set(hp, i, &x);
}

static void heap_push(struct heap *hp, const trawl_hit *x)
{
	if (hp->map) {
		size_t g = gslot_of(hp, x->group);

		if (hp->map[g].group) {
			/* the group is in: keep its better hit */
			size_t at = hp->map[g].at;

			if (better(hp, x, &hp->h[at])) {
				hp->h[at] = *x;
				sift_down(hp, at);
			}
			return;
		}
	}
	if (hp->n == hp->k) {
		if (!hp->k || !better(hp, x, &hp->h[0]))
			return;
		if (hp->map) {
			gslot_del(hp, hp->h[0].group);
			hp->map[gslot_of(hp, x->group)].group = x->group;
		}
		heap_set(hp, 0, x);
		sift_down(hp, 0);
		return;
	}
	if (hp->map)
		hp->map[gslot_of(hp, x->group)].group = x->group;
	heap_set(hp, hp->n++, x);
	sift_up(hp, hp->n - 1);
}

/* Puts doc d of seg (admitted, in group g) in the heap with its score (0
 * unless ranked by relevance), unless the heap is full of better ones. */
static void offer(struct heap *hp, const struct segment *seg, uint32_t d,
		  uint64_t g, double score, int scored)
{
	trawl_hit h;

	/* below the worst kept: out, without the heap */
	if (scored && score < heap_floor(hp))
		return;
	h.score = score;
	h.item = seg_item(seg, d);
	h.date = seg_date(seg, d);
	h.group = hp->collapse ? g : h.item;
	heap_push(hp, &h);
}

/* The group a document's item stands in. */
static uint64_t group_of(const struct heap *hp, uint64_t item)
{
	uint64_t first;

	if (!hp->collapse)
		return item;
	first = threadmap_copy_of(hp->tm, item);
	if (hp->collapse == TRAWL_COLLAPSE_THREADS) {
		uint64_t t = threadmap_get(hp->tm, first);

		return t ? t : first;
	}
	return first;
}

/*
 * Whether document d of seg is in the result (not deleted, of a kept
 * kind); counts it in *total (once per group when collapsing) and sets
 * *group.  The caller has checked the deletion bitmap unless del is
 * given.
 */
static inline int admit(const struct heap *hp, const struct segment *seg,
			uint32_t d, uint64_t *total, uint64_t *group)
{
	uint8_t kind = ((const uint8_t *)seg->col[COL_KIND])[d];

	if (hp->kinds && (kind >= 32 || !((hp->kinds >> kind) & 1)))
		return 0;
	if (!hp->collapse) {
		*group = 0;
		if (total)
			(*total)++;
		return 1;
	}
	if (hp->collapse == TRAWL_COLLAPSE_COPIES) {
		uint64_t item = seg_item(seg, d);
		uint64_t c = hp->tm->copy && item < hp->tm->n
				     ? hp->tm->copy[item] : 0;

		if (!c) {
			/* a mail with no copies is a group of its own:
			 * counted without the bitmap */
			*group = item;
			if (total)
				(*total)++;
			return 1;
		}
		*group = c;
	} else {
		*group = group_of(hp, seg_item(seg, d));
	}
	if (!total)
		return 1;
	if (*group < hp->nseen) {
		uint64_t bit = (uint64_t)1 << (*group & 63);

		if (!(hp->seen[*group >> 6] & bit)) {
			hp->seen[*group >> 6] |= bit;
			(*total)++;
		}
	} else {
		(*total)++; /* not in the bitmap (cannot happen) */
	}
	return 1;
}

static int cmp_hits(const void *a, const void *b, void *hp)
{
	if (better(hp, a, b))
		return -1;
	return better(hp, b, a);
}

/* Frees the cursors of a segment's walk; the status, with corruption
 * they met reported. */
static trawl_status finish_ctx(trawl_searcher *s, struct ctx *c,
			       const struct segment *seg, trawl_status st)
{
	for (size_t i = 0; i < c->nall; i++) {
		if (c->all[i]->corrupt && !st)
			st = sfail(s, TRAWL_ERR_CORRUPT,
				   "index segment %llu: corrupt postings",
				   (unsigned long long)seg->id);
		free(c->all[i]);
	}
	free(c->all);
	c->all = NULL;
	c->nall = 0;
	if (!st && c->nomem < 0)
		st = sfail(s, TRAWL_ERR_CORRUPT,
			   "index segment %llu: corrupt dictionary",
			   (unsigned long long)seg->id);
	else if (!st && c->nomem)
		st = sfail(s, TRAWL_ERR_NOMEM, "out of memory");
	return st;
}

/* A segment's walk context for root, with the heap's pruning when ranked
 * by relevance. */
static void ctx_init(struct ctx *c, trawl_searcher *s,
		     const struct segment *seg, const struct pnode *root,
		     const struct heap *hp, const uint64_t *total)
{
	*c = (struct ctx){ .seg = seg, .segi = (size_t)(seg - s->segs),
			   .stats = &s->stats, .threads = &s->threads };
	if (hp->sort == TRAWL_SORT_RELEVANCE && hp->k) {
		c->prune_heap = hp;
		c->prune_root = root;
		c->prune_count = total != NULL;
	} else {
		c->no_scores = 1;
	}
}

/*
 * Walks one segment with iterator it (opened in c; NULL: out of memory),
 * then releases it and finishes c.  Ranking by score, once the heap is
 * full its worst score is the threshold: a stretch of documents whose
 * block-max bound is below it cannot enter the top, so it is not scored,
 * and when no exact count is wanted it is skipped without being decoded
 * (block-max pruning, as in Ding & Suel's block-max WAND, applied to the
 * whole query tree).  Bounds and scores use the same arithmetic in the
 * same order, so the bound never falls below a score and pruning changes
 * no result.
 */
static trawl_status walk(trawl_searcher *s, struct ctx *c, struct it *it,
			 const struct segment *seg, const uint8_t *del,
			 struct heap *hp, uint64_t *total)
{
	int scored = hp->sort == TRAWL_SORT_RELEVANCE && hp->k;
	trawl_status st = TRAWL_OK;
	uint32_t upto = 0;
	double bound = 0.0;
	int have_bound = 0;

	if (!it) {
		st = sfail(s, TRAWL_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (uint32_t d = it->doc; d != DOC_END;) {
		uint64_t g;

		if (scored && hp->n == hp->k) {
			if (!have_bound || d > upto) {
				bound = it->block_max(it, d, &upto);
				have_bound = 1;
			}
			/* a hair of margin: the bound's rounding may differ
			 * from the score's by an ulp */
			if (bound * (1.0 + 1e-9) < hp->h[0].score) {
				if (!total) {
					d = upto == DOC_END
						    ? DOC_END
						    : it->advance(it, upto + 1);
					continue;
				}
				if (!del || !((del[d >> 3] >> (d & 7)) & 1))
					admit(hp, seg, d, total, &g);
				d = it->next(it);
				continue;
			}
		}
		if (del && (del[d >> 3] >> (d & 7)) & 1) {
			d = it->next(it);
			continue;
		}
		if (!admit(hp, seg, d, total, &g)) {
			d = it->next(it);
			continue;
		}
		if (hp->k)
			offer(hp, seg, d, g, scored ? it->score(it) : 0.0, scored);
		d = it->next(it);
	}
	it->release(it);
out:
	return finish_ctx(s, c, seg, st);
}

static trawl_status run_segment(trawl_searcher *s, const struct pnode *root,
				const struct segment *seg, const uint8_t *del,
				struct heap *hp, uint64_t *total)
{
	struct ctx c;

	ctx_init(&c, s, seg, root, hp, total);
	return walk(s, &c, it_open(&c, root), seg, del, hp, total);
}

/* The per-document scratch of run_term and run_terms, for ndocs. */
static trawl_status scratch_reserve(trawl_searcher *s, uint32_t ndocs)
{
	size_t n = (size_t)ndocs + 1, words = ndocs / 64 + 1;
	double *a, *t;
	uint64_t *m, *y;
	uint32_t *u;

	if (s->cacc >= n)
		return TRAWL_OK;
	if ((a = realloc(s->acc, n * sizeof(*a))))
		s->acc = a;
	if ((t = realloc(s->tot, n * sizeof(*t))))
		s->tot = t;
	if ((m = realloc(s->mark, words * sizeof(*m))))
		s->mark = m;
	if ((y = realloc(s->any, words * sizeof(*y))))
		s->any = y;
	if ((u = realloc(s->touched, n * sizeof(*u))))
		s->touched = u;
	if (!a || !t || !m || !y || !u)
		return sfail(s, TRAWL_ERR_NOMEM, "out of memory");
	s->cacc = n;
	return TRAWL_OK;
}

/*
 * Adds term p's parts over its fields into acc (score.h: tf times the
 * field's factor for the norm, fields in order, as bm25f sums them),
 * marking each document met and listing it in touched (when not NULL,
 * *nt documents).  count: only the marks.  dense (without touched):
 * acc was zeroed, and every posting adds without a branch (0.0 + part is
 * part: the sums are the same to the bit).
 */
static trawl_status accumulate(trawl_searcher *s, const struct pnode *p,
			       const struct segment *seg, int count,
			       int dense, uint32_t *touched, size_t *nt)
{
	size_t si = (size_t)(seg - s->segs);
	uint8_t key[DOCTERMS_MAX_KEY];
	uint64_t *mark = s->mark;
	double *acc = s->acc;

	memcpy(key, p->key, p->klen);
	for (int f = 0; f < FLD_NTEXT; f++) {
		const uint8_t *norms = seg->col[COL_NORM0 + f];
		const double *k = s->stats.k[f];
		struct postings pc;

		if (!(p->fields & (1u << f)) || !p->have[si * FLD_NTEXT + f])
			continue;
		key[0] = (uint8_t)(f + (p->stem ? FLD_STEM : 0));
		postings_init(&pc, seg, key[0], &p->tis[si * FLD_NTEXT + f]);
		/* a block at a time, from the cursor's arrays */
		for (uint32_t d = postings_next(&pc); d != DOC_END;
		     d = postings_next(&pc)) {
			const uint32_t *docs = pc.docs, *tfs = pc.tfs;

			if (count) {
				for (uint32_t i = pc.i; i < pc.n; i++)
					mark[docs[i] >> 6] |= (uint64_t)1
							      << (docs[i] & 63);
				pc.i = pc.n - 1;
				continue;
			}
			if (dense) {
				/* a mark word's bits gather in a register
				 * while the docs stay in it: no store and
				 * reload of the word per posting */
				uint32_t cw = docs[pc.i] >> 6;
				uint64_t bits = 0;

				for (uint32_t i = pc.i; i < pc.n; i++) {
					uint32_t x = docs[i];

					acc[x] += (double)tfs[i] * k[norms[x]];
					if (x >> 6 != cw) {
						mark[cw] |= bits;
						cw = x >> 6;
						bits = 0;
					}
					bits |= (uint64_t)1 << (x & 63);
				}
				mark[cw] |= bits;
				pc.i = pc.n - 1;
				continue;
			}
			for (uint32_t i = pc.i; i < pc.n; i++) {
				uint32_t x = docs[i];
				double part = (double)tfs[i] * k[norms[x]];
				uint64_t bit = (uint64_t)1 << (x & 63);

				if (mark[x >> 6] & bit) {
					acc[x] += part;
				} else {
					acc[x] = part;
					mark[x >> 6] |= bit;
					if (touched)
						touched[(*nt)++] = x;
				}
			}
			pc.i = pc.n - 1;
		}
		if (pc.corrupt)
			return sfail(s, TRAWL_ERR_CORRUPT, "index segment %llu: "
				     "corrupt postings",
				     (unsigned long long)seg->id);
	}
	return TRAWL_OK;
}

/*
 * Segment si's documents whose mail shares its content hash with another
 * (a copy entry in the thread map; admit() groups them), as a bitmap,
 * made on first use and kept until the next refresh.  NULL when the map
 * has no copy array or memory is short: the caller walks every document.
 */
static const uint64_t *copy_bits(trawl_searcher *s, size_t si)
{
	const struct segment *seg = &s->segs[si];
	uint64_t *b;

	if (!s->copies || !s->threads.copy)
		return NULL;
	if (s->copies[si])
		return s->copies[si];
	if (!(b = calloc(seg->ndocs / 64 + 1, sizeof(*b))))
		return NULL;
	for (uint32_t d = 0; d < seg->ndocs; d++) {
		uint64_t item = seg_item(seg, d);

		if (item < s->threads.n && s->threads.copy[item])
			b[d >> 6] |= (uint64_t)1 << (d & 63);
	}
	return s->copies[si] = b;
}

/* Segment si's documents of the kinds in mask kinds (bit k: kind k), as
 * a bitmap, kept for the last mask asked until the next refresh; NULL
 * when memory is short. */
static const uint64_t *kind_bits(trawl_searcher *s, size_t si,
				 unsigned kinds)
{
	const struct segment *seg = &s->segs[si];
	const uint8_t *kind = seg->col[COL_KIND];
	size_t words = seg->ndocs / 64 + 1;
	uint64_t *b;

	if (!s->kinds || !s->kmask)
		return NULL;
	if (s->kinds[si] && s->kmask[si] == kinds)
		return s->kinds[si];
	if (!(b = s->kinds[si]) && !(b = calloc(words, sizeof(*b))))
		return NULL;
	s->kinds[si] = b;
	memset(b, 0, words * sizeof(*b));
	for (uint32_t d = 0; d < seg->ndocs; d++)
		if (kind[d] < 32 && (kinds >> kind[d]) & 1)
			b[d >> 6] |= (uint64_t)1 << (d & 63);
	s->kmask[si] = kinds;
	return b;
}

/* Word w (docs 64w..64w+63) of a deletion bitmap of ndocs bits. */
static uint64_t del_word(const uint8_t *del, size_t w, uint32_t ndocs)
{
	size_t n = ((size_t)ndocs + 7) / 8, at = w * 8;
	uint64_t x = 0;

	if (at < n)
		memcpy(&x, del + at, n - at < 8 ? n - at : 8); /* LE host */
	return x;
}

/* The sum of bm25f parts a score needs to beat theta, the worst in a full
 * heap (final is increasing; 1e-9 margin for rounding), for a clause of
 * factor c = idf * (k1 + 1). */
static double sum_floor(double theta, double c)
{
	double t_min = theta < c ? theta * BM25_K1 / (c - theta) * (1.0 - 1e-9)
				 : INFINITY;

	return t_min > DBL_MIN ? t_min : DBL_MIN;
}

/* The bitmaps count_marked needs for hp: of the kinds asked (*kb) and of
 * the documents with copies (*cb), each NULL when not needed.  0 when
 * they cannot serve (collapsed by thread, or memory short). */
static int count_bits(trawl_searcher *s, size_t si, const struct heap *hp,
		      const uint64_t **kb, const uint64_t **cb)
{
	*kb = *cb = NULL;
	return (!hp->kinds || (*kb = kind_bits(s, si, hp->kinds))) &&
	       (!hp->collapse || (hp->collapse == TRAWL_COLLAPSE_COPIES &&
				  (*cb = copy_bits(s, si))));
}

/* Counts into *total the documents of seg set in mark that are not
 * deleted and of the kinds asked: a popcount, but for the mails with
 * copies, counted once a group by admit.  kb, cb: from count_bits. */
static void count_marked(struct heap *hp, const struct segment *seg,
			 const uint8_t *del, const uint64_t *mark,
			 const uint64_t *kb, const uint64_t *cb,
			 uint64_t *total)
{
	size_t words = seg->ndocs / 64 + 1;

	for (size_t w = 0; w < words; w++) {
		uint64_t m = mark[w], x;

		if (del)
			m &= ~del_word(del, w, seg->ndocs);
		if (kb)
			m &= kb[w];
		if (!cb) {
			*total += (uint64_t)__builtin_popcountll(m);
			continue;
		}
		*total += (uint64_t)__builtin_popcountll(m & ~cb[w]);
		for (x = m & cb[w]; x; x &= x - 1) {
			uint64_t g;

			admit(hp, seg, (uint32_t)(w * 64) +
					       (uint32_t)__builtin_ctzll(x),
			      total, &g);
		}
	}
}

/* Whether any of a[0..8) is at least lo (none is a NaN): all eight
 * compared, two by two, without a branch. */
static inline int any_at_least(const double *a, double lo)
{
#ifdef __SSE2__
	__m128d l = _mm_set1_pd(lo);
	__m128d x = _mm_or_pd(_mm_cmpge_pd(_mm_loadu_pd(a), l),
			      _mm_cmpge_pd(_mm_loadu_pd(a + 2), l));
	__m128d y = _mm_or_pd(_mm_cmpge_pd(_mm_loadu_pd(a + 4), l),
			      _mm_cmpge_pd(_mm_loadu_pd(a + 6), l));

	return _mm_movemask_pd(_mm_or_pd(x, y)) != 0;
#else
	int r = 0;

	for (int i = 0; i < 8; i++)
		r |= a[i] >= lo;
	return r;
#endif
}

/*
 * A query of one term, term at a time: each field's postings in turn add
 * their part (score.h) into a per-document accumulator, then the touched
 * documents are scored and ranked in one pass.  Fields go in field order,
 * so each accumulator sums its parts exactly as bm25f does; no cursor
 * juggling, no per-document calls.  This is the common-word case, where
 * saturation leaves block-max pruning little to skip.
 */
static trawl_status run_term(trawl_searcher *s, const struct pnode *p,
			     const struct segment *seg, const uint8_t *del,
			     struct heap *hp, uint64_t *total)
{
	size_t words = seg->ndocs / 64 + 1, si = (size_t)(seg - s->segs);
	int scored = hp->sort == TRAWL_SORT_RELEVANCE && hp->k, dense = 0;
	uint64_t *mark, postings = 0;
	const uint64_t *cb = NULL, *kb = NULL;
	double *acc, c, t_min = -1.0, theta = -1.0;
	trawl_status st;

	if ((st = scratch_reserve(s, seg->ndocs)))
		return st;
	acc = s->acc;
	mark = s->mark;
	memset(mark, 0, words * sizeof(*mark));
	/* many postings: zero acc and add without branches; unranked,
	 * only the marks */
	if (scored) {
		for (int f = 0; f < FLD_NTEXT; f++)
			if ((p->fields & (1u << f)) &&
			    p->have[si * FLD_NTEXT + f])
				postings += p->tis[si * FLD_NTEXT + f].df;
		if (postings > seg->ndocs / 8) {
			dense = 1;
			memset(acc, 0, seg->ndocs * sizeof(*acc));
		}
	}
	if ((st = accumulate(s, p, seg, !scored, dense, NULL, NULL)))
		return st;
	c = p->idf * (BM25_K1 + 1.0);
	if (dense && scored && count_bits(s, si, hp, &kb, &cb)) {
		/* the matches are the nonzero accumulators (parts are
		 * positive: every field's weight is), counted from their
		 * marks; then a linear scan offers the few documents that
		 * can enter the heap */
		double lo = DBL_MIN;

		if (total)
			count_marked(hp, seg, del, mark, kb, cb, total);
		for (uint32_t d = 0; d < seg->ndocs; d++) {
			uint64_t g = 0;

			/* eight at a time while none can enter (the bound
			 * changes only with an offer) */
			if (!(d & 7) && d + 8 <= seg->ndocs &&
			    !any_at_least(acc + d, lo)) {
				d += 7;
				continue;
			}
			if (acc[d] < lo ||
			    (del && (del[d >> 3] >> (d & 7)) & 1) ||
			    ((cb || kb) && !admit(hp, seg, d, NULL, &g)))
				continue;
			offer(hp, seg, d, g, bm25f_final(p->idf, acc[d]), 1);
			if (hp->n == hp->k && hp->h[0].score != theta) {
				theta = hp->h[0].score;
				lo = sum_floor(theta, c);
			}
		}
		return TRAWL_OK;
	}
	for (size_t w = 0; w < words; w++) {
		uint64_t m = mark[w];

		if (!hp->k && !del && !hp->kinds && !hp->collapse) {
			if (total)
				*total += (uint64_t)__builtin_popcountll(m);
			continue;
		}
		while (m) {
			uint32_t d = (uint32_t)(w * 64) +
				     (uint32_t)__builtin_ctzll(m);
			uint64_t g;

			m &= m - 1;
			if (del && (del[d >> 3] >> (d & 7)) & 1)
				continue;
			if (!admit(hp, seg, d, total, &g) || !hp->k)
				continue;
			/* the accumulator a score needs to beat the heap's
			 * worst (final is increasing; 1e-9 margin for
			 * rounding): most documents stop here */
			if (scored && hp->n == hp->k) {
				if (hp->h[0].score != theta) {
					theta = hp->h[0].score;
					t_min = sum_floor(theta, c);
				}
				if (acc[d] < t_min)
					continue;
			}
			offer(hp, seg, d, g,
			      scored ? bm25f_final(p->idf, acc[d]) : 0.0, scored);
		}
	}
	return TRAWL_OK;
}

/*
 * A flat disjunction of terms (a prefix's expansions, `a OR b`), term at
 * a time: each term's fields accumulate into acc as in run_term, then its
 * score is added to the document's sum -- terms in the query's order, so
 * each sum is the one bool_score makes, bit for bit.  Every posting is
 * read once; no cursor heap over hundreds of expansions.
 *
 * With all set, a flat conjunction of common terms ranked by relevance
 * (flat_and), with `any` holding the documents every term so far matched.
 * Where each word is in a good share of the documents, the cursors of
 * walk() meet on most of the same postings one at a time and the
 * block-max bounds skip little ("these list": 0.25 ms there, 0.09 here).
 */
static trawl_status run_terms(trawl_searcher *s, const struct pnode *root,
			      const struct segment *seg, const uint8_t *del,
			      struct heap *hp, uint64_t *total, int all)
{
	size_t words = seg->ndocs / 64 + 1;
	int scored = hp->sort == TRAWL_SORT_RELEVANCE && hp->k;
	uint64_t *mark, *any;
	double *acc, *tot;
	uint32_t *touched;
	trawl_status st;

	if ((st = scratch_reserve(s, seg->ndocs)))
		return st;
	acc = s->acc;
	mark = s->mark;
	tot = s->tot;
	any = s->any;
	touched = s->touched;
	memset(mark, 0, words * sizeof(*mark));
	memset(any, 0, words * sizeof(*any));
	for (size_t t = 0; t < root->nkids; t++) {
		const struct pnode *p = root->kids[t];
		size_t nt = 0;

		if ((st = accumulate(s, p, seg, 0, 0, touched, &nt)))
			return st;
		/* the term's score into each touched document's sum */
		for (size_t i = 0; i < nt; i++) {
			uint32_t x = touched[i];
			uint64_t bit = (uint64_t)1 << (x & 63);
			double sc;

			if (all) { /* mark stays: cleared below */
				if (!t)
					tot[x] = 0.0 + bm25f_final(p->idf,
								   acc[x]);
				else if (any[x >> 6] & bit)
					tot[x] += bm25f_final(p->idf, acc[x]);
				continue;
			}
			sc = scored ? bm25f_final(p->idf, acc[x]) : 0.0;
			mark[x >> 6] &= ~bit;
			if (any[x >> 6] & bit) {
				tot[x] += sc;
			} else {
				tot[x] = 0.0 + sc;
				any[x >> 6] |= bit;
			}
		}
		/* all: mark holds this term's documents; keep those in all */
		for (size_t w = 0; all && w < words; w++) {
			any[w] = t ? any[w] & mark[w] : mark[w];
			mark[w] = 0;
		}
	}
	for (size_t w = 0; w < words; w++) {
		uint64_t m = any[w];

		while (m) {
			uint32_t d = (uint32_t)(w * 64) +
				     (uint32_t)__builtin_ctzll(m);
			uint64_t g;

			m &= m - 1;
			if (del && (del[d >> 3] >> (d & 7)) & 1)
				continue;
			if (!admit(hp, seg, d, total, &g) || !hp->k)
				continue;
			offer(hp, seg, d, g, scored ? tot[d] : 0.0, scored);
		}
	}
	return TRAWL_OK;
}

/* The first document from `from` on whose bit in m is clear, below n;
 * DOC_END when none. */
static uint32_t next_clear(const uint64_t *m, uint32_t from, uint32_t n)
{
	size_t w = from >> 6, last = n ? (n - 1) >> 6 : 0;
	uint64_t x;
	uint32_t d;

	if (from >= n)
		return DOC_END;
	x = ~m[w] & (~(uint64_t)0 << (from & 63));
	while (!x) {
		if (++w > last)
			return DOC_END;
		x = ~m[w];
	}
	d = (uint32_t)(w * 64) + (uint32_t)__builtin_ctzll(x);
	return d < n ? d : DOC_END;
}

/* Puts every field of ph back on its first candidate (a second pass over
 * the lists); -1 when a cursor met corruption (reported by finish_ctx,
 * so it is not rewound). */
static int phrase_rewind(struct phrase_it *ph)
{
	for (int i = 0; i < ph->npf; i++) {
		struct phrase_field *pf = &ph->pf[i];

		for (size_t t = 0; t < ph->p->nterms; t++) {
			struct postings *pc = pf->pc[t];
			struct term_info ti = pc->ti;

			if (pc->corrupt)
				return -1;
			postings_init(pc, pc->seg, pc->field, &ti);
			postings_next(pc);
		}
		phrase_candidate(ph, pf, 0);
	}
	return 0;
}

/* The candidates phrase ph's field i can have at most: its terms' least
 * df. */
static uint64_t phrase_field_df(const struct phrase_it *ph, int i)
{
	uint64_t df = UINT64_MAX;

	for (size_t t = 0; t < ph->p->nterms; t++)
		if (ph->pf[i].pc[t]->ti.df < df)
			df = ph->pf[i].pc[t]->ti.df;
	return df;
}

/*
 * Sets the bit in mark of every document where phrase ph holds in some
 * field, but for those already set in done, which are passed over (done
 * may be mark; a match is set in both).  The field with the most
 * candidates goes first; each later one looks only at the documents not
 * done yet, skipping the others by the bitmap, and a match need only
 * exist: a common phrase (one in the senders and the recipients of most
 * mails) has each document's positions checked about once, not once per
 * field.
 */
static void phrase_marks(struct phrase_it *ph, uint64_t *done,
			 uint64_t *mark, uint32_t ndocs)
{
	int order[FLD_NTEXT];
	uint64_t est[FLD_NTEXT];

	for (int i = 0; i < ph->npf; i++) {
		int j = i;

		est[i] = phrase_field_df(ph, i);
		for (; j > 0 && est[order[j - 1]] < est[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (int k = 0; k < ph->npf; k++) {
		struct phrase_field *pf = &ph->pf[order[k]];

		while (pf->doc != DOC_END) {
			uint32_t d = pf->doc;
			uint64_t bit = (uint64_t)1 << (d & 63);

			if (done[d >> 6] & bit) {
				uint32_t t = next_clear(done, d + 1, ndocs);

				if (t == DOC_END)
					break;
				phrase_candidate_inline(ph, pf, t);
				continue;
			}
			if (phrase_freq_inline(ph, pf, 1)) {
				mark[d >> 6] |= bit;
				done[d >> 6] |= bit;
			}
			phrase_candidate_inline(ph, pf, d + 1);
		}
	}
}

/*
 * Bounds of phrase ph's scores in acc (zeroed first), term at a time: in
 * each field, in field order, the tf of the term with the fewest
 * documents adds what bm25f_part adds for a phrase frequency of that tf.
 * A phrase occurs no more often than any of its terms (with slop, than
 * its first: see phrase_min_tf), so this is at least the document's
 * score, to the bit: the parts sum in the same order, and rounding is
 * monotonic.
 */
static void phrase_bounds(struct phrase_it *ph, const struct segment *seg,
			  double *acc)
{
	memset(acc, 0, seg->ndocs * sizeof(*acc));
	for (int i = 0; i < ph->npf; i++) {
		const struct phrase_field *pf = &ph->pf[i];
		const uint8_t *norms = seg->col[COL_NORM0 + pf->field];
		const double *k = ph->c->stats->k[pf->field];
		struct postings *least = pf->pc[0], pc;

		for (size_t t = 1; t < ph->p->nterms && !ph->p->slop; t++)
			if (pf->pc[t]->ti.df < least->ti.df)
				least = pf->pc[t];
		postings_init(&pc, seg, least->field, &least->ti);
		for (uint32_t d = postings_next(&pc); d != DOC_END;
		     d = postings_next(&pc)) {
			for (uint32_t j = pc.i; j < pc.n; j++) {
				uint32_t x = pc.docs[j];

				acc[x] += (double)pc.tfs[j] * k[norms[x]];
			}
			pc.i = pc.n - 1;
		}
		if (pc.corrupt)
			least->corrupt = 1; /* for finish_ctx */
	}
}

/*
 * Offers to the heap, ranked by relevance, the documents where phrase ph
 * holds, for a phrase whose terms are common: the bounds of phrase_bounds
 * first, then a linear scan counts positions only where a bound can
 * enter the heap.  A common phrase's scores saturate: its best documents
 * have many occurrences, and most documents' bounds fall short of them.
 * Cursors only move forward, so each list is read once more at most.
 * Each document whose positions were counted is set in done, and in
 * mark when the phrase holds.
 */
static void phrase_rank(trawl_searcher *s, struct phrase_it *ph,
			const struct segment *seg, const uint8_t *del,
			struct heap *hp, uint64_t *done, uint64_t *mark)
{
	double *acc = s->acc, c = ph->p->idf * (BM25_K1 + 1.0);
	double lo = DBL_MIN, theta = -1.0;

	if (hp->n == hp->k) { /* full from the segments before */
		theta = hp->h[0].score;
		lo = sum_floor(theta, c);
	}
	phrase_bounds(ph, seg, acc);
	for (uint32_t d = 0; d < seg->ndocs; d++) {
		uint32_t tf[FLD_NTEXT] = { 0 };
		uint8_t len[FLD_NTEXT] = { 0 };
		uint64_t g;
		int any = 0;

		if (acc[d] < lo || (del && (del[d >> 3] >> (d & 7)) & 1) ||
		    !admit(hp, seg, d, NULL, &g))
			continue;
		for (int i = 0; i < ph->npf; i++)
			if (ph->pf[i].doc < d)
				phrase_candidate(ph, &ph->pf[i], d);
		/* the bound from every term's tf on d, tighter than acc's */
		if (phrase_doc_max(ph, d) * (1.0 + 1e-9) < heap_floor(hp))
			continue;
		for (int i = 0; i < ph->npf; i++) {
			struct phrase_field *pf = &ph->pf[i];

			if (pf->doc != d || !(pf->freq = phrase_freq(ph, pf, 0)))
				continue;
			tf[pf->field] = pf->freq;
			len[pf->field] = seg_norm(seg, pf->field, d);
			any = 1;
		}
		done[d >> 6] |= (uint64_t)1 << (d & 63);
		if (!any)
			continue;
		mark[d >> 6] |= (uint64_t)1 << (d & 63);
		offer(hp, seg, d, g,
		      bm25f(ph->c->stats, ph->p->idf, tf, len, ph->p->fields),
		      1);
		if (hp->n == hp->k && hp->h[0].score != theta) {
			theta = hp->h[0].score;
			lo = sum_floor(theta, c);
		}
	}
}

/*
 * A query that is one phrase.  Ranked by relevance, when its terms are
 * common in two fields or more (an address's parts, "enron com", are in
 * the senders and the recipients of most mails), phrase_rank first;
 * then, for an exact count, the matches among the documents it did not
 * look at (phrase_marks), counted from the bitmap.  Otherwise the
 * document-at-a-time walk of run_segment, whose per-document bounds
 * (the terms' least tf) spare more position checks, but which steps
 * through every field's candidates on every document.  Unranked, the
 * matches, then offered from the bitmap.
 */
static trawl_status run_phrase(trawl_searcher *s, const struct pnode *p,
			       const struct segment *seg, const uint8_t *del,
			       struct heap *hp, uint64_t *total)
{
	int scored = hp->sort == TRAWL_SORT_RELEVANCE && hp->k, dense = 0;
	size_t words = seg->ndocs / 64 + 1, si = (size_t)(seg - s->segs);
	struct phrase_it *ph = calloc(1, sizeof(*ph));
	const uint64_t *kb, *cb;
	uint64_t *mark, *done;
	trawl_status st = TRAWL_OK;
	struct ctx c;

	ctx_init(&c, s, seg, p, hp, total);
	if (!ph || phrase_fields(&c, p, ph)) {
		c.nomem = 1;
		goto out;
	}
	for (int i = 0; i < ph->npf; i++)
		dense += phrase_field_df(ph, i) > seg->ndocs / 8;
	if (scored && dense < 2) {
		struct it *it = phrase_start(&c, ph);

		return walk(s, &c, it, seg, del, hp, total);
	}
	if ((st = scratch_reserve(s, seg->ndocs)))
		goto out;
	mark = s->mark;
	done = scored ? s->any : mark;
	memset(mark, 0, words * sizeof(*mark));
	memset(done, 0, words * sizeof(*done));
	if (scored) {
		phrase_rank(s, ph, seg, del, hp, done, mark);
		if (!total || phrase_rewind(ph))
			goto out;
	}
	phrase_marks(ph, done, mark, seg->ndocs);
	if (total && count_bits(s, si, hp, &kb, &cb)) {
		count_marked(hp, seg, del, mark, kb, cb, total);
		total = NULL;
	}
	for (size_t w = 0; w < words && (total || (!scored && hp->k)); w++) {
		for (uint64_t m = mark[w]; m; m &= m - 1) {
			uint32_t d = (uint32_t)(w * 64) +
				     (uint32_t)__builtin_ctzll(m);
			uint64_t g;

			if ((del && (del[d >> 3] >> (d & 7)) & 1) ||
			    !admit(hp, seg, d, total, &g) || scored || !hp->k)
				continue;
			offer(hp, seg, d, g, 0.0, 0);
		}
	}
out:
	if (ph)
		phrase_release(&ph->it);
	return finish_ctx(s, &c, seg, st);
}

/* A bool of SHOULD terms only, for run_terms. */
static int flat_or(const struct pnode *p)
{
	if (p->type != Q_BOOL || !p->nkids)
		return 0;
	for (size_t i = 0; i < p->nkids; i++)
		if (p->occur[i] != TRAWL_SHOULD || p->kids[i]->type != Q_TERM)
			return 0;
	return 1;
}

/*
 * A bool of MUST terms only, ranked by relevance, each term in at least
 * 1/AND_TAAT_SHARE of segment seg's documents (its largest field's df, a
 * lower bound of its documents), for run_terms with all set.
 */
#define AND_TAAT_SHARE 16
static int flat_and(const trawl_searcher *s, const struct pnode *p,
		    const struct segment *seg, const struct heap *hp)
{
	size_t si = (size_t)(seg - s->segs);

	if (p->type != Q_BOOL || p->nkids < 2 ||
	    hp->sort != TRAWL_SORT_RELEVANCE || !hp->k)
		return 0;
	for (size_t i = 0; i < p->nkids; i++) {
		const struct pnode *k = p->kids[i];
		uint64_t df = 0;

		if (p->occur[i] != TRAWL_MUST || k->type != Q_TERM)
			return 0;
		for (int f = 0; f < FLD_NTEXT; f++)
			if ((k->fields & (1u << f)) &&
			    k->have[si * FLD_NTEXT + f] &&
			    k->tis[si * FLD_NTEXT + f].df > df)
				df = k->tis[si * FLD_NTEXT + f].df;
		if (df * AND_TAAT_SHARE < seg->ndocs)
			return 0;
	}
	return 1;
}

trawl_status trawl_search(trawl_searcher *s, const trawl_query *q,
			  trawl_sort sort, size_t offset, size_t limit,
			  trawl_hit *hits, size_t *nhits, uint64_t *total)
{
	trawl_search_options o = { .sort = sort, .offset = offset,
				   .limit = limit };

	return trawl_search_run(s, q, &o, hits, nhits, total);
}

trawl_status trawl_search_run(trawl_searcher *s, const trawl_query *q,
			      const trawl_search_options *o, trawl_hit *hits,
			      size_t *nhits, uint64_t *total)
{
	struct prep pr = { .s = s };
	struct heap hp = { 0 };
	struct pnode *root = NULL;
	trawl_status st = TRAWL_OK;
	size_t offset, limit;

	*nhits = 0;
	if (total)
		*total = 0;
	if (!q || !o || o->sort < TRAWL_SORT_RELEVANCE ||
	    o->sort > TRAWL_SORT_OLDEST || o->collapse > TRAWL_COLLAPSE_THREADS)
		return sfail(s, TRAWL_ERR_INVALID, "no query, or bad options");
	offset = o->offset;
	limit = o->limit;
	if (offset > TRAWL_MAX_RESULTS || limit > TRAWL_MAX_RESULTS - offset)
		return sfail(s, TRAWL_ERR_TOO_LARGE,
			     "offset + limit is over %d", TRAWL_MAX_RESULTS);
	hp.sort = o->sort;
	hp.kinds = o->kinds;
	hp.collapse = o->collapse;
	hp.tm = &s->threads;
	if (!(root = prepare(&pr, q, 0)))
		return pr.st ? pr.st : sfail(s, TRAWL_ERR_NOMEM, "out of memory");
	hp.k = limit ? offset + limit : 0;
	if (hp.k && !(hp.h = malloc(hp.k * sizeof(*hp.h))))
		goto nomem;
	if (hp.collapse && hp.k) {
		size_t cap = 16;

		while (cap < 2 * hp.k)
			cap *= 2;
		if (!(hp.map = calloc(cap, sizeof(*hp.map))))
			goto nomem;
		hp.mapmask = cap - 1;
	}
	if (hp.collapse && total) {
		hp.nseen = (s->max_item > s->threads.n ? s->max_item
						       : s->threads.n) + 1;
		if (!(hp.seen = calloc(hp.nseen / 64 + 1, sizeof(*hp.seen))))
			goto nomem;
	}
	for (size_t i = 0; i < s->nsegs && !st; i++)
		st = root->type == Q_TERM
			     ? run_term(s, root, &s->segs[i], s->del[i], &hp,
					total)
		     : flat_or(root)
			     ? run_terms(s, root, &s->segs[i], s->del[i], &hp,
					 total, 0)
		     : flat_and(s, root, &s->segs[i], &hp)
			     ? run_terms(s, root, &s->segs[i], s->del[i], &hp,
					 total, 1)
		     : root->type == Q_PHRASE
			     ? run_phrase(s, root, &s->segs[i], s->del[i], &hp,
					  total)
			     : run_segment(s, root, &s->segs[i], s->del[i],
					   &hp, total);
	if (!st && hp.n > offset) {
		qsort_r(hp.h, hp.n, sizeof(*hp.h), cmp_hits, &hp);
		*nhits = hp.n - offset;
		memcpy(hits, hp.h + offset, *nhits * sizeof(*hits));
		for (size_t i = 0; i < *nhits; i++)
			hits[i].thread = threadmap_get(&s->threads,
						       hits[i].item);
	}
	goto out;
nomem:
	st = sfail(s, TRAWL_ERR_NOMEM, "out of memory");
out:
	free(hp.h);
	free(hp.map);
	free(hp.seen);
	pnode_free(root);
	return st;
}

const struct segment *searcher_segment(const trawl_searcher *s, size_t i)
{
	return &s->segs[i];
}

trawl_status searcher_match_bits(trawl_searcher *s, const trawl_query *q,
				 const trawl_search_options *o,
				 uint64_t ***bits, size_t *n)
{
	struct prep pr = { .s = s };
	struct heap hp = { .tm = &s->threads };
	struct pnode *root;
	trawl_status st = TRAWL_OK;

	*bits = NULL;
	*n = 0;
	if (!q)
		return sfail(s, TRAWL_ERR_INVALID, "no query");
	if (o)
		hp.kinds = o->kinds;
	if (!(root = prepare(&pr, q, 0)))
		return pr.st ? pr.st : sfail(s, TRAWL_ERR_NOMEM, "out of memory");
	if (!(*bits = calloc(s->nsegs + 1, sizeof(**bits)))) {
		pnode_free(root);
		return sfail(s, TRAWL_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < s->nsegs && !st; i++) {
		const struct segment *seg = &s->segs[i];
		const uint8_t *del = s->del[i];
		struct ctx c = { .seg = seg, .segi = (size_t)(seg - s->segs),
			 .stats = &s->stats, .threads = &s->threads,
			 .no_scores = 1 };
		uint64_t *b = calloc(seg->ndocs / 64 + 1, sizeof(*b));
		struct it *it = b ? it_open(&c, root) : NULL;

		(*bits)[(*n)++] = b;
		if (!it) {
			st = sfail(s, TRAWL_ERR_NOMEM, "out of memory");
		} else {
			for (uint32_t d = it->doc; d != DOC_END;
			     d = it->next(it)) {
				uint64_t g;

				if (del && ((del[d >> 3] >> (d & 7)) & 1))
					continue;
				if (admit(&hp, seg, d, NULL, &g))
					b[d >> 6] |= (uint64_t)1 << (d & 63);
			}
			it->release(it);
		}
		st = finish_ctx(s, &c, seg, st);
	}
	pnode_free(root);
	return st;
}

const struct threadmap *searcher_threads(const trawl_searcher *s)
{
	return &s->threads;
}
