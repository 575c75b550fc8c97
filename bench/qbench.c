/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * qbench.c - query latency of trawl's engine, in process (issue #3's
 * benchmark; bench/run runs it, bench/README.md explains the figures).
 *
 *   qbench ARCHIVE QUERIES.tsv [--reps N] [--max-reps N] [--target-ms MS]
 *          [--limit N] [--json FILE] [--label NAME] [-q]
 *
 * Each query of QUERIES.tsv (../shared/bench/queries.tsv) runs four ways
 * through the public API (trawl.h): top 20 by relevance, top 20 newest
 * first, the exact count (limit 0) -- the engine alone, from the `spec`
 * column -- and `search`: issue #4's end-to-end figure, the `notmuch`
 * column through the query language, the top 20 with the exact total,
 * each hit loaded and its snippets made (op_search).  Timing, medians and
 * percentiles are bench/peers/harness.h's, the same code as the peers'
 * harnesses.
 *
 * The `spec` column is translated as the query language will do it; every
 * word goes through the analyzer (analyze.h), and building the query,
 * analysis included, is inside the timed region:
 *   term:w          trawl_query_term(stem of w, TRAWL_FIELD_ALL, 1): a plain
 *                   word matches its inflections.  A token without a stem
 *                   (a number, a compound) is looked up exactly.
 *   and:a b [c]     a bool of MUSTs of such terms
 *   or:a b          a bool of SHOULDs
 *   phrase:a b      trawl_query_phrase of the normalized forms (not
 *                   stemmed) over TRAWL_FIELD_ALL, slop 0
 *   from:addr       trawl_query_keyword(TRAWL_KW_FROM, the address
 *                   lower-cased)
 *   prefix:abc      trawl_query_prefix(normalized abc, TRAWL_FIELD_ALL)
 *   range:D1..D2    trawl_query_range(TRAWL_COL_DATE, D1 00:00:00 UTC,
 *                   D2 23:59:59 UTC)
 * A spec of several clauses ("from:addr term:w", "range:D1..D2 term:w") is
 * a bool of MUSTs, in spec order except that a range comes last.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "mailutil.h"
#include "trawl.h"
#include "peers/harness.h"
#include "banned.h"

#define TOP_K 20
#define MAX_WORDS 16        /* words of one clause */
#define MAX_CLAUSES 4       /* clauses of one spec */
#define MAX_ADDR 256        /* bytes of a from: address */

struct qbench {
	trawl_archive *a;
	trawl_searcher *s;
	struct analyzer *an;
	trawl_parser *p;
	trawl_highlighter *h;
	int upto;	/* op_search stops after: 1 the search, 2 the loads */
};

/* ------------------------------------------------------------------ */
/* analysis */

enum toks_mode {
	TOKS_STEM,   /* the first token: its stem if it has one */
	TOKS_EXACT,  /* the first token: its normalized text */
	TOKS_PARTS,  /* every token but whole compounds: normalized text */
};

/* Tokens of one analyzer_run, copied out of the callback. */
struct toks {
	enum toks_mode mode;
	const char *text[MAX_WORDS];
	int stemmed[MAX_WORDS];
	size_t n;
	int overflow;
	size_t used;
	char buf[MAX_WORDS * (TRAWL_COMPOUND_MAX + 1)];
};

static int toks_cb(void *ctx, const struct token *t)
{
	struct toks *k = ctx;
	int stem = k->mode == TOKS_STEM && t->stem;
	const char *s = stem ? t->stem : t->text;
	size_t len = stem ? t->stem_len : t->len;

	if (k->mode == TOKS_PARTS && t->kind == TOK_COMPOUND)
		return 0;
	if (k->n == MAX_WORDS || len + 1 > sizeof(k->buf) - k->used) {
		k->overflow = 1;
		return 1;
	}
	memcpy(k->buf + k->used, s, len);
	k->buf[k->used + len] = '\0';
	k->text[k->n] = k->buf + k->used;
	k->stemmed[k->n++] = stem;
	k->used += len + 1;
	return k->mode != TOKS_PARTS;
}

/* Analyzes s[0..n); 0 when it gave at least one token and all fitted. */
static int analyze(struct qbench *qb, struct toks *k, enum toks_mode mode,
		   const char *s, size_t n)
{
	k->mode = mode;
	k->n = 0;
	k->used = 0;
	k->overflow = 0;
	analyzer_run(qb->an, s, n, 0, toks_cb, k);
	if (k->overflow || !k->n) {
		fprintf(stderr, "qbench: '%.*s' gives %s\n", (int)n, s,
			k->n ? "too many tokens" : "no token");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* clauses: each builds a query from its argument span s[0..n) */

static trawl_query *build_term(struct qbench *qb, const char *s, size_t n)
{
	struct toks k;

	if (analyze(qb, &k, TOKS_STEM, s, n))
		return NULL;
	return trawl_query_term(k.text[0], TRAWL_FIELD_ALL, k.stemmed[0]);
}

/* The next word of [*p, end), skipping spaces; 0 at the end. */
static size_t next_word(const char **p, const char *end)
{
	const char *w;

	while (*p < end && **p == ' ')
		(*p)++;
	w = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	return (size_t)(*p - w);
}

/* A bool of terms, one per word, each with `occur`. */
static trawl_query *build_terms(struct qbench *qb, const char *s, size_t n,
				trawl_occur occur)
{
	trawl_query *b = trawl_query_bool();
	const char *p = s, *end = s + n;
	size_t len, words = 0;

	while (b && (len = next_word(&p, end))) {
		if (trawl_query_add(b, occur, build_term(qb, p - len, len))) {
			trawl_query_free(b);
			b = NULL;
		}
		words++;
	}
	if (b && !words) {
		trawl_query_free(b);
		b = NULL;
	}
	return b;
}

static trawl_query *build_and(struct qbench *qb, const char *s, size_t n)
{
	return build_terms(qb, s, n, TRAWL_MUST);
}

static trawl_query *build_or(struct qbench *qb, const char *s, size_t n)
{
	return build_terms(qb, s, n, TRAWL_SHOULD);
}

static trawl_query *build_phrase(struct qbench *qb, const char *s, size_t n)
{
	struct toks k;

	if (analyze(qb, &k, TOKS_PARTS, s, n))
		return NULL;
	return trawl_query_phrase(k.text, k.n, TRAWL_FIELD_ALL, 0);
}

static trawl_query *build_prefix(struct qbench *qb, const char *s, size_t n)
{
	struct toks k;

	if (analyze(qb, &k, TOKS_EXACT, s, n))
		return NULL;
	return trawl_query_prefix(k.text[0], TRAWL_FIELD_ALL);
}

static trawl_query *build_from(struct qbench *qb, const char *s, size_t n)
{
	char addr[MAX_ADDR];

	if (!n || n >= sizeof(addr))
		return NULL;
	for (size_t i = 0; i < n; i++)
		addr[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	addr[n] = '\0';
	return trawl_query_keyword(TRAWL_KW_FROM, addr);
}

/* YYYY-MM-DD at s[0..10) as UTC seconds at 00:00:00; -1 if malformed. */
static int parse_day(const char *s, int64_t *out)
{
	static const char shape[] = "dddd-dd-dd";
	unsigned v[3] = { 0, 0, 0 };

	for (size_t i = 0, f = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == '-') {
			if (s[i] != '-')
				return -1;
			f++;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v[f] = v[f] * 10 + (unsigned)(s[i] - '0');
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return -1;
	*out = days_from_civil(v[0], v[1], v[2]) * 86400;
	return 0;
}

static trawl_query *build_range(struct qbench *qb, const char *s, size_t n)
{
	int64_t lo, hi;

	if (n != 22 || memcmp(s + 10, "..", 2) || parse_day(s, &lo) ||
	    parse_day(s + 12, &hi))
		return NULL;
	return trawl_query_range(TRAWL_COL_DATE, lo, hi + 86399);
}

static const struct clause {
	const char *kind;
	int rest;   /* 1: the argument is the rest of the spec (words) */
	int last;   /* 1: a filter, put after the other clauses */
	trawl_query *(*build)(struct qbench *qb, const char *s, size_t n);
} clauses[] = {
	{ "term:", 0, 0, build_term },
	{ "and:", 1, 0, build_and },
	{ "or:", 1, 0, build_or },
	{ "phrase:", 1, 0, build_phrase },
	{ "prefix:", 0, 0, build_prefix },
	{ "from:", 0, 0, build_from },
	{ "range:", 0, 1, build_range },
};
#define NCLAUSES (sizeof(clauses) / sizeof(clauses[0]))

static const struct clause *find_clause(const char *p, const char *end)
{
	for (size_t i = 0; i < NCLAUSES; i++) {
		size_t n = strlen(clauses[i].kind);

		if ((size_t)(end - p) > n && !memcmp(p, clauses[i].kind, n))
			return &clauses[i];
	}
	return NULL;
}

/* Builds the clauses of spec into kids[] (filters last); returns how many,
 * or 0 after freeing them on failure. */
static size_t build_clauses(struct qbench *qb, const char *spec,
			    trawl_query **kids)
{
	const char *p = spec, *end = spec + strlen(spec);
	trawl_query *last[MAX_CLAUSES];
	size_t nk = 0, nl = 0;
	int ok = 1;

	while (ok && (p < end) && nk + nl < MAX_CLAUSES) {
		const struct clause *c;
		const char *arg;
		trawl_query *q = NULL;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if ((c = find_clause(p, end))) {
			arg = p + strlen(c->kind);
			p = arg;
			while (p < end && (c->rest || *p != ' '))
				p++;
			q = c->build(qb, arg, (size_t)(p - arg));
		}
		if (!q)
			ok = 0;
		else if (c->last)
			last[nl++] = q;
		else
			kids[nk++] = q;
	}
	if (p < end)
		ok = 0;
	for (size_t i = 0; i < nl; i++)
		kids[nk++] = last[i];
	if (!ok) {
		for (size_t i = 0; i < nk; i++)
			trawl_query_free(kids[i]);
		nk = 0;
	}
	return nk;
}

/* The query for spec; NULL if it does not translate (or memory ran out). */
static trawl_query *build_spec(struct qbench *qb, const char *spec)
{
	trawl_query *kids[MAX_CLAUSES];
	trawl_query *q = NULL;
	size_t n = build_clauses(qb, spec, kids);

	if (n == 1)
		return kids[0];
	if (n > 1 && !(q = trawl_query_bool()))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (q && trawl_query_add(q, TRAWL_MUST, kids[i])) {
			trawl_query_free(q);
			q = NULL;
		} else if (!q) {
			trawl_query_free(kids[i]);
		}
	}
	return q;
}

/* ------------------------------------------------------------------ */
/* the three operations */

static int run_query(struct qbench *qb, const char *spec, trawl_sort sort,
		     size_t limit, uint64_t *result)
{
	trawl_hit hits[TOP_K];
	size_t nhits = 0;
	uint64_t total = 0;
	trawl_query *q = build_spec(qb, spec);
	trawl_status st = TRAWL_ERR_INVALID;

	/* top 20 without an exact total, as the peers' top-20 calls (Xapian's
	 * get_mset estimates; FTS5's LIMIT stops); the count is its own op */
	if (q)
		st = trawl_search(qb->s, q, sort, 0, limit, hits, &nhits,
				  limit ? NULL : &total);
	trawl_query_free(q);
	if (st) {
		fprintf(stderr, "qbench: '%s': %s%s%s\n", spec,
			trawl_status_str(st), q ? ": " : " (no query)",
			q ? trawl_searcher_errmsg(qb->s) : "");
		return 1;
	}
	*result = limit ? nhits : total;
	return 0;
}

static int op_rank(void *ctx, const struct harness_qset *qs,
		   const struct harness_query *q, uint64_t *result)
{
	return run_query(ctx, q->spec, TRAWL_SORT_RELEVANCE, TOP_K, result);
}

static int op_date(void *ctx, const struct harness_qset *qs,
		   const struct harness_query *q, uint64_t *result)
{
	return run_query(ctx, q->spec, TRAWL_SORT_NEWEST, TOP_K, result);
}

static int op_count(void *ctx, const struct harness_qset *qs,
		    const struct harness_query *q, uint64_t *result)
{
	return run_query(ctx, q->spec, TRAWL_SORT_RELEVANCE, 0, result);
}

/*
 * What `trawl search` does for one query, less the printing: the
 * `notmuch` column through the query language (trawl_query_parse), the
 * top 20 by relevance with the exact total, copies shown once, emails and
 * documents; then each hit loaded (trawl_item_load: headers, addresses,
 * body) and its body's best three passages highlighted.
 */
static int op_search(void *ctx, const struct harness_qset *qs,
		     const struct harness_query *hq, uint64_t *result)
{
	struct qbench *qb = ctx;
	const char *text = harness_get(qs, hq, "notmuch");
	trawl_search_options o = {
		.limit = TOP_K, .collapse = TRAWL_COLLAPSE_COPIES,
		.kinds = 1u << TRAWL_KIND_EMAIL | 1u << TRAWL_KIND_DOCUMENT,
	};
	trawl_hit hits[TOP_K];
	trawl_parse_error err;
	trawl_query *q = NULL;
	size_t nhits = 0;
	uint64_t total = 0;
	trawl_status st;

	st = trawl_query_parse(qb->p, text, &q, &err);
	if (st) {
		fprintf(stderr, "qbench: '%s': at %zu: %s\n", text, err.pos,
			err.message);
		return 1;
	}
	st = trawl_search_run(qb->s, q, &o, hits, &nhits, &total);
	if (qb->upto == 1)
		nhits = 0;
	if (!st && nhits)
		st = trawl_archive_read_begin(qb->a);
	for (size_t i = 0; i < nhits && !st; i++) {
		trawl_item *it = NULL;
		trawl_highlight *hl = NULL;
		const char *body;
		size_t len;

		if ((st = trawl_item_load_ex(qb->a, (int64_t)hits[i].item,
					      TRAWL_LOAD_BRIEF, &it)))
			break;
		body = trawl_item_body(it, &len);
		if (body && qb->upto != 2)
			st = trawl_highlight_text(qb->h, q, TRAWL_FIELD_BODY,
						  body, len, 3, 160, &hl);
		trawl_highlight_free(hl);
		trawl_item_free(it);
	}
	trawl_archive_read_end(qb->a);
	trawl_query_free(q);
	if (st) {
		fprintf(stderr, "qbench: '%s': %s: %s\n", text,
			trawl_status_str(st), trawl_searcher_errmsg(qb->s));
		return 1;
	}
	*result = total;
	return 0;
}

/* op_search in parts, for profiling (QBENCH_OP only): stopped after the
 * search (upto 1) or after the loads (upto 2) */
static int op_search_upto(void *ctx, const struct harness_qset *qs,
			  const struct harness_query *hq, uint64_t *result,
			  int upto)
{
	struct qbench *qb = ctx;
	int rc;

	qb->upto = upto;
	rc = op_search(ctx, qs, hq, result);
	qb->upto = 0;
	return rc;
}

static int op_search_run(void *ctx, const struct harness_qset *qs,
			 const struct harness_query *hq, uint64_t *result)
{
	return op_search_upto(ctx, qs, hq, result, 1);
}

static int op_search_load(void *ctx, const struct harness_qset *qs,
			  const struct harness_query *hq, uint64_t *result)
{
	return op_search_upto(ctx, qs, hq, result, 2);
}

static const struct harness_op ops[] = {
	{ "top20_rank", op_rank },
	{ "top20_date", op_date },
	{ "count", op_count },
	{ "search", op_search },
	/* not run unless QBENCH_OP names them */
	{ "search_run", op_search_run },
	{ "search_load", op_search_load },
};
#define DEFAULT_OPS 4

/* ------------------------------------------------------------------ */

static int open_archive(struct qbench *qb, const char *dir)
{
	trawl_status st = trawl_archive_open(dir, TRAWL_OPEN_READ, &qb->a);

	if (st) {
		fprintf(stderr, "qbench: %s: %s: %s\n", dir,
			trawl_status_str(st),
			qb->a ? trawl_archive_errmsg(qb->a) : "");
		return -1;
	}
	st = trawl_searcher_open(qb->a, &qb->s);
	if (st) {
		fprintf(stderr, "qbench: %s: the index: %s: %s\n", dir,
			trawl_status_str(st),
			qb->s ? trawl_searcher_errmsg(qb->s) : "");
		return -1;
	}
	qb->p = trawl_parser_new();
	qb->h = trawl_highlighter_new();
	if (!(qb->an = analyzer_new()) || !qb->p || !qb->h) {
		fprintf(stderr, "qbench: out of memory\n");
		return -1;
	}
	return 0;
}

/* Every spec must translate before anything is timed. */
static int check_specs(struct qbench *qb, const struct harness_qset *qs)
{
	int bad = 0;

	for (size_t i = 0; i < qs->n; i++) {
		trawl_query *q = build_spec(qb, qs->q[i].spec);

		if (!q) {
			fprintf(stderr, "qbench: cannot translate '%s'\n",
				qs->q[i].spec);
			bad = 1;
		}
		trawl_query_free(q);
	}
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct harness_opts o;
	struct harness_qset qs;
	struct qbench qb = { NULL, NULL, NULL, NULL, NULL, 0 };
	struct harness_run run;
	char meta[128];
	const char *only;
	int rc = 1;

	harness_args(&o, argc, argv, 2, "ARCHIVE QUERIES.tsv");
	harness_load(&qs, o.pos[1], (size_t)o.limit);
	if (open_archive(&qb, o.pos[0]) || check_specs(&qb, &qs))
		goto out;
	memset(&run, 0, sizeof(run));
	run.engine = "trawl";
	run.label = o.label ? o.label : "trawl " TRAWL_VERSION;
	run.ops = ops;
	run.nops = DEFAULT_OPS;
	if ((only = getenv("QBENCH_OP"))) {	/* one op, for profiling */
		run.nops = 0;
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (!strcmp(ops[i].name, only)) {
				run.ops = &ops[i];
				run.nops = 1;
			}
		if (!run.nops) {
			fprintf(stderr, "qbench: QBENCH_OP=%s: no such op\n",
				only);
			goto out;
		}
	}
	snprintf(meta, sizeof(meta), "\"docs\": %" PRIu64
		 ", \"version\": \"%s\"", trawl_searcher_docs(qb.s),
		 TRAWL_VERSION);
	run.meta_json = meta;
	harness_loop(&o, &qb, &qs, &run);
	harness_print(&qs, &run);
	if (o.json)
		harness_json(o.json, &o, &qs, &run);
	harness_run_release(&qs, &run);
	rc = 0;
out:
	analyzer_free(qb.an);
	trawl_parser_free(qb.p);
	trawl_highlighter_free(qb.h);
	trawl_searcher_close(qb.s);
	trawl_archive_close(qb.a);
	harness_qset_release(&qs);
	return rc;
}
