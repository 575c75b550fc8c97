/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cmd-search.c - trawl search and trawl count: the query language
 * (docs/QUERY.md) from the command line.
 *
 * One search builds one JSON value (the hits with their snippets, the
 * total, the facets); each output format prints that value, so text,
 * JSON and CSV can never disagree.  --batch runs one query per line of a
 * file in one process (a watch-list of names) and writes per query its
 * exact count, its top IDs and the milliseconds it took.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "cli.h"
#include "banned.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_IDS };

struct opts {
	trawl_search_options so;
	int facets, threads, copies, explain;
	enum fmt fmt;
	int color;         /* highlights in colour */
	const char *batch; /* file of queries */
	int count_only;    /* trawl count */
};

struct env {
	const char *cmd;
	trawl_archive *a;
	trawl_searcher *s;
	trawl_parser *p;
	trawl_highlighter *h;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- parse errors ---- */

/* Display columns of s[0..n): UTF-8 characters (not continuation bytes). */
static size_t columns(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

static void print_parse_error(const char *cmd, const char *query,
			      const trawl_parse_error *e)
{
	size_t col = columns(query, e->pos);

	cli_error(cmd, "cannot search for this: %s", e->message);
	fprintf(stderr, "  %s\n  %*s^\n", query, (int)col, "");
	if (e->hint[0])
		fprintf(stderr, "  hint: %s\n", e->hint);
}

/* ---- one hit ---- */

/* Marks as [start, end) in characters (code points) of the passage, not
 * bytes: what a script slicing the JSON string expects. */
static json_t *marks_json(const trawl_passage *p)
{
	json_t *m = json_array();
	size_t at = 0, chars = 0;

	for (size_t i = 0; i < p->nmarks; i++) {
		size_t s = p->marks[i].start, e = p->marks[i].end, cs;

		if (s < at || e < s || e > p->len)
			continue;
		cs = chars + columns(p->text + at, s - at);
		chars = cs + columns(p->text + s, e - s);
		at = e;
		json_array_append_new(m, json_pack("[II]", (json_int_t)cs,
						   (json_int_t)chars));
	}
	return m;
}

static json_t *passage_json(const trawl_passage *p)
{
	return json_pack("{s:s%,s:o,s:b,s:b}", "text", p->text, p->len, "marks",
			 marks_json(p), "cut_before", p->cut_before,
			 "cut_after", p->cut_after);
}

/* The highlighted passages of text (field) as a JSON array; NULL when
 * highlighting failed (out of memory). */
static json_t *highlight(struct env *e, const trawl_query *q, unsigned field,
			 const char *text, size_t len, size_t max,
			 size_t bytes)
{
	trawl_highlight *hl = NULL;
	json_t *arr;

	if (trawl_highlight_text(e->h, q, field, text, len, max, bytes, &hl))
		return NULL;
	arr = json_array();
	for (size_t i = 0; i < trawl_highlight_npassages(hl); i++)
		json_array_append_new(arr,
				      passage_json(trawl_highlight_passage(hl,
									   i)));
	trawl_highlight_free(hl);
	return arr;
}

static json_t *addr_json(const char *name, const char *addr)
{
	json_t *x = json_object();

	if (name && *name)
		json_object_set_new(x, "name", json_string(name));
	json_object_set_new(x, "address", json_string(addr ? addr : ""));
	return x;
}

static void iso_date(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		snprintf(out, n, "?");
	else
		strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Emails in a thread, for --threads. */
static uint64_t thread_size(struct env *e, int64_t thread)
{
	trawl_search_options o = { .kinds = 1u << TRAWL_KIND_EMAIL };
	trawl_query *q = trawl_query_thread(thread);
	uint64_t total = 0;
	size_t n;

	if (q)
		trawl_search_run(e->s, q, &o, NULL, &n, &total);
	trawl_query_free(q);
	return total;
}

static json_t *hit_json(struct env *e, const struct opts *o,
			const trawl_query *q, const trawl_hit *h)
{
	json_t *j = json_object(), *to = json_array(), *snip;
	trawl_item *it = NULL;
	trawl_kind kind;
	char when[32];
	const char *subject, *body;
	size_t blen;
	int64_t thread;
	trawl_date_source src;

	json_object_set_new(j, "id", json_integer((json_int_t)h->item));
	if (trawl_item_load_ex(e->a, (int64_t)h->item, TRAWL_LOAD_BRIEF,
			       &it)) {
		/* removed since the index was read, or unreadable */
		json_object_set_new(j, "error",
				    json_string(trawl_archive_errmsg(e->a)));
		json_decref(to);
		return j;
	}
	kind = trawl_item_kind(it);
	json_object_set_new(j, "kind", json_string(trawl_kind_str(kind)));
	trawl_item_date(it, NULL, &src);
	if (h->date) {
		iso_date(h->date, when, sizeof(when));
		json_object_set_new(j, "date", json_string(when));
		if (kind == TRAWL_KIND_EMAIL && src != TRAWL_DATE_HEADER)
			json_object_set_new(j, "date_guessed", json_true());
	}
	if (o->so.sort == TRAWL_SORT_RELEVANCE)
		json_object_set_new(j, "score", json_real(h->score));
	for (size_t i = 0; i < trawl_item_naddrs(it); i++) {
		trawl_role role;
		const char *name, *addr;
		int64_t id;

		trawl_item_addr(it, i, &role, &name, &addr, &id);
		if (role == TRAWL_ROLE_FROM &&
		    !json_object_get(j, "from"))
			json_object_set_new(j, "from", addr_json(name, addr));
		else if (role == TRAWL_ROLE_TO || role == TRAWL_ROLE_CC)
			json_array_append_new(to, addr_json(name, addr));
	}
	json_object_set_new(j, "to", to);
	json_object_set_new(j, "to_count", json_integer((json_int_t)(
		trawl_item_role_count(it, TRAWL_ROLE_TO) +
		trawl_item_role_count(it, TRAWL_ROLE_CC))));
	subject = trawl_item_subject(it);
	if (subject) {
		json_object_set_new(j, "subject", json_string(subject));
		snip = highlight(e, q, TRAWL_FIELD_SUBJECT, subject,
				 strlen(subject), 1, strlen(subject) + 1);
		if (snip && json_array_size(snip))
			json_object_set(j, "subject_marks",
					json_object_get(json_array_get(snip, 0),
							"marks"));
		json_decref(snip);
	}
	if (trawl_item_name(it))
		json_object_set_new(j, "name", json_string(trawl_item_name(it)));
	if (trawl_item_parent(it))
		json_object_set_new(j, "parent",
				    json_integer(trawl_item_parent(it)));
	thread = (int64_t)h->thread; /* a brief load has none */
	if (thread)
		json_object_set_new(j, "thread", json_integer(thread));
	if (o->threads && thread)
		json_object_set_new(j, "thread_size",
				    json_integer((json_int_t)
						 thread_size(e, thread)));
	if (trawl_item_ncopies(it))
		json_object_set_new(j, "copies",
				    json_integer((json_int_t)
						 trawl_item_ncopies(it)));
	body = trawl_item_body(it, &blen);
	snip = body ? highlight(e, q, TRAWL_FIELD_BODY, body, blen, 3, 160)
		    : json_array();
	json_object_set_new(j, "snippets", snip ? snip : json_array());
	trawl_item_free(it);
	return j;
}

/* ---- facets ---- */

static const struct {
	trawl_facet f;
	const char *name;
	size_t top;
} facet_list[] = {
	{ TRAWL_FACET_KIND, "kinds", 0 },
	{ TRAWL_FACET_FROM, "senders", 10 },
	{ TRAWL_FACET_TO, "recipients", 10 },
	{ TRAWL_FACET_DOMAIN, "domains", 10 },
	{ TRAWL_FACET_TYPE, "attachment_types", 10 },
	{ TRAWL_FACET_MONTH, "months", 0 },
};

#define NFACETS (sizeof(facet_list) / sizeof(facet_list[0]))

static int facets_json(struct env *e, const trawl_search_options *so,
		       const trawl_query *q, json_t *out)
{
	trawl_facets *fs[NFACETS];
	trawl_facet which[NFACETS];
	json_t *j = json_object();
	trawl_status st;

	for (size_t i = 0; i < NFACETS; i++)
		which[i] = facet_list[i].f;
	/* one call per top: kinds and months whole, the rest cut */
	st = trawl_search_facets(e->s, q, so, which, NFACETS, 0, fs);
	if (st) {
		json_decref(j);
		cli_error(e->cmd, "%s", trawl_searcher_errmsg(e->s));
		return cli_exit_for(st);
	}
	for (size_t i = 0; i < NFACETS; i++) {
		json_t *arr = json_array();
		size_t n = trawl_facets_size(fs[i]);

		if (facet_list[i].top && n > facet_list[i].top)
			n = facet_list[i].top;
		for (size_t k = 0; k < n; k++)
			json_array_append_new(arr, json_pack("{s:s,s:I}",
				"value", trawl_facets_value(fs[i], k), "count",
				(json_int_t)trawl_facets_docs(fs[i], k)));
		json_object_set_new(j, facet_list[i].name, arr);
		trawl_facets_free(fs[i]);
	}
	json_object_set_new(out, "facets", j);
	return EXIT_OK;
}

/* ---- one search ---- */

static const char *const sort_names[] = { "relevance", "newest", "oldest" };

/*
 * Runs query text; *out gets the result object.  Returns an exit code;
 * parse errors are printed unless quiet (batch mode reports them in its
 * rows: *err_msg).
 */
static int run_search(struct env *e, const struct opts *o, const char *text,
		      json_t **out, int quiet, char *err_msg, size_t errlen)
{
	trawl_search_options so = o->so;
	trawl_parse_error perr;
	trawl_query *q = NULL;
	trawl_hit *hits = NULL;
	size_t nhits = 0;
	uint64_t total = 0;
	trawl_status st;
	double t0 = now_ms();
	json_t *j = NULL, *arr;
	int rc = EXIT_OK;

	*out = NULL;
	st = trawl_query_parse(e->p, text, &q, &perr);
	if (st) {
		if (!quiet)
			print_parse_error(e->cmd, text, &perr);
		snprintf(err_msg, errlen, "at %zu: %s", perr.pos,
			 perr.message);
		return st == TRAWL_ERR_NOMEM ? EXIT_ERROR : EXIT_USAGE;
	}
	if (!trawl_query_names_kind(q) && !so.kinds)
		so.kinds = 1u << TRAWL_KIND_EMAIL | 1u << TRAWL_KIND_DOCUMENT;
	so.collapse = o->threads ? TRAWL_COLLAPSE_THREADS
		      : o->copies ? TRAWL_COLLAPSE_NONE
				  : TRAWL_COLLAPSE_COPIES;
	if (o->count_only)
		so.limit = 0;
	if (so.limit && !(hits = calloc(so.limit, sizeof(*hits)))) {
		trawl_query_free(q);
		return EXIT_ERROR;
	}
	st = trawl_search_run(e->s, q, &so, hits, &nhits, &total);
	if (st) {
		if (!quiet)
			cli_error(e->cmd, "%s", trawl_searcher_errmsg(e->s));
		snprintf(err_msg, errlen, "%s", trawl_searcher_errmsg(e->s));
		rc = st == TRAWL_ERR_TOO_LARGE || st == TRAWL_ERR_INVALID
			     ? EXIT_USAGE : cli_exit_for(st);
		goto out;
	}
	j = json_object();
	json_object_set_new(j, "format", json_integer(CLI_JSON_FORMAT));
	json_object_set_new(j, "query", json_string(text));
	if (o->explain) {
		char *d = trawl_query_describe(q);

		json_object_set_new(j, "parsed", json_string(d ? d : ""));
		free(d);
	}
	json_object_set_new(j, "total", json_integer((json_int_t)total));
	json_object_set_new(j, "offset", json_integer((json_int_t)so.offset));
	json_object_set_new(j, "limit", json_integer((json_int_t)so.limit));
	json_object_set_new(j, "sort", json_string(sort_names[so.sort]));
	json_object_set_new(j, "collapse",
			    json_string(so.collapse == TRAWL_COLLAPSE_THREADS
						? "threads"
					: so.collapse == TRAWL_COLLAPSE_COPIES
						? "copies"
						: "none"));
	arr = json_array();
	/* one snapshot of trawl.db for the page (and one lock) */
	if (nhits && o->fmt != FMT_IDS && !o->batch)
		trawl_archive_read_begin(e->a);
	for (size_t i = 0; i < nhits; i++)
		json_array_append_new(arr, o->fmt == FMT_IDS || o->batch
			? json_pack("{s:I}", "id", (json_int_t)hits[i].item)
			: hit_json(e, o, q, &hits[i]));
	trawl_archive_read_end(e->a);
	json_object_set_new(j, "hits", arr);
	if (o->facets && (rc = facets_json(e, &so, q, j)))
		goto out;
	json_object_set_new(j, "took_ms", json_real(now_ms() - t0));
	*out = j;
	j = NULL;
out:
	json_decref(j);
	free(hits);
	trawl_query_free(q);
	return rc;
}

/* ---- printing ---- */

static const char *jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* The byte offset of character c of text. */
static size_t byte_of(const char *text, size_t c)
{
	size_t i = 0;

	for (; text[i]; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80 && !c--)
			break;
	return i;
}

/* text with its marks: colour on a terminal, nothing otherwise */
static void print_marked(const char *text, json_t *marks, int color)
{
	size_t at = 0, i;
	json_t *m;

	json_array_foreach(marks, i, m) {
		size_t s = byte_of(text, (size_t)json_integer_value(
					      json_array_get(m, 0)));
		size_t e = byte_of(text, (size_t)json_integer_value(
					      json_array_get(m, 1)));

		if (s < at || e < s || e > strlen(text))
			continue;
		fwrite(text + at, 1, s - at, stdout);
		if (color)
			fputs("\033[1;33m", stdout);
		fwrite(text + s, 1, e - s, stdout);
		if (color)
			fputs("\033[0m", stdout);
		at = e;
	}
	fputs(text + at, stdout);
}

static void print_addr(json_t *a)
{
	const char *name = jstr(a, "name"), *addr = jstr(a, "address");

	if (name && *addr)
		printf("%s <%s>", name, addr);
	else
		printf("%s", name ? name : addr);
}

static void print_text(json_t *r, const struct opts *o)
{
	json_t *hits = json_object_get(r, "hits"), *h, *facets;
	uint64_t total = (uint64_t)json_integer_value(json_object_get(r,
								      "total"));
	size_t i, off = (size_t)json_integer_value(json_object_get(r,
								   "offset"));
	const char *bold = o->color ? "\033[1m" : "", *off_ = o->color
							   ? "\033[0m" : "";

	if (json_object_get(r, "parsed"))
		printf("parsed: %s\n", jstr(r, "parsed"));
	printf("%llu %s%s", (unsigned long long)total,
	       o->threads ? "thread" : "result", total == 1 ? "" : "s");
	if (json_array_size(hits))
		printf(", %zu to %zu", off + 1, off + json_array_size(hits));
	printf(" (%.1f ms)\n", json_real_value(json_object_get(r, "took_ms")));
	json_array_foreach(hits, i, h) {
		json_t *to = json_object_get(h, "to"), *snips, *s, *from;
		const char *date = jstr(h, "date");
		size_t k, nto;

		printf("\n%s#%lld%s  %s  %s", bold,
		       (long long)json_integer_value(json_object_get(h, "id")),
		       off_, date ? date : "(no date)",
		       jstr(h, "kind") ? jstr(h, "kind") : "?");
		if (json_object_get(h, "error")) {
			printf("  (%s)\n", jstr(h, "error"));
			continue;
		}
		if (json_object_get(h, "copies"))
			printf("  also in %lld more mailbox%s",
			       (long long)json_integer_value(
				       json_object_get(h, "copies")),
			       json_integer_value(json_object_get(h, "copies"))
					       == 1 ? "" : "es");
		if (json_object_get(h, "thread_size"))
			printf("  thread of %lld",
			       (long long)json_integer_value(
				       json_object_get(h, "thread_size")));
		putchar('\n');
		if ((from = json_object_get(h, "from"))) {
			printf("  From: ");
			print_addr(from);
			putchar('\n');
		}
		nto = (size_t)json_integer_value(json_object_get(h, "to_count"));
		if (json_array_size(to)) {
			printf("  To: ");
			for (k = 0; k < json_array_size(to) && k < 3; k++) {
				printf("%s", k ? ", " : "");
				print_addr(json_array_get(to, k));
			}
			if (nto > k)
				printf(" and %zu more", nto - k);
			putchar('\n');
		}
		if (jstr(h, "subject")) {
			printf("  Subject: ");
			print_marked(jstr(h, "subject"),
				     json_object_get(h, "subject_marks"),
				     o->color);
			putchar('\n');
		} else if (jstr(h, "name")) {
			printf("  File: %s\n", jstr(h, "name"));
		}
		snips = json_object_get(h, "snippets");
		json_array_foreach(snips, k, s) {
			printf("    %s", json_is_true(json_object_get(
						   s, "cut_before")) ? "..." : "");
			print_marked(jstr(s, "text"), json_object_get(s, "marks"),
				     o->color);
			printf("%s\n", json_is_true(json_object_get(
					       s, "cut_after")) ? "..." : "");
		}
	}
	if ((facets = json_object_get(r, "facets"))) {
		const char *name;
		json_t *arr;

		json_object_foreach(facets, name, arr) {
			json_t *v;

			printf("\n%s%s%s:", bold, name, off_);
			json_array_foreach(arr, i, v)
				printf("%s %s (%lld)", i ? "," : "",
				       jstr(v, "value"),
				       (long long)json_integer_value(
					       json_object_get(v, "count")));
			putchar('\n');
		}
	}
}

/* One CSV field (RFC 4180: quoted when it holds , " or a line break). */
static void csv_field(FILE *f, const char *s, int last)
{
	if (!s)
		s = "";
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void print_csv(json_t *r)
{
	json_t *hits = json_object_get(r, "hits"), *h;
	size_t i;

	fputs("id,kind,date,from,to,subject,name,score,copies,thread,snippet\n",
	      stdout);
	json_array_foreach(hits, i, h) {
		char num[64];
		json_t *from = json_object_get(h, "from"), *to, *a, *s;
		struct { char *p; size_t n; } tl = { NULL, 0 };
		FILE *m = open_memstream(&tl.p, &tl.n);
		size_t k;

		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(json_object_get(h, "id")));
		csv_field(stdout, num, 0);
		csv_field(stdout, jstr(h, "kind"), 0);
		csv_field(stdout, jstr(h, "date"), 0);
		csv_field(stdout, from ? jstr(from, "address") : NULL, 0);
		to = json_object_get(h, "to");
		json_array_foreach(to, k, a)
			if (m)
				fprintf(m, "%s%s", k ? " " : "",
					jstr(a, "address"));
		if (m)
			fclose(m);
		csv_field(stdout, tl.p, 0);
		free(tl.p);
		csv_field(stdout, jstr(h, "subject"), 0);
		csv_field(stdout, jstr(h, "name"), 0);
		if (json_object_get(h, "score"))
			snprintf(num, sizeof(num), "%.6g", json_real_value(
					 json_object_get(h, "score")));
		else
			num[0] = 0;
		csv_field(stdout, num, 0);
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(
				 json_object_get(h, "copies")));
		csv_field(stdout, num, 0);
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(
				 json_object_get(h, "thread")));
		csv_field(stdout, num, 0);
		s = json_array_get(json_object_get(h, "snippets"), 0);
		csv_field(stdout, s ? jstr(s, "text") : NULL, 1);
	}
}

static void print_result(json_t *r, const struct opts *o)
{
	json_t *h;
	size_t i;

	switch (o->fmt) {
	case FMT_JSON:
		cli_print_json(stdout, json_incref(r));
		break;
	case FMT_CSV:
		print_csv(r);
		break;
	case FMT_IDS:
		json_array_foreach(json_object_get(r, "hits"), i, h)
			printf("%lld\n", (long long)json_integer_value(
					json_object_get(h, "id")));
		break;
	default:
		print_text(r, o);
	}
}

/* ---- batch ---- */

static int run_batch(struct env *e, struct opts *o)
{
	FILE *f = strcmp(o->batch, "-") ? fopen(o->batch, "r") : stdin;
	/* a line is read up to one byte over the query limit (the parser
	 * then refuses it as too long); the rest of it is skipped */
	char line[TRAWL_MAX_QUERY_LEN + 3];
	size_t lineno = 0, n;
	int rc = EXIT_OK;

	if (!f) {
		cli_error(e->cmd, "%s: %s", o->batch, strerror(errno));
		return EXIT_USAGE;
	}
	if (o->fmt != FMT_JSON)
		fputs("query,count,ids,ms,error\n", stdout);
	while (fgets(line, sizeof(line), f)) {
		char err[512] = "", ms[32], cnt[32];
		json_t *r = NULL, *h;
		struct buf_ids { char *p; size_t n; } ids = { NULL, 0 };
		FILE *m;
		double t0;
		size_t i;
		int r_rc;

		lineno++;
		n = strlen(line);
		if (n && line[n - 1] != '\n' && !feof(f)) {
			int ch;

			while ((ch = getc(f)) != EOF && ch != '\n')
				;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n || line[0] == '#')
			continue;
		t0 = now_ms();
		r_rc = run_search(e, o, line, &r, 1, err, sizeof(err));
		snprintf(ms, sizeof(ms), "%.3f", now_ms() - t0);
		if (r_rc)
			rc = EXIT_PROBLEMS;
		if (o->fmt == FMT_JSON) {
			json_t *row = json_pack("{s:i,s:s,s:f}", "line",
						(int)lineno, "query", line, "ms",
						now_ms() - t0);

			if (r) {
				json_t *arr = json_array();

				json_object_set(row, "count",
						json_object_get(r, "total"));
				json_array_foreach(json_object_get(r, "hits"),
						   i, h)
					json_array_append(arr,
						json_object_get(h, "id"));
				json_object_set_new(row, "ids", arr);
			} else {
				json_object_set_new(row, "error",
						    json_string(err));
			}
			cli_print_json(stdout, row);
			json_decref(r);
			continue;
		}
		m = open_memstream(&ids.p, &ids.n);
		if (r && m)
			json_array_foreach(json_object_get(r, "hits"), i, h)
				fprintf(m, "%s%lld", i ? " " : "",
					(long long)json_integer_value(
						json_object_get(h, "id")));
		if (m)
			fclose(m);
		snprintf(cnt, sizeof(cnt), "%lld", r ? (long long)
			 json_integer_value(json_object_get(r, "total")) : -1LL);
		csv_field(stdout, line, 0);
		csv_field(stdout, cnt, 0);
		csv_field(stdout, ids.p, 0);
		csv_field(stdout, ms, 0);
		csv_field(stdout, err, 1);
		free(ids.p);
		json_decref(r);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- the commands ---- */

static int parse_size_arg(const char *cmd, const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !*s || s[0] == '-' || v > 10000) {
		cli_error(cmd, "'%s' is not a number from 0 to 10000", s);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static int run(const char *cmd, int argc, char **argv, int count_only)
{
	static const struct option lopts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "sort", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ "facets", no_argument, NULL, 'f' },
		{ "threads", no_argument, NULL, 't' },
		{ "copies", no_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "batch", required_argument, NULL, 'b' },
		{ "explain", no_argument, NULL, 'x' },
		{ "color", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .so = { .limit = 20 }, .count_only = count_only };
	struct env e = { .cmd = cmd };
	const char *color = "auto";
	char *text = NULL, err[512];
	uint64_t pending = 0;
	size_t len = 0;
	json_t *r = NULL;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "A:", lopts, NULL)) != -1) {
		switch (c) {
		case 'A':
			cli_archive = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "relevance"))
				o.so.sort = TRAWL_SORT_RELEVANCE;
			else if (!strcmp(optarg, "newest"))
				o.so.sort = TRAWL_SORT_NEWEST;
			else if (!strcmp(optarg, "oldest"))
				o.so.sort = TRAWL_SORT_OLDEST;
			else
				return cli_usage(cmd);
			break;
		case 'l':
			if (parse_size_arg(cmd, optarg, &o.so.limit))
				return cli_usage(cmd);
			break;
		case 'o':
			if (parse_size_arg(cmd, optarg, &o.so.offset))
				return cli_usage(cmd);
			break;
		case 'f':
			o.facets = 1;
			break;
		case 't':
			o.threads = 1;
			break;
		case 'c':
			o.copies = 1;
			break;
		case 'x':
			o.explain = 1;
			break;
		case 'F':
			if (!strcmp(optarg, "text"))
				o.fmt = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				o.fmt = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				o.fmt = FMT_CSV;
			else if (!strcmp(optarg, "ids"))
				o.fmt = FMT_IDS;
			else
				return cli_usage(cmd);
			break;
		case 'b':
			o.batch = optarg;
			break;
		case 'C':
			color = optarg;
			break;
		default:
			return cli_usage(cmd);
		}
	}
	if (o.so.offset + o.so.limit > 10000) {
		cli_error(cmd, "--offset + --limit is over 10000; narrow the "
			  "query instead of paging that far");
		return EXIT_USAGE;
	}
	if (!o.batch == (optind == argc) || (o.batch && count_only)) {
		cli_error(cmd, o.batch ? "--batch takes its queries from the "
			  "file, not the command line" : "give a query");
		return cli_usage(cmd);
	}
	if (o.threads && o.copies) {
		cli_error(cmd, "--threads and --copies do not go together");
		return cli_usage(cmd);
	}
	o.color = !strcmp(color, "always") ||
		  (!strcmp(color, "auto") && isatty(STDOUT_FILENO));
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);
		char *t = realloc(text, len + n + 2);

		if (!t) {
			free(text);
			return EXIT_ERROR;
		}
		text = t;
		if (len)
			text[len++] = ' ';
		memcpy(text + len, argv[i], n + 1);
		len += n;
	}
	if (!(e.a = cli_open(cmd, TRAWL_OPEN_READ, &rc))) {
		free(text);
		return rc;
	}
	if (trawl_searcher_open(e.a, &e.s)) {
		cli_error(cmd, "%s", trawl_searcher_errmsg(e.s));
		rc = EXIT_ERROR;
		goto out;
	}
	if (!trawl_index_pending(e.a, &pending) && pending)
		fprintf(stderr, "trawl %s: note: %llu items are not indexed "
			"yet, and no search finds them: trawl reindex indexes "
			"them (the next trawl ingest, those stored with "
			"--no-index)\n", cmd, (unsigned long long)pending);
	e.p = trawl_parser_new();
	e.h = trawl_highlighter_new();
	if (!e.p || !e.h) {
		cli_error(cmd, "out of memory");
		rc = EXIT_ERROR;
		goto out;
	}
	if (o.batch) {
		rc = run_batch(&e, &o);
		goto out;
	}
	rc = run_search(&e, &o, text, &r, 0, err, sizeof(err));
	if (rc)
		goto out;
	if (count_only)
		printf("%lld\n", (long long)json_integer_value(
				 json_object_get(r, "total")));
	else
		print_result(r, &o);
out:
	json_decref(r);
	trawl_highlighter_free(e.h);
	trawl_parser_free(e.p);
	trawl_searcher_close(e.s);
	trawl_archive_close(e.a);
	free(text);
	return rc;
}

int cmd_search(int argc, char **argv)
{
	return run("search", argc, argv, 0);
}

int cmd_count(int argc, char **argv)
{
	return run("count", argc, argv, 1);
}
