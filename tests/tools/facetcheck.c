/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * facetcheck.c - checks facet counts against counts of queries.
 *
 *   facetcheck ARCHIVE WORD...
 *
 * For the query "everything" and for each WORD (a stem over every text
 * field), every facet value's count must equal the exact count of the
 * query ANDed with that value's filter: kind = v, from = v, to/cc/bcc = v,
 * attachment type = v, extension = v, the month's date range, or any
 * address of the domain.  Counts must sum as they should (kinds to the
 * total) and come most first.  The same again with search options
 * (kinds email and document, the copies of one mail counted once): each
 * count from trawl_search_facets must equal the trawl_search_run total,
 * with the same options, of the query ANDed with the value's filter --
 * for every value the facet has without collapsing, so that a value only
 * some copies of a mail have (a Bcc, an attachment's name) is checked
 * too.  And trawl_search_facets over every facet at once must give what it
 * gives one facet at a time (with those options, with none, and with
 * options that are all zero).  The search engine itself is checked
 * against a naive evaluator by tests/tools/oracle.c; this ties facets to
 * it.  Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "trawl.h"

static int n, failed;

static void ok(int cond, const char *fmt, const char *a, const char *b,
	       unsigned long long x, unsigned long long y)
{
	n++;
	if (!cond)
		failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", n);
	printf(fmt, a, b, x, y);
	putchar('\n');
}

/* The options of the second pass: what `trawl search` shows by default
 * (mail and documents, each mail once however many copies it has). */
static const trawl_search_options copies_opts = {
	.sort = TRAWL_SORT_RELEVANCE,
	.kinds = (1u << TRAWL_KIND_EMAIL) | (1u << TRAWL_KIND_DOCUMENT),
	.collapse = TRAWL_COLLAPSE_COPIES,
};

/* The exact count of q's matches (o NULL: trawl_search; otherwise
 * trawl_search_run with o, counting only); frees q. */
static uint64_t count_with(trawl_searcher *s, trawl_query *q,
			   const trawl_search_options *o)
{
	trawl_search_options c;
	uint64_t total = 0;
	size_t nh;
	trawl_status st;

	if (o) {
		c = *o;
		c.offset = c.limit = 0;
		st = trawl_search_run(s, q, &c, NULL, &nh, &total);
	} else {
		st = trawl_search(s, q, TRAWL_SORT_RELEVANCE, 0, 0, NULL, &nh,
				  &total);
	}
	if (st) {
		fprintf(stderr, "search: %s\n", trawl_searcher_errmsg(s));
		exit(1);
	}
	trawl_query_free(q);
	return total;
}

static uint64_t count(trawl_searcher *s, trawl_query *q)
{
	return count_with(s, q, NULL);
}

/* Facet f over q's matches: trawl_search_facet without options,
 * trawl_search_facets with them; exits on failure. */
static trawl_facets *facet_of(trawl_searcher *s, const trawl_query *q,
			      const trawl_search_options *o, trawl_facet f)
{
	trawl_facets *fc = NULL;
	trawl_status st = o ? trawl_search_facets(s, q, o, &f, 1, 0, &fc)
			    : trawl_search_facet(s, q, f, 0, &fc);

	if (st) {
		fprintf(stderr, "facet: %s\n", trawl_searcher_errmsg(s));
		exit(1);
	}
	return fc;
}

static trawl_query *base(const char *word)
{
	return word ? trawl_query_term(word, TRAWL_FIELD_ALL, 1)
		    : trawl_query_all();
}

static trawl_query *and2(const char *word, trawl_query *filter)
{
	trawl_query *b = trawl_query_bool();

	trawl_query_add(b, TRAWL_MUST, base(word));
	trawl_query_add(b, TRAWL_MUST, filter);
	return b;
}

static trawl_query *kw_any(const int *fields, int nf, const char *v)
{
	trawl_query *b = trawl_query_bool();

	for (int i = 0; i < nf; i++)
		trawl_query_add(b, TRAWL_SHOULD,
				trawl_query_keyword((trawl_keyword)fields[i], v));
	return b;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static trawl_query *month_range(const char *v)
{
	int y, m;
	int64_t lo, hi;

	if (sscanf(v, "%d-%d", &y, &m) != 2)
		return trawl_query_range(TRAWL_COL_DATE, 1, 0);
	lo = days_from_civil(y, m, 1) * 86400;
	hi = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) *
		     86400 - 1;
	return trawl_query_range(TRAWL_COL_DATE, lo, hi);
}

/* Every address (sender or recipient) of domain dom, as a disjunction;
 * NULL when there are too many for one query (more than 200). */
static trawl_query *domain_query(trawl_searcher *s, const char *dom)
{
	int naddr = 0;
	static const int fields[] = { TRAWL_KW_FROM, TRAWL_KW_TO, TRAWL_KW_CC,
				      TRAWL_KW_BCC };
	trawl_query *b = trawl_query_bool();
	trawl_facet fs[] = { TRAWL_FACET_FROM, TRAWL_FACET_TO };

	for (int k = 0; k < 2; k++) {
		trawl_facets *f;
		trawl_query *all = trawl_query_all();

		trawl_search_facet(s, all, fs[k], 0, &f);
		trawl_query_free(all);
		for (size_t i = 0; i < trawl_facets_size(f); i++) {
			const char *a = trawl_facets_value(f, i);
			const char *at = strrchr(a, '@');

			if (strcmp(at ? at + 1 : a, dom))
				continue;
			if (++naddr > 200) {
				trawl_facets_free(f);
				trawl_query_free(b);
				return NULL;
			}
			for (int j = 0; j < 4; j++)
				trawl_query_add(b, TRAWL_SHOULD,
						trawl_query_keyword(
							(trawl_keyword)fields[j],
							a));
		}
		trawl_facets_free(f);
	}
	return b;
}

static const char *const names[] = { "kind", "month", "from", "to",
				     "domain", "type", "ext" };

/* The filter of value v of facet f: kind = v, the month's date range,
 * from = v, to/cc/bcc = v, any address of the domain, attachment type
 * = v, extension = v.  NULL for a domain of too many addresses. */
static trawl_query *value_filter(trawl_searcher *s, trawl_facet f,
				 const char *v)
{
	static const int rcpt[] = { TRAWL_KW_TO, TRAWL_KW_CC, TRAWL_KW_BCC };

	switch (f) {
	case TRAWL_FACET_KIND:
		return trawl_query_keyword(TRAWL_KW_KIND, v);
	case TRAWL_FACET_MONTH:
		return month_range(v);
	case TRAWL_FACET_FROM:
		return trawl_query_keyword(TRAWL_KW_FROM, v);
	case TRAWL_FACET_TO:
		return kw_any(rcpt, 3, v);
	case TRAWL_FACET_DOMAIN:
		return domain_query(s, v);
	case TRAWL_FACET_TYPE:
		return trawl_query_keyword(TRAWL_KW_ATTTYPE, v);
	case TRAWL_FACET_EXT:
		return trawl_query_keyword(TRAWL_KW_EXT, v);
	}
	return NULL;
}

/* A facet's values sorted bytewise, to look counts up. */
struct sorted {
	const trawl_facets *fc;
	size_t *at;
	size_t n;
};

static int cmp_at(const void *a, const void *b, void *ctx)
{
	const trawl_facets *fc = ctx;

	return strcmp(trawl_facets_value(fc, *(const size_t *)a),
		      trawl_facets_value(fc, *(const size_t *)b));
}

static void sorted_init(struct sorted *so, const trawl_facets *fc)
{
	so->fc = fc;
	so->n = trawl_facets_size(fc);
	so->at = malloc((so->n ? so->n : 1) * sizeof(*so->at));
	if (!so->at) {
		fprintf(stderr, "facetcheck: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < so->n; i++)
		so->at[i] = i;
	qsort_r(so->at, so->n, sizeof(*so->at), cmp_at, (void *)fc);
}

/* The count of v, 0 when the facet does not have it. */
static uint64_t sorted_docs(const struct sorted *so, const char *v)
{
	size_t lo = 0, hi = so->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(trawl_facets_value(so->fc, so->at[mid]), v);

		if (!c)
			return trawl_facets_docs(so->fc, so->at[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Value v's count c against the total of word's query filtered by v
 * (with o); reports the first difference of a facet.  1 when equal. */
static int value_agrees(trawl_searcher *s, const char *word,
			const trawl_search_options *o, trawl_facet f,
			const char *v, uint64_t c, uint64_t total,
			const char *w, size_t *bad, size_t *big_domains)
{
	trawl_query *filter = value_filter(s, f, v);
	uint64_t want;

	if (filter) {
		want = count_with(s, and2(word, filter), o);
	} else {
		/* a domain of hundreds of addresses: only bounded by the
		 * total */
		(*big_domains)++;
		want = c <= total ? c : total + 1;
	}
	if (c != want && !(*bad)++) {
		ok(0, "%s %s: facet and query counts differ", w, names[f], c,
		   want);
		printf("#   value %s: facet %llu, query %llu\n", v,
		       (unsigned long long)c, (unsigned long long)want);
	}
	return c == want;
}

/* The facets of word's query (NULL: everything) against the counts of
 * the query filtered by each value, both with options o (may be NULL).
 * When o collapses copies, the values checked are those of the facet
 * without collapsing (a copy may have a value that the copy counted
 * lacks: then the count must still be the query's, not 0). */
static void check(trawl_searcher *s, const char *word,
		  const trawl_search_options *o)
{
	uint64_t total = count_with(s, base(word), o);
	trawl_search_options wide_opts = { 0 };
	char w[256];

	snprintf(w, sizeof(w), "%s%s", word ? word : "(everything)",
		 o ? " [email|document, copies once]" : "");
	if (o) {
		wide_opts = *o;
		wide_opts.collapse = TRAWL_COLLAPSE_NONE;
	}
	for (int f = TRAWL_FACET_KIND; f <= TRAWL_FACET_EXT; f++) {
		trawl_facets *fc, *wide;
		trawl_query *q = base(word);
		uint64_t sum = 0, prev = UINT64_MAX;
		int order = 1, exact = 1;
		size_t bad = 0, big_domains = 0;
		struct sorted so;

		fc = facet_of(s, q, o, (trawl_facet)f);
		wide = o && o->collapse ? facet_of(s, q, &wide_opts,
						   (trawl_facet)f)
					: fc;
		trawl_query_free(q);
		sorted_init(&so, fc);
		for (size_t i = 0; i < trawl_facets_size(fc); i++) {
			uint64_t c = trawl_facets_docs(fc, i);

			sum += c;
			if (f != TRAWL_FACET_MONTH && c > prev)
				order = 0;
			prev = c;
		}
		for (size_t i = 0; i < trawl_facets_size(wide); i++) {
			const char *v = trawl_facets_value(wide, i);

			exact &= value_agrees(s, word, o, (trawl_facet)f, v,
					      sorted_docs(&so, v), total, w,
					      &bad, &big_domains);
		}
		/* collapsing only removes: no value the wider count lacks */
		if (wide != fc && trawl_facets_size(fc) >
					  trawl_facets_size(wide)) {
			exact = 0;
			ok(0, "%s %s: more values collapsed than not", w,
			   names[f], trawl_facets_size(fc),
			   trawl_facets_size(wide));
		}
		if (exact)
			ok(1, "%s: %s counts equal the filtered queries' "
			   "(%llu values, sum %llu)", w, names[f],
			   (unsigned long long)trawl_facets_size(wide),
			   (unsigned long long)sum);
		if (big_domains)
			printf("# %s: %zu domains with over 200 addresses are "
			       "only checked against the total\n", w,
			       big_domains);
		if (f != TRAWL_FACET_MONTH)
			ok(order, "%s: %s values come most first", w, names[f],
			   0, 0);
		if (f == TRAWL_FACET_KIND || f == TRAWL_FACET_MONTH)
			ok(sum == total, "%s: %s counts sum to the total "
			   "(%llu = %llu)", w, names[f],
			   (unsigned long long)sum, (unsigned long long)total);
		free(so.at);
		if (wide != fc)
			trawl_facets_free(wide);
		trawl_facets_free(fc);
	}
}

/* The first difference between two facet lists, into why; 0 if none. */
static int facets_differ(const trawl_facets *a, const trawl_facets *b,
			 char *why, size_t cap)
{
	size_t na = trawl_facets_size(a), nb = trawl_facets_size(b);

	for (size_t i = 0; i < na && i < nb; i++) {
		const char *va = trawl_facets_value(a, i);
		const char *vb = trawl_facets_value(b, i);
		unsigned long long ca = trawl_facets_docs(a, i);
		unsigned long long cb = trawl_facets_docs(b, i);

		if (strcmp(va, vb) || ca != cb) {
			snprintf(why, cap, "value %zu: %s %llu, alone %s %llu", i,
				 va, ca, vb, cb);
			return 1;
		}
	}
	if (na != nb) {
		snprintf(why, cap, "%zu values, alone %zu", na, nb);
		return 1;
	}
	return 0;
}

/* trawl_search_facets over every facet at once (top `top`) against one
 * facet at a time: the same values, counts and order.  o as for
 * trawl_search_facets (NULL: every document). */
static void check_together(trawl_searcher *s, const char *word,
			   const trawl_search_options *o, const char *label,
			   size_t top)
{
	/* every facet, shuffled, one of them twice */
	static const trawl_facet fs[] = {
		TRAWL_FACET_EXT, TRAWL_FACET_KIND, TRAWL_FACET_DOMAIN,
		TRAWL_FACET_MONTH, TRAWL_FACET_TO, TRAWL_FACET_TYPE,
		TRAWL_FACET_FROM, TRAWL_FACET_KIND };
	enum { NF = sizeof(fs) / sizeof(fs[0]) };
	trawl_facets *all[NF];
	trawl_query *q = base(word);
	char why[512] = "", w[256];
	int bad = -1;

	if (trawl_search_facets(s, q, o, fs, NF, top, all)) {
		fprintf(stderr, "facets: %s\n", trawl_searcher_errmsg(s));
		exit(1);
	}
	for (size_t k = 0; k < NF; k++) {
		trawl_facets *one = NULL;

		if (trawl_search_facets(s, q, o, &fs[k], 1, top, &one)) {
			fprintf(stderr, "facets: %s\n",
				trawl_searcher_errmsg(s));
			exit(1);
		}
		if (bad < 0 && facets_differ(all[k], one, why, sizeof(why)))
			bad = (int)k;
		trawl_facets_free(one);
		trawl_facets_free(all[k]);
	}
	trawl_query_free(q);
	snprintf(w, sizeof(w), "%s%s", word ? word : "(everything)", label);
	ok(bad < 0, "%s: %s facets at once equal each alone (top %llu)", w,
	   bad < 0 ? "all" : names[fs[bad]], (unsigned long long)top, 0);
	if (bad >= 0)
		printf("#   %s\n", why);
}

/* Every check of word's query (NULL: everything). */
static void check_word(trawl_searcher *s, const char *word)
{
	static const trawl_search_options zero = { 0 };

	check(s, word, NULL);
	check(s, word, &copies_opts);
	check_together(s, word, NULL, "", 0);
	check_together(s, word, &zero, " [zero options]", 5);
	check_together(s, word, &copies_opts,
		       " [email|document, copies once]", 0);
	check_together(s, word, &copies_opts,
		       " [email|document, copies once]", 3);
}

/* thread:T counts, against trawl.db: the items whose top-level email
 * is in thread T. */
static void check_threads(trawl_searcher *s, const char *archive)
{
	static const char sql[] =
		"WITH RECURSIVE r(id, root) AS (SELECT id, id FROM items WHERE "
		"parent IS NULL UNION ALL SELECT i.id, r.root FROM items i JOIN "
		"r ON i.parent = r.id) SELECT t.thread, count(*) FROM r JOIN "
		"threads t ON t.item = r.root GROUP BY t.thread";
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int threads = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/trawl.db", archive);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL)) {
		ok(0, "threads: cannot read %s%s", path, "", 0, 0);
		sqlite3_close(db);
		return;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(q, 0);
		uint64_t want = (uint64_t)sqlite3_column_int64(q, 1);
		uint64_t got = count(s, trawl_query_thread(t));

		threads++;
		if (got != want && !bad++)
			printf("# thread %lld: query %llu, trawl.db %llu\n",
			       (long long)t, (unsigned long long)got,
			       (unsigned long long)want);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	n++;
	if (bad || !threads)
		failed++;
	printf("%s %d - thread:T counts equal trawl.db's for %d threads "
	       "(%d differ)\n", bad || !threads ? "not ok" : "ok", n, threads,
	       bad);
}

int main(int argc, char **argv)
{
	trawl_archive *a = NULL;
	trawl_searcher *s = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: facetcheck ARCHIVE WORD...\n");
		return 2;
	}
	if (trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a) ||
	    trawl_searcher_open(a, &s)) {
		fprintf(stderr, "facetcheck: %s%s\n", trawl_archive_errmsg(a),
			s ? trawl_searcher_errmsg(s) : "");
		return 1;
	}
	check_word(s, NULL);
	check_threads(s, argv[1]);
	for (int i = 2; i < argc; i++)
		check_word(s, argv[i]);
	printf("1..%d\n", n);
	trawl_searcher_close(s);
	trawl_archive_close(a);
	return failed ? 1 : 0;
}
