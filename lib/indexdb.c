/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * indexdb.c - the list of live segments in trawl.db, and merges.
 *
 * A merge is its own commit: the new segment's files are written and
 * fsynced, then one transaction swaps the merged segments' rows for the
 * new one's; only then are the old files unlinked (a reader that mapped
 * them keeps its view; one that had not opened them yet reads the list
 * again).  A crash before the commit leaves the old segments live and the
 * new files for the sweep; after it, the old files for the sweep.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "indexdb.h"
#include "internal.h"
#include "merge.h"
#include "banned.h"

struct live {
	struct merge_cand *c;
	uint8_t **del;
	size_t n;
};

static void live_release(struct live *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->del[i]);
	free(l->del);
	free(l->c);
	memset(l, 0, sizeof(*l));
}

static trawl_status load_live(trawl_archive *a, struct live *l)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	if ((st = db_prepare(a, "SELECT id, ndocs, ndeleted, deleted FROM "
			     "segments ORDER BY min_item", &q)))
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const void *d = sqlite3_column_blob(q, 3);
		int dn = sqlite3_column_bytes(q, 3);

		if (l->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct merge_cand *c = realloc(l->c, nc * sizeof(*c));
			uint8_t **dl = c ? realloc(l->del, nc * sizeof(*dl))
					 : NULL;

			if (c)
				l->c = c;
			if (dl)
				l->del = dl;
			if (!c || !dl) {
				st = archive_fail(a, TRAWL_ERR_NOMEM,
						  "out of memory");
				break;
			}
			cap = nc;
		}
		l->c[l->n] = (struct merge_cand){
			.id = (uint64_t)sqlite3_column_int64(q, 0),
			.ndocs = (uint64_t)sqlite3_column_int64(q, 1),
			.ndeleted = (uint64_t)sqlite3_column_int64(q, 2),
		};
		l->del[l->n] = NULL;
		if (d && dn > 0) {
			if (!(l->del[l->n] = malloc((size_t)dn))) {
				st = archive_fail(a, TRAWL_ERR_NOMEM,
						  "out of memory");
				break;
			}
			memcpy(l->del[l->n], d, (size_t)dn);
		}
		l->n++;
	}
	sqlite3_finalize(q);
	return st;
}

static void unlink_segment(int dirfd, uint64_t id)
{
	for (int f = 0; f < SEG_NFILES; f++) {
		char name[32];

		seg_file_name(id, f, name);
		unlinkat(dirfd, name, 0);
	}
}

trawl_status index_record_segment(trawl_archive *a, const struct seg_info *si)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = db_prepare(a, "INSERT INTO segments(id, ndocs, min_item, "
			     "max_item, bytes, created) VALUES(?, ?, ?, ?, ?, "
			     "?)", &q)))
		return st;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)si->id);
	sqlite3_bind_int64(q, 2, si->ndocs);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)si->min_item);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)si->max_item);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)si->bytes);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)time(NULL));
	if (sqlite3_step(q) != SQLITE_DONE)
		st = archive_db_fail(a, "recording a segment");
	sqlite3_finalize(q);
	return st;
}

/* Swaps rows old[0..n) for the new segment (none when it is empty). */
static trawl_status commit_merge(trawl_archive *a, const struct merge_cand *old,
				 size_t n, const struct seg_info *si,
				 int64_t next_segment)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = db_exec(a, "BEGIN IMMEDIATE")))
		return st;
	if ((st = db_prepare(a, "DELETE FROM segments WHERE id = ?", &q)))
		goto fail;
	for (size_t i = 0; i < n && !st; i++) {
		sqlite3_bind_int64(q, 1, (sqlite3_int64)old[i].id);
		if (sqlite3_step(q) != SQLITE_DONE)
			st = archive_db_fail(a, "dropping a merged segment");
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!st && si->ndocs)
		st = index_record_segment(a, si);
	if (!st)
		st = db_set_meta_int(a, "next_segment", next_segment);
	if (!st)
		st = db_exec(a, "COMMIT");
	if (!st)
		return TRAWL_OK;
fail:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static trawl_status merge_run(trawl_archive *a, int dirfd, struct live *l,
			      size_t first, size_t count,
			      const struct index_hooks *h)
{
	struct segment *segs = calloc(count, sizeof(*segs));
	struct seg_info si;
	int64_t next;
	char err[512];
	size_t opened = 0;
	trawl_status st;

	if (!segs)
		return archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
	if ((st = db_get_meta_int(a, "next_segment", &next)))
		goto out;
	for (; opened < count; opened++) {
		st = segment_open(&segs[opened], dirfd, l->c[first + opened].id,
				  1, err, sizeof(err));
		if (st) {
			st = archive_fail(a, st, "%s: %s", a->indexdir, err);
			goto out;
		}
	}
	st = segments_merge(segs, (const uint8_t *const *)l->del + first,
			    count, dirfd, (uint64_t)next, &si, err,
			    sizeof(err));
	if (st) {
		st = archive_fail(a, st, "%s: %s", a->indexdir, err);
		goto out;
	}
	if (h && h->failpoint)
		h->failpoint(h->ctx, "after-merge-write");
	if ((st = commit_merge(a, l->c + first, count, &si, next + 1)))
		goto out;
	if (h && h->failpoint)
		h->failpoint(h->ctx, "after-merge-commit");
	if (!si.ndocs)
		unlink_segment(dirfd, si.id);
	for (size_t i = 0; i < count; i++)
		unlink_segment(dirfd, l->c[first + i].id);
out:
	for (size_t i = 0; i < opened; i++)
		segment_close(&segs[i]);
	free(segs);
	return st;
}

/* What mode wants merged next: 1 with a run, 0 when done. */
static int pick(const struct live *l, int mode, size_t *first, size_t *count)
{
	switch (mode) {
	case INDEX_MERGE_ALL:
		*first = 0;
		*count = l->n;
		return l->n > 1 || (l->n == 1 && l->c[0].ndeleted);
	case INDEX_MERGE_EXPUNGE:
		for (size_t i = 0; i < l->n; i++) {
			if (l->c[i].ndeleted) {
				*first = i;
				*count = 1;
				return 1;
			}
		}
		return 0;
	default:
		return merge_pick(l->c, l->n, first, count);
	}
}

trawl_status index_merge(trawl_archive *a, int dirfd, int mode,
			 const struct index_hooks *h)
{
	trawl_status st = TRAWL_OK;

	for (;;) {
		struct live l;
		size_t first = 0, count = 0;
		int more;

		if ((st = load_live(a, &l)))
			break;
		more = pick(&l, mode, &first, &count);
		if (more)
			st = merge_run(a, dirfd, &l, first, count, h);
		live_release(&l);
		if (st || !more || mode == INDEX_MERGE_ALL)
			break;
	}
	return st;
}

trawl_status trawl_optimize(trawl_archive *a)
{
	trawl_status st;
	int dirfd;

	if (!(a->flags & TRAWL_OPEN_WRITE))
		return archive_fail(a, TRAWL_ERR_INVALID,
				    "optimize needs the archive open for "
				    "writing");
	dirfd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: cannot open",
				    a->indexdir);
	st = index_merge(a, dirfd, INDEX_MERGE_ALL, NULL);
	close(dirfd);
	return st;
}
