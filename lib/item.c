/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* item.c - loading one item with everything stored about it. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "codec.h"
#include "blob.h"
#include "bounds.h"
#include "addrcol.h"
#include "banned.h"

struct item_addr {
	int role;
	char *name, *addr;
	int64_t id;
};

struct item_source {
	char *path, *member;
	int64_t offset, length;
};

struct item_warning {
	char *code, *detail;
};

struct trawl_item {
	int64_t id, parent, date;
	int kind, tz, date_source, has_date;
	uint64_t size;
	uint8_t sha[32];
	char sha_hex[65], md5_hex[33], chash_hex[65];
	int has_md5, has_chash;
	char *message_id, *subject, *base_subject, *in_reply_to, *refs;
	char *name, *mime_type, *sniffed_type;
	struct buf body;
	int has_body;
	uint64_t body_len;
	struct item_addr *addrs;
	size_t naddrs;
	size_t role_count[TRAWL_ROLE_BCC + 1];
	struct item_source *sources;
	size_t nsources;
	struct item_warning *warnings;
	size_t nwarnings;
	int64_t *children;
	size_t nchildren;
	int64_t thread;
	char *thread_parent;
	int64_t *copies;
	size_t ncopies;
};

static char *col_str(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? strdup((const char *)s) : NULL;
}

#define GROW(arr, n) \
	((n) % 16 == 0 && \
	 !((arr) = realloc((arr), ((n) + 16) * sizeof(*(arr)))))

/* The item's address columns (addrcol.h); brief: the first
 * ITEM_BRIEF_ADDRS of each role only.  -1 when they do not parse (or no
 * memory). */
static int load_addr_cols(trawl_item *it, sqlite3_stmt *q, int col_brief,
			  int col_more, int brief)
{
	struct addrcol_cursor c;
	struct addrcol_entry e;
	int r;

	if (addrcol_open_row(&c, q, col_brief, col_more, brief))
		return -1;
	for (int k = 0; k <= TRAWL_ROLE_BCC; k++)
		it->role_count[k] = c.count[k];
	while ((r = addrcol_next(&c, &e)) == 1) {
		struct item_addr *x;

		if (memchr(e.name, '\0', e.name_len) ||
		    memchr(e.addr, '\0', e.addr_len) ||
		    GROW(it->addrs, it->naddrs))
			return -1;
		x = &it->addrs[it->naddrs++];
		x->role = e.role;
		x->id = e.id;
		x->name = strndup(e.name, e.name_len);
		x->addr = x->name ? strndup(e.addr, e.addr_len) : NULL;
		if (!x->addr)
			return -1;
	}
	return r;
}

static trawl_status load_main(trawl_archive *a, trawl_item *it, int64_t id,
			      int brief)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;
	int rc;

	st = db_cached(a, "SELECT kind, parent, blob, md5, size, message_id, "
		       "date, tz, date_source, subject, base_subject, "
		       "in_reply_to, refs, body, body_len, content_hash, name, "
		       "mime_type, sniffed_type, addrs_brief, addrs_more "
		       "FROM items WHERE id = ?", &q);
	if (st)
		return st;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		st = rc == SQLITE_DONE
			? archive_fail(a, TRAWL_ERR_NOT_FOUND, "no item %lld",
				       (long long)id)
			: archive_db_fail(a, "reading an item");
		goto out;
	}
	it->id = id;
	it->kind = sqlite3_column_int(q, 0);
	it->parent = sqlite3_column_int64(q, 1);
	if (sqlite3_column_bytes(q, 2) != 32) {
		st = archive_fail(a, TRAWL_ERR_CORRUPT, "item %lld: bad blob "
				  "reference", (long long)id);
		goto out;
	}
	memcpy(it->sha, sqlite3_column_blob(q, 2), 32);
	hex_encode(it->sha, 32, it->sha_hex);
	if ((it->has_md5 = sqlite3_column_bytes(q, 3) == 16))
		hex_encode(sqlite3_column_blob(q, 3), 16, it->md5_hex);
	it->size = (uint64_t)sqlite3_column_int64(q, 4);
	it->message_id = col_str(q, 5);
	it->has_date = sqlite3_column_type(q, 6) != SQLITE_NULL;
	it->date = sqlite3_column_int64(q, 6);
	it->tz = sqlite3_column_int(q, 7);
	it->date_source = it->has_date ? sqlite3_column_int(q, 8)
				       : TRAWL_DATE_NONE;
	it->subject = col_str(q, 9);
	it->base_subject = col_str(q, 10);
	it->in_reply_to = col_str(q, 11);
	it->refs = col_str(q, 12);
	if (sqlite3_column_type(q, 13) != SQLITE_NULL) {
		it->body_len = (uint64_t)sqlite3_column_int64(q, 14);
		st = blob_body(a, sqlite3_column_blob(q, 13),
			       (size_t)sqlite3_column_bytes(q, 13),
			       it->body_len, it->sha, 32,
			       brief ? TRAWL_BRIEF_BODY : SIZE_MAX, &it->body);
		if (st) {
			archive_fail(a, st, "item %lld: stored body text does "
				     "not decompress", (long long)id);
			goto out;
		}
		it->has_body = 1;
	}
	if ((it->has_chash = sqlite3_column_bytes(q, 15) == 32))
		hex_encode(sqlite3_column_blob(q, 15), 32, it->chash_hex);
	it->name = col_str(q, 16);
	it->mime_type = col_str(q, 17);
	it->sniffed_type = col_str(q, 18);
	if (load_addr_cols(it, q, 19, 20, brief)) {
		st = archive_fail(a, TRAWL_ERR_CORRUPT, "item %lld: bad address "
				  "columns", (long long)id);
		goto out;
	}
out:
	db_done(a, q);
	return st;
}

/* Runs sql (a string literal: cached; one ?-parameter, the item ID) and
 * calls row() per row. */
static trawl_status each_row(trawl_archive *a, const char *sql, int64_t id,
			     int (*row)(trawl_item *, sqlite3_stmt *),
			     trawl_item *it)
{
	sqlite3_stmt *q = NULL;
	trawl_status st = db_cached(a, sql, &q);
	int rc;

	if (st)
		return st;
	sqlite3_bind_int64(q, 1, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (row(it, q)) {
			st = archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
			break;
		}
	if (!st && rc != SQLITE_DONE)
		st = archive_db_fail(a, "reading an item");
	db_done(a, q);
	return st;
}

static int source_row(trawl_item *it, sqlite3_stmt *q)
{
	struct item_source *x;

	if (GROW(it->sources, it->nsources))
		return -1;
	x = &it->sources[it->nsources++];
	x->path = col_str(q, 0);
	x->member = col_str(q, 1);
	if (x->member && !*x->member) {
		free(x->member);
		x->member = NULL;
	}
	x->offset = sqlite3_column_int64(q, 2);
	x->length = sqlite3_column_int64(q, 3);
	return 0;
}

static int warning_row(trawl_item *it, sqlite3_stmt *q)
{
	struct item_warning *x;

	if (GROW(it->warnings, it->nwarnings))
		return -1;
	x = &it->warnings[it->nwarnings++];
	x->code = col_str(q, 0);
	x->detail = col_str(q, 1);
	return 0;
}

static int child_row(trawl_item *it, sqlite3_stmt *q)
{
	if (GROW(it->children, it->nchildren))
		return -1;
	it->children[it->nchildren++] = sqlite3_column_int64(q, 0);
	return 0;
}

static int copy_row(trawl_item *it, sqlite3_stmt *q)
{
	if (GROW(it->copies, it->ncopies))
		return -1;
	it->copies[it->ncopies++] = sqlite3_column_int64(q, 0);
	return 0;
}

static int thread_row(trawl_item *it, sqlite3_stmt *q)
{
	it->thread = sqlite3_column_int64(q, 0);
	/* the parent message of the item itself, not of its carrier */
	if (sqlite3_column_int64(q, 2) == it->id)
		it->thread_parent = col_str(q, 1);
	return 0;
}

/*
 * The thread of the item's top-level message: up the parent chain (a
 * loop of simple lookups: a recursive query would build a temporary
 * table, and its page cache, on every load), then its threads row.
 */
static trawl_status load_thread(trawl_archive *a, trawl_item *it)
{
	sqlite3_stmt *q = NULL;
	int64_t top = it->id, parent = it->parent;
	trawl_status st = TRAWL_OK;

	for (int depth = 0; parent > 0 && depth < 1000; depth++) {
		top = parent;
		parent = 0;
		if ((st = db_cached(a, "SELECT parent FROM items WHERE id = ?",
				    &q)))
			return st;
		sqlite3_bind_int64(q, 1, top);
		if (sqlite3_step(q) == SQLITE_ROW)
			parent = sqlite3_column_int64(q, 0);
		db_done(a, q);
	}
	return each_row(a, "SELECT thread, parent, item FROM threads WHERE "
			"item = ?", top, thread_row, it);
}

trawl_status trawl_item_load(trawl_archive *a, int64_t id, trawl_item **out)
{
	return trawl_item_load_ex(a, id, 0, out);
}

trawl_status trawl_item_load_ex(trawl_archive *a, int64_t id, unsigned flags,
				trawl_item **out)
{
	int brief = (flags & TRAWL_LOAD_BRIEF) != 0;
	trawl_item *it = calloc(1, sizeof(*it));
	trawl_status st;
	int txn;

	*out = NULL;
	if (!it)
		return archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
	buf_init(&it->body, TRAWL_MAX_BODY_TEXT + 1);
	/* one read transaction: one snapshot, one lock for every query */
	txn = sqlite3_get_autocommit(a->db) &&
	      sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	st = load_main(a, it, id, brief);
	if (!st && !brief)
		st = each_row(a, "SELECT path, member, offset, length FROM "
			      "sources WHERE item = ? ORDER BY path, member, "
			      "offset", id, source_row, it);
	if (!st && !brief)
		st = each_row(a, "SELECT code, detail FROM warnings WHERE "
			      "item = ? ORDER BY seq", id, warning_row, it);
	if (!st && !brief)
		st = each_row(a, "SELECT id FROM items WHERE parent = ? "
			      "ORDER BY id", id, child_row, it);
	if (!st && it->has_chash)
		st = each_row(a, "SELECT c.id FROM items i JOIN items c ON "
			      "c.content_hash = i.content_hash AND c.id <> i.id "
			      "WHERE i.id = ? ORDER BY c.id LIMIT 1000", id,
			      copy_row, it);
	if (!st && !brief)
		st = load_thread(a, it);
	if (txn)
		sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
	if (st) {
		trawl_item_free(it);
		return st;
	}
	*out = it;
	return TRAWL_OK;
}

void trawl_item_free(trawl_item *it)
{
	if (!it)
		return;
	free(it->message_id);
	free(it->subject);
	free(it->base_subject);
	free(it->in_reply_to);
	free(it->refs);
	free(it->name);
	free(it->mime_type);
	free(it->sniffed_type);
	buf_release(&it->body);
	for (size_t i = 0; i < it->naddrs; i++) {
		free(it->addrs[i].name);
		free(it->addrs[i].addr);
	}
	free(it->addrs);
	for (size_t i = 0; i < it->nsources; i++) {
		free(it->sources[i].path);
		free(it->sources[i].member);
	}
	free(it->sources);
	for (size_t i = 0; i < it->nwarnings; i++) {
		free(it->warnings[i].code);
		free(it->warnings[i].detail);
	}
	free(it->warnings);
	free(it->children);
	free(it->thread_parent);
	free(it->copies);
	free(it);
}

size_t trawl_item_ncopies(const trawl_item *it) { return it->ncopies; }
int64_t trawl_item_copy(const trawl_item *it, size_t i)
{
	return it->copies[i];
}

int64_t trawl_item_thread(const trawl_item *it, const char **parent)
{
	if (parent)
		*parent = it->thread_parent;
	return it->thread;
}

int64_t trawl_item_id(const trawl_item *it) { return it->id; }
trawl_kind trawl_item_kind(const trawl_item *it) { return it->kind; }
int64_t trawl_item_parent(const trawl_item *it) { return it->parent; }
const char *trawl_item_message_id(const trawl_item *it)
{
	return it->message_id;
}

int64_t trawl_item_date(const trawl_item *it, int *tz_minutes,
			trawl_date_source *src)
{
	if (tz_minutes)
		*tz_minutes = it->tz;
	if (src)
		*src = it->date_source;
	return it->date;
}

const char *trawl_item_subject(const trawl_item *it) { return it->subject; }
const char *trawl_item_base_subject(const trawl_item *it)
{
	return it->base_subject;
}
const char *trawl_item_in_reply_to(const trawl_item *it)
{
	return it->in_reply_to;
}
const char *trawl_item_references(const trawl_item *it) { return it->refs; }
const char *trawl_item_name(const trawl_item *it) { return it->name; }
const char *trawl_item_mime_type(const trawl_item *it) { return it->mime_type; }
const char *trawl_item_sniffed_type(const trawl_item *it)
{
	return it->sniffed_type;
}
uint64_t trawl_item_size(const trawl_item *it) { return it->size; }
const char *trawl_item_sha256(const trawl_item *it) { return it->sha_hex; }
const char *trawl_item_md5(const trawl_item *it)
{
	return it->has_md5 ? it->md5_hex : NULL;
}
const char *trawl_item_content_hash(const trawl_item *it)
{
	return it->has_chash ? it->chash_hex : NULL;
}

const char *trawl_item_body(const trawl_item *it, size_t *len)
{
	if (len)
		*len = it->has_body ? it->body.len : 0;
	if (!it->has_body)
		return NULL;
	return it->body.data ? it->body.data : "";
}

uint64_t trawl_item_body_len(const trawl_item *it)
{
	return it->has_body ? it->body_len : 0;
}

size_t trawl_item_naddrs(const trawl_item *it) { return it->naddrs; }

size_t trawl_item_role_count(const trawl_item *it, trawl_role role)
{
	return (unsigned)role <= TRAWL_ROLE_BCC ? it->role_count[role] : 0;
}

void trawl_item_addr(const trawl_item *it, size_t i, trawl_role *role,
		     const char **name, const char **addr, int64_t *addr_id)
{
	const struct item_addr *x = &it->addrs[i];

	if (role)
		*role = x->role;
	if (name)
		*name = x->name ? x->name : "";
	if (addr)
		*addr = x->addr ? x->addr : "";
	if (addr_id)
		*addr_id = x->id;
}

size_t trawl_item_nsources(const trawl_item *it) { return it->nsources; }

void trawl_item_source(const trawl_item *it, size_t i, const char **path,
		       const char **member, int64_t *offset, int64_t *length)
{
	const struct item_source *x = &it->sources[i];

	if (path)
		*path = x->path;
	if (member)
		*member = x->member;
	if (offset)
		*offset = x->offset;
	if (length)
		*length = x->length;
}

size_t trawl_item_nwarnings(const trawl_item *it) { return it->nwarnings; }

void trawl_item_warning(const trawl_item *it, size_t i, const char **code,
			const char **detail)
{
	if (code)
		*code = it->warnings[i].code;
	if (detail)
		*detail = it->warnings[i].detail;
}

size_t trawl_item_nchildren(const trawl_item *it) { return it->nchildren; }
int64_t trawl_item_child(const trawl_item *it, size_t i)
{
	return it->children[i];
}

trawl_status trawl_item_raw(trawl_archive *a, const trawl_item *it,
			    trawl_sink sink, void *ctx)
{
	return blob_stream(a, it->sha, 0, sink, ctx);
}
