/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mimefix.c - the repairs of mimefix.h: a plan of edits to a message's
 * bytes, the copy they make, and the map from the copy back.
 *
 * Every read of the original goes through an explicit end (f->len, or the
 * end of one header field); no edit is made outside the original.  A plan
 * is built as a draft (edits and their replacement bytes), sorted, made
 * disjoint, and kept only when it differs from the current plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mimefix.h"
#include "banned.h"

/* A renamed boundary: LONG_TOKEN, its index, "_=" (absent from the
 * message, checked). */
#define LONG_TOKEN "=_trawl_long_boundary_"
#define LONG_TOKEN_LEN (sizeof(LONG_TOKEN) - 1)

struct draft {
	struct mimefix_edit *e;
	size_t n, cap, max;
	struct buf pool;
	int count[MIMEFIX_KINDS];
	int failed;
};

/* A boundary in force while the delimiter lines are scanned. */
struct open_b {
	const char *b;        /* the boundary as found */
	size_t blen;
	char name[48];        /* a renamed one's token, for delimiter lines */
	size_t nlen;          /* 0: the boundary itself */
	size_t header;        /* its Content-Type field */
	int open;
};

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2045 token characters. */
static int is_token(unsigned char c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

static size_t token_end(const char *s, size_t pos, size_t lim)
{
	while (pos < lim && is_token((unsigned char)s[pos]))
		pos++;
	return pos;
}

/* Skips white space, folds and comments inside one header field; stops at
 * anything else, or at a line break that ends the field. */
static size_t skip_cfws(const char *s, size_t pos, size_t lim)
{
	size_t depth = 0;

	while (pos < lim) {
		char c = s[pos];

		if (c == '\r' || c == '\n') {
			size_t k = pos + 1;

			if (c == '\r' && k < lim && s[k] == '\n')
				k++;
			if (k >= lim || !is_wsp(s[k]))
				break;
			pos = k;
		} else if (is_wsp(c)) {
			pos++;
		} else if (c == '(') {
			depth++;
			pos++;
		} else if (depth) {
			if (c == ')')
				depth--;
			else if (c == '\\' && pos + 1 < lim)
				pos++;
			pos++;
		} else {
			break;
		}
	}
	return pos;
}

/* Where the value of the Content-Type field at `at` starts, or 0. */
static size_t ct_value(const struct mimefix *f, size_t at, size_t lim)
{
	static const char name[] = "content-type";
	size_t pos = at, i;

	for (i = 0; i < sizeof(name) - 1; i++, pos++)
		if (pos >= lim || (f->orig[pos] | 0x20) != name[i])
			return 0;
	while (pos < lim && is_wsp(f->orig[pos]))
		pos++;
	return pos < lim && f->orig[pos] == ':' ? pos + 1 : 0;
}

/* The spans of the type (span[0], span[1]) and the subtype (span[2],
 * span[3]) of the Content-Type field at `at`; 0 when it has none. */
static int ct_type(const struct mimefix *f, size_t at, size_t lim,
		   size_t span[4])
{
	const char *s = f->orig;
	size_t p = ct_value(f, at, lim);

	if (!p)
		return 0;
	span[0] = skip_cfws(s, p, lim);
	span[1] = token_end(s, span[0], lim);
	p = skip_cfws(s, span[1], lim);
	if (span[1] == span[0] || p >= lim || s[p] != '/')
		return 0;
	span[2] = skip_cfws(s, p + 1, lim);
	span[3] = token_end(s, span[2], lim);
	return span[3] > span[2];
}

/* Past "type/subtype" of the Content-Type field at `at`, or 0. */
static size_t ct_subtype_end(const struct mimefix *f, size_t at, size_t lim)
{
	size_t span[4];

	return ct_type(f, at, lim, span) ? span[3] : 0;
}

static size_t field_limit(const struct mimefix *f, size_t at)
{
	return f->len - at < MIMEFIX_MAX_FIELD ? f->len
					       : at + MIMEFIX_MAX_FIELD;
}

/* ---- drafts ---- */

static void draft_init(struct draft *d, const struct mimefix *f)
{
	memset(d, 0, sizeof(*d));
	d->max = MIMEFIX_MAX_EDITS + f->npins;
	buf_init(&d->pool, f->len + 4 * (size_t)MIMEFIX_MAX_EDITS + 1024);
}

static void draft_release(struct draft *d)
{
	free(d->e);
	buf_release(&d->pool);
}

/* Starts an edit replacing [at, at + len); its bytes follow with
 * buf_append(&d->pool, ...).  Returns 0 when the draft is full. */
static int draft_begin(struct draft *d, size_t at, size_t len, int kind)
{
	struct mimefix_edit *e;

	if (d->n == d->max)
		return 0;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		struct mimefix_edit *ne;

		ne = realloc(d->e, ncap * sizeof(*ne));
		if (!ne) {
			d->failed = 1;
			return 0;
		}
		d->e = ne;
		d->cap = ncap;
	}
	e = &d->e[d->n++];
	memset(e, 0, sizeof(*e));
	e->at = at;
	e->len = len;
	e->rep = d->pool.len;
	e->kind = kind;
	d->count[kind]++;
	return 1;
}

static void draft_end(struct draft *d)
{
	struct mimefix_edit *e = &d->e[d->n - 1];

	e->rep_len = d->pool.len - e->rep;
}

static void draft_add(struct draft *d, size_t at, size_t len, const char *s,
		      size_t n, int kind)
{
	if (!draft_begin(d, at, len, kind))
		return;
	buf_append(&d->pool, s, n);
	draft_end(d);
}

static int edit_cmp(const void *a, const void *b)
{
	const struct mimefix_edit *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->kind - y->kind;
}

/* Sorts the draft and drops every edit that overlaps one before it. */
static void draft_settle(struct draft *d)
{
	size_t k = 0, end = 0;

	if (d->n > 1)
		qsort(d->e, d->n, sizeof(*d->e), edit_cmp);
	for (size_t i = 0; i < d->n; i++) {
		if (k && d->e[i].at < end) {
			d->count[d->e[i].kind]--;
			continue;
		}
		d->e[k++] = d->e[i];
		end = d->e[i].at + d->e[i].len;
	}
	d->n = k;
}

static int same_plan(const struct mimefix *f, const struct draft *d)
{
	if (f->nedits != d->n)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct mimefix_edit *a = &f->edits[i], *b = &d->e[i];

		if (a->at != b->at || a->len != b->len ||
		    a->rep_len != b->rep_len ||
		    (a->rep_len && memcmp(f->pool.data + a->rep,
					  d->pool.data + b->rep, a->rep_len)))
			return 0;
	}
	return 1;
}

/* Makes the draft the plan if it differs; returns 1 when it did. */
static int draft_commit(struct mimefix *f, struct draft *d)
{
	size_t delta = 0;

	if (d->failed || d->pool.err) {
		/* keep only the pinned edits */
		d->n = 0;
		buf_reset(&d->pool);
		memset(d->count, 0, sizeof(d->count));
		for (size_t i = 0; i < f->npins; i++)
			draft_add(d, f->pins[i].at, 0, f->pins[i].s,
				  f->pins[i].n, MIMEFIX_PINNED);
	}
	draft_settle(d);
	if (same_plan(f, d)) {
		draft_release(d);
		return 0;
	}
	free(f->edits);
	buf_release(&f->pool);
	f->edits = d->e;
	f->nedits = d->n;
	f->pool = d->pool;
	memcpy(f->count, d->count, sizeof(f->count));
	for (size_t i = 0; i < f->nedits; i++) {
		struct mimefix_edit *e = &f->edits[i];

		e->copy_at = e->at + delta;
		delta += e->rep_len - e->len; /* wraps back when negative */
	}
	return 1;
}

/* ---- a Content-Type without ';' before its parameters ---- */

/* "multipart/mixed boundary=x": a ';' goes after the subtype when white
 * space or a comment, then "name=", follow it. */
static void fix_semicolon(const struct mimefix *f, struct draft *d, size_t at)
{
	const char *s = f->orig;
	size_t lim = field_limit(f, at);
	size_t sub = ct_subtype_end(f, at, lim), p, t;

	if (!sub)
		return;
	p = skip_cfws(s, sub, lim);
	if (p == sub)
		return; /* ';', end of field, or anything but a separator */
	t = token_end(s, p, lim);
	if (t == p)
		return;
	t = skip_cfws(s, t, lim);
	if (t < lim && s[t] == '=')
		draft_add(d, sub, 0, ";", 1, MIMEFIX_SEMICOLON);
}

/* ---- leaves ---- */

/* Renames the type "message" (MIMEFIX_MESSAGE) or the subtype "digest"
 * (MIMEFIX_DIGEST) of the Content-Type field at `at`, so that GMime keeps
 * the part, or the digest's parts, leaves. */
static void leaf_rename(const struct mimefix *f, struct draft *d, size_t at,
			int kind)
{
	int msg = kind == MIMEFIX_MESSAGE;
	const char *from = msg ? "message" : "digest";
	const char *to = msg ? MIMEFIX_LEAF_TYPE : MIMEFIX_LEAF_DIGEST;
	size_t n = strlen(from), span[4], *t = msg ? span : span + 2;

	if (!ct_type(f, at, field_limit(f, at), span) || t[1] - t[0] != n ||
	    strncasecmp(f->orig + t[0], from, n) != 0 ||
	    !draft_begin(d, t[0], n, MIMEFIX_LEAF))
		return;
	d->e[d->n - 1].field = at;
	buf_append(&d->pool, to, n);
	draft_end(d);
}

int mimefix_leaf(const struct mimefix *f, size_t header)
{
	size_t lo = 0, hi = f->nedits;

	/* the first edit in the field: a type comes before all else */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->edits[mid].at < header)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->nedits && f->edits[lo].kind == MIMEFIX_LEAF &&
	       f->edits[lo].field == header;
}

/* ---- long boundaries ---- */

/* Index of b among the renamed boundaries, or -1. */
static long long_index(const struct mimefix *f, const char *b, size_t blen)
{
	for (size_t i = 0; i < f->nlongs; i++)
		if (f->long_len[i] == blen &&
		    !memcmp(f->longs.data + f->long_at[i], b, blen))
			return (long)i;
	return -1;
}

const char *mimefix_boundary(const struct mimefix *f, const char *b)
{
	size_t i = 0;
	const char *p;

	if (!b || strncmp(b, LONG_TOKEN, LONG_TOKEN_LEN) != 0)
		return b;
	p = b + LONG_TOKEN_LEN;
	if (*p < '0' || *p > '9')
		return b;
	while (*p >= '0' && *p <= '9' && i < MIMEFIX_MAX_MULTIPARTS)
		i = i * 10 + (size_t)(*p++ - '0');
	if (strcmp(p, "_=") != 0 || i >= f->nlongs)
		return b;
	return f->longs.data + f->long_at[i];
}

static void remember_long(struct mimefix *f, const char *b, size_t blen)
{
	size_t at = f->longs.len;

	if (f->nlongs == MIMEFIX_MAX_MULTIPARTS || long_index(f, b, blen) >= 0)
		return;
	buf_append(&f->longs, b, blen);
	buf_putc(&f->longs, '\0');
	if (f->longs.err)
		return;
	f->long_at[f->nlongs] = at;
	f->long_len[f->nlongs++] = blen;
}

/* A quoted-string at *pos equal to b (quoted-pairs undone)?  Moves *pos
 * past it. */
static int quoted_equals(const char *s, size_t *pos, size_t lim,
			 const char *b, size_t blen)
{
	size_t p = *pos + 1, k = 0;
	int eq = 1;

	while (p < lim && s[p] != '"') {
		char c = s[p];

		if (c == '\r' || c == '\n') {
			eq = 0; /* folded inside the quotes: not handled */
			break;
		}
		if (c == '\\' && p + 1 < lim)
			c = s[++p];
		eq = eq && k < blen && b[k] == c;
		k++;
		p++;
	}
	if (p < lim && s[p] == '"')
		p++;
	else
		eq = 0;
	*pos = p;
	return eq && k == blen;
}

/* The span (quotes included) of the boundary parameter equal to b in the
 * Content-Type field at `at`; 0 when there is none. */
static int boundary_param(const struct mimefix *f, size_t at, const char *b,
			  size_t blen, size_t *vs, size_t *ve)
{
	const char *s = f->orig;
	size_t lim = field_limit(f, at);
	size_t p = ct_subtype_end(f, at, lim);

	while (p && p < lim) {
		size_t n0, n1, v;
		int eq;

		p = skip_cfws(s, p, lim);
		if (p < lim && s[p] == ';')
			p = skip_cfws(s, p + 1, lim);
		n0 = p;
		n1 = token_end(s, p, lim);
		if (n1 == n0)
			return 0;
		p = skip_cfws(s, n1, lim);
		if (p >= lim || s[p] != '=')
			return 0;
		p = v = skip_cfws(s, p + 1, lim);
		if (p < lim && s[p] == '"') {
			eq = quoted_equals(s, &p, lim, b, blen);
		} else {
			p = token_end(s, p, lim);
			eq = p - v == blen && !memcmp(s + v, b, blen);
		}
		if (eq && n1 - n0 == 8 && !strncasecmp(s + n0, "boundary", 8)) {
			*vs = v;
			*ve = p;
			return 1;
		}
		if (p == v)
			return 0;
	}
	return 0;
}

/* Renames a long boundary: a token for its delimiter lines and an edit of
 * its parameter; nothing when the token occurs in the message or the
 * parameter is not plainly there. */
static void rename_long(const struct mimefix *f, struct draft *d,
			struct open_b *o)
{
	long i = long_index(f, o->b, o->blen);
	size_t vs, ve;
	int n;

	if (i < 0)
		return;
	n = snprintf(o->name, sizeof(o->name), "%s%ld_=", LONG_TOKEN, i);
	if (n <= 0 || (size_t)n >= sizeof(o->name) ||
	    memmem(f->orig, f->len, o->name, (size_t)n) ||
	    !boundary_param(f, o->header, o->b, o->blen, &vs, &ve))
		return;
	o->nlen = (size_t)n;
	if (!draft_begin(d, vs, ve - vs, MIMEFIX_LONG))
		return;
	buf_putc(&d->pool, '"');
	buf_append(&d->pool, o->name, o->nlen);
	buf_putc(&d->pool, '"');
	draft_end(d);
}

/* ---- delimiter lines ---- */

static int all_lwsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

struct delim {
	struct open_b *o;
	int final, exact;
};

/* How the line [pos, end) (line end cut) reads against boundary o: 1 and
 * *m filled when it is a delimiter, exact or with text after it. */
static int delim_match(const char *s, size_t pos, size_t end,
		       struct open_b *o, struct delim *m)
{
	size_t q = pos + 2 + o->blen, r;

	if (end - pos - 2 < o->blen || memcmp(s + pos + 2, o->b, o->blen))
		return 0;
	m->o = o;
	m->final = end - q >= 2 && s[q] == '-' && s[q + 1] == '-';
	r = m->final ? q + 2 : q;
	m->exact = all_lwsp(s + r, end - r);
	return m->exact || is_wsp(s[r]);
}

/* The delimiter the line is, among the open boundaries: an exact one
 * before one with text after it, the longest boundary first. */
static int delim_find(const char *s, size_t pos, size_t end,
		      struct open_b *ob, size_t n, struct delim *best)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		struct delim m = { 0 };

		if (!ob[i].open || !delim_match(s, pos, end, &ob[i], &m))
			continue;
		if (!found || m.exact > best->exact ||
		    (m.exact == best->exact && m.o->blen > best->o->blen))
			*best = m;
		found = 1;
	}
	return found;
}

/* Rewrites the delimiter line [pos, next) when GMime would misread it;
 * returns 1 when it closes its boundary. */
static int delimiter_line(struct draft *d, const char *s, size_t pos,
			  size_t le, size_t next, struct open_b *ob, size_t n)
{
	int crlf = next > le && le > pos && s[le - 1] == '\r';
	size_t end = crlf ? le - 1 : le;
	size_t prev = pos == 0 ? 0 : pos >= 2 && s[pos - 2] == '\r' ? 2 : 1;
	size_t strips = crlf ? 2 : 1; /* what GMime takes off the part */
	struct delim m = { 0 };
	int kind;

	if (!delim_find(s, pos, end, ob, n, &m))
		return 0;
	kind = m.o->nlen ? MIMEFIX_LONG : !m.exact ? MIMEFIX_TRAILING_TEXT
	       : prev && prev != strips ? MIMEFIX_LINE_END : -1;
	if (kind >= 0 && draft_begin(d, pos, next - pos, kind)) {
		buf_append(&d->pool, "--", 2);
		if (m.o->nlen)
			buf_append(&d->pool, m.o->name, m.o->nlen);
		else
			buf_append(&d->pool, m.o->b, m.o->blen);
		if (m.final)
			buf_append(&d->pool, "--", 2);
		if (prev && prev != strips)
			buf_append(&d->pool, prev == 2 ? "\r\n" : "\n", prev);
		else
			buf_append(&d->pool, s + end, next - end);
		draft_end(d);
	}
	if (!m.final)
		return 0;
	m.o->open = 0;
	return 1;
}

/* One pass over the lines from the first multipart's Content-Type field:
 * a boundary is open from its field to its close delimiter. */
static void scan_delimiters(const struct mimefix *f, struct draft *d,
			    struct open_b *ob, size_t n)
{
	const char *s = f->orig;
	size_t pos = ob[0].header, opened = 0, nopen = 0;

	while (pos < f->len) {
		const char *nl = memchr(s + pos, '\n', f->len - pos);
		size_t le = nl ? (size_t)(nl - s) : f->len;
		size_t next = nl ? le + 1 : f->len;

		while (opened < n && ob[opened].header <= pos) {
			ob[opened++].open = 1;
			nopen++;
		}
		if (!nopen) {
			if (opened == n)
				break;
			pos = ob[opened].header; /* a line start past pos */
			continue;
		}
		if (le - pos >= 2 && s[pos] == '-' && s[pos + 1] == '-')
			nopen -= (size_t)delimiter_line(d, s, pos, le, next,
							ob, opened);
		pos = next;
	}
}

static int header_cmp(const void *a, const void *b)
{
	const struct open_b *x = a, *y = b;

	return x->header < y->header ? -1 : x->header > y->header;
}

/* ---- the plan ---- */

int mimefix_plan(struct mimefix *f, const struct mimefix_part *parts,
		 size_t n)
{
	struct open_b ob[MIMEFIX_MAX_MULTIPARTS];
	struct draft d;
	size_t nob = 0;

	if (n == 0 && f->nedits == f->npins)
		return 0;
	if (n > MIMEFIX_MAX_MULTIPARTS)
		n = 0;
	/* renamed boundaries first: f->longs does not move after this */
	for (size_t i = 0; i < n; i++) {
		const char *b = mimefix_boundary(f, parts[i].boundary);
		size_t blen = b ? strlen(b) : 0;

		if (blen > MIMEFIX_LONG_BOUNDARY &&
		    blen <= MIMEFIX_MAX_BOUNDARY)
			remember_long(f, b, blen);
	}
	draft_init(&d, f);
	for (size_t i = 0; i < f->npins; i++)
		draft_add(&d, f->pins[i].at, 0, f->pins[i].s, f->pins[i].n,
			  MIMEFIX_PINNED);
	for (size_t i = 0; i < n; i++) {
		const char *b = mimefix_boundary(f, parts[i].boundary);
		struct open_b *o = &ob[nob];

		if (parts[i].header >= f->len)
			continue;
		if (parts[i].kind != MIMEFIX_MULTIPART)
			leaf_rename(f, &d, parts[i].header, parts[i].kind);
		if (parts[i].kind == MIMEFIX_MESSAGE)
			continue;
		fix_semicolon(f, &d, parts[i].header);
		if (!b || !*b || strlen(b) > MIMEFIX_MAX_BOUNDARY)
			continue;
		memset(o, 0, sizeof(*o));
		o->b = b;
		o->blen = strlen(b);
		o->header = parts[i].header;
		if (o->blen > MIMEFIX_LONG_BOUNDARY)
			rename_long(f, &d, o);
		nob++;
	}
	if (nob) {
		qsort(ob, nob, sizeof(*ob), header_cmp);
		scan_delimiters(f, &d, ob, nob);
	}
	return draft_commit(f, &d);
}

/* ---- the copy and the map ---- */

/* (once per message: the tables past nlongs and npins stay unwritten) */
void mimefix_init(struct mimefix *f, const char *orig, size_t len)
{
	f->orig = orig;
	f->len = len;
	f->edits = NULL;
	f->nedits = f->npins = f->nlongs = 0;
	memset(f->count, 0, sizeof(f->count));
	buf_init(&f->pool, 0);
	buf_init(&f->longs, (size_t)MIMEFIX_MAX_MULTIPARTS *
		 (MIMEFIX_MAX_BOUNDARY + 1));
}

void mimefix_release(struct mimefix *f)
{
	free(f->edits);
	f->edits = NULL;
	f->nedits = 0;
	buf_release(&f->pool);
	buf_release(&f->longs);
}

trawl_status mimefix_pin(struct mimefix *f, size_t at, const char *s,
			 size_t n)
{
	struct draft d;
	struct mimefix_pin *pin;

	if (f->npins == MIMEFIX_MAX_PINS || n > sizeof(pin->s) || at > f->len)
		return TRAWL_ERR_INVALID;
	pin = &f->pins[f->npins++];
	pin->at = at;
	pin->n = n;
	memcpy(pin->s, s, n);
	draft_init(&d, f);
	d.failed = 1; /* a plan of the pins alone */
	draft_commit(f, &d);
	return f->nedits == f->npins ? TRAWL_OK : TRAWL_ERR_NOMEM;
}

size_t mimefix_copy_len(const struct mimefix *f)
{
	size_t n = f->len;

	for (size_t i = 0; i < f->nedits; i++)
		n = n - f->edits[i].len + f->edits[i].rep_len;
	return n;
}

void mimefix_write(const struct mimefix *f, char *out)
{
	size_t from = 0;

	for (size_t i = 0; i < f->nedits; i++) {
		const struct mimefix_edit *e = &f->edits[i];

		memcpy(out, f->orig + from, e->at - from);
		out += e->at - from;
		memcpy(out, f->pool.data + e->rep, e->rep_len);
		out += e->rep_len;
		from = e->at + e->len;
	}
	memcpy(out, f->orig + from, f->len - from);
}

size_t mimefix_to_orig(const struct mimefix *f, size_t pos)
{
	size_t lo = 0, hi = f->nedits, r;
	const struct mimefix_edit *e;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->edits[mid].copy_at <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return pos < f->len ? pos : f->len;
	e = &f->edits[lo - 1];
	if (pos - e->copy_at < e->rep_len)
		return e->at;
	r = e->at + e->len + (pos - e->copy_at - e->rep_len);
	return r < f->len ? r : f->len;
}
