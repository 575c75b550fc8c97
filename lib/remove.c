/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * remove.c - takedowns: `trawl remove ID... --reason TEXT`.
 *
 * An item (with everything inside it: attachments, embedded messages)
 * leaves the archive in one transaction: its rows go (item, addresses,
 * source locations, warnings, thread membership), its ID becomes a
 * tombstone in `removed` with the reason and the SHA-256 of its bytes (so
 * that ingesting the same dump again does not bring it back), its document
 * is marked in its segment's deletion bitmap, and its blob is queued for
 * purging unless another item or a failure record still uses it.  SQLite
 * runs with secure_delete, so the deleted rows are overwritten.
 *
 * An item removed alone from a parent that stays (an attachment) changes
 * the parent's document (its attachment names and types): the parent is
 * re-indexed into a new segment in the same transaction, its old document
 * marked deleted.
 *
 * After the commit, queued blob ranges are punched out of their packs
 * (a crash before that leaves them queued in purge_pending; the next
 * writer finishes the job), and, unless TRAWL_REMOVE_KEEP_INDEX, every
 * segment with deleted documents is rewritten without them, so the
 * removed text is gone from index/ as well.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "indexdb.h"
#include "internal.h"
#include "pack.h"
#include "segment.h"
#include "threadmap.h"
#include "banned.h"

struct seg_mark {
	int64_t id;
	struct segment seg;
	uint8_t *bits;
	uint64_t ndeleted;
};

struct rm {
	trawl_archive *a;
	int64_t *parents;      /* of the items named, to re-index */
	size_t nparents;
	int dirfd;
	struct seg_mark *marks;
	size_t nmarks;
	const char *reason;
	int64_t now;
	uint64_t removed;
};

/* Segment sid, opened and with its bitmap (once per removal). */
static trawl_status get_mark(struct rm *r, int64_t sid, uint64_t ndeleted,
			     const void *bits, size_t nbits,
			     struct seg_mark **out)
{
	struct seg_mark *m, *p;
	char err[512];
	trawl_status st;

	for (size_t i = 0; i < r->nmarks; i++) {
		if (r->marks[i].id == sid) {
			*out = &r->marks[i];
			return TRAWL_OK;
		}
	}
	p = realloc(r->marks, (r->nmarks + 1) * sizeof(*p));
	if (!p)
		return archive_fail(r->a, TRAWL_ERR_NOMEM, "out of memory");
	r->marks = p;
	m = &r->marks[r->nmarks];
	memset(m, 0, sizeof(*m));
	m->id = sid;
	if ((st = segment_open(&m->seg, r->dirfd, (uint64_t)sid, 1, err,
			       sizeof(err))))
		return archive_fail(r->a, st, "%s: %s", r->a->indexdir, err);
	r->nmarks++;
	m->ndeleted = ndeleted;
	m->bits = calloc((m->seg.ndocs + 7) / 8 + 1, 1);
	if (!m->bits)
		return archive_fail(r->a, TRAWL_ERR_NOMEM, "out of memory");
	if (bits && nbits == (m->seg.ndocs + 7) / 8)
		memcpy(m->bits, bits, nbits);
	*out = m;
	return TRAWL_OK;
}

/* Marks the live document of item id deleted, in whichever segment holds
 * it (a re-indexed item has an older, deleted document elsewhere). */
static trawl_status mark_deleted(struct rm *r, int64_t item)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	int done = 0;

	if ((st = db_prepare(r->a, "SELECT id, ndeleted, deleted FROM segments "
			     "WHERE min_item <= ?1 AND max_item >= ?1", &q)))
		return st;
	sqlite3_bind_int64(q, 1, item);
	while (!st && !done && sqlite3_step(q) == SQLITE_ROW) {
		struct seg_mark *m;

		st = get_mark(r, sqlite3_column_int64(q, 0),
			      (uint64_t)sqlite3_column_int64(q, 1),
			      sqlite3_column_blob(q, 2),
			      (size_t)sqlite3_column_bytes(q, 2), &m);
		for (uint32_t d = 0; !st && d < m->seg.ndocs; d++) {
			if (seg_item(&m->seg, d) != (uint64_t)item ||
			    (m->bits[d >> 3] >> (d & 7)) & 1)
				continue;
			m->bits[d >> 3] |= (uint8_t)(1u << (d & 7));
			m->ndeleted++;
			done = 1;
			break;
		}
	}
	sqlite3_finalize(q);
	return st; /* in no segment (older than the index): nothing to hide */
}

static trawl_status exec_id(struct rm *r, const char *sql, int64_t id)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(r->a, sql, &q);

	if (st)
		return st;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		st = archive_db_fail(r->a, "removing an item");
	sqlite3_finalize(q);
	return st;
}

/* Queues blob sha for purging when nothing uses it any more. */
static trawl_status maybe_purge(struct rm *r, const void *sha)
{
	static const char sql[] =
		"INSERT INTO purge_pending(pack, offset, clen) "
		"SELECT pack, offset, clen FROM blobs WHERE sha256 = ?1 "
		"AND NOT EXISTS (SELECT 1 FROM items WHERE blob = ?1) "
		"AND NOT EXISTS (SELECT 1 FROM failures WHERE blob = ?1)";
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(r->a, sql, &q);

	if (st)
		return st;
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_TRANSIENT);
	if (sqlite3_step(q) != SQLITE_DONE)
		st = archive_db_fail(r->a, "queueing a blob purge");
	sqlite3_finalize(q);
	if (st || !sqlite3_changes(r->a->db))
		return st;
	if ((st = db_prepare(r->a, "DELETE FROM blobs WHERE sha256 = ?", &q)))
		return st;
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_TRANSIENT);
	if (sqlite3_step(q) != SQLITE_DONE)
		st = archive_db_fail(r->a, "removing a blob");
	sqlite3_finalize(q);
	return st;
}

/* Removes one item (not its children: the caller walks them). */
static trawl_status remove_one(struct rm *r, int64_t id)
{
	static const char *const drops[] = {
		"DELETE FROM sources WHERE item = ?",
		"DELETE FROM warnings WHERE item = ?",
		"DELETE FROM threads WHERE item = ?",
		"DELETE FROM items WHERE id = ?",
	};
	sqlite3_stmt *q = NULL;
	uint8_t sha[32];
	trawl_status st;

	if ((st = db_prepare(r->a, "INSERT INTO removed(id, blob, reason, "
			     "removed) SELECT id, blob, ?, ? FROM items "
			     "WHERE id = ?", &q)))
		return st;
	sqlite3_bind_text(q, 1, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, r->now);
	sqlite3_bind_int64(q, 3, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		st = archive_db_fail(r->a, "recording a removal");
	sqlite3_finalize(q);
	if (st)
		return st;
	if ((st = db_prepare(r->a, "SELECT blob FROM items WHERE id = ?", &q)))
		return st;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_bytes(q, 0) != 32) {
		sqlite3_finalize(q);
		return archive_fail(r->a, TRAWL_ERR_CORRUPT,
				    "item %lld has no blob", (long long)id);
	}
	memcpy(sha, sqlite3_column_blob(q, 0), 32);
	sqlite3_finalize(q);
	for (size_t i = 0; i < ARRAY_SIZE(drops) && !st; i++)
		st = exec_id(r, drops[i], id);
	if (!st)
		st = mark_deleted(r, id);
	if (!st)
		st = maybe_purge(r, sha);
	r->removed++;
	return st;
}

/* id and everything inside it, children before parents (so that a blob
 * shared by parent and child is checked once both are gone). */
static trawl_status remove_tree(struct rm *r, int64_t id)
{
	sqlite3_stmt *q = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	trawl_status st;

	if ((st = db_prepare(r->a, "WITH RECURSIVE t(id) AS (SELECT ?1 UNION "
			     "SELECT i.id FROM items i JOIN t ON i.parent = "
			     "t.id) SELECT id FROM t ORDER BY id DESC", &q)))
		return st;
	sqlite3_bind_int64(q, 1, id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *p = realloc(ids, (cap ? cap * 2 : 16) *
							  sizeof(*p));

			if (!p) {
				st = archive_fail(r->a, TRAWL_ERR_NOMEM,
						  "out of memory");
				break;
			}
			ids = p;
			cap = cap ? cap * 2 : 16;
		}
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	for (size_t i = 0; i < n && !st; i++)
		st = remove_one(r, ids[i]);
	free(ids);
	return st;
}

/* The parents of the items named: an email whose attachment alone goes
 * must be re-indexed without that attachment's name and type. */
static trawl_status note_parents(struct rm *r, const int64_t *ids, size_t n)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if (!(r->parents = calloc(n + 1, sizeof(*r->parents))))
		return archive_fail(r->a, TRAWL_ERR_NOMEM, "out of memory");
	if ((st = db_prepare(r->a, "SELECT parent FROM items WHERE id = ? AND "
			     "parent IS NOT NULL", &q)))
		return st;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(q, 1, ids[i]);
		if (sqlite3_step(q) == SQLITE_ROW)
			r->parents[r->nparents++] = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return TRAWL_OK;
}

/* Takes the items in no segment out of ids[0..*n). */
static trawl_status drop_unindexed(trawl_archive *a, int64_t *ids, size_t *n)
{
	int64_t below, from;
	size_t k = 0;
	trawl_status st;

	if ((st = db_get_meta_int(a, "unindexed_below", &below)) ||
	    (st = db_get_unindexed_from(a, &from)))
		return st;
	for (size_t i = 0; i < *n; i++)
		if (ids[i] >= below && (!from || ids[i] < from))
			ids[k++] = ids[i];
	*n = k;
	return TRAWL_OK;
}

/* Re-indexes the parents still there into one new segment, their old
 * documents marked deleted, in the removal's transaction. */
static trawl_status refresh_parents(struct rm *r)
{
	sqlite3_stmt *q = NULL;
	struct seg_info si;
	int64_t next, *keep;
	size_t n = 0;
	trawl_status st = TRAWL_OK;

	if (!r->nparents)
		return TRAWL_OK;
	if (!(keep = calloc(r->nparents, sizeof(*keep))))
		return archive_fail(r->a, TRAWL_ERR_NOMEM, "out of memory");
	if ((st = db_prepare(r->a, "SELECT 1 FROM items WHERE id = ?", &q)))
		goto out;
	for (size_t i = 0; i < r->nparents && !st; i++) {
		int dup = 0;

		for (size_t k = 0; k < n; k++)
			dup |= keep[k] == r->parents[i];
		sqlite3_bind_int64(q, 1, r->parents[i]);
		if (!dup && sqlite3_step(q) == SQLITE_ROW) {
			keep[n++] = r->parents[i];
			st = mark_deleted(r, r->parents[i]);
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	q = NULL;
	/* a parent stored without the index (trawl ingest --no-index, or
	 * before the index existed) is in no segment: the next ingest or
	 * reindex indexes it as it is by then */
	if (!st)
		st = drop_unindexed(r->a, keep, &n);
	if (st || !n || (st = db_get_meta_int(r->a, "next_segment", &next)) ||
	    (st = reindex_items(r->a, keep, n, next, &si)) || !si.ndocs)
		goto out;
	st = index_record_segment(r->a, &si);
	if (!st)
		st = db_set_meta_int(r->a, "next_segment", next + 1);
out:
	free(keep);
	return st;
}

static trawl_status save_marks(struct rm *r)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = db_prepare(r->a, "UPDATE segments SET ndeleted = ?, "
			     "deleted = ? WHERE id = ?", &q)))
		return st;
	for (size_t i = 0; i < r->nmarks && !st; i++) {
		struct seg_mark *m = &r->marks[i];

		sqlite3_bind_int64(q, 1, (sqlite3_int64)m->ndeleted);
		sqlite3_bind_blob(q, 2, m->bits, (int)((m->seg.ndocs + 7) / 8),
				  SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, m->id);
		if (sqlite3_step(q) != SQLITE_DONE)
			st = archive_db_fail(r->a, "saving a deletion bitmap");
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return st;
}

static trawl_status check_ids(struct rm *r, const int64_t *ids, size_t n)
{
	sqlite3_stmt *q = NULL, *t = NULL;
	trawl_status st;

	if ((st = db_prepare(r->a, "SELECT 1 FROM items WHERE id = ?", &q)) ||
	    (st = db_prepare(r->a, "SELECT reason FROM removed WHERE id = ?",
			     &t)))
		goto out;
	for (size_t i = 0; i < n && !st; i++) {
		sqlite3_bind_int64(q, 1, ids[i]);
		if (sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_bind_int64(t, 1, ids[i]);
			st = archive_fail(r->a, TRAWL_ERR_NOT_FOUND,
					  sqlite3_step(t) == SQLITE_ROW
						  ? "item %lld was removed "
						    "already"
						  : "no item %lld",
					  (long long)ids[i]);
			sqlite3_reset(t);
		}
		sqlite3_reset(q);
	}
out:
	sqlite3_finalize(q);
	sqlite3_finalize(t);
	return st;
}

/* Punches the queued blob ranges out of their packs, then forgets them. */
trawl_status archive_purge_pending(trawl_archive *a)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = db_prepare(a, "SELECT pack, offset, clen FROM "
			     "purge_pending", &q)))
		return st;
	while (!st && sqlite3_step(q) == SQLITE_ROW) {
		char path[4096];
		uint32_t pack = (uint32_t)sqlite3_column_int64(q, 0);
		off_t off = (off_t)sqlite3_column_int64(q, 1);
		off_t len = (off_t)sqlite3_column_int64(q, 2) +
			    PACK_REC_HEADER_SIZE;
		int fd;

		pack_path(a, pack, path, sizeof(path));
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* the pack is gone: nothing to punch */
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      off, len) || fdatasync(fd))
			st = archive_fail(a, TRAWL_ERR_IO, "%s: cannot purge a "
					  "removed blob", path);
		close(fd);
	}
	sqlite3_finalize(q);
	if (!st)
		st = db_exec(a, "DELETE FROM purge_pending");
	return st;
}

trawl_status trawl_remove(trawl_archive *a, const int64_t *ids, size_t n,
			  const char *reason, unsigned flags, uint64_t *removed)
{
	struct rm r = { .a = a, .reason = reason, .now = (int64_t)time(NULL) };
	trawl_status st;

	*removed = 0;
	if (!(a->flags & TRAWL_OPEN_WRITE))
		return archive_fail(a, TRAWL_ERR_INVALID,
				    "remove needs the archive open for writing");
	if (!reason || !*reason)
		return archive_fail(a, TRAWL_ERR_INVALID,
				    "a removal needs a reason");
	r.dirfd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfd < 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: cannot open",
				    a->indexdir);
	if ((st = db_exec(a, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE")))
		goto out;
	st = check_ids(&r, ids, n);
	if (!st)
		st = note_parents(&r, ids, n);
	for (size_t i = 0; i < n && !st; i++) {
		sqlite3_stmt *q = NULL;
		int present;

		/* an ID named twice, or inside another named one */
		if ((st = db_prepare(a, "SELECT 1 FROM items WHERE id = ?", &q)))
			break;
		sqlite3_bind_int64(q, 1, ids[i]);
		present = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
		if (present)
			st = remove_tree(&r, ids[i]);
	}
	if (!st)
		st = refresh_parents(&r);
	if (!st)
		st = save_marks(&r);
	if (!st)
		st = db_exec(a, "COMMIT");
	else
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	if (st)
		goto out;
	*removed = r.removed;
	if ((st = archive_purge_pending(a)) || (st = threadmap_write(a)))
		goto out;
	if (!(flags & TRAWL_REMOVE_KEEP_INDEX))
		st = index_merge(a, r.dirfd, INDEX_MERGE_EXPUNGE, NULL);
	/* old pages of the log hold the removed rows: checkpoint them away */
	if (!st)
		sqlite3_wal_checkpoint_v2(a->db, NULL,
					  SQLITE_CHECKPOINT_TRUNCATE, NULL,
					  NULL);
out:
	for (size_t i = 0; i < r.nmarks; i++) {
		segment_close(&r.marks[i].seg);
		free(r.marks[i].bits);
	}
	free(r.marks);
	free(r.parents);
	close(r.dirfd);
	return st;
}

const char *trawl_removed_reason(trawl_archive *a, int64_t id)
{
	sqlite3_stmt *q = NULL;

	free(a->reason);
	a->reason = NULL;
	if (db_prepare(a, "SELECT reason FROM removed WHERE id = ?", &q))
		return NULL;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW)
		a->reason = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return a->reason;
}
