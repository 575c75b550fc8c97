/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * check.c - the deep integrity check behind `trawl check`.
 *
 * It reads everything: SQLite's own integrity check, every blob
 * decompressed and hashed against its SHA-256, every stored body text
 * decompressed, every reference between tables (and from an item's
 * address columns to the addresses table).  Bytes past a pack's
 * committed length are what an interrupted writer left; the next writer
 * cuts them off, so they are not a problem.  The same holds for index/
 * files no live segment owns.  Every live segment is opened with its
 * checksums verified and every postings list decoded; every item is in
 * exactly one segment (but those older than the index, which `trawl
 * reindex` adds).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "blob.h"
#include "pack.h"
#include "segment.h"
#include "threadmap.h"
#include "bounds.h"
#include "addrcol.h"
#include "banned.h"

struct check {
	trawl_archive *a;
	trawl_problem_cb cb;
	void *ctx;
	uint64_t problems;
};

static void problem(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct check *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->problems++;
	if (c->cb)
		c->cb(c->ctx, msg);
}

/* Each query returns rows that are problems: (id-ish, text). */
static const struct {
	const char *what;
	const char *sql;
} orphans[] = {
	{ "item refers to a missing blob",
	  "SELECT id, hex(blob) FROM items WHERE blob NOT IN "
	  "(SELECT sha256 FROM blobs)" },
	{ "item has a missing parent",
	  "SELECT id, parent FROM items WHERE parent IS NOT NULL AND parent "
	  "NOT IN (SELECT id FROM items)" },
	{ "item has a parent with a larger ID",
	  "SELECT id, parent FROM items WHERE parent >= id" },
	{ "item has an unknown kind",
	  "SELECT id, kind FROM items WHERE kind NOT IN (1, 2, 3)" },
	{ "source location refers to a missing item",
	  "SELECT item, path FROM sources WHERE item NOT IN "
	  "(SELECT id FROM items)" },
	{ "warning refers to a missing item",
	  "SELECT item, code FROM warnings WHERE item NOT IN "
	  "(SELECT id FROM items)" },
	{ "top-level item without a source location",
	  "SELECT id, '' FROM items WHERE parent IS NULL AND id NOT IN "
	  "(SELECT item FROM sources)" },
	{ "failure refers to a missing blob",
	  "SELECT path, hex(blob) FROM failures WHERE blob IS NOT NULL AND "
	  "blob NOT IN (SELECT sha256 FROM blobs)" },
	{ "blob is in a pack the database does not know",
	  "SELECT hex(sha256), pack FROM blobs WHERE pack NOT IN "
	  "(SELECT id FROM packs)" },
	{ "blob lies past its pack's committed length",
	  "SELECT hex(b.sha256), b.pack FROM blobs b JOIN packs p ON "
	  "p.id = b.pack WHERE b.offset + 56 + b.clen > p.length" },
};

static trawl_status run_sql_checks(struct check *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(orphans); i++) {
		sqlite3_stmt *q = NULL;
		trawl_status st = db_prepare(c->a, orphans[i].sql, &q);

		if (st)
			return st;
		while (sqlite3_step(q) == SQLITE_ROW)
			problem(c, "%s: %s (%s)", orphans[i].what,
				(const char *)sqlite3_column_text(q, 0),
				(const char *)sqlite3_column_text(q, 1));
		sqlite3_finalize(q);
	}
	return TRAWL_OK;
}

static trawl_status check_integrity(struct check *c)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(c->a, "PRAGMA integrity_check", &q);

	if (st)
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(q, 0);

		if (r && strcmp(r, "ok") != 0)
			problem(c, "trawl.db: %s", r);
	}
	sqlite3_finalize(q);
	return TRAWL_OK;
}

static trawl_status check_packs(struct check *c)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(c->a, "SELECT id, length FROM packs", &q);

	if (st)
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		char path[TRAWL_MAX_PATH];
		struct stat sb;
		uint32_t id = (uint32_t)sqlite3_column_int64(q, 0);
		int64_t len = sqlite3_column_int64(q, 1);

		pack_path(c->a, id, path, sizeof(path));
		if (stat(path, &sb) != 0)
			problem(c, "%s: missing", path);
		else if (sb.st_size < len)
			problem(c, "%s: %lld bytes, shorter than the %lld "
				"committed", path, (long long)sb.st_size,
				(long long)len);
	}
	sqlite3_finalize(q);
	return TRAWL_OK;
}

static trawl_status check_blobs(struct check *c)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(c->a, "SELECT sha256 FROM blobs "
				     "ORDER BY pack, offset", &q);

	if (st)
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint8_t sha[32];
		char hex[65];

		if (sqlite3_column_bytes(q, 0) != 32) {
			problem(c, "blobs table: a key is not 32 bytes");
			continue;
		}
		memcpy(sha, sqlite3_column_blob(q, 0), 32);
		st = blob_stream(c->a, sha, 1, NULL, NULL);
		if (st == TRAWL_ERR_CORRUPT) {
			problem(c, "%s", trawl_archive_errmsg(c->a));
		} else if (st) {
			hex_encode(sha, 32, hex);
			problem(c, "blob %s: %s", hex,
				trawl_archive_errmsg(c->a));
		}
	}
	sqlite3_finalize(q);
	return TRAWL_OK;
}

static trawl_status check_bodies(struct check *c)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_prepare(c->a, "SELECT id, body, body_len, blob "
				     "FROM items WHERE body IS NOT NULL", &q);
	struct buf b;

	if (st)
		return st;
	buf_init(&b, TRAWL_MAX_BODY_TEXT + 1);
	while (sqlite3_step(q) == SQLITE_ROW) {
		buf_reset(&b);
		if (blob_body(c->a, sqlite3_column_blob(q, 1),
			      (size_t)sqlite3_column_bytes(q, 1),
			      (uint64_t)sqlite3_column_int64(q, 2),
			      sqlite3_column_blob(q, 3),
			      (size_t)sqlite3_column_bytes(q, 3), SIZE_MAX, &b))
			problem(c, "item %lld: stored body text is corrupt",
				(long long)sqlite3_column_int64(q, 0));
	}
	buf_release(&b);
	sqlite3_finalize(q);
	return TRAWL_OK;
}

/* Every item's address columns parse, and each address ID names the
 * address the item has beside it. */
static trawl_status check_addrs(struct check *c)
{
	sqlite3_stmt *q = NULL, *ad = NULL;
	trawl_status st;
	int rc = SQLITE_DONE;

	if ((st = db_prepare(c->a, "SELECT id, addrs_brief, addrs_more FROM "
			     "items", &q)) ||
	    (st = db_prepare(c->a, "SELECT addr FROM addresses WHERE id = ?",
			     &ad))) {
		sqlite3_finalize(q);
		return st;
	}
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(q, 0);
		struct addrcol_cursor cur;
		struct addrcol_entry e;
		int r;

		if (addrcol_open_row(&cur, q, 1, 2, 0)) {
			problem(c, "item %lld: address columns do not parse",
				id);
			continue;
		}
		while ((r = addrcol_next(&cur, &e)) == 1) {
			const unsigned char *a = NULL;
			int arc;

			sqlite3_bind_int64(ad, 1, e.id);
			arc = sqlite3_step(ad);
			if (arc == SQLITE_ROW)
				a = sqlite3_column_text(ad, 0);
			else if (arc != SQLITE_DONE) {
				st = archive_db_fail(c->a, "checking addresses");
				sqlite3_reset(ad);
				break;
			}
			if (!a)
				problem(c, "item %lld refers to a missing "
					"address: %lld", id,
					(long long)e.id);
			else if (strlen((const char *)a) != e.addr_len ||
				 memcmp(a, e.addr, e.addr_len))
				problem(c, "item %lld: address %lld is not "
					"%s", id, (long long)e.id, a);
			sqlite3_reset(ad);
		}
		if (!st && r < 0)
			problem(c, "item %lld: address columns do not parse",
				id);
	}
	if (!st && rc != SQLITE_DONE)
		st = archive_db_fail(c->a, "checking addresses");
	sqlite3_finalize(q);
	sqlite3_finalize(ad);
	return st;
}

struct walk {
	const struct segment *seg;
	uint32_t pos[4096];
	int bad;
};

static int walk_term(void *ctx, const uint8_t *key, size_t klen,
		     const struct term_info *ti)
{
	struct walk *w = ctx;
	struct postings pc;
	uint32_t n = 0;

	(void)klen;
	postings_init(&pc, w->seg, key[0], ti);
	for (uint32_t d = postings_next(&pc); d != DOC_END;
	     d = postings_next(&pc)) {
		n++;
		if (field_has_pos(key[0]) &&
		    postings_tf(&pc) <= ARRAY_SIZE(w->pos) &&
		    postings_positions(&pc, w->pos))
			break;
	}
	if (pc.corrupt || n != ti->df)
		w->bad = 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Opens and walks one segment; appends its live items to *items. */
static trawl_status check_segment(struct check *c, int dirfd,
				  sqlite3_stmt *row, uint64_t **items,
				  size_t *n, size_t *cap)
{
	uint64_t id = (uint64_t)sqlite3_column_int64(row, 0);
	uint64_t ndocs = (uint64_t)sqlite3_column_int64(row, 1);
	uint64_t ndeleted = (uint64_t)sqlite3_column_int64(row, 2), bits = 0;
	const uint8_t *del = sqlite3_column_blob(row, 3);
	size_t dlen = (size_t)sqlite3_column_bytes(row, 3);
	struct segment s;
	struct walk w = { .seg = &s };
	char err[512];

	if (segment_open(&s, dirfd, id, 1, err, sizeof(err))) {
		problem(c, "index: %s", err);
		return TRAWL_OK;
	}
	if (s.ndocs != ndocs)
		problem(c, "index: segment %llu holds %u documents, trawl.db "
			"says %llu", (unsigned long long)id, s.ndocs,
			(unsigned long long)ndocs);
	if (segment_terms(&s, (const uint8_t *)"", 0, walk_term, &w) ||
	    w.bad)
		problem(c, "index: segment %llu: corrupt postings",
			(unsigned long long)id);
	if (del && dlen != (s.ndocs + 7) / 8) {
		problem(c, "index: segment %llu: deletion bitmap of %zu bytes "
			"for %u documents", (unsigned long long)id, dlen,
			s.ndocs);
		del = NULL;
	}
	for (uint32_t d = 0; d < s.ndocs; d++) {
		if (del && (del[d >> 3] >> (d & 7)) & 1) {
			bits++;
			continue;
		}
		if (*n == *cap) {
			uint64_t *p = realloc(*items, (*cap ? *cap * 2 : 4096) *
							      sizeof(*p));

			if (!p) {
				segment_close(&s);
				return archive_fail(c->a, TRAWL_ERR_NOMEM,
						    "out of memory");
			}
			*items = p;
			*cap = *cap ? *cap * 2 : 4096;
		}
		(*items)[(*n)++] = seg_item(&s, d);
	}
	if (bits != ndeleted)
		problem(c, "index: segment %llu: %llu documents deleted, "
			"trawl.db says %llu", (unsigned long long)id,
			(unsigned long long)bits, (unsigned long long)ndeleted);
	segment_close(&s);
	return TRAWL_OK;
}

/* Every item in [below, from) (from 0: no end) once in the index, and
 * nothing else there. */
static trawl_status match_items(struct check *c, uint64_t *items, size_t n,
				int64_t below, int64_t from)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	size_t i = 0;

	if (n)
		qsort(items, n, sizeof(*items), cmp_u64);
	for (size_t k = 1; k < n; k++)
		if (items[k] == items[k - 1])
			problem(c, "index: item %llu is in two segments",
				(unsigned long long)items[k]);
	if ((st = db_prepare(c->a, "SELECT id FROM items WHERE id >= ? AND "
			     "id < ? ORDER BY id", &q)))
		return st;
	sqlite3_bind_int64(q, 1, below);
	sqlite3_bind_int64(q, 2, from ? from : INT64_MAX);
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);

		while (i < n && items[i] < id)
			problem(c, "index: item %llu is not in trawl.db",
				(unsigned long long)items[i++]);
		if (i < n && items[i] == id)
			while (i < n && items[i] == id)
				i++;
		else
			problem(c, "index: item %llu is not indexed",
				(unsigned long long)id);
	}
	for (; i < n; i++)
		if (from && items[i] >= (uint64_t)from)
			problem(c, "index: item %llu is indexed, but trawl.db "
				"says it was stored without the index",
				(unsigned long long)items[i]);
		else
			problem(c, "index: item %llu is not in trawl.db",
				(unsigned long long)items[i]);
	sqlite3_finalize(q);
	return TRAWL_OK;
}

/* The thread map the database names opens and passes its checksum. */
static void check_threadmap(struct check *c, int dirfd)
{
	sqlite3_stmt *q = NULL;
	struct threadmap m;
	char err[512];
	int64_t gen = 0;

	if (db_prepare(c->a, "SELECT CAST(value AS INTEGER) FROM meta WHERE "
		       "key = 'threads_map'", &q))
		return;
	if (sqlite3_step(q) == SQLITE_ROW)
		gen = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (gen <= 0)
		return;
	if (threadmap_open(&m, dirfd, (uint64_t)gen, err, sizeof(err)))
		problem(c, "index: %s", err);
	else
		threadmap_close(&m);
}

static trawl_status check_index(struct check *c)
{
	sqlite3_stmt *q = NULL;
	uint64_t *items = NULL;
	size_t n = 0, cap = 0;
	int64_t below = 1, from = 0;
	trawl_status st;
	int dirfd = open(c->a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0) {
		problem(c, "%s: missing", c->a->indexdir);
		return TRAWL_OK;
	}
	if ((st = db_get_meta_int(c->a, "unindexed_below", &below)) ||
	    (st = db_get_unindexed_from(c->a, &from)) ||
	    (st = db_prepare(c->a, "SELECT id, ndocs, ndeleted, deleted FROM "
			     "segments", &q)))
		goto out;
	while (!st && sqlite3_step(q) == SQLITE_ROW)
		st = check_segment(c, dirfd, q, &items, &n, &cap);
	if (!st)
		st = match_items(c, items, n, below, from);
	if (!st)
		check_threadmap(c, dirfd);
out:
	sqlite3_finalize(q);
	close(dirfd);
	free(items);
	return st;
}

trawl_status trawl_check(trawl_archive *a, trawl_problem_cb cb, void *ctx,
			 uint64_t *problems)
{
	static trawl_status (*const steps[])(struct check *) = {
		check_integrity, run_sql_checks, check_packs, check_blobs,
		check_bodies, check_addrs, check_index,
	};
	struct check c = { a, cb, ctx, 0 };
	trawl_status st = TRAWL_OK;

	for (size_t i = 0; i < ARRAY_SIZE(steps) && !st; i++)
		st = steps[i](&c);
	if (problems)
		*problems = c.problems;
	return st;
}
