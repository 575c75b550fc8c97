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
 * total) and come most first.  The search engine itself is checked
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

static uint64_t count(trawl_searcher *s, trawl_query *q)
{
	uint64_t total = 0;
	size_t nh;

	if (trawl_search(s, q, TRAWL_SORT_RELEVANCE, 0, 0, NULL, &nh, &total)) {
		fprintf(stderr, "search: %s\n", trawl_searcher_errmsg(s));
		exit(1);
	}
	trawl_query_free(q);
	return total;
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

static void check(trawl_searcher *s, const char *word)
{
	static const int rcpt[] = { TRAWL_KW_TO, TRAWL_KW_CC, TRAWL_KW_BCC };
	static const char *const names[] = { "kind", "month", "from", "to",
					     "domain", "type", "ext" };
	uint64_t total = count(s, base(word));
	const char *w = word ? word : "(everything)";

	for (int f = TRAWL_FACET_KIND; f <= TRAWL_FACET_EXT; f++) {
		trawl_facets *fc;
		trawl_query *q = base(word);
		uint64_t sum = 0, prev = UINT64_MAX;
		int order = 1, exact = 1;
		size_t bad = 0, big_domains = 0;

		if (trawl_search_facet(s, q, (trawl_facet)f, 0, &fc)) {
			fprintf(stderr, "facet: %s\n", trawl_searcher_errmsg(s));
			exit(1);
		}
		trawl_query_free(q);
		for (size_t i = 0; i < trawl_facets_size(fc); i++) {
			const char *v = trawl_facets_value(fc, i);
			uint64_t c = trawl_facets_docs(fc, i), want = 0;

			sum += c;
			if (f != TRAWL_FACET_MONTH && c > prev)
				order = 0;
			prev = c;
			switch (f) {
			case TRAWL_FACET_KIND:
				want = count(s, and2(word, trawl_query_keyword(
						   TRAWL_KW_KIND, v)));
				break;
			case TRAWL_FACET_MONTH:
				want = count(s, and2(word, month_range(v)));
				break;
			case TRAWL_FACET_FROM:
				want = count(s, and2(word, trawl_query_keyword(
						   TRAWL_KW_FROM, v)));
				break;
			case TRAWL_FACET_TO:
				want = count(s, and2(word, kw_any(rcpt, 3, v)));
				break;
			case TRAWL_FACET_DOMAIN: {
				trawl_query *dq = domain_query(s, v);

				/* a domain of hundreds of addresses: only
				 * bounded by the total */
				if (!dq) {
					big_domains++;
					want = c <= total ? c : total + 1;
					break;
				}
				want = count(s, and2(word, dq));
				break;
			}
			case TRAWL_FACET_TYPE:
				want = count(s, and2(word, trawl_query_keyword(
						   TRAWL_KW_ATTTYPE, v)));
				break;
			case TRAWL_FACET_EXT:
				want = count(s, and2(word, trawl_query_keyword(
						   TRAWL_KW_EXT, v)));
				break;
			}
			if (c != want && !bad++) {
				ok(0, "%s %s: facet and query counts differ",
				   w, names[f], c, want);
				printf("#   value %s: facet %llu, query %llu\n", v,
				       (unsigned long long)c,
				       (unsigned long long)want);
			}
			if (c != want)
				exact = 0;
		}
		if (exact)
			ok(1, "%s: %s counts equal the filtered queries' "
			   "(%llu values, sum %llu)", w, names[f],
			   (unsigned long long)trawl_facets_size(fc),
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
		trawl_facets_free(fc);
	}
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
	check(s, NULL);
	check_threads(s, argv[1]);
	for (int i = 2; i < argc; i++)
		check(s, argv[i]);
	printf("1..%d\n", n);
	trawl_searcher_close(s);
	trawl_archive_close(a);
	return failed ? 1 : 0;
}
