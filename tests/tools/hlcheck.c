/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * hlcheck.c - the highlighter on real text: for each query (one per line
 * on stdin, in the query language), the top 20 hits of an archive, and
 * each hit's body highlighted twice, reading the whole text and reading
 * only the words where a key can hit (highlight.c, scan_words); the two
 * must give the same passages, offsets, cuts, marks and match counts.
 * Prints how many bodies were compared, read in part and differing; exit
 * 0 when none differs, 1 when one does, 3 on an error.
 *
 *   hlcheck ARCHIVE < QUERIES
 */
#include <stdio.h>
#include <string.h>

#include "highlight.h"
#include "trawl.h"

#define TOP 20

static int same(const trawl_highlight *a, const trawl_highlight *b)
{
	size_t n = trawl_highlight_npassages(a);

	if (n != trawl_highlight_npassages(b) ||
	    trawl_highlight_nmatches(a) != trawl_highlight_nmatches(b))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const trawl_passage *p = trawl_highlight_passage(a, i);
		const trawl_passage *q = trawl_highlight_passage(b, i);

		if (p->len != q->len || strcmp(p->text, q->text) ||
		    p->offset != q->offset || p->cut_before != q->cut_before ||
		    p->cut_after != q->cut_after || p->nmarks != q->nmarks)
			return 0;
		for (size_t k = 0; k < p->nmarks; k++)
			if (p->marks[k].start != q->marks[k].start ||
			    p->marks[k].end != q->marks[k].end)
				return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	trawl_archive *a = NULL;
	trawl_searcher *s = NULL;
	trawl_parser *p = trawl_parser_new();
	trawl_highlighter *h = trawl_highlighter_new();
	size_t texts = 0, part = 0, differ = 0, queries = 0;
	char line[4096];
	int rc = 3;

	if (argc != 2) {
		fprintf(stderr, "usage: hlcheck ARCHIVE < QUERIES\n");
		return 2;
	}
	if (!p || !h || trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a) ||
	    trawl_searcher_open(a, &s)) {
		fprintf(stderr, "hlcheck: cannot open %s\n", argv[1]);
		goto out;
	}
	while (fgets(line, sizeof(line), stdin)) {
		trawl_search_options o = { .limit = TOP };
		trawl_hit hits[TOP];
		trawl_parse_error err;
		trawl_query *q = NULL;
		size_t nhits = 0;
		uint64_t total = 0;

		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		if (trawl_query_parse(p, line, &q, &err) ||
		    trawl_search_run(s, q, &o, hits, &nhits, &total)) {
			fprintf(stderr, "hlcheck: '%s' fails\n", line);
			trawl_query_free(q);
			goto out;
		}
		queries++;
		for (size_t i = 0; i < nhits; i++) {
			trawl_highlight *full = NULL, *words = NULL;
			trawl_item *it = NULL;
			const char *body;
			size_t len;
			int bad = 1;

			if (trawl_item_load_ex(a, (int64_t)hits[i].item,
					       TRAWL_LOAD_BRIEF, &it))
				break;
			body = trawl_item_body(it, &len);
			highlighter_full_scan(h, 1);
			if (body && !trawl_highlight_text(h, q, TRAWL_FIELD_BODY,
							  body, len, 3, 160,
							  &full)) {
				highlighter_full_scan(h, 0);
				if (!trawl_highlight_text(h, q, TRAWL_FIELD_BODY,
							  body, len, 3, 160,
							  &words))
					bad = !same(full, words);
				texts++;
				part += highlighter_windowed(h) > 0 &&
					highlighter_windowed(h) < len;
				if (bad && differ++ < 5)
					printf("differs: '%s' on item %llu\n",
					       line,
					       (unsigned long long)hits[i].item);
			}
			highlighter_full_scan(h, 0);
			trawl_highlight_free(full);
			trawl_highlight_free(words);
			trawl_item_free(it);
		}
		trawl_query_free(q);
	}
	printf("%zu queries, %zu bodies, %zu read in part, %zu differ\n",
	       queries, texts, part, differ);
	rc = differ ? 1 : 0;
out:
	trawl_highlighter_free(h);
	trawl_parser_free(p);
	trawl_searcher_close(s);
	trawl_archive_close(a);
	return rc;
}
