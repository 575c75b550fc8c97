/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fts5q.c - query latency of SQLite FTS5, in process, for bench/run: the
 * FTS5 part of the baseline harness (../shared/bench/baseline,
 * scripts/query_bench.py) in C, so that no binding overhead is timed.
 *
 *   fts5q FTS5.db QUERIES.tsv [harness options: see harness.h]
 *
 * FTS5.db is made by the baseline's loader (src/fts5_load.c): a contentless
 * table fts(subject, sender, recipients, body) with tokenize='porter
 * unicode61' and a table msg(id, path, message_id, date, from_addr).  The
 * query file's fts5_match column is the MATCH expression, fts5_where an
 * extra condition on msg (the date ranges).  The SQL is the baseline's:
 *   top20_rank  SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank
 *               LIMIT 20   (rank is bm25; joined with msg when there is a
 *               condition: ... ORDER BY f.rank LIMIT 20)
 *   top20_date  SELECT m.id FROM fts f JOIN msg m ON m.id = f.rowid
 *               WHERE fts MATCH ? [AND cond] ORDER BY m.date DESC LIMIT 20
 *   count       SELECT count(*) FROM fts WHERE fts MATCH ?  (joined with
 *               msg when there is a condition)
 * Statements are prepared once per distinct SQL text, on the first (untimed
 * warm-up) call, as Python's sqlite3 statement cache does for the
 * baseline; each timed call binds the MATCH text, steps through every row
 * and resets, so parsing the MATCH expression is inside the timed region.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime's clocks, before any header */
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_SQL 1024
#define MAX_STMTS 64

struct fts5q {
	sqlite3 *db;
	struct {
		char sql[MAX_SQL];
		sqlite3_stmt *st;
	} cache[MAX_STMTS];
	size_t ncache;
};

enum kind { RANK, DATE, COUNT };

/* The baseline's f_sql(kind, where). */
static int make_sql(char *out, size_t cap, enum kind kind, const char *where)
{
	const char *and_ = *where ? " AND " : "";
	int n;

	if (kind == RANK && *where)
		n = snprintf(out, cap, "SELECT f.rowid FROM fts f JOIN msg m ON "
			     "m.id = f.rowid WHERE fts MATCH ?%s%s ORDER BY "
			     "f.rank LIMIT 20", and_, where);
	else if (kind == RANK)
		n = snprintf(out, cap, "SELECT rowid FROM fts WHERE fts MATCH "
			     "? ORDER BY rank LIMIT 20");
	else if (kind == COUNT && *where)
		n = snprintf(out, cap, "SELECT count(*) FROM fts f JOIN msg m "
			     "ON m.id = f.rowid WHERE fts MATCH ?%s%s", and_,
			     where);
	else if (kind == COUNT)
		n = snprintf(out, cap, "SELECT count(*) FROM fts WHERE fts "
			     "MATCH ?");
	else
		n = snprintf(out, cap, "SELECT m.id FROM fts f JOIN msg m ON "
			     "m.id = f.rowid WHERE fts MATCH ?%s%s ORDER BY "
			     "m.date DESC LIMIT 20", and_, where);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static sqlite3_stmt *statement(struct fts5q *f, const char *sql)
{
	size_t i;

	for (i = 0; i < f->ncache; i++)
		if (!strcmp(f->cache[i].sql, sql))
			return f->cache[i].st;
	if (f->ncache == MAX_STMTS)
		harness_die("fts5q: over %d distinct statements", MAX_STMTS);
	if (sqlite3_prepare_v2(f->db, sql, -1, &f->cache[i].st, NULL))
		harness_die("fts5q: %s\n  in: %s", sqlite3_errmsg(f->db), sql);
	snprintf(f->cache[i].sql, MAX_SQL, "%s", sql);
	f->ncache++;
	return f->cache[i].st;
}

static int run(struct fts5q *f, const struct harness_qset *qs,
	       const struct harness_query *q, enum kind kind, uint64_t *result)
{
	char sql[MAX_SQL];
	sqlite3_stmt *st;
	uint64_t rows = 0, count = 0;
	int rc;

	if (make_sql(sql, sizeof(sql), kind, harness_get(qs, q, "fts5_where")))
		return -1;
	st = statement(f, sql);
	sqlite3_bind_text(st, 1, harness_get(qs, q, "fts5_match"), -1,
			  SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (kind == COUNT)
			count = (uint64_t)sqlite3_column_int64(st, 0);
		else
			(void)sqlite3_column_int64(st, 0);
		rows++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "fts5q: '%s': %s\n", q->spec,
			sqlite3_errmsg(f->db));
		return -1;
	}
	*result = kind == COUNT ? count : rows;
	return 0;
}

static int op_rank(void *ctx, const struct harness_qset *qs,
		   const struct harness_query *q, uint64_t *result)
{
	return run((struct fts5q *)ctx, qs, q, RANK, result);
}

static int op_date(void *ctx, const struct harness_qset *qs,
		   const struct harness_query *q, uint64_t *result)
{
	return run((struct fts5q *)ctx, qs, q, DATE, result);
}

static int op_count(void *ctx, const struct harness_qset *qs,
		    const struct harness_query *q, uint64_t *result)
{
	return run((struct fts5q *)ctx, qs, q, COUNT, result);
}

static const struct harness_op ops[] = {
	{ "top20_rank", op_rank },
	{ "top20_date", op_date },
	{ "count", op_count },
};

static int64_t scalar(struct fts5q *f, const char *sql)
{
	sqlite3_stmt *st = statement(f, sql);
	int64_t v = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

int main(int argc, char **argv)
{
	struct harness_opts o;
	struct harness_qset qs;
	struct harness_run run_;
	struct fts5q *f = (struct fts5q *)harness_alloc(sizeof(*f));
	char meta[256], label[128];
	int64_t rows;

	harness_args(&o, argc, argv, 2, "FTS5.db QUERIES.tsv");
	harness_load(&qs, o.pos[1], (size_t)o.limit);
	if (sqlite3_open_v2(o.pos[0], &f->db, SQLITE_OPEN_READONLY, NULL))
		harness_die("fts5q: %s: %s", o.pos[0], sqlite3_errmsg(f->db));
	rows = scalar(f, "SELECT count(*) FROM msg");   /* also warms up */
	snprintf(label, sizeof(label), "SQLite %s FTS5", sqlite3_libversion());
	snprintf(meta, sizeof(meta), "\"docs\": %lld, \"version\": \"%s\"",
		 (long long)rows, sqlite3_libversion());
	memset(&run_, 0, sizeof(run_));
	run_.engine = "fts5";
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
