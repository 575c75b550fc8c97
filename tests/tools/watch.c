/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * watch.c - a reader running beside an ingest: opens a searcher, then
 * refreshes it in a loop and counts every document and one word, until
 * the count reaches WANT or SECONDS pass.  Every count must be at least
 * the one before (commits only add), and every refresh and search must
 * succeed while segments are flushed and merged under it.
 *
 *   watch ARCHIVE WANT SECONDS
 *
 * Prints TAP; exit 1 on a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "trawl.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	trawl_archive *a = NULL;
	trawl_searcher *s = NULL;
	uint64_t want, prev = 0, last = 0, rounds = 0, changes = 0;
	double t0 = now(), limit;
	int bad = 0;

	if (argc != 4)
		return 2;
	want = strtoull(argv[2], NULL, 10);
	limit = atof(argv[3]);
	/* the archive appears when the ingest's first commit lands */
	while (trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a)) {
		trawl_archive_close(a);
		a = NULL;
		if (now() - t0 > limit) {
			printf("not ok 1 - the archive never appeared\n1..1\n");
			return 1;
		}
		usleep(20000);
	}
	if (trawl_searcher_open(a, &s)) {
		printf("not ok 1 - searcher: %s\n1..1\n",
		       trawl_searcher_errmsg(s));
		return 1;
	}
	while (now() - t0 < limit) {
		trawl_query *all = trawl_query_all();
		trawl_query *w = trawl_query_term("the", TRAWL_FIELD_ALL, 1);
		trawl_hit h[10];
		size_t n;
		uint64_t total = 0, tw = 0;

		if (trawl_searcher_refresh(s) ||
		    trawl_search(s, all, TRAWL_SORT_RELEVANCE, 0, 10, h, &n,
				 &total) ||
		    trawl_search(s, w, TRAWL_SORT_RELEVANCE, 0, 10, h, &n,
				 &tw)) {
			printf("not ok 1 - round %llu: %s\n",
			       (unsigned long long)rounds,
			       trawl_searcher_errmsg(s));
			bad = 1;
		}
		trawl_query_free(all);
		trawl_query_free(w);
		if (bad)
			break;
		if (total < prev) {
			printf("not ok 1 - the count went down: %llu after "
			       "%llu\n", (unsigned long long)total,
			       (unsigned long long)prev);
			bad = 1;
			break;
		}
		changes += total != prev;
		prev = total;
		last = total;
		rounds++;
		if (total >= want)
			break;
		usleep(5000);
	}
	if (!bad)
		printf("ok 1 - %llu refreshes and searches during the ingest "
		       "all succeeded, counts never fell (%llu changes)\n",
		       (unsigned long long)rounds,
		       (unsigned long long)changes);
	printf("%s 2 - the reader saw all %llu documents (got %llu)\n",
	       last == want ? "ok" : "not ok", (unsigned long long)want,
	       (unsigned long long)last);
	printf("%s 3 - it saw the index grow while it read (%llu counts)\n",
	       changes > 1 ? "ok" : "not ok", (unsigned long long)changes);
	printf("1..3\n");
	trawl_searcher_close(s);
	trawl_archive_close(a);
	return bad || last != want || changes < 2;
}
