/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * db.c - trawl.db: opening, schema, migrations.
 *
 * The schema version lives in PRAGMA user_version.  A new archive gets the
 * current schema; an older one is migrated forward one step at a time, each
 * step in its own transaction; a newer one is refused (TRAWL_ERR_VERSION).
 * docs/FORMAT.md describes every table and column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "internal.h"
#include "addrcol.h"
#include "banned.h"

static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE packs(id INTEGER PRIMARY KEY, length INTEGER NOT NULL);"
	"CREATE TABLE blobs("
	" sha256 BLOB PRIMARY KEY NOT NULL,"
	" size INTEGER NOT NULL,"
	" pack INTEGER NOT NULL,"
	" offset INTEGER NOT NULL,"
	" clen INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE addresses("
	" id INTEGER PRIMARY KEY,"
	" addr TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL);"
	"CREATE TABLE items("
	" id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" parent INTEGER,"
	" blob BLOB NOT NULL,"
	" md5 BLOB,"
	" size INTEGER NOT NULL,"
	" message_id TEXT,"
	" date INTEGER,"
	" tz INTEGER,"
	" date_source INTEGER,"
	" subject TEXT,"
	" base_subject TEXT,"
	" in_reply_to TEXT,"
	" refs TEXT,"
	" body BLOB,"
	" body_len INTEGER,"
	" content_hash BLOB,"
	" name TEXT,"
	" mime_type TEXT,"
	" sniffed_type TEXT,"
	" flags INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX items_blob ON items(blob) WHERE parent IS NULL;"
	"CREATE INDEX items_parent ON items(parent) WHERE parent IS NOT NULL;"
	"CREATE INDEX items_msgid ON items(message_id)"
	" WHERE message_id IS NOT NULL;"
	"CREATE INDEX items_chash ON items(content_hash)"
	" WHERE content_hash IS NOT NULL;"
	"CREATE TABLE item_addrs("
	" item INTEGER NOT NULL,"
	" role INTEGER NOT NULL,"
	" pos INTEGER NOT NULL,"
	" addr INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" PRIMARY KEY(item, role, pos)) WITHOUT ROWID;"
	"CREATE INDEX item_addrs_addr ON item_addrs(addr);"
	"CREATE TABLE sources("
	" path TEXT NOT NULL,"
	" member TEXT NOT NULL,"
	" offset INTEGER NOT NULL,"
	" length INTEGER NOT NULL,"
	" item INTEGER NOT NULL,"
	" PRIMARY KEY(path, member, offset)) WITHOUT ROWID;"
	"CREATE INDEX sources_item ON sources(item);"
	"CREATE TABLE warnings("
	" item INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" code TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" PRIMARY KEY(item, seq)) WITHOUT ROWID;"
	"CREATE TABLE failures("
	" path TEXT NOT NULL,"
	" member TEXT NOT NULL,"
	" offset INTEGER NOT NULL,"
	" length INTEGER NOT NULL,"
	" code TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" blob BLOB,"
	" PRIMARY KEY(path, member, offset)) WITHOUT ROWID;"
	"CREATE TABLE ingests("
	" id INTEGER PRIMARY KEY,"
	" started INTEGER NOT NULL,"
	" finished INTEGER,"
	" trawl_version TEXT NOT NULL,"
	" items INTEGER,"
	" failures INTEGER);";

static trawl_status migrate_addrs(trawl_archive *a);

/* Migrations: migrations[i] takes schema version i+1 to i+2: its SQL, then
 * its function (when it has one), in one transaction.  A new
 * archive is created at version 1 and migrated forward, so every step is
 * exercised on every new archive. */
static const struct {
	const char *sql;
	trawl_status (*fn)(trawl_archive *a);
} migrations[] = {
	/* 1 -> 2: threads */
	{ "CREATE TABLE threads("
	" item INTEGER PRIMARY KEY,"
	" thread INTEGER NOT NULL,"
	" parent TEXT);"
	"CREATE INDEX threads_thread ON threads(thread);"
	"CREATE TABLE thread_redirects("
	" old INTEGER PRIMARY KEY,"
	" new INTEGER NOT NULL);", NULL },
	/* 2 -> 3: the full-text index's live segments (the commit point of
	 * index/); items already stored are not in the index until
	 * `trawl reindex` */
	{ "CREATE TABLE segments("
	" id INTEGER PRIMARY KEY,"
	" ndocs INTEGER NOT NULL,"
	" min_item INTEGER NOT NULL,"
	" max_item INTEGER NOT NULL,"
	" bytes INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" ndeleted INTEGER NOT NULL DEFAULT 0,"
	" deleted BLOB);"
	"CREATE TABLE removed("
	" id INTEGER PRIMARY KEY,"
	" blob BLOB NOT NULL,"
	" reason TEXT NOT NULL,"
	" removed INTEGER NOT NULL);"
	"CREATE INDEX removed_blob ON removed(blob);"
	"CREATE TABLE purge_pending("
	" pack INTEGER NOT NULL,"
	" offset INTEGER NOT NULL,"
	" clen INTEGER NOT NULL);"
	"INSERT INTO meta(key, value) VALUES('next_segment', '1');"
	"INSERT INTO meta(key, value) SELECT 'unindexed_below', "
	" CAST(COALESCE(MAX(id), 0) + 1 AS TEXT) FROM items;", NULL },
	/* 3 -> 4: the addresses a results list shows, in the item's row
	 * (NULL for the items stored before: read from item_addrs) */
	{ "ALTER TABLE items ADD COLUMN addrs_brief BLOB;", NULL },
	/* 4 -> 5: every address of an item in its row (addrs_brief, and
	 * addrs_more past the first ITEM_BRIEF_ADDRS of a role), filled from
	 * item_addrs, which goes: one row per address and its index cost
	 * ingest more than anything else in SQLite */
	{ "ALTER TABLE items ADD COLUMN addrs_more BLOB;", migrate_addrs },
	/* 5 -> 6: a body text over 65,540 bytes may be two zstd frames (blob.h,
	 * BLOB_TEXT_HEAD).  Nothing to change: a body of one frame reads as
	 * before; the version keeps an older trawl from reading the new
	 * bodies as corrupt. */
	{ "SELECT 1", NULL },
	/* 6 -> 7: a body text may be stored as the tail of the item's
	 * original (an empty items.body; blob.h, blob_read_tail), and an
	 * original may be several zstd frames.  Nothing to change: the
	 * version keeps an older trawl from reading such bodies as
	 * corrupt. */
	{ "SELECT 1", NULL },
	/* 7 -> 8: items may be stored without being indexed (`trawl ingest
	 * --no-index`): every item from unindexed_from on (0: none) is in no
	 * segment until the next ingest or `trawl reindex` indexes it */
	{ "INSERT OR IGNORE INTO meta(key, value) "
	  "VALUES('unindexed_from', '0');",
	  NULL },
};

_Static_assert(ARRAY_SIZE(migrations) == TRAWL_SCHEMA_VERSION - 1,
	       "one migration per schema version");

/* Writes one item's address columns from entries e[0..n). */
static trawl_status put_addrs(trawl_archive *a, sqlite3_stmt *up, int64_t item,
			      const struct addrcol_entry *e, size_t n,
			      struct buf *brief, struct buf *more)
{
	buf_reset(brief);
	buf_reset(more);
	addrcol_encode(brief, more, e, n);
	if (brief->err || more->err)
		return archive_fail(a, brief->err ? brief->err : more->err,
				    "the addresses of item %lld",
				    (long long)item);
	sqlite3_bind_blob(up, 1, brief->data, (int)brief->len, SQLITE_STATIC);
	if (more->len)
		sqlite3_bind_blob(up, 2, more->data, (int)more->len,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(up, 2);
	sqlite3_bind_int64(up, 3, item);
	if (sqlite3_step(up) != SQLITE_DONE) {
		sqlite3_reset(up);
		return archive_db_fail(a, "migrating addresses");
	}
	sqlite3_reset(up);
	return TRAWL_OK;
}

/*
 * 4 -> 5: item_addrs into items.addrs_brief and items.addrs_more, item by
 * item in (item, role, pos) order, then item_addrs dropped.  Items
 * without an address get the six zero counts, as the writer gives them.
 */
static trawl_status migrate_addrs(trawl_archive *a)
{
	sqlite3_stmt *q = NULL, *up = NULL;
	struct addrcol_entry *e = NULL;
	char **names = NULL, **addrs = NULL;
	size_t n = 0, cap = 0;
	int64_t item = 0;
	struct buf brief, more;
	trawl_status st;
	int rc;

	buf_init(&brief, TRAWL_MAX_FRAME);
	buf_init(&more, TRAWL_MAX_FRAME);
	/* a row whose address is missing (a damaged archive: trawl check
	 * said so) keeps its ID with an empty address */
	if ((st = db_prepare(a, "SELECT ia.item, ia.role, ia.name, "
			     "COALESCE(ad.addr, ''), ia.addr FROM item_addrs ia "
			     "LEFT JOIN addresses ad ON ad.id = ia.addr "
			     "ORDER BY ia.item, ia.role, ia.pos", &q)) ||
	    (st = db_prepare(a, "UPDATE items SET addrs_brief = ?1, "
			     "addrs_more = ?2 WHERE id = ?3", &up)))
		goto out;
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t it = sqlite3_column_int64(q, 0);
		const char *nm = (const char *)sqlite3_column_text(q, 2);
		const char *ad = (const char *)sqlite3_column_text(q, 3);

		if (it != item && n) {
			st = put_addrs(a, up, item, e, n, &brief, &more);
			for (size_t i = 0; i < n; i++) {
				free(names[i]);
				free(addrs[i]);
			}
			n = 0;
			if (st)
				break;
		}
		item = it;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 64;
			void *p1 = realloc(e, c * sizeof(*e));

			if (p1)
				e = p1;
			p1 = p1 ? realloc(names, c * sizeof(*names)) : NULL;
			if (p1)
				names = p1;
			p1 = p1 ? realloc(addrs, c * sizeof(*addrs)) : NULL;
			if (!p1) {
				st = archive_fail(a, TRAWL_ERR_NOMEM,
						  "out of memory");
				break;
			}
			addrs = p1;
			cap = c;
		}
		names[n] = strdup(nm ? nm : "");
		addrs[n] = strdup(ad ? ad : "");
		if (!names[n] || !addrs[n]) {
			free(names[n]);
			free(addrs[n]);
			st = archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
			break;
		}
		e[n] = (struct addrcol_entry){
			.role = sqlite3_column_int(q, 1),
			.id = sqlite3_column_int64(q, 4),
			.name = names[n], .name_len = strlen(names[n]),
			.addr = addrs[n], .addr_len = strlen(addrs[n]),
		};
		n++;
	}
	if (!st && rc != SQLITE_DONE)
		st = archive_db_fail(a, "migrating addresses");
	if (!st && n)
		st = put_addrs(a, up, item, e, n, &brief, &more);
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(addrs[i]);
	}
	if (!st) {
		sqlite3_finalize(q);
		q = NULL;
		st = db_exec(a, "UPDATE items SET addrs_brief = "
			     "x'000000000000' WHERE id NOT IN (SELECT item "
			     "FROM item_addrs); DROP TABLE item_addrs;");
	}
out:
	sqlite3_finalize(q);
	sqlite3_finalize(up);
	free(e);
	free(names);
	free(addrs);
	buf_release(&brief);
	buf_release(&more);
	return st;
}

trawl_status db_exec(trawl_archive *a, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(a->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		archive_fail(a, TRAWL_ERR_DB, "%s/trawl.db: %s", a->dir,
			     msg ? msg : "unknown SQLite error");
		sqlite3_free(msg);
		return TRAWL_ERR_DB;
	}
	return TRAWL_OK;
}

trawl_status db_prepare(trawl_archive *a, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(a->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK)
		return archive_db_fail(a, "prepare");
	return TRAWL_OK;
}

trawl_status db_cached(trawl_archive *a, const char *sql, sqlite3_stmt **st)
{
	size_t i;

	for (i = 0; i < a->ncache; i++)
		if (a->cache[i].sql == sql) {
			*st = a->cache[i].st;
			return TRAWL_OK;
		}
	if (db_prepare(a, sql, st))
		return TRAWL_ERR_DB;
	if (a->ncache < ARRAY_SIZE(a->cache))
		a->cache[a->ncache++] = (struct db_cache){ sql, *st };
	return TRAWL_OK;
}

void db_done(trawl_archive *a, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < a->ncache; i++)
		if (a->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

void db_cache_clear(trawl_archive *a)
{
	for (size_t i = 0; i < a->ncache; i++)
		sqlite3_finalize(a->cache[i].st);
	a->ncache = 0;
}

/* missing_ok: a missing key reads as 0 */
static trawl_status meta_int(trawl_archive *a, const char *key, int missing_ok,
			     int64_t *v)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	int rc;

	*v = 0;
	if ((st = db_prepare(a, "SELECT CAST(value AS INTEGER) FROM meta "
			     "WHERE key = ?", &q)))
		return st;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE && !missing_ok)
		st = archive_fail(a, TRAWL_ERR_CORRUPT, "%s/trawl.db: no %s in "
				  "meta", a->dir, key);
	else if (rc != SQLITE_DONE)
		st = archive_db_fail(a, "reading meta");
	sqlite3_finalize(q);
	return st;
}

trawl_status db_get_meta_int(trawl_archive *a, const char *key, int64_t *v)
{
	return meta_int(a, key, 0, v);
}

/* unindexed_from (schema 8), read as 0 from an archive of schema 7 that a
 * reader opened without migrating it */
trawl_status db_get_unindexed_from(trawl_archive *a, int64_t *v)
{
	return meta_int(a, "unindexed_from", 1, v);
}

trawl_status db_set_meta_int(trawl_archive *a, const char *key, int64_t v)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = db_prepare(a, "INSERT OR REPLACE INTO meta(key, value) "
			     "VALUES(?, CAST(? AS TEXT))", &q)))
		return st;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, v);
	if (sqlite3_step(q) != SQLITE_DONE)
		st = archive_db_fail(a, "writing meta");
	sqlite3_finalize(q);
	return st;
}

static int user_version(trawl_archive *a)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static trawl_status migrate(trawl_archive *a, int from);

static trawl_status create_schema(trawl_archive *a)
{
	struct buf sql;
	trawl_status st;

	buf_init(&sql, 1 << 16);
	buf_printf(&sql,
		   "BEGIN IMMEDIATE;%s"
		   "INSERT INTO meta VALUES('created_by', 'trawl %s');"
		   "PRAGMA user_version=1;COMMIT;",
		   schema_v1, TRAWL_VERSION);
	st = sql.err ? sql.err : db_exec(a, sql.data);
	if (st)
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	buf_release(&sql);
	return st ? st : migrate(a, 1);
}

static trawl_status migrate(trawl_archive *a, int from)
{
	trawl_status st = TRAWL_OK;
	int v;

	for (v = from; v < TRAWL_SCHEMA_VERSION && !st; v++) {
		struct buf sql;

		buf_init(&sql, 1 << 16);
		buf_printf(&sql, "BEGIN IMMEDIATE;%s;PRAGMA user_version=%d;",
			   migrations[v - 1].sql, v + 1);
		st = sql.err ? sql.err : db_exec(a, sql.data);
		if (!st && migrations[v - 1].fn)
			st = migrations[v - 1].fn(a);
		if (!st)
			st = db_exec(a, "COMMIT");
		if (st)
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		buf_release(&sql);
	}
	return st;
}

trawl_status db_open(trawl_archive *a, const char *path, int create)
{
	int oflags = SQLITE_OPEN_NOMUTEX;
	int v;
	trawl_status st;

	if (a->flags & TRAWL_OPEN_WRITE)
		oflags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	else
		oflags |= SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &a->db, oflags, NULL) != SQLITE_OK)
		return archive_fail(a, a->db ? TRAWL_ERR_DB : TRAWL_ERR_NOMEM,
				    "%s: %s", path,
				    a->db ? sqlite3_errmsg(a->db)
					  : "out of memory");
	sqlite3_busy_timeout(a->db, 10000);
	sqlite3_extended_result_codes(a->db, 1);
	if (a->flags & TRAWL_OPEN_WRITE) {
		st = db_exec(a, "PRAGMA journal_mode=WAL;"
				"PRAGMA synchronous=NORMAL;"
				"PRAGMA foreign_keys=OFF;"
				"PRAGMA cache_size=-"
				STRINGIFY(TRAWL_DB_CACHE_KIB) ";");
		if (st)
			return st;
	}
	v = user_version(a);
	if (v < 0)
		return archive_fail(a, TRAWL_ERR_CORRUPT,
				    "%s: not a trawl database (%s)", path,
				    sqlite3_errmsg(a->db));
	if (v == 0 && create && (a->flags & TRAWL_OPEN_WRITE))
		return create_schema(a);
	if (v == 0)
		return archive_fail(a, TRAWL_ERR_CORRUPT,
				    "%s: database has no trawl schema", path);
	if (v > TRAWL_SCHEMA_VERSION)
		return archive_fail(a, TRAWL_ERR_VERSION,
				    "%s: schema version %d is newer than this "
				    "trawl understands (%d); upgrade trawl",
				    path, v, TRAWL_SCHEMA_VERSION);
	if (v < TRAWL_SCHEMA_VERSION) {
		if (!(a->flags & TRAWL_OPEN_WRITE) &&
		    v >= TRAWL_SCHEMA_READ_FROM)
			return TRAWL_OK;
		if (!(a->flags & TRAWL_OPEN_WRITE))
			return archive_fail(a, TRAWL_ERR_VERSION,
					    "%s: schema version %d is old; run "
					    "an ingest to migrate it", path, v);
		return migrate(a, v);
	}
	return TRAWL_OK;
}
