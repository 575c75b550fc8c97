/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fts5snip.c - SQLite FTS5 doing a whole search (exact count, top 20 by
 * bm25, a snippet of each hit's body), for issue #4's end-to-end figure
 * beside qbench's `search` op.  The baseline's FTS5 table (fts5q.c) is
 * contentless and cannot make snippets, so this program builds its own,
 * external-content table, from the text trawl already extracted.
 *
 *   fts5snip load ARCHIVE OUT.db
 *   fts5snip query OUT.db QUERIES.tsv [harness options: see harness.h]
 *
 * load reads ARCHIVE/trawl.db (read-only; the schema is lib/db.c's) and
 * writes OUT.db:
 *   docs(id INTEGER PRIMARY KEY, subject, sender, recipients, body, date)
 *       one row per email item (items.kind 1), id = the item's id;
 *       sender = "name addr" of each From address, recipients = those of
 *       To, Cc and Bcc (roles 0 and 3-5 of the item's address columns,
 *       in header order);
 *       body = items.body, a zstd frame of body_len bytes, decompressed;
 *       date = items.date (Unix seconds), with an index on it
 *   msg(id, date)  a view over docs, so that the query file's fts5_where
 *       conditions (written for the baseline's msg table) apply as they are
 *   fts  fts5(subject, sender, recipients, body, content='docs',
 *       content_rowid='id', tokenize='porter unicode61'), filled with
 *       'rebuild', then 'optimize'd; the file is VACUUMed last (the
 *       segments that optimize merges leave ~5 MB of free pages here)
 * and prints one line of key=value figures: rows, bytes (the file), fts_bytes
 * (the FTS5 shadow tables), docs_bytes (docs and its date index) and the
 * seconds each stage took.
 *
 * query runs one op, `search`, per query of the file (fts5_match is the
 * MATCH expression, fts5_where an extra condition on msg m):
 *   SELECT count(*) FROM fts WHERE fts MATCH ?
 *   SELECT rowid, snippet(fts, 3, '[', ']', '...', 16) FROM fts
 *       WHERE fts MATCH ? ORDER BY rank LIMIT 20
 * both joined with msg when there is a condition (... FROM fts f JOIN msg m
 * ON m.id = f.rowid WHERE fts MATCH ? AND cond ..., as fts5q.c does).  Each
 * snippet's text is read.  The result is the count.  As in fts5q.c, a
 * statement is prepared once per distinct SQL text, on the untimed warm-up
 * call; each timed call binds, steps through every row and resets.
 *
 * A benchmark program, not library code: it prints, and exits on failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime's clocks, before any header */
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "harness.h"

#define MAX_SQL 1024
#define MAX_STMTS 64
#define MAX_BODY_TEXT (64 << 20) /* the largest body decompressed */

/* ------------------------------------------------------------------ */
/* load */

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		harness_die("fts5snip: %s\n  in: %.300s",
			    msg ? msg : sqlite3_errmsg(db), sql);
}

struct body_ctx {
	ZSTD_DCtx *dctx;
	const char *archive; /* for its packs */
};

/* The last n bytes of the original in pack `pack` at `offset` (a record
 * header of 56 bytes, then clen bytes of zstd frames holding size bytes;
 * trawl's docs/FORMAT.md), in p; 0 or -1. */
static int original_tail(struct body_ctx *bc, sqlite3_int64 pack,
			 sqlite3_int64 offset, sqlite3_int64 clen,
			 sqlite3_int64 size, char *p, size_t n)
{
	char path[4096];
	void *z = malloc((size_t)clen + 1);
	char *whole = malloc((size_t)size + 1);
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/blobs/pack-%06lld.tpk", bc->archive,
		 (long long)pack);
	if (z && whole && (f = fopen(path, "rb"))) {
		if (fseek(f, (long)(offset + 56), SEEK_SET) == 0 &&
		    fread(z, 1, (size_t)clen, f) == (size_t)clen &&
		    ZSTD_decompressDCtx(bc->dctx, whole, (size_t)size, z,
					(size_t)clen) == (size_t)size) {
			memcpy(p, whole + (size - (sqlite3_int64)n), n);
			rc = 0;
		}
		fclose(f);
	}
	free(z);
	free(whole);
	return rc;
}

/* SQL function body_text(body, body_len, pack, offset, clen, size): the
 * body text of an item as text of body_len bytes: the zstd frames of
 * `body` decompressed, or, when `body` is empty, the tail of the item's
 * original (whose blobs row gives the last four); NULL when body is
 * NULL. */
static void fn_body_text(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct body_ctx *bc = sqlite3_user_data(cx);
	const void *z = sqlite3_value_blob(argv[0]);
	size_t zlen = (size_t)sqlite3_value_bytes(argv[0]);
	sqlite3_int64 size = sqlite3_value_int64(argv[1]);
	sqlite3_int64 osize = sqlite3_value_int64(argv[5]);
	char *p;
	size_t n;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(cx);
		return;
	}
	/* one frame, or two (trawl's body texts over 64 KiB): the
	 * decompressed length is checked below */
	if (size < 0 || size > MAX_BODY_TEXT || (!z && zlen) ||
	    (!zlen && (size > osize || osize > MAX_BODY_TEXT * 4))) {
		sqlite3_result_error(cx, "body: not zstd frames of body_len "
				     "bytes", -1);
		return;
	}
	p = (char *)sqlite3_malloc64((sqlite3_uint64)size + 1);
	if (!p) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	if (!zlen) {
		if (original_tail(bc, sqlite3_value_int64(argv[2]),
				  sqlite3_value_int64(argv[3]),
				  sqlite3_value_int64(argv[4]), osize, p,
				  (size_t)size)) {
			sqlite3_free(p);
			sqlite3_result_error(cx, "body: the original's tail "
					     "cannot be read", -1);
			return;
		}
	} else {
		n = ZSTD_decompressDCtx(bc->dctx, p, (size_t)size, z, zlen);
		if (ZSTD_isError(n) || n != (size_t)size) {
			sqlite3_free(p);
			sqlite3_result_error(cx, "body: corrupt zstd frame",
					     -1);
			return;
		}
	}
	sqlite3_result_text64(cx, p, (sqlite3_uint64)size, sqlite3_free,
			      SQLITE_UTF8);
}

static int addr_varint(const unsigned char **p, const unsigned char *end,
			uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return 0;
	}
	return -1;
}

/*
 * addrs_text(addrs_brief, addrs_more, roles): "name addr" of every
 * address of the roles in the bit mask roles (1 << role), in role then
 * header order, space-separated (trawl's docs/FORMAT.md: six counts, then
 * per role the first 10 in addrs_brief, the rest in addrs_more, each as
 * varint ID, varint length + name, varint length + address).
 */
static void fn_addrs_text(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const unsigned char *b = sqlite3_value_blob(argv[0]);
	const unsigned char *bend = b ? b + sqlite3_value_bytes(argv[0]) : b;
	const unsigned char *m = sqlite3_value_blob(argv[1]);
	const unsigned char *mend = m ? m + sqlite3_value_bytes(argv[1]) : m;
	int roles = sqlite3_value_int(argv[2]);
	uint64_t count[6], v;
	sqlite3_str *out = sqlite3_str_new(NULL);

	(void)argc;
	for (int r = 0; r < 6; r++)
		if (addr_varint(&b, bend, &count[r]))
			goto bad;
	for (int r = 0; r < 6; r++)
		for (uint64_t k = 0; k < count[r]; k++) {
			const unsigned char **p = k < 10 ? &b : &m;
			const unsigned char *end = k < 10 ? bend : mend;
			const unsigned char *name;
			uint64_t nlen;

			if (!*p || addr_varint(p, end, &v) ||
			    addr_varint(p, end, &nlen) ||
			    nlen > (uint64_t)(end - *p))
				goto bad;
			name = *p;
			*p += nlen;
			if (addr_varint(p, end, &v) ||
			    v > (uint64_t)(end - *p))
				goto bad;
			/* as trim(name || ' ' || addr) joined by ' ' */
			if (roles & (1 << r)) {
				if (sqlite3_str_length(out))
					sqlite3_str_appendchar(out, 1, ' ');
				sqlite3_str_append(out, (const char *)name,
						   (int)nlen);
				if (nlen && v)
					sqlite3_str_appendchar(out, 1, ' ');
				sqlite3_str_append(out, (const char *)*p,
						   (int)v);
			}
			*p += v;
		}
	if (sqlite3_str_length(out))
		sqlite3_result_text(cx, sqlite3_str_finish(out), -1,
				    sqlite3_free);
	else
		sqlite3_free(sqlite3_str_finish(out));
	return;
bad:
	sqlite3_free(sqlite3_str_finish(out));
	sqlite3_result_error(cx, "addrs_text: bad address columns", -1);
}

static const char load_schema[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	"CREATE TABLE docs(id INTEGER PRIMARY KEY, subject TEXT, sender TEXT,"
	" recipients TEXT, body TEXT, date INTEGER);"
	"CREATE VIEW msg(id, date) AS SELECT id, date FROM docs;"
	"CREATE VIRTUAL TABLE fts USING fts5(subject, sender, recipients, body,"
	" content='docs', content_rowid='id', tokenize='porter unicode61');";

static const char load_docs[] =
	"BEGIN;"
	"INSERT INTO docs(id, subject, sender, recipients, body, date)"
	" SELECT i.id, i.subject, addrs_text(i.addrs_brief, i.addrs_more, 1),"
	" addrs_text(i.addrs_brief, i.addrs_more, 56),"
	" body_text(i.body, i.body_len, b.pack, b.offset, b.clen, b.size),"
	" i.date"
	" FROM a.items i JOIN a.blobs b ON b.sha256 = i.blob"
	" WHERE i.kind = 1 ORDER BY i.id;"
	"CREATE INDEX docs_date ON docs(date);"
	"COMMIT;";

/* One integer from sql (-1 when it yields no row). */
static int64_t scalar_once(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		harness_die("fts5snip: %s\n  in: %s", sqlite3_errmsg(db), sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void attach_archive(sqlite3 *db, const char *archive)
{
	char path[4096];
	sqlite3_stmt *st = NULL;
	int n = snprintf(path, sizeof(path), "file:%s/trawl.db?mode=ro",
			 archive);

	if (n < 0 || (size_t)n >= sizeof(path) || strpbrk(archive, "?#%"))
		harness_die("fts5snip: %s: path too long or has ?, # or %%",
			    archive);
	if (sqlite3_prepare_v2(db, "ATTACH ? AS a", -1, &st, NULL))
		harness_die("fts5snip: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		harness_die("fts5snip: %s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (scalar_once(db, "SELECT count(*) FROM a.items") < 0)
		harness_die("fts5snip: %s: no items table", path);
}

static int load(const char *archive, const char *out)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	struct body_ctx bc = { dctx, archive };
	double t0 = harness_now(CLOCK_MONOTONIC), t1, t2, t3, t4;
	sqlite3 *db = NULL;
	struct stat sb;
	int64_t rows, fts_bytes, docs_bytes;

	if (!dctx)
		harness_die("fts5snip: out of memory");
	if (!stat(out, &sb))
		harness_die("fts5snip: %s exists; remove it first", out);
	if (sqlite3_open_v2(out, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL))
		harness_die("fts5snip: %s: %s", out, sqlite3_errmsg(db));
	if (sqlite3_create_function(db, "body_text", 6, SQLITE_UTF8, &bc,
				    fn_body_text, NULL, NULL) ||
	    sqlite3_create_function(db, "addrs_text", 3, SQLITE_UTF8, NULL,
				    fn_addrs_text, NULL, NULL))
		harness_die("fts5snip: %s", sqlite3_errmsg(db));
	attach_archive(db, archive);
	exec_sql(db, load_schema);
	exec_sql(db, load_docs);
	exec_sql(db, "DETACH a");
	t1 = harness_now(CLOCK_MONOTONIC);
	exec_sql(db, "INSERT INTO fts(fts) VALUES('rebuild');");
	t2 = harness_now(CLOCK_MONOTONIC);
	exec_sql(db, "INSERT INTO fts(fts) VALUES('optimize');");
	t3 = harness_now(CLOCK_MONOTONIC);
	exec_sql(db, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
	t4 = harness_now(CLOCK_MONOTONIC);
	rows = scalar_once(db, "SELECT count(*) FROM docs");
	fts_bytes = scalar_once(db, "SELECT sum(pgsize) FROM dbstat WHERE "
				"name LIKE 'fts%'");
	docs_bytes = scalar_once(db, "SELECT sum(pgsize) FROM dbstat WHERE "
				 "name IN ('docs', 'docs_date')");
	if (sqlite3_close(db))
		harness_die("fts5snip: %s: close failed", out);
	ZSTD_freeDCtx(dctx);
	if (stat(out, &sb))
		harness_die("fts5snip: %s: cannot stat", out);
	printf("rows=%lld bytes=%lld fts_bytes=%lld docs_bytes=%lld "
	       "docs_s=%.2f rebuild_s=%.2f optimize_s=%.2f vacuum_s=%.2f\n",
	       (long long)rows, (long long)sb.st_size, (long long)fts_bytes,
	       (long long)docs_bytes, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
	return 0;
}

/* ------------------------------------------------------------------ */
/* query */

struct fts5snip {
	sqlite3 *db;
	struct {
		char sql[MAX_SQL];
		sqlite3_stmt *st;
	} cache[MAX_STMTS];
	size_t ncache;
	uint64_t touched;   /* a sum over the snippets' bytes */
};

static int count_sql(char *out, size_t cap, const char *where)
{
	int n = *where
		? snprintf(out, cap, "SELECT count(*) FROM fts f JOIN msg m "
			   "ON m.id = f.rowid WHERE fts MATCH ? AND %s", where)
		: snprintf(out, cap, "SELECT count(*) FROM fts WHERE fts "
			   "MATCH ?");

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int top_sql(char *out, size_t cap, const char *where)
{
	int n = *where
		? snprintf(out, cap, "SELECT f.rowid, snippet(fts, 3, '[', "
			   "']', '...', 16) FROM fts f JOIN msg m ON m.id = "
			   "f.rowid WHERE fts MATCH ? AND %s ORDER BY f.rank "
			   "LIMIT 20", where)
		: snprintf(out, cap, "SELECT rowid, snippet(fts, 3, '[', ']', "
			   "'...', 16) FROM fts WHERE fts MATCH ? ORDER BY "
			   "rank LIMIT 20");

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static sqlite3_stmt *statement(struct fts5snip *f, const char *sql)
{
	size_t i;

	for (i = 0; i < f->ncache; i++)
		if (!strcmp(f->cache[i].sql, sql))
			return f->cache[i].st;
	if (f->ncache == MAX_STMTS)
		harness_die("fts5snip: over %d distinct statements", MAX_STMTS);
	if (sqlite3_prepare_v2(f->db, sql, -1, &f->cache[i].st, NULL))
		harness_die("fts5snip: %s\n  in: %s", sqlite3_errmsg(f->db), sql);
	snprintf(f->cache[i].sql, MAX_SQL, "%s", sql);
	f->ncache++;
	return f->cache[i].st;
}

/* Binds match to st, steps through every row and resets; *col0 is the
 * last row's first column, and every row's column 1 (when there is one)
 * is read.  Returns 0, or -1 after printing why. */
static int step_all(struct fts5snip *f, sqlite3_stmt *st, const char *match,
		    const char *spec, int64_t *col0)
{
	int rc, snip = sqlite3_column_count(st) > 1;

	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*col0 = sqlite3_column_int64(st, 0);
		if (snip) {
			const unsigned char *s = sqlite3_column_text(st, 1);
			int n = sqlite3_column_bytes(st, 1);

			f->touched += (uint64_t)n + (s && n ? s[n - 1] : 0);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "fts5snip: '%s': %s\n", spec,
			sqlite3_errmsg(f->db));
		return -1;
	}
	return 0;
}

static int op_search(void *ctx, const struct harness_qset *qs,
		     const struct harness_query *q, uint64_t *result)
{
	struct fts5snip *f = (struct fts5snip *)ctx;
	const char *match = harness_get(qs, q, "fts5_match");
	const char *where = harness_get(qs, q, "fts5_where");
	char csql[MAX_SQL], tsql[MAX_SQL];
	int64_t count = 0, rowid = 0;

	if (count_sql(csql, sizeof(csql), where) ||
	    top_sql(tsql, sizeof(tsql), where))
		return -1;
	if (step_all(f, statement(f, csql), match, q->spec, &count) ||
	    step_all(f, statement(f, tsql), match, q->spec, &rowid))
		return -1;
	*result = (uint64_t)count;
	return 0;
}

static const struct harness_op ops[] = {
	{ "search", op_search },
};

static int query(int argc, char **argv)
{
	struct harness_opts o;
	struct harness_qset qs;
	struct harness_run run_;
	struct fts5snip *f = (struct fts5snip *)harness_alloc(sizeof(*f));
	char meta[256], label[128];
	struct stat sb;
	int64_t rows = -1;

	harness_args(&o, argc, argv, 2, "OUT.db QUERIES.tsv");
	harness_load(&qs, o.pos[1], (size_t)o.limit);
	if (stat(o.pos[0], &sb) ||
	    sqlite3_open_v2(o.pos[0], &f->db, SQLITE_OPEN_READONLY, NULL))
		harness_die("fts5snip: %s: cannot open", o.pos[0]);
	rows = scalar_once(f->db, "SELECT count(*) FROM docs"); /* warms up */
	snprintf(label, sizeof(label), "SQLite %s FTS5 external content + "
		 "snippet()", sqlite3_libversion());
	snprintf(meta, sizeof(meta), "\"docs\": %lld, \"version\": \"%s\", "
		 "\"db_bytes\": %lld", (long long)rows, sqlite3_libversion(),
		 (long long)sb.st_size);
	memset(&run_, 0, sizeof(run_));
	run_.engine = "fts5snip";
	run_.label = o.label ? o.label : label;
	run_.ops = ops;
	run_.nops = sizeof(ops) / sizeof(ops[0]);
	run_.meta_json = meta;
	harness_loop(&o, f, &qs, &run_);
	harness_print(&qs, &run_);
	if (o.json)
		harness_json(o.json, &o, &qs, &run_);
	harness_run_release(&qs, &run_);
	for (size_t i = 0; i < f->ncache; i++)
		sqlite3_finalize(f->cache[i].st);
	sqlite3_close(f->db);
	free(f);
	harness_qset_release(&qs);
	return 0;
}

int main(int argc, char **argv)
{
	static char prog[] = "fts5snip query";

	if (argc == 4 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3]);
	if (argc >= 2 && !strcmp(argv[1], "query")) {
		argv[1] = prog;   /* harness_args reads argv[1..] */
		return query(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: fts5snip load ARCHIVE OUT.db\n"
		"       fts5snip query OUT.db QUERIES.tsv [options]\n");
	return 2;
}
