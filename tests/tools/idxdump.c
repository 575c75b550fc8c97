/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * idxdump.c - prints what the index of an archive holds, independent of
 * how it is cut into segments: one line per (key, item) with the term
 * frequency and positions, and one per item with its doc values.  Sorted
 * (LC_ALL=C sort), two archives with the same content print the same.
 *
 *   idxdump ARCHIVE
 *
 * Keys print as field number, ':', term.  Exit 1 if the index cannot be
 * read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "internal.h"
#include "segment.h"

struct walk {
	const struct segment *seg;
	uint32_t *pos;
	size_t cpos;
	int bad;
};

static int on_term(void *ctx, const uint8_t *key, size_t klen,
		   const struct term_info *ti)
{
	struct walk *w = ctx;
	struct postings pc;

	postings_init(&pc, w->seg, key[0], ti);
	for (uint32_t d = postings_next(&pc); d != DOC_END;
	     d = postings_next(&pc)) {
		uint32_t tf = postings_tf(&pc);

		printf("%u:%.*s\t%llu\t%u", key[0], (int)klen - 1,
		       (const char *)key + 1,
		       (unsigned long long)seg_item(w->seg, d), tf);
		if (field_has_pos(key[0])) {
			if (tf > w->cpos) {
				free(w->pos);
				w->cpos = tf;
				w->pos = malloc(tf * sizeof(*w->pos));
				if (!w->pos)
					exit(1);
			}
			if (postings_positions(&pc, w->pos)) {
				w->bad = 1;
				return 1;
			}
			for (uint32_t i = 0; i < tf; i++)
				printf("%c%u", i ? ',' : '\t', w->pos[i]);
		}
		putchar('\n');
	}
	if (pc.corrupt)
		w->bad = 1;
	return w->bad;
}

int main(int argc, char **argv)
{
	trawl_archive *a = NULL;
	sqlite3_stmt *q = NULL;
	struct walk w = { 0 };
	int dirfd, rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: idxdump ARCHIVE\n");
		return 2;
	}
	if (trawl_archive_open(argv[1], TRAWL_OPEN_READ, &a)) {
		fprintf(stderr, "idxdump: %s\n", trawl_archive_errmsg(a));
		return 1;
	}
	dirfd = open(a->indexdir, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0 || sqlite3_prepare_v2(a->db, "SELECT id FROM segments",
					    -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "idxdump: cannot read the segment list\n");
		return 1;
	}
	while (sqlite3_step(q) == SQLITE_ROW && !rc) {
		struct segment s;
		char err[512];

		if (segment_open(&s, dirfd, (uint64_t)sqlite3_column_int64(q, 0),
				 1, err, sizeof(err))) {
			fprintf(stderr, "idxdump: %s\n", err);
			rc = 1;
			break;
		}
		w.seg = &s;
		if (segment_terms(&s, (const uint8_t *)"", 0, on_term, &w) ||
		    w.bad) {
			fprintf(stderr, "idxdump: segment %llu is corrupt\n",
				(unsigned long long)s.id);
			rc = 1;
		}
		for (uint32_t d = 0; d < s.ndocs && !rc; d++) {
			printf("doc\t%llu\t%lld\t%llu\t%u\t%u\t%u",
			       (unsigned long long)seg_item(&s, d),
			       (long long)seg_date(&s, d),
			       (unsigned long long)seg_size(&s, d),
			       ((const uint32_t *)s.col[COL_FROM])[d],
			       ((const uint8_t *)s.col[COL_KIND])[d],
			       ((const uint8_t *)s.col[COL_FLAGS])[d]);
			for (int f = 0; f < FLD_NTEXT; f++)
				printf("%c%u", f ? ',' : '\t',
				       seg_norm(&s, f, d));
			putchar('\n');
		}
		segment_close(&s);
	}
	sqlite3_finalize(q);
	close(dirfd);
	free(w.pos);
	trawl_archive_close(a);
	return rc;
}
