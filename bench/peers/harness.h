/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * harness.h - the query-latency loop shared by bench/qbench.c (trawl) and
 * the peers' harnesses beside this file (fts5q.c, xapianq.cc), so that every
 * engine is timed, summarised and written out in exactly the same way.
 * Header-only (static functions); compiles as C17 and as C++17.  A
 * benchmark program, not library code: it prints, and exits on failure.
 *
 * The query set is a TSV file whose first line names the columns; the
 * harness keeps every column and looks them up by name (class, spec,
 * notmuch, fts5_match, fts5_where in ../shared/bench/queries.tsv).
 *
 * Timing.  For each query, the operations run one after the other
 * (interleaved per query, as the baseline harness does).  Each operation
 * gets one untimed warm-up call, then at least `reps` timed calls, more
 * while less than `target` seconds have passed since the first timed call,
 * at most `max_reps`.  A call is timed with CLOCK_MONOTONIC (wall) inside
 * CLOCK_THREAD_CPUTIME_ID (CPU of the calling thread, which the machine's
 * other load does not inflate).  The query's figure is the median of its
 * timed calls.  Per class, the summary gives the p50 / p95 / p99 of the
 * per-query medians by nearest rank: with 10-25 queries in a class, p99 is
 * the class's slowest query and p95 its slowest or second slowest.
 *
 * JSON output (--json FILE), format 1:
 *   {"format": 1, "engine": ..., "meta": {...},
 *    "ops": ["top20_rank", ...],
 *    "queries": [{"class": ..., "spec": ...,
 *                 "ops": {"top20_rank": {"result": N, "reps": N,
 *                          "wall_med_us": x, "cpu_med_us": x,
 *                          "wall_us": [every timed call]}, ...}}]}
 * "result" is what the call returned: the number of hits for a top-20
 * operation, the number of matches for a count.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every function is static, and a program need not use them all. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#define HARNESS_FORMAT 1
#define HARNESS_MAX_COLS 16       /* columns of the query file */
#define HARNESS_MAX_QUERIES 10000 /* lines of the query file */
#define HARNESS_MAX_REPS_CAP 1000 /* the largest --max-reps taken */
#define HARNESS_MAX_FILE (16 << 20)

/* ------------------------------------------------------------------ */
/* small helpers */

static void harness_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void harness_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *harness_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		harness_die("out of memory");
	return p;
}

static double harness_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* the query file */

struct harness_query {
	const char *col[HARNESS_MAX_COLS]; /* into harness_qset.text */
	const char *cls;
	const char *spec;
};

struct harness_qset {
	char *text;                        /* the whole file, cut into fields */
	const char *name[HARNESS_MAX_COLS];
	size_t ncols;
	struct harness_query *q;
	size_t n;
};

/* Cuts line [p, end) at tabs into out[]; returns the number of fields. */
static size_t harness_split(char *p, char *end, const char **out,
			    size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *tab = (char *)memchr(p, '\t', (size_t)(end - p));

		out[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	*end = '\0';
	return n;
}

static int harness_col(const struct harness_qset *qs, const char *name)
{
	for (size_t i = 0; i < qs->ncols; i++)
		if (!strcmp(qs->name[i], name))
			return (int)i;
	return -1;
}

/* The value of column `name` of q ("" when the file has no such column). */
static const char *harness_get(const struct harness_qset *qs,
			       const struct harness_query *q, const char *name)
{
	int c = harness_col(qs, name);

	return c >= 0 && q->col[c] ? q->col[c] : "";
}

static char *harness_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = (char *)harness_alloc(HARNESS_MAX_FILE + 1);
	size_t n;

	if (!f)
		harness_die("%s: %s", path, strerror(errno));
	n = fread(text, 1, HARNESS_MAX_FILE + 1, f);
	if (ferror(f) || n > HARNESS_MAX_FILE)
		harness_die("%s: read error or over %d bytes", path,
			    HARNESS_MAX_FILE);
	fclose(f);
	text[n] = '\0';
	*len = n;
	return text;
}

/* Loads a query file; keeps the first `limit` queries when limit > 0. */
static void harness_load(struct harness_qset *qs, const char *path,
			 size_t limit)
{
	size_t len, line = 0;
	char *p, *end, *fend;
	int ccls, cspec;

	memset(qs, 0, sizeof(*qs));
	qs->text = harness_slurp(path, &len);
	qs->q = (struct harness_query *)harness_alloc(
		HARNESS_MAX_QUERIES * sizeof(*qs->q));
	fend = qs->text + len;
	for (p = qs->text; p < fend; p = end + 1) {
		char *nl = (char *)memchr(p, '\n', (size_t)(fend - p));

		end = nl ? nl : fend;
		if (end > p && end[-1] == '\r')
			end[-1] = '\0';
		if (end == p || !*p)
			continue;
		if (line++ == 0) {
			qs->ncols = harness_split(p, end, qs->name,
						  HARNESS_MAX_COLS);
			continue;
		}
		if (qs->n == HARNESS_MAX_QUERIES)
			harness_die("%s: over %d queries", path,
				    HARNESS_MAX_QUERIES);
		harness_split(p, end, qs->q[qs->n].col, qs->ncols);
		if (++qs->n == limit)
			break;
	}
	ccls = harness_col(qs, "class");
	cspec = harness_col(qs, "spec");
	if (ccls < 0 || cspec < 0)
		harness_die("%s: no 'class' or 'spec' column", path);
	for (size_t i = 0; i < qs->n; i++) {
		qs->q[i].cls = qs->q[i].col[ccls] ? qs->q[i].col[ccls] : "";
		qs->q[i].spec = qs->q[i].col[cspec] ? qs->q[i].col[cspec] : "";
	}
}

static void harness_qset_release(struct harness_qset *qs)
{
	free(qs->text);
	free(qs->q);
	memset(qs, 0, sizeof(*qs));
}

/* ------------------------------------------------------------------ */
/* options: positional arguments, then the table below */

struct harness_opts {
	const char *pos[4];
	long reps, max_reps, limit;
	double target_ms;
	const char *json;
	const char *label;  /* what the engine is called in the output */
	int quiet;
};

static const struct harness_optdef {
	const char *name;
	const char *help;
	int kind;           /* 0 long, 1 double, 2 string, 3 flag */
	size_t off;
} harness_optdefs[] = {
	{ "--reps", "N  timed calls at least (9)", 0,
	  offsetof(struct harness_opts, reps) },
	{ "--max-reps", "N  timed calls at most (41)", 0,
	  offsetof(struct harness_opts, max_reps) },
	{ "--target-ms", "MS  more calls until MS spent (50)", 1,
	  offsetof(struct harness_opts, target_ms) },
	{ "--limit", "N  only the first N queries", 0,
	  offsetof(struct harness_opts, limit) },
	{ "--json", "FILE  write every figure there", 2,
	  offsetof(struct harness_opts, json) },
	{ "--label", "NAME  the engine's name in the output", 2,
	  offsetof(struct harness_opts, label) },
	{ "-q", "  no progress lines on stderr", 3,
	  offsetof(struct harness_opts, quiet) },
};
#define HARNESS_NOPTS (sizeof(harness_optdefs) / sizeof(harness_optdefs[0]))

static void harness_usage(const char *prog, const char *args)
{
	fprintf(stderr, "usage: %s %s [options]\n", prog, args);
	for (size_t i = 0; i < HARNESS_NOPTS; i++)
		fprintf(stderr, "  %s %s\n", harness_optdefs[i].name,
			harness_optdefs[i].help);
	exit(2);
}

static int harness_set(struct harness_opts *o,
		       const struct harness_optdef *d, const char *v)
{
	char *end = NULL;
	char *field = (char *)o + d->off;

	errno = 0;
	switch (d->kind) {
	case 0:
		*(long *)(void *)field = strtol(v, &end, 10);
		return errno || end == v || *end || *(long *)(void *)field < 0;
	case 1:
		*(double *)(void *)field = strtod(v, &end);
		return errno || end == v || *end || *(double *)(void *)field < 0;
	default:
		*(const char **)(void *)field = v;
		return 0;
	}
}

/* Parses argv: exactly npos positional arguments (described by args). */
static void harness_args(struct harness_opts *o, int argc, char **argv,
			 size_t npos, const char *args)
{
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	o->reps = 9;
	o->max_reps = 41;
	o->target_ms = 50;
	for (int i = 1; i < argc; i++) {
		const struct harness_optdef *d = NULL;

		for (size_t j = 0; j < HARNESS_NOPTS; j++)
			if (!strcmp(argv[i], harness_optdefs[j].name))
				d = &harness_optdefs[j];
		if (!d && argv[i][0] == '-')
			harness_usage(argv[0], args);
		if (!d) {
			if (n == npos || n == 4)
				harness_usage(argv[0], args);
			o->pos[n++] = argv[i];
		} else if (d->kind == 3) {
			*(int *)(void *)((char *)o + d->off) = 1;
		} else if (i + 1 == argc || harness_set(o, d, argv[++i])) {
			harness_usage(argv[0], args);
		}
	}
	if (n != npos || o->reps < 1 || o->max_reps > HARNESS_MAX_REPS_CAP)
		harness_usage(argv[0], args);
	if (o->max_reps < o->reps)
		o->max_reps = o->reps;
}

/* ------------------------------------------------------------------ */
/* the loop */

/* One operation: runs query q once and sets *result (hits returned, or the
 * count).  Returns 0, or nonzero on failure after printing why. */
typedef int (*harness_fn)(void *ctx, const struct harness_qset *qs,
			  const struct harness_query *q, uint64_t *result);

struct harness_op {
	const char *name;
	harness_fn fn;
};

struct harness_res {
	uint64_t result;
	double wall_med_us, cpu_med_us;
	double *wall_us;    /* every timed call */
	size_t reps;
};

struct harness_run {
	const char *engine;        /* "trawl", "fts5", "xapian" */
	const char *label;         /* e.g. "trawl 0.1.0, 1x corpus" */
	const struct harness_op *ops;
	size_t nops;
	struct harness_res *res;   /* [query * nops + op] */
	double elapsed_s;
	char load_start[64], load_end[64];
	const char *meta_json;     /* extra "key": value pairs, or NULL */
};

static void harness_loadavg(char *out, size_t cap)
{
	FILE *f = fopen("/proc/loadavg", "r");
	char a[16] = "?", b[16] = "?", c[16] = "?";

	if (f) {
		if (fscanf(f, "%15s %15s %15s", a, b, c) != 3)
			a[0] = '?';
		fclose(f);
	}
	snprintf(out, cap, "%s %s %s", a, b, c);
}

static int harness_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (the mean of the middle two when n is even);
 * sorts a copy. */
static double harness_median(const double *v, size_t n)
{
	double *s = (double *)harness_alloc(n * sizeof(*s));
	double m;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), harness_cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* Nearest-rank percentile p of the sorted v[0..n). */
static double harness_pct(const double *sorted, size_t n, double p)
{
	size_t r = (size_t)ceil(p / 100.0 * (double)n);

	if (!n)
		return NAN;
	if (r < 1)
		r = 1;
	return sorted[(r > n ? n : r) - 1];
}

static void harness_one(const struct harness_opts *o, void *ctx,
			const struct harness_qset *qs,
			const struct harness_query *q,
			const struct harness_op *op, struct harness_res *r)
{
	double *cpu = (double *)harness_alloc((size_t)o->max_reps *
					      sizeof(*cpu));
	double t_end;
	uint64_t res;

	r->wall_us = (double *)harness_alloc((size_t)o->max_reps *
					     sizeof(*r->wall_us));
	if (op->fn(ctx, qs, q, &r->result))   /* warm-up, untimed */
		harness_die("%s failed on '%s'", op->name, q->spec);
	t_end = harness_now(CLOCK_MONOTONIC) + o->target_ms / 1e3;
	while (r->reps < (size_t)o->reps ||
	       (r->reps < (size_t)o->max_reps &&
		harness_now(CLOCK_MONOTONIC) < t_end)) {
		struct timespec c0, w0, w1, c1;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		clock_gettime(CLOCK_MONOTONIC, &w0);
		if (op->fn(ctx, qs, q, &res))
			harness_die("%s failed on '%s'", op->name, q->spec);
		clock_gettime(CLOCK_MONOTONIC, &w1);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		if (res != r->result)
			harness_die("%s on '%s' gave %llu, then %llu", op->name,
				    q->spec, (unsigned long long)r->result,
				    (unsigned long long)res);
		r->wall_us[r->reps] = (double)(w1.tv_sec - w0.tv_sec) * 1e6 +
				      (double)(w1.tv_nsec - w0.tv_nsec) / 1e3;
		cpu[r->reps] = (double)(c1.tv_sec - c0.tv_sec) * 1e6 +
			       (double)(c1.tv_nsec - c0.tv_nsec) / 1e3;
		r->reps++;
	}
	r->wall_med_us = harness_median(r->wall_us, r->reps);
	r->cpu_med_us = harness_median(cpu, r->reps);
	free(cpu);
}

/* Runs every op over every query; fills run->res. */
static void harness_loop(const struct harness_opts *o, void *ctx,
			 const struct harness_qset *qs, struct harness_run *run)
{
	double t0 = harness_now(CLOCK_MONOTONIC);

	harness_loadavg(run->load_start, sizeof(run->load_start));
	run->res = (struct harness_res *)harness_alloc(
		qs->n * run->nops * sizeof(*run->res));
	for (size_t i = 0; i < qs->n; i++) {
		for (size_t j = 0; j < run->nops; j++)
			harness_one(o, ctx, qs, &qs->q[i], &run->ops[j],
				    &run->res[i * run->nops + j]);
		if (!o->quiet && ((i + 1) % 20 == 0 || i + 1 == qs->n))
			fprintf(stderr, "  %s: %zu/%zu queries, %.0f s\n",
				run->engine, i + 1, qs->n,
				harness_now(CLOCK_MONOTONIC) - t0);
	}
	run->elapsed_s = harness_now(CLOCK_MONOTONIC) - t0;
	harness_loadavg(run->load_end, sizeof(run->load_end));
}

/* ------------------------------------------------------------------ */
/* output */

/* The classes in order of first appearance; returns how many. */
static size_t harness_classes(const struct harness_qset *qs,
			      const char **cls, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < qs->n; i++) {
		size_t j = 0;

		while (j < n && strcmp(cls[j], qs->q[i].cls))
			j++;
		if (j == n && n < max)
			cls[n++] = qs->q[i].cls;
	}
	return n;
}

/* Figures of one class for one op: sorted medians, their count, the sum
 * of results. */
static size_t harness_class(const struct harness_qset *qs,
			    const struct harness_run *run, size_t op,
			    const char *cls, double *wall, double *cpu,
			    uint64_t *sum)
{
	size_t n = 0;

	*sum = 0;
	for (size_t i = 0; i < qs->n; i++) {
		const struct harness_res *r = &run->res[i * run->nops + op];

		if (strcmp(qs->q[i].cls, cls))
			continue;
		wall[n] = r->wall_med_us / 1e3;
		cpu[n] = r->cpu_med_us / 1e3;
		*sum += r->result;
		n++;
	}
	qsort(wall, n, sizeof(*wall), harness_cmp_double);
	qsort(cpu, n, sizeof(*cpu), harness_cmp_double);
	return n;
}

/* The summary on stdout: a table per op, a row per class. */
static void harness_print(const struct harness_qset *qs,
			  const struct harness_run *run)
{
	const char *cls[64];
	size_t ncls = harness_classes(qs, cls, 64);
	double *wall = (double *)harness_alloc(qs->n * sizeof(double));
	double *cpu = (double *)harness_alloc(qs->n * sizeof(double));

	printf("%s: %zu queries x %zu ops in %.1f s; load %s at start, %s "
	       "at the end\n", run->label, qs->n, run->nops, run->elapsed_s,
	       run->load_start, run->load_end);
	for (size_t j = 0; j < run->nops; j++) {
		printf("\n  %s (ms; p50 / p95 / p99 of per-query medians)\n",
		       run->ops[j].name);
		printf("  %-11s %3s %9s %9s %9s %9s %12s\n", "class", "n",
		       "p50", "p95", "p99", "cpu p50", "sum result");
		for (size_t c = 0; c < ncls; c++) {
			uint64_t sum;
			size_t n = harness_class(qs, run, j, cls[c], wall, cpu,
						 &sum);

			printf("  %-11s %3zu %9.3f %9.3f %9.3f %9.3f %12llu\n",
			       cls[c], n, harness_pct(wall, n, 50),
			       harness_pct(wall, n, 95), harness_pct(wall, n, 99),
			       harness_pct(cpu, n, 50), (unsigned long long)sum);
		}
	}
	free(wall);
	free(cpu);
	fflush(stdout);
}

static void harness_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void harness_json_query(FILE *f, const struct harness_query *q,
			       const struct harness_run *run,
			       const struct harness_res *res)
{
	fputs("{\"class\": ", f);
	harness_json_str(f, q->cls);
	fputs(", \"spec\": ", f);
	harness_json_str(f, q->spec);
	fputs(", \"ops\": {", f);
	for (size_t j = 0; j < run->nops; j++) {
		const struct harness_res *r = &res[j];

		fprintf(f, "%s\"%s\": {\"result\": %llu, \"reps\": %zu, "
			"\"wall_med_us\": %.2f, \"cpu_med_us\": %.2f, "
			"\"wall_us\": [", j ? ", " : "", run->ops[j].name,
			(unsigned long long)r->result, r->reps, r->wall_med_us,
			r->cpu_med_us);
		for (size_t k = 0; k < r->reps; k++)
			fprintf(f, "%s%.1f", k ? ", " : "", r->wall_us[k]);
		fputs("]}", f);
	}
	fputs("}}", f);
}

static void harness_json(const char *path, const struct harness_opts *o,
			 const struct harness_qset *qs,
			 const struct harness_run *run)
{
	FILE *f = fopen(path, "w");

	if (!f)
		harness_die("%s: %s", path, strerror(errno));
	fprintf(f, "{\"format\": %d, \"engine\": ", HARNESS_FORMAT);
	harness_json_str(f, run->engine);
	fputs(", \"meta\": {\"label\": ", f);
	harness_json_str(f, run->label);
	fprintf(f, ", \"min_reps\": %ld, \"max_reps\": %ld, \"target_ms\": "
		"%g, \"elapsed_s\": %.2f, \"load_start\": \"%s\", "
		"\"load_end\": \"%s\"%s%s}, \"ops\": [", o->reps, o->max_reps,
		o->target_ms, run->elapsed_s, run->load_start, run->load_end,
		run->meta_json ? ", " : "", run->meta_json ? run->meta_json : "");
	for (size_t j = 0; j < run->nops; j++)
		fprintf(f, "%s\"%s\"", j ? ", " : "", run->ops[j].name);
	fputs("],\n \"queries\": [\n", f);
	for (size_t i = 0; i < qs->n; i++) {
		fputs(i ? ",\n  " : "  ", f);
		harness_json_query(f, &qs->q[i], run, &run->res[i * run->nops]);
	}
	fputs("\n]}\n", f);
	if (ferror(f) | fclose(f))
		harness_die("%s: write error", path);
}

static void harness_run_release(const struct harness_qset *qs,
				struct harness_run *run)
{
	for (size_t i = 0; run->res && i < qs->n * run->nops; i++)
		free(run->res[i].wall_us);
	free(run->res);
	run->res = NULL;
}

#pragma GCC diagnostic pop

#endif
