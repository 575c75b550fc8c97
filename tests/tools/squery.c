/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * squery.c - opens an archive's index and runs a few queries of every
 * kind (term, stem, phrase, prefix, keyword, range, boolean, facets),
 * printing their counts.  Exit 0 when everything ran, 3 with the
 * searcher's message when the library reported an error (corrupt data,
 * for the corruption tests), never a crash.
 *
 *   squery ARCHIVE [WORD...]
 */
#include <stdio.h>
#include <string.h>

#include "trawl.h"

static int run(trawl_searcher *s, trawl_query *q, const char *what)
{
	trawl_hit hits[20];
	size_t n = 0;
	uint64_t total = 0;
	trawl_status st;

	if (!q) {
		fprintf(stderr, "squery: could not build %s\n", what);
		return 1;
	}
	st = trawl_search(s, q, TRAWL_SORT_RELEVANCE, 0, 20, hits, &n, &total);
	if (!st)
		st = trawl_search(s, q, TRAWL_SORT_NEWEST, 0, 20, hits, &n,
				  NULL);
	if (!st)
		st = trawl_search(s, q, TRAWL_SORT_RELEVANCE, 0, 20, hits, &n,
				  NULL);
	trawl_query_free(q);
	if (st) {
		fprintf(stderr, "squery: %s: %s: %s\n", what,
			trawl_status_str(st), trawl_searcher_errmsg(s));
		return 3;
	}
	printf("%s\t%llu\n", what, (unsigned long long)total);
	return 0;
}

int main(int argc, char **argv)
{
	const char *words[] = { "the", "storfjord", "invoice", "memo" };
	trawl_archive *a = NULL;
	trawl_searcher *s = NULL;
	trawl_status st;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: squery ARCHIVE [WORD...]\n");
		return 2;
	}
	if ((st = trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a))) {
		fprintf(stderr, "squery: %s\n", trawl_archive_errmsg(a));
		return 3;
	}
	if ((st = trawl_searcher_open(a, &s))) {
		fprintf(stderr, "squery: %s: %s\n", trawl_status_str(st),
			trawl_searcher_errmsg(s));
		trawl_searcher_close(s);
		trawl_archive_close(a);
		return 3;
	}
	for (int i = 2; i < argc + 4 && !rc; i++) {
		const char *w = i < argc ? argv[i] : words[i - argc];
		const char *pair[] = { w, "the" };
		trawl_query *b = trawl_query_bool();
		trawl_facets *f = NULL;

		rc = run(s, trawl_query_term(w, TRAWL_FIELD_ALL, 1), "stem");
		if (!rc)
			rc = run(s, trawl_query_term(w, TRAWL_FIELD_BODY, 0),
				 "term");
		if (!rc)
			rc = run(s, trawl_query_phrase(pair, 2, TRAWL_FIELD_ALL,
						       1), "phrase");
		if (!rc)
			rc = run(s, trawl_query_prefix("st", TRAWL_FIELD_ALL),
				 "prefix");
		if (!rc)
			rc = run(s, trawl_query_keyword(TRAWL_KW_KIND, "email"),
				 "keyword");
		if (!rc)
			rc = run(s, trawl_query_range(TRAWL_COL_DATE, 0,
						      INT64_MAX), "range");
		trawl_query_add(b, TRAWL_SHOULD,
				trawl_query_term(w, TRAWL_FIELD_ALL, 1));
		trawl_query_add(b, TRAWL_MUST_NOT,
				trawl_query_term("the", TRAWL_FIELD_ALL, 0));
		if (!rc)
			rc = run(s, b, "bool");
		else
			trawl_query_free(b);
		for (int k = TRAWL_FACET_KIND; k <= TRAWL_FACET_EXT && !rc; k++) {
			trawl_query *all = trawl_query_all();

			if ((st = trawl_search_facet(s, all, (trawl_facet)k, 5,
						     &f))) {
				fprintf(stderr, "squery: facet: %s: %s\n",
					trawl_status_str(st),
					trawl_searcher_errmsg(s));
				rc = 3;
			}
			trawl_facets_free(f);
			f = NULL;
			trawl_query_free(all);
		}
	}
	trawl_searcher_close(s);
	trawl_archive_close(a);
	return rc;
}
