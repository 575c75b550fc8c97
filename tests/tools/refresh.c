/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * refresh.c - a searcher whose refresh fails half-way keeps working on
 * what it had.  Opens a searcher on ARCHIVE and counts every document
 * and the word WORD (by relevance, kinds and copies as trawl search asks
 * them, so the per-segment caches are built), runs the shell command
 * BREAK (which changes the index and damages the list, e.g. a merge and
 * a bad deletion bitmap), refreshes (which must fail), counts again (the
 * same counts), runs FIX, refreshes (which must succeed) and counts.
 *
 *   refresh ARCHIVE WORD BREAK FIX
 *
 * Prints "counts ALL WORD" three times and "refresh: ok|failed" twice;
 * the shell test compares them.  Exit 1 when something else fails.
 */
#include <stdio.h>
#include <stdlib.h>

#include "trawl.h"

static int counts(trawl_searcher *s, const char *word)
{
	trawl_search_options o = { .sort = TRAWL_SORT_RELEVANCE, .limit = 10,
				   .kinds = (1u << TRAWL_KIND_EMAIL) |
					    (1u << TRAWL_KIND_DOCUMENT),
				   .collapse = TRAWL_COLLAPSE_COPIES };
	trawl_query *all = trawl_query_all();
	trawl_query *w = trawl_query_term(word, TRAWL_FIELD_ALL, 1);
	trawl_hit h[10];
	size_t n;
	uint64_t ta = 0, tw = 0;
	int bad = !all || !w ||
		  trawl_search_run(s, all, &o, h, &n, &ta) ||
		  trawl_search_run(s, w, &o, h, &n, &tw);

	trawl_query_free(all);
	trawl_query_free(w);
	if (bad) {
		printf("search failed: %s\n", trawl_searcher_errmsg(s));
		return 1;
	}
	printf("counts %llu %llu\n", (unsigned long long)ta,
	       (unsigned long long)tw);
	return 0;
}

/* Runs the shell command cmd, refreshes, counts again. */
static int step(trawl_searcher *s, const char *word, const char *cmd)
{
	fflush(stdout);
	if (system(cmd) != 0)
		return 1;
	printf("refresh: %s\n", trawl_searcher_refresh(s) ? "failed" : "ok");
	return counts(s, word);
}

int main(int argc, char **argv)
{
	trawl_archive *a = NULL;
	trawl_searcher *s = NULL;
	int rc = 1;

	if (argc != 5)
		return 2;
	if (!trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a) &&
	    !trawl_searcher_open(a, &s) && !counts(s, argv[2]) &&
	    !step(s, argv[2], argv[3]) && !step(s, argv[2], argv[4]))
		rc = 0;
	trawl_searcher_close(s);
	trawl_archive_close(a);
	return rc;
}
