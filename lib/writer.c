/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* writer.c - IDs, blobs and batched commits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "writer.h"
#include "addrcol.h"
#include "blob.h"
#include "codec.h"
#include "bounds.h"
#include "indexdb.h"
#include "thread.h"
#include "banned.h"

static const struct {
	size_t off;
	const char *sql;
} stmts[] = {
#define S(field, sql) { offsetof(struct writer, field), sql }
	S(find_blob, "SELECT 1 FROM blobs WHERE sha256 = ?"),
	S(ins_blob, "INSERT INTO blobs(sha256, size, pack, offset, clen) "
		    "VALUES(?, ?, ?, ?, ?)"),
	S(find_root, "SELECT id FROM items WHERE blob = ? AND parent IS NULL"),
	S(ins_item, "INSERT INTO items(id, kind, parent, blob, md5, size, "
		    "message_id, date, tz, date_source, subject, base_subject, "
		    "in_reply_to, refs, body, body_len, content_hash, name, "
		    "mime_type, sniffed_type, flags, addrs_brief, addrs_more) "
		    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		    "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"),
	S(find_addr, "SELECT id FROM addresses WHERE addr = ?"),
	S(ins_addr, "INSERT INTO addresses(addr, name) VALUES(?, ?)"),
	S(ins_source, "INSERT OR IGNORE INTO sources(path, member, offset, "
		      "length, item) VALUES(?, ?, ?, ?, ?)"),
	S(ins_warning, "INSERT INTO warnings(item, seq, code, detail) "
		       "VALUES(?, ?, ?, ?)"),
	S(ins_failure, "INSERT OR IGNORE INTO failures(path, member, offset, "
		       "length, code, detail, blob) VALUES(?, ?, ?, ?, ?, ?, ?)"),
	S(find_msgid, "SELECT id FROM items WHERE message_id = ? AND kind = 1 "
		      "AND blob <> ? AND id < ? ORDER BY id LIMIT 1"),
	S(flag_conflict, "UPDATE items SET flags = flags | ? WHERE id = ?"),
#undef S
};

#define STMT(w, i) (*(sqlite3_stmt **)((char *)(w) + stmts[i].off))

void writer_failpoint(struct writer *w, const char *name)
{
	const char *fp = w->opt ? w->opt->failpoint : NULL;
	size_t n = strlen(name);
	unsigned long at = 1;

	if (!fp || strncmp(fp, name, n) != 0 || (fp[n] && fp[n] != ':'))
		return;
	if (fp[n] == ':')
		at = strtoul(fp + n + 1, NULL, 10);
	if (++w->failpoint_hits >= at)
		kill(getpid(), SIGKILL);
}

static trawl_status step_done(struct writer *w, sqlite3_stmt *st,
			      const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return archive_db_fail(w->a, what);
	return TRAWL_OK;
}

static void bind_span(sqlite3_stmt *st, int i, struct span s)
{
	if (s.p)
		sqlite3_bind_text(st, i, s.p, (int)s.n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

static trawl_status begin(struct writer *w)
{
	trawl_status st;

	if (w->in_txn)
		return TRAWL_OK;
	st = db_exec(w->a, "BEGIN IMMEDIATE");
	if (!st)
		w->in_txn = 1;
	return st;
}

void writer_init(struct writer *w)
{
	memset(w, 0, sizeof(*w));
	w->index_fd = w->pw.fd = w->pw.prev_fd = -1;
}

trawl_status writer_open(struct writer *w, trawl_archive *a,
			 const trawl_ingest_options *opt,
			 trawl_ingest_summary *sum)
{
	trawl_status st;
	sqlite3_stmt *q = NULL;

	writer_init(w);
	w->a = a;
	w->opt = opt;
	w->sum = sum;
	w->no_index = opt && opt->no_index;
	buf_init(&w->tmp, TRAWL_MAX_FRAME);
	buf_init(&w->key, 1 << 16);
	buf_init(&w->brief, TRAWL_MAX_FRAME);
	buf_init(&w->more, TRAWL_MAX_FRAME);
	w->addr_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    NULL);
	for (size_t i = 0; i < ARRAY_SIZE(stmts); i++)
		if ((st = db_prepare(a, stmts[i].sql, &STMT(w, i))))
			return st;
	/* checkpoints run in the background after each commit */
	if ((st = db_exec(a, "PRAGMA cache_size=-"
			  STRINGIFY(TRAWL_INGEST_CACHE_KIB) ";"
			  "PRAGMA wal_autocheckpoint=0")))
		return st;
	if ((st = pack_writer_open(&w->pw, a)))
		return st;
	w->inv = inverter_new();
	if (!w->inv)
		return archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
	w->index_fd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->index_fd < 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: %s", a->indexdir,
				    strerror(errno));
	if ((st = db_prepare(a, "SELECT EXISTS (SELECT 1 FROM removed)", &q)))
		return st;
	if (sqlite3_step(q) == SQLITE_ROW)
		w->any_removed = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	/* removed IDs are never given again */
	if ((st = db_prepare(a, "SELECT max(coalesce((SELECT max(id) FROM "
			     "items), 0), coalesce((SELECT max(id) FROM "
			     "removed), 0)) + 1",
			     &q)))
		return st;
	if (sqlite3_step(q) == SQLITE_ROW)
		w->next_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if ((st = begin(w)))
		return st;
	if ((st = db_prepare(a, "INSERT INTO ingests(started, trawl_version) "
			     "VALUES(?, ?)", &q)))
		return st;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(q, 2, TRAWL_VERSION, -1, SQLITE_STATIC);
	st = step_done(w, q, "recording the ingest");
	sqlite3_finalize(q);
	w->ingest_id = sqlite3_last_insert_rowid(a->db);
	/* Without the index, the items from here on are unindexed: recorded
	 * in the first batch's transaction, unless an earlier such ingest
	 * left the mark lower. */
	if (!st && w->no_index) {
		int64_t from;

		if (!(st = db_get_unindexed_from(a, &from)) &&
		    !from)
			st = db_set_meta_int(a, "unindexed_from", w->next_id);
	}
	return st;
}

/* Stores a blob unless it is there already; known_new: the caller just
 * looked and it was not (saves the lookup). */
static trawl_status store_blob(struct writer *w, const uint8_t *sha,
			       uint64_t size, const void *z, size_t zlen,
			       int known_new)
{
	sqlite3_stmt *q = w->find_blob;
	uint32_t pack;
	uint64_t off;
	trawl_status st;
	int rc = SQLITE_DONE;

	if (!known_new) {
		sqlite3_bind_blob(q, 1, sha, 32, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
	}
	if (rc == SQLITE_ROW)
		return TRAWL_OK;
	if (rc != SQLITE_DONE)
		return archive_db_fail(w->a, "looking up a blob");
	if ((st = pack_writer_append(&w->pw, sha, size, z, zlen, &pack, &off)))
		return st;
	q = w->ins_blob;
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(q, 3, pack);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)off);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)zlen);
	w->batch_bytes += zlen;
	return step_done(w, q, "recording a blob");
}

static trawl_status addr_id(struct writer *w, struct span addr,
			    struct span name, int64_t *id)
{
	char *key;
	gpointer v;
	sqlite3_stmt *q;
	trawl_status st = TRAWL_OK;
	int rc;

	/* look up through a reused buffer; copy the key only to keep it */
	buf_reset(&w->key);
	if (buf_append(&w->key, addr.p ? addr.p : "", addr.p ? addr.n : 0))
		return archive_fail(w->a, TRAWL_ERR_NOMEM, "out of memory");
	if (g_hash_table_lookup_extended(w->addr_ids, w->key.data, NULL, &v)) {
		*id = (int64_t)(intptr_t)v;
		return TRAWL_OK;
	}
	key = g_strdup(w->key.data);
	q = w->find_addr;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE) {
		q = w->ins_addr;
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
		bind_span(q, 2, name.p ? name : (struct span){ "", 0 });
		st = step_done(w, q, "recording an address");
		*id = sqlite3_last_insert_rowid(w->a->db);
	} else if (rc != SQLITE_ROW) {
		st = archive_db_fail(w->a, "looking up an address");
	}
	if (st) {
		g_free(key);
		return st;
	}
	/* Bounded cache: start over rather than grow without end. */
	if (g_hash_table_size(w->addr_ids) >= 1000000)
		g_hash_table_remove_all(w->addr_ids);
	g_hash_table_insert(w->addr_ids, key, (gpointer)(intptr_t)*id);
	return TRAWL_OK;
}

/*
 * The item's addresses, as addrcol.h encodes them, into w->brief and
 * w->more (empty when no role has more than ITEM_BRIEF_ADDRS); new
 * addresses into the addresses table.  *from gets the first From
 * address's ID.
 */
static trawl_status insert_addrs(struct writer *w, int64_t item,
				 const struct rec_item *it, int64_t *from)
{
	struct addrcol_entry *e = NULL;
	trawl_status st = TRAWL_OK;

	*from = 0;
	buf_reset(&w->brief);
	buf_reset(&w->more);
	if (it->naddrs && !(e = malloc(it->naddrs * sizeof(*e))))
		return archive_fail(w->a, TRAWL_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < it->naddrs && !st; i++) {
		const struct rec_addr *ad = &it->addrs[i];

		/* wire.c lets no role past TRAWL_ROLE_BCC through */
		e[i] = (struct addrcol_entry){
			.role = ad->role,
			.name = ad->name.p ? ad->name.p : "",
			.name_len = ad->name.p ? ad->name.n : 0,
			.addr = ad->addr.p ? ad->addr.p : "",
			.addr_len = ad->addr.p ? ad->addr.n : 0,
		};
		st = addr_id(w, ad->addr, ad->name, &e[i].id);
		if (!st && ad->role == TRAWL_ROLE_FROM && !*from)
			*from = e[i].id;
	}
	if (!st)
		addrcol_encode(&w->brief, &w->more, e, it->naddrs);
	if (!st && (w->brief.err || w->more.err))
		st = archive_fail(w->a, w->brief.err ? w->brief.err
						     : w->more.err,
				  "the addresses of item %lld",
				  (long long)item);
	free(e);
	return st;
}

static void emit(struct writer *w, const struct unit_source *src,
		 const char *level, int64_t item, struct span code,
		 struct span detail)
{
	trawl_ingest_event ev;
	char c[128], d[1024];

	if (!w->opt || !w->opt->on_event)
		return;
	/* codes are short tokens, details at most 512 bytes (parse.c) */
	snprintf(c, sizeof(c), "%.*s", (int)code.n, code.p ? code.p : "");
	snprintf(d, sizeof(d), "%.*s", (int)detail.n, detail.p ? detail.p : "");
	ev.level = level;
	ev.path = src->path;
	ev.member = src->member;
	ev.offset = src->offset;
	ev.length = src->length;
	ev.item = item;
	ev.code = c;
	ev.detail = d;
	w->opt->on_event(w->opt->ctx, &ev);
}

static trawl_status insert_warnings(struct writer *w, int64_t item,
				    const struct rec_item *it,
				    const struct unit_source *src)
{
	trawl_status st = TRAWL_OK;

	for (size_t i = 0; i < it->nwarns && !st; i++) {
		sqlite3_stmt *q = w->ins_warning;

		sqlite3_bind_int64(q, 1, item);
		sqlite3_bind_int(q, 2, (int)i);
		bind_span(q, 3, it->warns[i].code);
		bind_span(q, 4, it->warns[i].detail);
		st = step_done(w, q, "recording a warning");
		w->sum->warnings++;
		emit(w, src, "warning", item, it->warns[i].code,
		     it->warns[i].detail);
	}
	return st;
}

/* Another email with the same Message-ID but other bytes: flag both. */
static trawl_status check_conflict(struct writer *w, int64_t id,
				   const struct rec_item *it)
{
	sqlite3_stmt *q = w->find_msgid;
	int64_t other = 0;
	trawl_status st = TRAWL_OK;
	int rc;

	if (it->kind != TRAWL_KIND_EMAIL || !it->message_id.p ||
	    !it->message_id.n)
		return TRAWL_OK;
	bind_span(q, 1, it->message_id);
	sqlite3_bind_blob(q, 2, it->sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		other = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return archive_db_fail(w->a, "looking up a Message-ID");
	for (int k = 0; other && k < 2 && !st; k++) {
		q = w->flag_conflict;
		sqlite3_bind_int(q, 1, ITEM_FLAG_MSGID_CONFLICT);
		sqlite3_bind_int64(q, 2, k ? other : id);
		st = step_done(w, q, "flagging a conflict");
	}
	return st;
}

static trawl_status insert_item(struct writer *w, int64_t id, int64_t parent,
				const struct rec_item *it, int known_new)
{
	sqlite3_stmt *q = w->ins_item;
	trawl_status st;

	if ((st = store_blob(w, it->sha256, it->size, it->blobz.p,
			     it->blobz.n, known_new)))
		return st;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, it->kind);
	if (parent)
		sqlite3_bind_int64(q, 3, parent);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_blob(q, 4, it->sha256, 32, SQLITE_STATIC);
	if (it->md5)
		sqlite3_bind_blob(q, 5, it->md5, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 5);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)it->size);
	bind_span(q, 7, it->message_id);
	for (int i = 8; i <= 10; i++)
		sqlite3_bind_null(q, i);
	if (it->has_date) {
		sqlite3_bind_int64(q, 8, it->date);
		sqlite3_bind_int(q, 9, it->tz);
		sqlite3_bind_int(q, 10, it->date_source);
	}
	bind_span(q, 11, it->subject);
	bind_span(q, 12, it->base_subject);
	bind_span(q, 13, it->in_reply_to);
	bind_span(q, 14, it->refs);
	if (it->bodyz.p) {
		sqlite3_bind_blob(q, 15, it->bodyz.p, (int)it->bodyz.n,
				  SQLITE_STATIC);
		sqlite3_bind_int64(q, 16, (sqlite3_int64)it->body_len);
	} else {
		sqlite3_bind_null(q, 15);
		sqlite3_bind_null(q, 16);
	}
	if (it->chash)
		sqlite3_bind_blob(q, 17, it->chash, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 17);
	bind_span(q, 18, it->name);
	bind_span(q, 19, it->mime_type);
	bind_span(q, 20, it->sniffed_type);
	sqlite3_bind_int(q, 21, (int)it->flags);
	sqlite3_bind_blob(q, 22, w->brief.data ? w->brief.data : "",
			  (int)w->brief.len, SQLITE_STATIC);
	if (w->more.len)
		sqlite3_bind_blob(q, 23, w->more.data, (int)w->more.len,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 23);
	st = step_done(w, q, "recording an item");
	sqlite3_clear_bindings(q);
	return st;
}

static trawl_status add_source(struct writer *w, const struct unit_source *src,
			       int64_t item, int *added)
{
	sqlite3_stmt *q = w->ins_source;
	trawl_status st;

	bind_str(q, 1, src->path);
	bind_str(q, 2, src->member);
	sqlite3_bind_int64(q, 3, src->offset);
	sqlite3_bind_int64(q, 4, src->length);
	sqlite3_bind_int64(q, 5, item);
	st = step_done(w, q, "recording a source location");
	*added = sqlite3_changes(w->a->db) > 0;
	return st;
}

/* The top-level item holding these bytes (*id, 0 if none); *blob_known
 * says whether the bytes are stored at all (as any item's blob). */
static trawl_status find_root(struct writer *w, const uint8_t *sha,
			      int64_t *id, int *blob_known)
{
	sqlite3_stmt *q = w->find_blob;
	int rc;

	*id = 0;
	*blob_known = 0;
	/* New bytes (the common case) are not in blobs at all: one lookup
	 * there answers without the items index. */
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return TRAWL_OK;
	if (rc != SQLITE_ROW)
		return archive_db_fail(w->a, "looking up a blob");
	*blob_known = 1;
	q = w->find_root;
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return archive_db_fail(w->a, "looking up an item");
	return TRAWL_OK;
}

/* Adds the item to the index's next segment.  A worker's terms record
 * that fails validation leaves the item unindexed, with a warning. */
static trawl_status index_item(struct writer *w, int64_t id,
			       const struct rec_item *it, int64_t from,
			       const struct unit_source *src)
{
	struct doc_meta m = {
		.item = (uint64_t)id,
		.date = it->has_date ? it->date : 0,
		.size = it->size,
		.from_addr = from > 0 && from <= UINT32_MAX ? (uint32_t)from : 0,
		.kind = (uint8_t)it->kind,
		.flags = it->kind == TRAWL_KIND_EMAIL &&
				 (!it->has_date ||
				  it->date_source != TRAWL_DATE_HEADER)
			 ? DV_FLAG_DATE_GUESSED : 0,
	};
	static const char code[] = "not-indexed";
	static const char detail[] = "the parser's index terms for this item "
				     "were malformed; it is not searchable "
				     "by its text";
	sqlite3_stmt *q = w->ins_warning;
	trawl_status st;

	st = inverter_add(w->inv, &m, it->terms.p, it->terms.n);
	if (st != TRAWL_ERR_CORRUPT)
		return st;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, (int)it->nwarns);
	sqlite3_bind_text(q, 3, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, detail, -1, SQLITE_STATIC);
	st = step_done(w, q, "recording a warning");
	w->sum->warnings++;
	emit(w, src, "warning", id, (struct span){ code, sizeof(code) - 1 },
	     (struct span){ detail, sizeof(detail) - 1 });
	return st;
}

/* 1 when these bytes were a top-level item that `trawl remove` took
 * down: ingesting them again must not bring it back. */
static int was_removed(struct writer *w, const uint8_t *sha)
{
	sqlite3_stmt *q = NULL;
	int r = 0;

	if (db_prepare(w->a, "SELECT 1 FROM removed WHERE blob = ?", &q))
		return 0;
	sqlite3_bind_blob(q, 1, sha, 32, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return r;
}

static void count_kind(struct writer *w, int kind)
{
	w->sum->items++;
	if (kind == TRAWL_KIND_EMAIL)
		w->sum->emails++;
	else if (kind == TRAWL_KIND_ATTACHMENT)
		w->sum->attachments++;
	else
		w->sum->documents++;
}

trawl_status writer_unit(struct writer *w, const struct unit_source *src,
			 const struct rec_unit *u)
{
	int64_t known, base = w->next_id, from = 0;
	trawl_status st;
	int added, blob_known;

	if ((st = begin(w)) ||
	    (st = find_root(w, u->items[0].sha256, &known, &blob_known)))
		return st;
	if (!known && w->any_removed && was_removed(w, u->items[0].sha256)) {
		w->sum->removed++;
		return TRAWL_OK;
	}
	if (known) {
		st = add_source(w, src, known, &added);
		w->sum->known++;
		w->sum->locations += (uint64_t)added;
		return st;
	}
	for (size_t i = 0; i < u->nitems && !st; i++) {
		const struct rec_item *it = &u->items[i];
		int64_t id = base + (int64_t)i;
		int64_t parent = it->parent < 0 ? 0 : base + it->parent;

		/* the addresses first: the item row holds the brief ones;
		 * find_root looked the root's blob up already */
		st = insert_addrs(w, id, it, &from);
		if (!st)
			st = insert_item(w, id, parent, it,
					 i == 0 && !blob_known);
		if (!st)
			st = insert_warnings(w, id, it, src);
		if (!st && !w->no_index)
			st = index_item(w, id, it, from, src);
		if (!st)
			st = check_conflict(w, id, it);
		count_kind(w, it->kind);
	}
	if (!st)
		st = add_source(w, src, base, &added);
	w->sum->locations += 1;
	w->next_id = base + (int64_t)u->nitems;
	w->batch_items += u->nitems;
	return st;
}

trawl_status writer_failure(struct writer *w, const struct unit_source *src,
			    const char *code, const char *detail,
			    const void *raw, size_t rawlen)
{
	sqlite3_stmt *q = w->ins_failure;
	uint8_t sha[32];
	trawl_status st;

	if ((st = begin(w)))
		return st;
	if (raw) {
		blob_sha256(raw, rawlen, sha);
		buf_reset(&w->tmp);
		if ((st = blob_compress(raw, rawlen, &w->tmp)) ||
		    (st = store_blob(w, sha, rawlen, w->tmp.data, w->tmp.len,
				     0)))
			return st;
	}
	bind_str(q, 1, src->path);
	bind_str(q, 2, src->member);
	sqlite3_bind_int64(q, 3, src->offset);
	sqlite3_bind_int64(q, 4, src->length);
	bind_str(q, 5, code);
	bind_str(q, 6, detail);
	if (raw)
		sqlite3_bind_blob(q, 7, sha, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 7);
	st = step_done(w, q, "recording a failure");
	w->sum->failures++;
	emit(w, src, "failure", 0, (struct span){ code, strlen(code) },
	     (struct span){ detail, strlen(detail) });
	return st;
}

/* inverter_flush, in a thread of its own (flush_segment) */
struct flush_job {
	struct writer *w;
	struct seg_info si;
	char err[512];
	trawl_status st;
};

static void *flush_main(void *arg)
{
	struct flush_job *j = arg;

	j->st = inverter_flush(j->w->inv, j->w->index_fd,
			       (uint64_t)j->w->next_segment, &j->si, j->err,
			       sizeof(j->err));
	return NULL;
}

/* What the batch's commit does while its segment is written: the blobs
 * made durable (on Enron, 0.08 s of waiting for the disk); in the last
 * batch, the threads (the whole archive's, over its items); then the
 * pages the transaction changed go to SQLite's log, so that the commit
 * has little left to write. */
static trawl_status beside_flush(struct writer *w)
{
	trawl_status st;
	int rc;

	if ((st = pack_writer_sync(&w->pw)))
		return st;
	writer_failpoint(w, "after-blob-sync");
	if (w->last) {
		writer_failpoint(w, "before-threads");
		if ((st = threads_update(w->a)))
			return st;
	}
	rc = sqlite3_db_cacheflush(w->a->db);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		st = archive_db_fail(w->a, "writing the batch to the log");
	return st;
}

/*
 * Writes the inverter's documents as a new segment and records it (in
 * the open transaction: the commit makes it live).  The segment is
 * written by a thread (inverter_flush has a second one of its own) while
 * this one does beside_flush: on Enron's one batch, 0.62 s of writing
 * the segment, 0.08 s of syncing the blobs, 0.15 s of threading, 0.09 s
 * of writing pages to the log.
 * Both threads end before this returns: no fork sees them.
 */
static trawl_status flush_segment(struct writer *w)
{
	struct flush_job j = { .w = w };
	pthread_t th;
	int docs = inverter_docs(w->inv) > 0, threaded = 0;
	trawl_status st;

	/* merges move next_segment too: read it afresh */
	if (docs &&
	    (st = db_get_meta_int(w->a, "next_segment", &w->next_segment)))
		return st;
	if (docs)
		threaded = !pthread_create(&th, NULL, flush_main, &j);
	st = beside_flush(w);
	if (threaded)
		pthread_join(th, NULL);
	else if (docs && !st)
		flush_main(&j); /* no thread: in turn */
	if (st || !docs)
		return st;
	if (j.st)
		return archive_fail(w->a, j.st, "%s/index: %s", w->a->dir,
				    j.err);
	writer_failpoint(w, "after-segment-flush");
	st = index_record_segment(w->a, &j.si);
	w->next_segment++;
	if (!st)
		st = db_set_meta_int(w->a, "next_segment", w->next_segment);
	return st;
}

static int batch_full(const struct writer *w)
{
	size_t items = w->opt && w->opt->batch_items ? w->opt->batch_items
						     : TRAWL_BATCH_ITEMS;

	return w->batch_items >= items || w->batch_bytes >= TRAWL_BATCH_BYTES ||
	       inverter_bytes(w->inv) >= TRAWL_INDEX_BUDGET;
}

static void merge_failpoint(void *ctx, const char *name)
{
	writer_failpoint(ctx, name);
}

/*
 * The checkpoint after a commit (SQLite syncs the log, copies its pages
 * into trawl.db and syncs that) runs on a connection and a thread of its
 * own, beside what the ingest does next: the next batch, or threading
 * and the thread map after the last one.  A PASSIVE checkpoint waits for
 * no reader or writer; what it leaves (pages written meanwhile) the next
 * checkpoint takes, or the close of the last connection.  On Enron the
 * checkpoint of the one batch takes 0.10-0.12 s (14,568 pages), and the
 * close after it 0.06-0.09 s instead of 0.17-0.18 s.  The thread never
 * lives across a fork (writer_checkpoint_wait).
 */
static void *checkpoint_main(void *arg)
{
	struct writer *w = arg;
	sqlite3 *db = NULL;
	int rc, nlog = -1;

	/* The path was taken on the writer's thread: this one does not
	 * touch the writer's connection.  A new connection opens the log
	 * only when it first reads: until then a checkpoint is a no-op that
	 * says the database is not in WAL mode (nlog -1), which is what
	 * this did until a read came first. */
	rc = sqlite3_open_v2(w->ckpt_path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL,
				  NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(db, NULL,
					       SQLITE_CHECKPOINT_PASSIVE,
					       &nlog, NULL);
	sqlite3_close(db);
	w->ckpt_rc = rc == SQLITE_OK && nlog < 0 ? -1 : rc;
	return NULL;
}

static trawl_status checkpoint_verdict(struct writer *w, int rc)
{
	if (rc == -1)
		return archive_fail(w->a, TRAWL_ERR_DB, "%s/trawl.db: "
				    "checkpoint: not in WAL mode", w->a->dir);
	/* busy: another connection was checkpointing; that one will do */
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return TRAWL_OK;
	}
	return archive_fail(w->a, TRAWL_ERR_DB, "%s/trawl.db: checkpoint: %s",
			    w->a->dir, sqlite3_errstr(rc));
}

trawl_status writer_checkpoint_wait(struct writer *w)
{
	if (!w->ckpt_running)
		return TRAWL_OK;
	pthread_join(w->ckpt_thread, NULL);
	w->ckpt_running = 0;
	return checkpoint_verdict(w, w->ckpt_rc);
}

static trawl_status checkpoint_start(struct writer *w)
{
	trawl_status st = writer_checkpoint_wait(w);

	if (st)
		return st;
	w->ckpt_rc = SQLITE_OK;
	if (!w->ckpt_path) {
		const char *path = sqlite3_db_filename(w->a->db, "main");

		w->ckpt_path = path ? strdup(path) : NULL;
	}
	if (w->ckpt_path &&
	    pthread_create(&w->ckpt_thread, NULL, checkpoint_main, w) == 0) {
		w->ckpt_running = 1;
		return TRAWL_OK;
	}
	/* no thread: on the writer's connection, now */
	return checkpoint_verdict(
		w, sqlite3_wal_checkpoint_v2(w->a->db, NULL,
					     SQLITE_CHECKPOINT_PASSIVE, NULL,
					     NULL));
}

trawl_status writer_commit(struct writer *w, int force)
{
	struct index_hooks hooks = { merge_failpoint, w };
	trawl_status st;

	if (!w->in_txn)
		return TRAWL_OK;
	if (!force && !batch_full(w))
		return TRAWL_OK;
	writer_failpoint(w, "before-blob-sync");
	if ((st = flush_segment(w))) /* and the blobs' sync beside it */
		return st;
	if ((st = pack_writer_record(&w->pw)))
		return st;
	writer_failpoint(w, "before-commit");
	if ((st = db_exec(w->a, "COMMIT")))
		return st;
	w->in_txn = 0;
	writer_failpoint(w, "after-commit");
	if ((st = checkpoint_start(w)))
		return st;
	w->batch_items = w->batch_bytes = 0;
	return index_merge(w->a, w->index_fd, INDEX_MERGE_POLICY, &hooks);
}

trawl_status writer_finish(struct writer *w)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = begin(w)))
		return st;
	if ((st = db_prepare(w->a, "UPDATE ingests SET finished = ?, items = ?, "
			     "failures = ? WHERE id = ?", &q)))
		return st;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(q, 2, (sqlite3_int64)w->sum->items);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)w->sum->failures);
	sqlite3_bind_int64(q, 4, w->ingest_id);
	st = step_done(w, q, "finishing the ingest record");
	sqlite3_finalize(q);
	w->last = 1;
	if (!st)
		st = writer_commit(w, 1);
	return st;
}

void writer_close(struct writer *w)
{
	(void)writer_checkpoint_wait(w); /* an error was reported or moot */
	free(w->ckpt_path);
	w->ckpt_path = NULL;
	if (w->in_txn && w->a && w->a->db)
		sqlite3_exec(w->a->db, "ROLLBACK", NULL, NULL, NULL);
	w->in_txn = 0;
	for (size_t i = 0; i < ARRAY_SIZE(stmts); i++)
		if (STMT(w, i))
			sqlite3_finalize(STMT(w, i));
	if (w->a && w->a->db)
		sqlite3_exec(w->a->db, "PRAGMA cache_size=-"
			     STRINGIFY(TRAWL_DB_CACHE_KIB) ";"
			     "PRAGMA wal_autocheckpoint=1000", NULL, NULL,
			     NULL);
	pack_writer_close(&w->pw);
	inverter_free(w->inv);
	if (w->index_fd >= 0)
		close(w->index_fd);
	if (w->addr_ids)
		g_hash_table_destroy(w->addr_ids);
	buf_release(&w->tmp);
	buf_release(&w->key);
	buf_release(&w->brief);
	buf_release(&w->more);
}
