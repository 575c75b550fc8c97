/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * reindex.c - rebuilding index/ from trawl.db alone.
 *
 * Every item's indexed values are read back from the database (subject,
 * stored body text, addresses in the order they were stored, attachment
 * names...), turned into doc terms by the same docterms_build the parser
 * workers use, and inverted into new segments.  One transaction then
 * replaces the list of live segments; the old files go at the next sweep
 * (or right away, when nothing failed).  A crash before that commit
 * leaves the old index live and the new files unreferenced.
 *
 * For the same items, an ingest and a reindex give the same postings
 * (tests/t/reindex.sh compares them with tests/tools/idxdump).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "bounds.h"
#include "index.h"
#include "indexdb.h"
#include "internal.h"
#include "segment.h"
#include "addrcol.h"
#include "banned.h"

struct rx {
	trawl_archive *a;
	sqlite3_stmt *items, *kids;
	struct docterms_builder *dt;
	struct inverter *inv;
	struct buf body, terms;
	int dirfd;
	int64_t next_segment;
	struct seg_info *news;  /* the segments written, to publish */
	size_t nnew;
	/* one item's values, reused */
	int *roles;
	char **names, **addrs_v, **att, **types;
	size_t *name_lens, *addr_lens, *att_lens, *type_lens;
	size_t caddr, catt;
};

/* the columns index_row reads, in its order */
#define ROW_SQL                                                               \
	"SELECT id, kind, subject, body, body_len, message_id, mime_type, "   \
	"name, date, date_source, size, addrs_brief, addrs_more, blob "       \
	"FROM items "

static const char items_sql[] = ROW_SQL "ORDER BY id";
static const char kids_sql[] =
	"SELECT name, mime_type FROM items WHERE parent = ? AND kind = 2 "
	"ORDER BY id";

static char *dup_col(sqlite3_stmt *q, int col, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);
	char *s;

	*len = 0;
	if (!t)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s) {
		memcpy(s, t, (size_t)n);
		s[n] = '\0';
		*len = (size_t)n;
	}
	return s;
}

static void free_values(struct rx *x, size_t naddrs, size_t natt)
{
	for (size_t i = 0; i < naddrs; i++) {
		free(x->names[i]);
		free(x->addrs_v[i]);
	}
	for (size_t i = 0; i < natt; i++)
		free(x->att[i]);
}

static void free_types(struct rx *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(x->types[i]);
}

static int grow_addrs(struct rx *x, size_t n)
{
	size_t c = x->caddr ? x->caddr * 2 : 64;

	if (n < x->caddr)
		return 0;
	while (c <= n)
		c *= 2;
#define G(p)                                                    \
	do {                                                    \
		void *q_ = realloc((p), c * sizeof(*(p)));      \
		if (!q_)                                        \
			return -1;                              \
		(p) = q_;                                       \
	} while (0)
	G(x->roles);
	G(x->names);
	G(x->addrs_v);
	G(x->name_lens);
	G(x->addr_lens);
	x->caddr = c;
	return 0;
}

static int grow_att(struct rx *x, size_t n)
{
	size_t c = x->catt ? x->catt * 2 : 16;

	if (n < x->catt)
		return 0;
	while (c <= n)
		c *= 2;
	G(x->att);
	G(x->att_lens);
	G(x->types);
	G(x->type_lens);
#undef G
	x->catt = c;
	return 0;
}

static char *dup_span(const char *p, size_t n, size_t *len)
{
	char *s = malloc(n + 1);

	*len = 0;
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
		*len = n;
	}
	return s;
}

/* The addresses of the current item, from its address columns (in role,
 * then header order); *from is the first From's ID. */
static trawl_status load_addrs(struct rx *x, int64_t id, size_t *n,
			       int64_t *from)
{
	sqlite3_stmt *q = x->items;
	struct addrcol_cursor c;
	struct addrcol_entry e;
	int r;

	*n = 0;
	*from = 0;
	if (addrcol_open_row(&c, q, 11, 12, 0))
		return archive_fail(x->a, TRAWL_ERR_CORRUPT, "item %lld: bad "
				    "address columns", (long long)id);
	while ((r = addrcol_next(&c, &e)) == 1) {
		if (grow_addrs(x, *n))
			return TRAWL_ERR_NOMEM;
		x->roles[*n] = e.role;
		x->names[*n] = dup_span(e.name, e.name_len,
					&x->name_lens[*n]);
		x->addrs_v[*n] = dup_span(e.addr, e.addr_len,
					  &x->addr_lens[*n]);
		if (e.role == TRAWL_ROLE_FROM && !*from)
			*from = e.id;
		(*n)++;
	}
	if (r < 0)
		return archive_fail(x->a, TRAWL_ERR_CORRUPT, "item %lld: bad "
				    "address columns", (long long)id);
	return TRAWL_OK;
}

/* Attachment names and types: an email's attachments', or the item's
 * own; *nt types (they may be more than the names: unnamed parts). */
static trawl_status load_names(struct rx *x, int64_t id, int kind,
			       size_t *n, size_t *nt, int *has_att)
{
	*n = *nt = 0;
	*has_att = 0;
	if (kind != TRAWL_KIND_EMAIL) {
		if (grow_att(x, 0))
			return TRAWL_ERR_NOMEM;
		if (sqlite3_column_type(x->items, 7) != SQLITE_NULL)
			x->att[(*n)++] = dup_col(x->items, 7, &x->att_lens[0]);
		if (sqlite3_column_type(x->items, 6) != SQLITE_NULL)
			x->types[(*nt)++] = dup_col(x->items, 6,
						    &x->type_lens[0]);
		return TRAWL_OK;
	}
	sqlite3_bind_int64(x->kids, 1, id);
	while (sqlite3_step(x->kids) == SQLITE_ROW) {
		*has_att = 1;
		if (grow_att(x, *n > *nt ? *n : *nt)) {
			sqlite3_reset(x->kids);
			return TRAWL_ERR_NOMEM;
		}
		if (sqlite3_column_type(x->kids, 0) != SQLITE_NULL) {
			x->att[*n] = dup_col(x->kids, 0, &x->att_lens[*n]);
			(*n)++;
		}
		if (sqlite3_column_type(x->kids, 1) != SQLITE_NULL) {
			x->types[*nt] = dup_col(x->kids, 1, &x->type_lens[*nt]);
			(*nt)++;
		}
	}
	sqlite3_reset(x->kids);
	return TRAWL_OK;
}

static trawl_status index_row(struct rx *x)
{
	sqlite3_stmt *q = x->items;
	int64_t id = sqlite3_column_int64(q, 0), from = 0;
	int kind = sqlite3_column_int(q, 1);
	int has_date = sqlite3_column_type(q, 8) != SQLITE_NULL;
	int dsrc = sqlite3_column_int(q, 9);
	struct doc_values_in v = { 0 };
	struct doc_meta m = { 0 };
	size_t naddrs = 0, natt = 0, ntypes = 0;
	trawl_status st;

	buf_reset(&x->body);
	buf_reset(&x->terms);
	if (sqlite3_column_type(q, 3) != SQLITE_NULL &&
	    (st = blob_body(x->a, sqlite3_column_blob(q, 3),
			    (size_t)sqlite3_column_bytes(q, 3),
			    (uint64_t)sqlite3_column_int64(q, 4),
			    sqlite3_column_blob(q, 13),
			    (size_t)sqlite3_column_bytes(q, 13), SIZE_MAX,
			    &x->body)))
		return archive_fail(x->a, TRAWL_ERR_CORRUPT, "item %lld: stored "
				    "body text is corrupt", (long long)id);
	if ((st = load_addrs(x, id, &naddrs, &from)) == TRAWL_ERR_CORRUPT) {
		free_values(x, naddrs, 0);
		return st; /* the message is set: the archive is damaged */
	}
	if (st || (st = load_names(x, id, kind, &natt, &ntypes,
			      &v.has_attachment)))
		goto out;
	v.subject = (const char *)sqlite3_column_text(q, 2);
	v.subject_len = (size_t)sqlite3_column_bytes(q, 2);
	v.body = x->body.data;
	v.body_len = x->body.len;
	v.naddrs = naddrs;
	v.roles = x->roles;
	v.names = (const char *const *)x->names;
	v.name_lens = x->name_lens;
	v.addrs = (const char *const *)x->addrs_v;
	v.addr_lens = x->addr_lens;
	v.nnames = natt;
	v.attnames = (const char *const *)x->att;
	v.attname_lens = x->att_lens;
	v.ntypes = ntypes;
	v.atttypes = (const char *const *)x->types;
	v.atttype_lens = x->type_lens;
	v.msgid = (const char *)sqlite3_column_text(q, 5);
	v.msgid_len = (size_t)sqlite3_column_bytes(q, 5);
	v.kind = kind;
	v.mime = (const char *)sqlite3_column_text(q, 6);
	v.mime_len = (size_t)sqlite3_column_bytes(q, 6);
	v.date_guessed = kind == TRAWL_KIND_EMAIL &&
			 (!has_date || dsrc != TRAWL_DATE_HEADER);
	if ((st = docterms_build(x->dt, &v, &x->terms)) || (st = x->terms.err))
		goto out;
	m.item = (uint64_t)id;
	m.date = has_date ? sqlite3_column_int64(q, 8) : 0;
	m.size = (uint64_t)sqlite3_column_int64(q, 10);
	m.from_addr = from > 0 && from <= UINT32_MAX ? (uint32_t)from : 0;
	m.kind = (uint8_t)kind;
	m.flags = v.date_guessed ? DV_FLAG_DATE_GUESSED : 0;
	st = inverter_add(x->inv, &m, x->terms.data, x->terms.len);
out:
	free_values(x, naddrs, natt);
	free_types(x, ntypes);
	if (st && st != TRAWL_ERR_CORRUPT)
		return archive_fail(x->a, st, "reindexing item %lld: %s",
				    (long long)id, trawl_status_str(st));
	return TRAWL_OK;
}

static trawl_status flush(struct rx *x)
{
	struct seg_info si;
	char err[512];
	struct seg_info *p;
	trawl_status st;

	if (!inverter_docs(x->inv))
		return TRAWL_OK;
	p = realloc(x->news, (x->nnew + 1) * sizeof(*p));
	if (!p)
		return archive_fail(x->a, TRAWL_ERR_NOMEM, "out of memory");
	x->news = p;
	st = inverter_flush(x->inv, x->dirfd, (uint64_t)x->next_segment, &si,
			    err, sizeof(err));
	if (st)
		return archive_fail(x->a, st, "%s: %s", x->a->indexdir, err);
	x->news[x->nnew++] = si;
	x->next_segment++;
	return TRAWL_OK;
}

/* Replaces the live segments with the new ones, in one transaction. */
static trawl_status publish(struct rx *x)
{
	trawl_status st;

	if ((st = db_exec(x->a, "BEGIN IMMEDIATE; DELETE FROM segments")))
		return st;
	for (size_t i = 0; i < x->nnew && !st; i++)
		st = index_record_segment(x->a, &x->news[i]);
	if (!st)
		st = db_set_meta_int(x->a, "next_segment", x->next_segment);
	if (!st)
		st = db_set_meta_int(x->a, "unindexed_below", 1);
	if (!st)
		st = db_set_meta_int(x->a, "unindexed_from", 0);
	if (!st)
		st = db_exec(x->a, "COMMIT");
	if (!st)
		return TRAWL_OK;
	sqlite3_exec(x->a->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static trawl_status run(struct rx *x, const trawl_reindex_options *opt,
			uint64_t *docs)
{
	trawl_status st = TRAWL_OK;
	int rc;

	while (!st && (rc = sqlite3_step(x->items)) == SQLITE_ROW) {
		st = index_row(x);
		(*docs)++;
		if (!st && (inverter_bytes(x->inv) >= TRAWL_INDEX_BUDGET ||
			    (opt && opt->batch_items &&
			     inverter_docs(x->inv) >= opt->batch_items)))
			st = flush(x);
		if (opt && opt->on_progress && !(*docs % 1000))
			opt->on_progress(opt->ctx, *docs);
	}
	if (!st && rc != SQLITE_DONE)
		st = archive_db_fail(x->a, "reading items");
	sqlite3_reset(x->items);
	if (!st)
		st = flush(x);
	return st;
}

static void rx_release(struct rx *x)
{
	sqlite3_finalize(x->items);
	sqlite3_finalize(x->kids);
	docterms_builder_free(x->dt);
	inverter_free(x->inv);
	if (x->dirfd >= 0)
		close(x->dirfd);
	buf_release(&x->body);
	buf_release(&x->terms);
	free(x->news);
	free(x->roles);
	free(x->names);
	free(x->addrs_v);
	free(x->name_lens);
	free(x->addr_lens);
	free(x->att);
	free(x->att_lens);
	free(x->types);
	free(x->type_lens);
	memset(x, 0, sizeof(*x));
	x->dirfd = -1;
}

/* Sets x up to read items with `sql` (the columns of items_sql). */
static trawl_status rx_init(struct rx *x, trawl_archive *a, const char *sql)
{
	trawl_status st;

	memset(x, 0, sizeof(*x));
	x->a = a;
	x->dirfd = -1;
	buf_init(&x->body, TRAWL_MAX_BODY_TEXT + 1);
	buf_init(&x->terms, TRAWL_MAX_FRAME);
	x->dt = docterms_builder_new();
	x->inv = inverter_new();
	if (!x->dt || !x->inv)
		return archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
	x->dirfd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dirfd < 0)
		return archive_fail(a, TRAWL_ERR_IO, "%s: cannot open",
				    a->indexdir);
	if ((st = db_prepare(a, sql, &x->items)) ||
	    (st = db_prepare(a, kids_sql, &x->kids)))
		return st;
	return TRAWL_OK;
}

trawl_status trawl_reindex(trawl_archive *a, const trawl_reindex_options *opt,
			   uint64_t *docs)
{
	struct rx x;
	trawl_status st;

	*docs = 0;
	if (!(a->flags & TRAWL_OPEN_WRITE))
		return archive_fail(a, TRAWL_ERR_INVALID,
				    "reindex needs the archive open for writing");
	if ((st = rx_init(&x, a, items_sql)) ||
	    (st = db_get_meta_int(a, "next_segment", &x.next_segment)))
		goto out;
	/* one read transaction: a consistent view of the items */
	if ((st = db_exec(a, "BEGIN")))
		goto out;
	st = run(&x, opt, docs);
	sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
	if (!st)
		st = publish(&x);
	if (!st)
		st = archive_sweep_index(a);
out:
	rx_release(&x);
	return st;
}

/* ---- the items an ingest stored without the index (ingest.c) ---- */

static const char from_sql[] = ROW_SQL "WHERE id >= ? ORDER BY id";

trawl_status index_catch_up(trawl_archive *a, const char *failpoint,
			    const trawl_reindex_options *progress,
			    uint64_t *docs)
{
	struct rx x;
	int64_t from;
	trawl_status st;

	*docs = 0;
	if ((st = db_get_unindexed_from(a, &from)) || !from)
		return st;
	if ((st = rx_init(&x, a, from_sql)) ||
	    (st = db_get_meta_int(a, "next_segment", &x.next_segment)))
		goto out;
	sqlite3_bind_int64(x.items, 1, from);
	if ((st = db_exec(a, "BEGIN")))
		goto out;
	st = run(&x, progress, docs);
	sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
	if (st)
		goto out;
	if (*docs && progress && progress->on_progress)
		progress->on_progress(progress->ctx, *docs); /* the last */
	/* the new segments join the live ones (the test hook: killed with
	 * them written, not yet live) */
	if (failpoint && !strcmp(failpoint, "catch-up-before-commit"))
		kill(getpid(), SIGKILL);
	if ((st = db_exec(a, "BEGIN IMMEDIATE")))
		goto out;
	for (size_t i = 0; i < x.nnew && !st; i++)
		st = index_record_segment(a, &x.news[i]);
	if (!st)
		st = db_set_meta_int(a, "next_segment", x.next_segment);
	if (!st)
		st = db_set_meta_int(a, "unindexed_from", 0);
	if (!st)
		st = db_exec(a, "COMMIT");
	if (st)
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
out:
	rx_release(&x);
	return st;
}

/* ---- re-indexing some items into one new segment (remove.c) ---- */

static const char one_sql[] = ROW_SQL "WHERE id = ?";

trawl_status reindex_items(trawl_archive *a, const int64_t *ids, size_t n,
			   int64_t segment_id, struct seg_info *info)
{
	struct rx x;
	char err[512];
	trawl_status st;

	memset(info, 0, sizeof(*info));
	if ((st = rx_init(&x, a, one_sql)))
		goto out;
	for (size_t i = 0; i < n && !st; i++) {
		sqlite3_bind_int64(x.items, 1, ids[i]);
		if (sqlite3_step(x.items) == SQLITE_ROW)
			st = index_row(&x);
		sqlite3_reset(x.items);
	}
	if (!st && inverter_docs(x.inv)) {
		st = inverter_flush(x.inv, x.dirfd, (uint64_t)segment_id, info,
				    err, sizeof(err));
		if (st)
			st = archive_fail(a, st, "%s: %s", a->indexdir, err);
	}
out:
	rx_release(&x);
	return st;
}
