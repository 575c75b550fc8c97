/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* stats.c - counts over an archive, and the list of ingest failures. */
#include <string.h>

#include "internal.h"
#include "writer.h"
#include "banned.h"

static trawl_status count(trawl_archive *a, const char *sql, uint64_t *out)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(a, sql, &q);

	if (st)
		return st;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(q, 0);
	else
		st = archive_db_fail(a, "counting");
	sqlite3_finalize(q);
	return st;
}

trawl_status trawl_stats_get(trawl_archive *a, trawl_stats *s)
{
	static const struct {
		size_t off;
		const char *sql;
	} counts[] = {
#define C(f, sql) { offsetof(trawl_stats, f), sql }
		C(items, "SELECT count(*) FROM items"),
		C(emails, "SELECT count(*) FROM items WHERE kind = 1 AND "
			  "parent IS NULL"),
		C(embedded, "SELECT count(*) FROM items WHERE kind = 1 AND "
			    "parent IS NOT NULL"),
		C(attachments, "SELECT count(*) FROM items WHERE kind = 2"),
		C(documents, "SELECT count(*) FROM items WHERE kind = 3"),
		C(correspondents, "SELECT count(*) FROM addresses"),
		C(sources, "SELECT count(*) FROM sources"),
		C(threads, "SELECT count(DISTINCT thread) FROM threads"),
		C(warnings, "SELECT count(*) FROM warnings"),
		C(failed, "SELECT count(*) FROM failures"),
		C(guessed_dates, "SELECT count(*) FROM items WHERE kind = 1 AND "
				 "date_source <> 0"),
		C(blobs, "SELECT count(*) FROM blobs"),
		C(blob_bytes, "SELECT coalesce(sum(size), 0) FROM blobs"),
		C(stored_bytes, "SELECT coalesce(sum(clen), 0) FROM blobs"),
		C(duplicate_groups, "SELECT count(*) FROM (SELECT content_hash "
				    "FROM items WHERE content_hash IS NOT NULL "
				    "GROUP BY content_hash HAVING count(*) > 1)"),
		C(conflicts, "SELECT count(*) FROM items WHERE flags & 1"),
#undef C
	};
	trawl_status st = TRAWL_OK;
	sqlite3_stmt *q = NULL;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < ARRAY_SIZE(counts) && !st; i++)
		st = count(a, counts[i].sql,
			   (uint64_t *)((char *)s + counts[i].off));
	if (st)
		return st;
	st = db_prepare(a, "SELECT min(date), max(date) FROM items WHERE "
			"kind = 1 AND date_source = 0", &q);
	if (!st && sqlite3_step(q) == SQLITE_ROW) {
		s->first_date = sqlite3_column_int64(q, 0);
		s->last_date = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (!st)
		st = trawl_index_pending(a, &s->unindexed);
	return st;
}

trawl_status trawl_index_pending(trawl_archive *a, uint64_t *n)
{
	sqlite3_stmt *q = NULL;
	int64_t below, from;
	trawl_status st;

	*n = 0;
	if ((st = db_get_meta_int(a, "unindexed_below", &below)) ||
	    (st = db_get_unindexed_from(a, &from)))
		return st;
	if (below <= 1 && !from)
		return TRAWL_OK;
	if ((st = db_prepare(a, "SELECT (SELECT count(*) FROM items WHERE "
			     "id < ?1) + (SELECT count(*) FROM items WHERE "
			     "?2 > 0 AND id >= ?2)", &q)))
		return st;
	sqlite3_bind_int64(q, 1, below);
	sqlite3_bind_int64(q, 2, from);
	if (sqlite3_step(q) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(q, 0);
	else
		st = archive_db_fail(a, "counting the unindexed items");
	sqlite3_finalize(q);
	return st;
}

trawl_status trawl_failures(trawl_archive *a, trawl_failure_cb cb, void *ctx)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(a, "SELECT path, member, offset, length, "
				     "code, detail FROM failures ORDER BY path, "
				     "member, offset", &q);
	int rc;

	if (st)
		return st;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		trawl_ingest_event ev;
		const char *member = (const char *)sqlite3_column_text(q, 1);

		memset(&ev, 0, sizeof(ev));
		ev.level = "failure";
		ev.path = (const char *)sqlite3_column_text(q, 0);
		ev.member = member && *member ? member : NULL;
		ev.offset = sqlite3_column_int64(q, 2);
		ev.length = sqlite3_column_int64(q, 3);
		ev.code = (const char *)sqlite3_column_text(q, 4);
		ev.detail = (const char *)sqlite3_column_text(q, 5);
		cb(ctx, &ev);
	}
	if (rc != SQLITE_DONE)
		st = archive_db_fail(a, "reading failures");
	sqlite3_finalize(q);
	return st;
}
